package node

import (
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
// the hub's are: a region's figures are no less identifying. The
// service-gap report counts the region's own services near each FSA.
func (n *Node) reportConfig() report.Config {
	return report.Config{Cube: n.reports, Scope: n.cfg.Region, Services: report.SearchServices(n.dir.Search), Now: n.cfg.Now, Logger: n.log}
}

// Reports returns the cube of the region's anonymised reports.
func (n *Node) Reports() *report.Cube { return n.reports }
