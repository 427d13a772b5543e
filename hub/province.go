package hub

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/console"
	"github.com/o211/o211/hub/fsm"
	o211node "github.com/o211/o211/node"
	"github.com/o211/o211/node/api"
	"github.com/o211/o211/node/directory"
)

// Province serves the provincial directory from one replica: the same HSDS
// API and search as a node (node/api's read side) over every region's
// records in the replica's state, with a search index that follows the
// state machine. Index updates run on their own goroutine, off Raft's apply
// path; a search reflects the state up to IndexedIndex.
type Province struct {
	r       *Replica
	log     *slog.Logger
	indexer *o211node.Indexer
	api     *api.Server

	mu      sync.Mutex
	pending []directory.Changed
	rebuild bool
	last    uint64 // raft index of the newest event queued
	wake    chan struct{}

	indexed atomic.Uint64 // raft index the search index reflects
	ready   atomic.Bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// ServeProvince makes the replica serve the provincial HSDS API under
// /hsds and search at /api/v1/search. Call it before Start; start the
// returned Province after the replica.
func (r *Replica) ServeProvince() *Province {
	p := &Province{r: r, log: r.logger, rebuild: true, wake: make(chan struct{}, 1)}
	p.indexer = o211node.NewIndexer(p.View, nil)
	p.api = api.New(api.Config{Directory: p, Logger: r.logger, Now: r.cfg.Now})
	prevApply, prevRoutes := r.cfg.OnApply, r.cfg.Routes
	r.cfg.OnApply = func(e fsm.Event) {
		if prevApply != nil {
			prevApply(e)
		}
		p.onApply(e)
	}
	r.cfg.Routes = func(rt chi.Router) {
		if prevRoutes != nil {
			prevRoutes(rt)
		}
		// The read API routes on full paths with a routing context of its own.
		inner := p.api.Handler()
		h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			w.Header().Set("X-O211-Indexed-Index", strconv.FormatUint(p.indexed.Load(), 10))
			inner.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), chi.RouteCtxKey, nil)))
		})
		rt.Handle("/hsds", h)
		rt.Handle("/hsds/*", h)
		rt.Handle("/api/v1/search", h)
		p.routesConsole(rt)
	}
	return p
}

// routesConsole mounts the public portal over the province (and the web
// console) at / and /console/. The console's templates are embedded and
// checked by its tests, so New fails only on a broken build: that is
// logged and the portal left out, and the APIs still serve.
func (p *Province) routesConsole(rt chi.Router) {
	con, err := console.New(console.Config{Searcher: p, Services: provinceServices{p}, Hours: provinceServices{p},
		Locator: o211node.GeoLocator{}, Accounts: p.r.accounts, Logger: p.log, Now: p.r.cfg.Now})
	if err != nil {
		p.log.Error("hub: the web console cannot start", "err", err)
		return
	}
	con.Routes(rt)
}

// Schedules reads the hours of a page of results in one view.
func (s provinceServices) Schedules(ctx context.Context, results []o211.Result) ([][]o211.Schedule, error) {
	out, _, err := o211node.ResultSchedules(s.p.View, results)
	return out, err
}

// provinceServices reads a service of any region for the portal.
type provinceServices struct{ p *Province }

func (s provinceServices) Service(ctx context.Context, id string) (*o211.Service, error) {
	var svc *o211.Service
	err := s.p.View(func(tx directory.Tx) error {
		var err error
		svc, err = directory.FullService(tx, id)
		return err
	})
	return svc, err
}

// Start builds the search index from the replica's state and keeps it up
// to date until Close.
func (p *Province) Start(ctx context.Context) {
	bg, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.wg.Add(1)
	go p.run(bg)
	p.signal()
}

// Close stops following the state. It is safe to call more than once.
func (p *Province) Close() {
	if p.cancel != nil {
		p.cancel()
		p.wg.Wait()
	}
}

// Ready reports whether the search index has been built.
func (p *Province) Ready() bool { return p.ready.Load() }

// IndexedIndex returns the Raft log index the search index reflects.
func (p *Province) IndexedIndex() uint64 { return p.indexed.Load() }

// View runs fn with a consistent view of the replica's directory.
func (p *Province) View(fn func(directory.Tx) error) error {
	f := p.r.FSM()
	if f == nil {
		return o211.Errorf(o211.EUNAVAILABLE, "the hub replica is starting")
	}
	return f.View(func(s *fsm.State) error { return fn(s.Tx()) })
}

// Search searches every region's services.
func (p *Province) Search(ctx context.Context, q o211.Query) (*o211.Results, error) {
	if !p.ready.Load() {
		return nil, o211.Errorf(o211.EUNAVAILABLE, "the provincial search index is being built; try again shortly")
	}
	return p.indexer.Search(ctx, q)
}

func (p *Province) onApply(e fsm.Event) {
	p.mu.Lock()
	if e.Restored {
		p.rebuild, p.pending = true, nil
	} else if !p.rebuild {
		p.pending = append(p.pending, o211node.ChangedOf(e.Changed)...)
	}
	p.last = e.Index
	p.mu.Unlock()
	p.signal()
}

func (p *Province) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// run applies queued events to the index: a rebuild when the state was
// replaced (or at start), else the changed records.
func (p *Province) run(ctx context.Context) {
	defer p.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		}
		p.mu.Lock()
		rebuild, pending, last := p.rebuild, p.pending, p.last
		p.rebuild, p.pending = false, nil
		p.mu.Unlock()
		var err error
		switch {
		case rebuild:
			err = p.indexer.Rebuild(ctx)
			if err == nil {
				p.ready.Store(true)
				p.log.Info("provincial search index built", "docs", p.indexer.Index().Len())
			}
		case len(pending) > 0:
			err = p.indexer.Update(ctx, pending)
		}
		if err != nil && ctx.Err() == nil {
			p.log.Error("provincial search index update failed; rebuilding", "err", err)
			p.mu.Lock()
			p.rebuild = true
			p.mu.Unlock()
			p.signal()
			continue
		}
		p.indexed.Store(last)
	}
}
