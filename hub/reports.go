package hub

import (
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/node/report"
)

// Reports serves the province's anonymised needs reporting from one
// replica: an in-memory cube of the aggregates in the replica's state,
// loaded at start, kept up to date from the state machine's events and
// reloaded when a snapshot replaces the state. Reports reflect the state
// up to LoadedIndex.
type Reports struct {
	r       *Replica
	log     *slog.Logger
	cube    *report.Cube
	group   *report.API
	queries *report.QueryLog

	// mu orders loads against events: an event at or below loadedAt is
	// already in the cube.
	mu       sync.Mutex
	loaded   bool
	loadedAt uint64
	last     uint64
}

// ServeReports makes the replica serve the provincial reports under
// /api/v1/reports. Call it before Start, after ServeProvince if the gaps
// report should count services (province may be nil); call Load once the
// replica has started.
func (r *Replica) ServeReports(province *Province) *Reports {
	rp := &Reports{r: r, log: r.logger, cube: report.NewCube()}
	prevApply := r.cfg.OnApply
	r.cfg.OnApply = func(e fsm.Event) {
		if prevApply != nil {
			prevApply(e)
		}
		rp.onApply(e)
	}
	// Flexible reports need an actor (httpx.Identify names the one of the
	// hub's API token); each query is logged and
	// kept in a bounded record on this replica (Queries), not in Raft: an
	// audit of reads need not cost a consensus write per query, and each
	// replica records what it answered.
	rp.queries = &report.QueryLog{Logger: r.logger, Now: r.cfg.Now}
	cfg := report.Config{Cube: rp.cube, Scope: o211.ScopeProvince, Now: r.cfg.Now, Logger: r.logger, Audit: rp.queries.Audit}
	if province != nil {
		cfg.Services = report.SearchServices(province.Search)
	}
	r.metrics.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "o211_hub_report_contacts",
			Help: "Closed contacts of every region counted in the provincial reports."},
			func() float64 { return float64(rp.cube.Contacts()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "o211_hub_report_needs",
			Help: "Needs of those contacts counted in the provincial reports."},
			func() float64 { return float64(rp.cube.Needs()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "o211_hub_reports_applied_index",
			Help: "Raft log index the provincial reports reflect."},
			func() float64 { return float64(rp.LoadedIndex()) }))
	rp.group = report.NewAPI(cfg)
	r.Mount(rp)
	return rp
}

// Routes mounts the provincial reports on rt. Responses say how fresh they
// are: the Raft index the cube reflects, as the replica's other reads do.
func (rp *Reports) Routes(rt chi.Router) {
	rt.Group(func(g chi.Router) {
		g.Use(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				w.Header().Set(headerIndex, strconv.FormatUint(rp.LoadedIndex(), 10))
				next.ServeHTTP(w, req)
			})
		})
		rp.group.Routes(g)
	})
}

// Queries returns the flexible report queries this replica answered last,
// oldest first.
func (rp *Reports) Queries() []o211.AuditEntry { return rp.queries.Entries() }

// Cube returns the reports' cube.
func (rp *Reports) Cube() *report.Cube { return rp.cube }

// Load fills the cube from the replica's state.
func (rp *Reports) Load() error {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.load()
}

func (rp *Reports) load() error {
	f := rp.r.FSM()
	if f == nil {
		return o211.Errorf(o211.EUNAVAILABLE, "the hub replica is starting")
	}
	rp.cube.Reset()
	err := f.View(func(s *fsm.State) error {
		rp.loadedAt = s.AppliedIndex()
		return s.LoadCube(rp.cube)
	})
	if err != nil {
		rp.cube.Reset()
		rp.loaded = false
		return err
	}
	rp.loaded, rp.last = true, rp.loadedAt
	rp.log.Info("provincial reports loaded", "contacts", rp.cube.Contacts(), "applied_index", rp.loadedAt)
	return nil
}

// LoadedIndex returns the Raft log index the reports reflect.
func (rp *Reports) LoadedIndex() uint64 {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.last
}

// onApply adds the reports an event counted. It runs on the apply
// goroutine and only touches memory, except after a snapshot restore,
// which reloads the cube.
func (rp *Reports) onApply(e fsm.Event) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	switch {
	case !rp.loaded:
		return // Load will read a state that holds the event
	case e.Restored:
		if err := rp.load(); err != nil {
			rp.log.Error("provincial reports: reload after a snapshot restore failed", "err", err)
		}
		return
	case e.Index <= rp.loadedAt:
		return
	}
	for _, r := range e.Reports {
		if err := rp.cube.Add(r); err != nil {
			// The state machine checked the report; this cannot happen
			// unless the two disagree on what a report is.
			rp.log.Error("provincial reports: report not added to the cube", "id", r.ID, "err", err)
		}
	}
	rp.last = e.Index
}
