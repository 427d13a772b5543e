package node

import (
	"context"
	"net/http"

	"github.com/o211/o211"
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
// /api/v1/reports. Counts are perturbed and small ones withheld, as the
// hub's are: a region's figures are no less identifying. Flexible reports
// need an actor, which the server's identity middleware puts in the
// request's context (the API token names the bootstrap administrator), and every query is written to the store's audit log;
// the published tables answer anyone. The service-gap report counts the
// region's own services near each FSA.
func (n *Node) reportConfig() report.Config {
	store := n.dir.Store()
	return report.Config{Cube: n.reports, Scope: n.cfg.Region, Services: report.SearchServices(n.dir.Search), Now: n.cfg.Now, Logger: n.log,
		Audit: func(ctx context.Context, a o211.Actor, r *http.Request) error {
			return store.AppendAudit(ctx, o211.AuditEntry{Actor: a, Action: report.AuditAction, Path: report.AuditURI(r), From: r.RemoteAddr})
		}}
}

// Reports returns the cube of the region's anonymised reports.
func (n *Node) Reports() *report.Cube { return n.reports }
