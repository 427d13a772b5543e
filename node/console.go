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
	cfg := console.Config{Region: n.cfg.Region, Searcher: n.dir, Services: nodeServices{n},
		Locator: GeoLocator{}, Logger: n.log, Now: n.cfg.Now}
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
