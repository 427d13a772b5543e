package node

import (
	"context"

	"github.com/o211/o211"
	"github.com/o211/o211/node/geo"
	"github.com/o211/o211/node/report"
)

// openReports fills the node's report cube with the report records of its
// store: the anonymised contacts of its own region. Report records written
// afterwards reach it through reportWritten.
func (n *Node) openReports() error {
	n.reports = report.NewCube()
	return n.dir.Store().Reports(n.reports.Add)
}

// reportConfig configures the region's reports under
// /api/v1/reports. Published counts are always suppressed below 10, as
// the hub's are: a region's figures are no less identifying.
func (n *Node) reportConfig() report.Config {
	return report.Config{Cube: n.reports, Scope: n.cfg.Region, Services: n.servicesNear, Now: n.cfg.Now, Logger: n.log}
}

// Reports returns the cube of the region's anonymised reports.
func (n *Node) Reports() *report.Cube { return n.reports }

// servicesNear counts the region's services of a kind within radiusKm of
// an FSA's centroid, for the service-gap report.
func (n *Node) servicesNear(ctx context.Context, code, fsa string, radiusKm float64) (int, error) {
	f, ok := geo.LookupFSA(fsa)
	if !ok {
		return 0, o211.FieldErrorf("fsa", "%q is not an Ontario FSA", fsa)
	}
	res, err := n.dir.Search(ctx, o211.Query{Taxonomy: code, HasNear: true, Lat: f.Lat, Lon: f.Lon,
		RadiusKm: radiusKm, PerPage: 1, Distinct: true})
	if err != nil {
		return 0, err
	}
	return res.Total, nil
}
