package node

import (
	"context"

	"github.com/o211/o211"
	"github.com/o211/o211/console"
	"github.com/o211/o211/node/contacts"
	"github.com/o211/o211/node/geo"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/taxonomy"
)

// newConsole builds the public portal and the web console over the node's
// directory: its region, and the provincial copy when linked to the hub.
func (n *Node) newConsole() (*console.Console, error) {
	cfg := console.Config{Region: n.cfg.Region, Searcher: n.dir, Services: nodeServices{n}, Hours: nodeServices{n},
		Locator: geo.Locator{}, Accounts: n.accounts, Contacts: n.contacts, Taxonomy: consoleTaxonomy{}, Verification: nodeServices{n}, Queue: consoleQueue{q: n.queue, grants: n.grants},
		Logger: n.log, Now: n.cfg.Now,
		Records:      consoleRecords{n: n, w: ownedWriter{region: n.cfg.Region, dir: n.dir, province: n.Province}, queue: &verifyCache{}},
		VerifyMonths: n.cfg.VerifyMonths}
	if r, ok := geo.RegionByID(n.cfg.Region); ok {
		cfg.RegionName = r.Name
	}
	reach := console.DefaultReach
	reach.ChatURL, reach.Email = "/gateway/chat", n.cfg.Gateway.SMTPMailbox // the node's channel gateway
	cfg.Reach = &reach
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
	out, missing, err := hsds.ResultSchedules(s.n.dir.View, results)
	if err != nil || len(missing) == 0 || s.n.province == nil {
		return out, err
	}
	others := make([]o211.Result, len(missing))
	for j, i := range missing {
		others[j] = results[i]
	}
	theirs, _, err := hsds.ResultSchedules(s.n.province.View, others)
	for j, i := range missing {
		out[i] = theirs[j]
	}
	return out, err
}

// FullService reads the service id with everything HSDS nests in it from
// d, in one read transaction; an ENOTFOUND error when there is none.
func FullService(d *Directory, id string) (*o211.Service, error) {
	var svc *o211.Service
	err := d.View(func(tx hsds.Tx) error {
		var err error
		svc, err = hsds.FullService(tx, id)
		return err
	})
	return svc, err
}

// provinceSearcher searches the node's copy of the province.
type provinceSearcher struct{ d apiDirectory }

func (p provinceSearcher) Search(ctx context.Context, q o211.Query) (*o211.Results, error) {
	return p.d.SearchProvince(ctx, q)
}

var _ console.Locator = geo.Locator{}

var _ console.Contacts = (*contacts.Service)(nil)

// consoleTaxonomy gives the console the 211 taxonomy's terms for a
// contact's needs.
type consoleTaxonomy struct{}

var _ console.Taxonomy = consoleTaxonomy{}

func (consoleTaxonomy) Terms() []console.Term {
	all := taxonomy.All()
	out := make([]console.Term, len(all))
	for i, t := range all {
		out[i] = console.Term{Code: t.Code, NameEn: t.NameEn, NameFr: t.NameFr}
	}
	return out
}

var _ console.Verification = nodeServices{}

// AssuredDates reads the assured_date of each service from the region, and
// from the provincial copy for the ones the region does not hold.
func (s nodeServices) AssuredDates(ctx context.Context, ids []string) ([]string, error) {
	out := make([]string, len(ids))
	read := func(d *Directory, only func(i int) bool) error {
		return d.View(func(tx hsds.Tx) error {
			for i, id := range ids {
				if !only(i) {
					continue
				}
				rec, err := tx.Get(o211.KindService, id)
				if o211.ErrorCode(err) == o211.ENOTFOUND {
					continue
				} else if err != nil {
					return err
				}
				obj, err := rec.Decode()
				if err != nil {
					return err
				}
				if svc, ok := obj.(*o211.Service); ok {
					out[i] = svc.AssuredDate
				}
			}
			return nil
		})
	}
	if err := read(s.n.dir, func(int) bool { return true }); err != nil || s.n.province == nil {
		return out, err
	}
	return out, read(s.n.province, func(i int) bool { return out[i] == "" })
}
