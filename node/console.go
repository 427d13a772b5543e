package node

import (
	"context"

	"github.com/o211/o211"
	"github.com/o211/o211/console"
	"github.com/o211/o211/node/directory"
	"github.com/o211/o211/node/geo"
)

// newConsole builds the public portal and the web console over the node's
// directory: its region, and the provincial copy when linked to the hub.
func (n *Node) newConsole() (*console.Console, error) {
	cfg := console.Config{Region: n.cfg.Region, Searcher: n.dir, Services: nodeServices{n}, Hours: nodeServices{n},
		Locator: GeoLocator{}, Accounts: n.accounts, Logger: n.log, Now: n.cfg.Now}
	if r, ok := geo.RegionByID(n.cfg.Region); ok {
		cfg.RegionName = r.Name
	}
	if n.province != nil {
		cfg.Province = provinceSearcher{apiDirectory{n.dir, n}}
	}
	return console.New(cfg)
}

// nodeServices reads a service for the portal: from the region, else from
// the provincial copy (a result of a province-wide search).
type nodeServices struct{ n *Node }

var _ console.Services = nodeServices{}

func (s nodeServices) Service(ctx context.Context, id string) (*o211.Service, error) {
	svc, err := FullService(s.n.dir, id)
	if o211.ErrorCode(err) == o211.ENOTFOUND && s.n.province != nil {
		return FullService(s.n.province, id)
	}
	return svc, err
}

var _ console.Hours = nodeServices{}

// Schedules reads the hours of a page of results in one read of the
// region, and of the provincial copy for the results that are not the
// region's.
func (s nodeServices) Schedules(ctx context.Context, results []o211.Result) ([][]o211.Schedule, error) {
	out, missing, err := ResultSchedules(s.n.dir.View, results)
	if err != nil || len(missing) == 0 || s.n.province == nil {
		return out, err
	}
	others := make([]o211.Result, len(missing))
	for j, i := range missing {
		others[j] = results[i]
	}
	theirs, _, err := ResultSchedules(s.n.province.View, others)
	for j, i := range missing {
		out[i] = theirs[j]
	}
	return out, err
}

// ResultSchedules reads, in one view, the schedules that say when each
// result's service is open at its location: the service at location's
// own, else the service's, else the location's. It returns the indexes of
// the results whose service is not in the view.
func ResultSchedules(view func(func(directory.Tx) error) error, results []o211.Result) (out [][]o211.Schedule, missing []int, err error) {
	out = make([][]o211.Schedule, len(results))
	err = view(func(tx directory.Tx) error {
		for i, r := range results {
			if _, err := tx.Get(o211.KindService, r.ServiceID); o211.ErrorCode(err) == o211.ENOTFOUND {
				missing = append(missing, i)
				continue
			} else if err != nil {
				return err
			}
			sc, err := firstSchedules(tx, []string{"service_at_location_id", "service_id", "location_id"},
				[]string{r.ServiceAtLocationID, r.ServiceID, r.LocationID})
			if err != nil {
				return err
			}
			out[i] = sc
		}
		return nil
	})
	return out, missing, err
}

// firstSchedules returns the live schedules whose field holds the id, for
// the first field and id that have any.
func firstSchedules(tx directory.Tx, fields, ids []string) ([]o211.Schedule, error) {
	for i, field := range fields {
		if ids[i] == "" {
			continue
		}
		recs, err := tx.Referrers(o211.KindSchedule, field, ids[i])
		if err != nil || len(recs) == 0 {
			if err != nil {
				return nil, err
			}
			continue
		}
		out := make([]o211.Schedule, 0, len(recs))
		for _, rec := range recs {
			obj, err := rec.Decode()
			if err != nil {
				return nil, err
			}
			if sc, ok := obj.(*o211.Schedule); ok {
				out = append(out, *sc)
			}
		}
		return out, nil
	}
	return nil, nil
}

// FullService reads the service id with everything HSDS nests in it from
// d, in one read transaction; an ENOTFOUND error when there is none.
func FullService(d *Directory, id string) (*o211.Service, error) {
	var svc *o211.Service
	err := d.View(func(tx directory.Tx) error {
		var err error
		svc, err = directory.FullService(tx, id)
		return err
	})
	return svc, err
}

// provinceSearcher searches the node's copy of the province.
type provinceSearcher struct{ d apiDirectory }

func (p provinceSearcher) Search(ctx context.Context, q o211.Query) (*o211.Results, error) {
	return p.d.SearchProvince(ctx, q)
}

// GeoLocator resolves postal codes and FSAs with node/geo's centroids, for
// the portal's "near".
type GeoLocator struct{}

var _ console.Locator = GeoLocator{}

// Locate returns the centroid of the postal code's FSA; an EINVALID error
// when it is not an Ontario FSA.
func (GeoLocator) Locate(near string) (float64, float64, error) {
	p, err := geo.ParseNear(near)
	return p.Lat, p.Lon, err
}
