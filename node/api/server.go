package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/store"
)

// Viewer gives consistent read views of a directory's rows (a node's
// store, or the hub's replicated state).
type Viewer interface {
	// View runs fn with a consistent read-only view of the directory.
	View(fn func(hsds.Tx) error) error
}

// Searcher searches a directory's services.
type Searcher interface {
	// Search returns one page of the services matching q.
	Search(ctx context.Context, q o211.Query) (*o211.Results, error)
}

// ProvincialSearcher is implemented by a Searcher that can also search the
// whole province (scope=province). Without it, such searches answer 501.
type ProvincialSearcher interface {
	// SearchProvince returns one page of the province's services matching q.
	SearchProvince(ctx context.Context, q o211.Query) (*o211.Results, error)
}

// Writer applies changes to the directory (store.Store, or the node's
// Directory that also updates the search index), and keeps each record's
// change history.
type Writer interface {
	// Write applies changes in one transaction, as ctx's actor; see
	// store.Store.Write.
	Write(ctx context.Context, changes []o211.Change, opt o211.WriteOptions) (*store.WriteResult, error)
	// History returns a page of a record's change history; see
	// store.Store.History.
	History(q o211.HistoryQuery) (*o211.HistoryPage, error)
}

// Importer loads a file of directory records. The server writes the
// uploaded body to a temporary file or folder and passes its path.
type Importer interface {
	// Import reads path in format ("hsds-json", "hsds-csv", "211ontario")
	// and writes its records. For "hsds-csv" path is a folder of CSV files.
	// The report is encoded as JSON in the response. An all-or-nothing
	// import that fails returns an *o211.Error listing every problem.
	Import(ctx context.Context, format, path string, opts ImportOptions) (report any, err error)
}

// Config configures the route groups. Viewer and Searcher are required;
// everything else has a default or is optional.
type Config struct {
	// Viewer and Searcher serve the HSDS API and search.
	Viewer   Viewer
	Searcher Searcher
	// Writer, when set, enables the write API under /api/v1/{table}.
	Writer Writer
	// Importer, when set, enables POST /api/v1/import.
	Importer Importer
	// Ready reports whether the node can serve (store open, index loaded);
	// nil means always ready. An *o211.Error's message is shown in /readyz,
	// other errors are logged and a plain sentence is shown.
	Ready func() error
	// Profile is the URL of the HSDS profile given by GET /hsds/.
	Profile string
	// OpenAPIURL is the URL of the OpenAPI file given by GET /hsds/.
	OpenAPIURL string
	// MaxBodyBytes limits write API bodies (default 1 MiB).
	MaxBodyBytes int64
	// MaxImportBytes limits import bodies (default 256 MiB).
	MaxImportBytes int64
	// Registerer receives the search metrics (default: none are kept);
	// Gatherer is served at /metrics by the Ops group.
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	// TempDir is where import bodies are unpacked (default os.TempDir()).
	TempDir string
	// Logger receives errors (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock of open_now searches (default time.Now).
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultMaxBodyBytes   = 1 << 20
	DefaultMaxImportBytes = 256 << 20
	DefaultProfile        = "https://docs.openreferral.org/en/latest/hsds/overview.html"
	DefaultOpenAPIURL     = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"
)

// Groups are the route groups of a directory's HTTP API, built from one
// Config: mount them on an httpx.Server (or any chi.Router).
type Groups struct {
	// HSDS is the Open Referral HSDS API under /hsds (routesHSDS).
	HSDS *HSDS
	// Search is GET /api/v1/search (routesSearch).
	Search *Search
	// Write is the write API under /api/v1/{table} and the import at
	// /api/v1/import (routesWrite); read-only without a Writer.
	Write *Write
	// Ops is /healthz, /readyz, /metrics and the placeholder home page
	// (routesOps).
	Ops *Ops
}

// New returns the route groups of cfg, with defaults filled in, or an
// error when Viewer or Searcher is missing. It does no I/O; it registers
// the search metrics in cfg.Registerer.
func New(cfg Config) (*Groups, error) {
	if cfg.Viewer == nil || cfg.Searcher == nil {
		return nil, errors.New("api: Config.Viewer and Config.Searcher are required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxImportBytes <= 0 {
		cfg.MaxImportBytes = DefaultMaxImportBytes
	}
	if cfg.Profile == "" {
		cfg.Profile = DefaultProfile
	}
	if cfg.OpenAPIURL == "" {
		cfg.OpenAPIURL = DefaultOpenAPIURL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g := &group{cfg: cfg, log: cfg.Logger, searchDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "o211_search_duration_seconds",
		Help:    "Time the search index takes to answer, by scope and outcome.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"scope", "outcome"})}
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(g.searchDuration)
	}
	return &Groups{HSDS: &HSDS{g}, Search: &Search{g}, Write: &Write{group: g}, Ops: &Ops{g}}, nil
}

var (
	_ httpx.Group = (*HSDS)(nil)
	_ httpx.Group = (*Search)(nil)
	_ httpx.Group = (*Write)(nil)
	_ httpx.Group = (*Ops)(nil)
)

// All returns every group, to mount on a node's server.
func (gs *Groups) All() []httpx.Group { return []httpx.Group{gs.Ops, gs.HSDS, gs.Search, gs.Write} }

// group is what the groups share: the configuration, the log and the
// timing of searches (the HSDS filters search too).
type group struct {
	cfg            Config
	log            *slog.Logger
	searchDuration *prometheus.HistogramVec
}

// HSDS is the route group of the HSDS API. It reads through Config.Viewer
// and filters through Config.Searcher.
type HSDS struct{ *group }

// Search is the route group of GET /api/v1/search.
type Search struct{ *group }

// Write is the route group of the write API and the import.
type Write struct {
	*group
	writeMu sync.Mutex // serialises the check-then-write of create and replace
}

// Ops is the route group of the operational endpoints.
type Ops struct{ *group }

// writeProblem answers err as a problem (httpx.WriteError).
func (g *group) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, g.log, err)
}

// writeJSON writes v as a JSON response with the status.
func writeJSON(w http.ResponseWriter, status int, v any) { httpx.WriteJSON(w, status, v) }
