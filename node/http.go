package node

import (
	"context"
	"path/filepath"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211/node/api"
	"github.com/o211/o211/node/auth"
	"github.com/o211/o211/node/contacts"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/queue"
	"github.com/o211/o211/node/report"
)

// startHTTP builds the node's one HTTP server, mounts its route groups
// (HSDS, search, write and import, contacts, reports, operations, and the
// public portal and web console at / and /console/) and starts it.
// Requests are identified by the accounts service: personal tokens and
// console sessions of the region's users, and the shared API token as the
// bootstrap administrator of the region.
func (n *Node) startHTTP(ctx context.Context, token string) error {
	portal, err := n.newConsole()
	if err != nil {
		return err
	}
	reg := httpx.NewRegistry()
	reg.MustRegister(n.collectors()...)
	reg.MustRegister(n.queueCollectors()...)
	reg.MustRegister(n.gatewayCollectors()...)
	dir := apiDirectory{n.dir, n}
	imp := importer{dir: n.dir, tempDir: filepath.Dir(n.dir.Store().Path()), mu: new(sync.Mutex), province: n.Province}
	groups, err := api.New(api.Config{Viewer: dir, Searcher: dir, Writer: ownedWriter{region: n.cfg.Region, dir: n.dir, province: n.Province}, Importer: imp,
		Registerer: reg, Gatherer: reg, Logger: n.log, Now: n.cfg.Now})
	if err != nil {
		return err
	}
	n.http = httpx.New(httpx.Config{Addr: n.cfg.HTTPAddr, Authenticator: n.accounts,
		Middleware: auth.Protect(n.log), Registerer: reg, Logger: n.log})
	n.http.Mount(groups.All()...)
	n.http.Mount(statusRoutes{n}, backupRoutes{n}, emergencyRoutes{n}, n.contacts, report.NewAPI(n.reportConfig()), queue.NewAPI(n.queue), n.gateway, n.accounts, portal)
	return n.http.Start(ctx)
}

var (
	_ httpx.Group = statusRoutes{}
	_ httpx.Group = (*contacts.Service)(nil)
	_ httpx.Group = (*report.API)(nil)
)

// statusRoutes is the route group of the node's own status:
// GET /api/v1/status.
type statusRoutes struct{ n *Node }

// Routes mounts GET /api/v1/status on r.
func (g statusRoutes) Routes(r chi.Router) { r.Get("/api/v1/status", g.n.getStatus) }
