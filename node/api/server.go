package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/o211/o211"
	"github.com/o211/o211/node/directory"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/store"
)

// Directory is the read access the server needs: consistent views of the
// directory's rows and the search index over its services.
type Directory interface {
	// View runs fn with a consistent read-only view of the directory.
	View(fn func(directory.Tx) error) error
	// Search returns one page of the services matching q.
	Search(ctx context.Context, q o211.Query) (*o211.Results, error)
}

// ProvincialSearcher is implemented by a Directory that can also search
// the whole province (scope=province). Without it, such searches answer 501.
type ProvincialSearcher interface {
	// SearchProvince returns one page of the province's services matching q.
	SearchProvince(ctx context.Context, q o211.Query) (*o211.Results, error)
}

// Writer applies changes to the directory (store.Store, or the node's
// Directory that also updates the search index).
type Writer interface {
	// Write applies changes in one transaction; see store.Store.Write.
	Write(ctx context.Context, changes []o211.Change, opt o211.WriteOptions) (*store.WriteResult, error)
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

// Config configures a Server. Directory is required; everything else has a
// default or is optional.
type Config struct {
	// Addr is the listen address (default ":8080"; ":0" picks a port).
	Addr string
	// Directory serves the HSDS API and search. Required.
	Directory Directory
	// Writer, when set, enables the write API under /api/v1/{table}.
	Writer Writer
	// Importer, when set, enables POST /api/v1/import.
	Importer Importer
	// Authenticator checks each request's credential (httpx.Identify); the
	// write API and import need an actor. Required with a Writer or
	// Importer.
	Authenticator httpx.Authenticator
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
	// ShutdownTimeout bounds how long Close waits for requests in flight
	// (default 10 s); then their connections are closed.
	ShutdownTimeout time.Duration
	// Collectors are registered in the server's metrics registry, next to
	// its own; more can be added later with Server.Registerer.
	Collectors []prometheus.Collector
	// Routes, when set, adds routes of another surface (the hub's
	// /api/v1/cluster) to the router, behind the same middleware.
	Routes func(r chi.Router)
	// TempDir is where import bodies are unpacked (default os.TempDir()).
	TempDir string
	// Logger receives request logs and errors (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock of open_now searches (default time.Now).
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultAddr           = ":8080"
	DefaultMaxBodyBytes   = 1 << 20
	DefaultMaxImportBytes = 256 << 20
	DefaultProfile        = "https://docs.openreferral.org/en/latest/hsds/overview.html"
	DefaultOpenAPIURL     = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"
)

// Server is the HTTP server of one node (or hub replica). It owns its
// listener, router and metrics registry.
type Server struct {
	cfg     Config
	log     *slog.Logger
	router  chi.Router
	metrics *metrics
	writeMu sync.Mutex // serialises the check-then-write of create and replace

	mu     sync.Mutex // guards the fields below
	ln     net.Listener
	srv    *http.Server
	done   chan struct{} // closed when Serve returns
	closed bool
	cancel context.CancelFunc // cancels the requests' base context

	closeOnce sync.Once
	closeErr  error
}

// New returns a server for cfg with defaults filled in. It does no I/O;
// Start listens.
func New(cfg Config) *Server {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxImportBytes <= 0 {
		cfg.MaxImportBytes = DefaultMaxImportBytes
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
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
	s := &Server{cfg: cfg, log: cfg.Logger, metrics: newMetrics()}
	for _, c := range cfg.Collectors {
		s.metrics.registry.MustRegister(c)
	}
	s.router = s.newRouter()
	return s
}

// Handler returns the server's router, for tests and for embedding in
// another server.
func (s *Server) Handler() http.Handler { return s.router }

// Registerer returns the server's metrics registry, in which other parts
// of the node register their collectors.
func (s *Server) Registerer() prometheus.Registerer { return s.metrics.registry }

// Start checks the configuration, listens on Config.Addr and serves in the
// background. It returns configuration and bind errors at once.
func (s *Server) Start(ctx context.Context) error {
	if s.cfg.Directory == nil {
		return errors.New("api: Config.Directory is required")
	}
	if (s.cfg.Writer != nil || s.cfg.Importer != nil) && s.cfg.Authenticator == nil {
		return errors.New("api: Config.Authenticator is required with a Writer or Importer")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("api: server closed")
	} else if s.ln != nil {
		return errors.New("api: server already started")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("api: listen on %s: %w", s.cfg.Addr, err)
	}
	base, cancel := context.WithCancel(context.Background())
	s.ln, s.cancel, s.done = ln, cancel, make(chan struct{})
	s.srv = &http.Server{
		Handler:           s.router,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("api: serve", "addr", ln.Addr().String(), "err", err)
		}
	}()
	s.log.Info("api: listening", "addr", ln.Addr().String())
	return nil
}

// Addr returns the address the server listens on ("127.0.0.1:8080"), or
// "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// URL returns "http://" and the listening address, or "" before Start.
func (s *Server) URL() string {
	if a := s.Addr(); a != "" {
		return "http://" + a
	}
	return ""
}

// Close stops accepting connections and waits up to ShutdownTimeout for
// requests in flight to finish, then cancels their contexts and closes
// their connections. It is safe to call more than once, concurrently, and
// on a server never started; every call returns the first one's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.shutdown() })
	return s.closeErr
}

// shutdown stops the HTTP server, if it was started.
func (s *Server) shutdown() error {
	s.mu.Lock()
	s.closed = true
	srv, done, cancel := s.srv, s.done, s.cancel
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, stop := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer stop()
	err := srv.Shutdown(ctx)
	cancel() // streaming handlers still running see that they must stop
	if err != nil {
		err = errors.Join(fmt.Errorf("api: shutdown: %w", err), srv.Close())
	}
	<-done
	return err
}

// newRouter builds the router: middleware, then the routes of each surface.
func (s *Server) newRouter() chi.Router {
	r := chi.NewRouter()
	r.Use(httpx.RequestID, httpx.Instrument(s.metrics.http, s.log), httpx.Recover(s.log))
	if s.cfg.Authenticator != nil {
		r.Use(httpx.Identify(s.cfg.Authenticator, s.log))
	}
	r.NotFound(httpx.NotFound(s.log))
	r.MethodNotAllowed(httpx.MethodNotAllowed(r, s.log))
	s.routesOps(r)
	r.Route("/hsds", s.routesHSDS)
	r.Route("/api/v1", func(r chi.Router) {
		s.routesSearch(r)
		s.routesImport(r)
		s.routesWrite(r)
	})
	if s.cfg.Routes != nil {
		s.cfg.Routes(r)
	}
	return r
}
