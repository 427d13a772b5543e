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
	"github.com/o211/o211/node/api"
	"github.com/o211/o211/node/geo"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/search"
)

// Province serves the provincial directory from one replica: the same HSDS
// API and search as a node (node/api's read side) over every region's
// records in the replica's state, with a search index that follows the
// state machine. Index updates run on their own goroutine, off Raft's apply
// path; a search reflects the state up to IndexedIndex.
type Province struct {
	r       *Replica
	log     *slog.Logger
	indexer *search.Indexer
	api     *api.Groups

	mu      sync.Mutex
	pending []hsds.Changed
	rebuild bool
	last    uint64 // raft index of the newest event queued
	wake    chan struct{}

	indexed atomic.Uint64 // raft index the search index reflects
	ready   atomic.Bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// ServeProvince makes the replica serve the provincial HSDS API under
// /hsds and search at /api/v1/search: node/api's HSDS and search groups
// over the replica's state, mounted on the replica's server. Call it
// before Start; start the returned Province after the replica.
func (r *Replica) ServeProvince() *Province {
	p := &Province{r: r, log: r.logger, rebuild: true, wake: make(chan struct{}, 1)}
	p.indexer = search.NewIndexer(p.View, nil)
	groups, err := api.New(api.Config{Viewer: p, Searcher: p, Registerer: r.metrics.reg, Logger: r.logger, Now: r.cfg.Now})
	if err != nil {
		panic(err) // p is both the Viewer and the Searcher
	}
	p.api = groups
	prevApply := r.cfg.OnApply
	r.cfg.OnApply = func(e fsm.Event) {
		if prevApply != nil {
			prevApply(e)
		}
		p.onApply(e)
	}
	r.Mount(p)
	p.mountConsole()
	return p
}

// Routes mounts the provincial HSDS API and search on rt. Every answer
// says which Raft index the search index reflects.
func (p *Province) Routes(rt chi.Router) {
	rt.Group(func(g chi.Router) {
		g.Use(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				w.Header().Set("X-O211-Indexed-Index", strconv.FormatUint(p.indexed.Load(), 10))
				next.ServeHTTP(w, req)
			})
		})
		p.api.HSDS.Routes(g)
		p.api.Search.Routes(g)
	})
}

// mountConsole mounts the public portal over the province (and the web
// console) at / and /console/ (routesConsole). The console's templates are
// embedded and checked by its tests, so New fails only on a broken build:
// that is logged and the portal left out, and the APIs still serve.
func (p *Province) mountConsole() {
	con, err := console.New(console.Config{Searcher: p, Services: provinceServices{p}, Hours: provinceServices{p},
		Locator: geo.Locator{}, Accounts: p.r.accounts, Logger: p.log, Now: p.r.cfg.Now})
	if err != nil {
		p.log.Error("hub: the web console cannot start", "err", err)
		return
	}
	p.r.Mount(con)
}

// Schedules reads the hours of a page of results in one view.
func (s provinceServices) Schedules(ctx context.Context, results []o211.Result) ([][]o211.Schedule, error) {
	out, _, err := hsds.ResultSchedules(s.p.View, results)
	return out, err
}

// provinceServices reads a service of any region for the portal.
type provinceServices struct{ p *Province }

func (s provinceServices) Service(ctx context.Context, id string) (*o211.Service, error) {
	var svc *o211.Service
	err := s.p.View(func(tx hsds.Tx) error {
		var err error
		svc, err = hsds.FullService(tx, id)
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
func (p *Province) View(fn func(hsds.Tx) error) error {
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
		for _, c := range e.Changed {
			p.pending = append(p.pending, hsds.Changed{Kind: c.Kind, ID: c.ID})
		}
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
