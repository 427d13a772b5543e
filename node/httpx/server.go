package httpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/o211/o211"
)

// Group is a route group: a set of routes with the narrow interfaces they
// need, mountable on any chi.Router. It never owns a listener.
type Group interface {
	// Routes mounts the group's routes on r, on their full paths.
	Routes(r chi.Router)
}

// Config configures a Server. Everything has a default.
type Config struct {
	// Addr is the listen address (default ":8080"; ":0" picks a port).
	Addr string
	// Authenticator, when set, checks every request's credential and puts
	// its actor in the request's context (Identify); groups refuse
	// requests without one with Require.
	Authenticator Authenticator
	// Registerer receives the HTTP metrics (default: none are kept).
	Registerer prometheus.Registerer
	// Middleware runs after the server's own (request id, metrics and
	// logging, recovery, identity), before every route.
	Middleware []func(http.Handler) http.Handler
	// ReadHeaderTimeout bounds the reading of a request's headers (default
	// 10 s); IdleTimeout closes keep-alive connections idle that long
	// (default 2 min).
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	// ShutdownTimeout bounds how long Close waits for requests in flight
	// (default 10 s); then their connections are closed.
	ShutdownTimeout time.Duration
	// Logger receives request logs and errors (default slog.Default()).
	Logger *slog.Logger
}

// DefaultAddr is the default listen address.
const DefaultAddr = ":8080"

// Server is the one HTTP server of a process (a node or a hub replica): it
// owns the listener, the chi router and the middleware, and serves the
// route groups mounted on it.
type Server struct {
	cfg    Config
	log    *slog.Logger
	router chi.Router

	mu     sync.Mutex // guards the fields below
	ln     net.Listener
	srv    *http.Server
	done   chan struct{} // closed when Serve returns
	closed bool
	cancel context.CancelFunc // cancels the requests' base context

	closeOnce sync.Once
	closeErr  error
}

// New returns a server for cfg with defaults filled in and the middleware
// installed. It does no I/O; mount groups, then Start.
func New(cfg Config) *Server {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.ReadHeaderTimeout <= 0 {
		cfg.ReadHeaderTimeout = 10 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 2 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, log: cfg.Logger, router: chi.NewRouter()}
	var m *Metrics
	if cfg.Registerer != nil {
		m = NewMetrics(cfg.Registerer)
	}
	s.router.Use(RequestID, Instrument(m, s.log), Recover(s.log))
	if cfg.Authenticator != nil {
		s.router.Use(Identify(cfg.Authenticator, s.log))
	}
	s.router.Use(cfg.Middleware...)
	s.router.NotFound(NotFound(s.log))
	s.router.MethodNotAllowed(MethodNotAllowed(s.router, s.log))
	return s
}

// Mount mounts the groups on the server's router.
func (s *Server) Mount(groups ...Group) {
	for _, g := range groups {
		g.Routes(s.router)
	}
}

// Router returns the server's router, on which routes of the process
// itself are added before Start.
func (s *Server) Router() chi.Router { return s.router }

// Handler returns the server's router, for tests that skip the listener.
func (s *Server) Handler() http.Handler { return s.router }

// Start listens on Config.Addr and serves in the background. It returns
// bind errors at once.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("httpx: server closed")
	} else if s.ln != nil {
		return errors.New("httpx: server already started")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("http: listen on %s: %w", s.cfg.Addr, err)
	}
	base, cancel := context.WithCancel(context.Background())
	s.ln, s.cancel, s.done = ln, cancel, make(chan struct{})
	s.srv = &http.Server{
		Handler:           s.router,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http: serve", "addr", ln.Addr().String(), "err", err)
		}
	}()
	s.log.Info("http: listening", "addr", ln.Addr().String())
	return nil
}

// Timeouts returns the server's header and idle timeouts, as it applies
// them to its connections.
func (s *Server) Timeouts() (readHeader, idle time.Duration) {
	return s.cfg.ReadHeaderTimeout, s.cfg.IdleTimeout
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

// URL returns "http://" and the listening address, with an unspecified
// host replaced by 127.0.0.1, or "" before Start.
func (s *Server) URL() string {
	a := s.Addr()
	if a == "" {
		return ""
	}
	if strings.HasPrefix(a, "[::]:") || strings.HasPrefix(a, "0.0.0.0:") {
		a = "127.0.0.1:" + a[strings.LastIndex(a, ":")+1:]
	}
	return "http://" + a
}

// Close stops accepting connections and waits up to ShutdownTimeout for
// requests in flight to finish, then cancels their contexts and closes
// their connections. It is safe to call more than once, concurrently, and
// on a server never started; every call returns the first one's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.shutdown(s.cfg.ShutdownTimeout) })
	return s.closeErr
}

// Abort closes the listener and every connection at once, as a crash
// would, for tests. Close after it returns Abort's result.
func (s *Server) Abort() error {
	s.closeOnce.Do(func() { s.closeErr = s.shutdown(0) })
	return s.closeErr
}

// shutdown stops the HTTP server, if it was started, waiting up to
// timeout for requests in flight (none when timeout is 0).
func (s *Server) shutdown(timeout time.Duration) error {
	s.mu.Lock()
	s.closed = true
	srv, done, cancel := s.srv, s.done, s.cancel
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	var err error
	if timeout > 0 {
		ctx, stop := context.WithTimeout(context.Background(), timeout)
		err = srv.Shutdown(ctx)
		stop()
	}
	cancel() // streaming handlers still running see that they must stop
	switch {
	case timeout <= 0:
		err = srv.Close()
	case err != nil:
		err = errors.Join(fmt.Errorf("http: shutdown: %w", err), srv.Close())
	}
	<-done
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// NotFound returns the handler of requests that match no route: a 404
// problem.
func NotFound(log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, log, o211.Errorf(o211.ENOTFOUND, "There is nothing at %s.", Prefix(r.URL.Path)))
	}
}

// MethodNotAllowed returns the handler of requests whose path matches a
// route of router but whose method does not: a 405 problem with the Allow
// header.
func MethodNotAllowed(router chi.Routes, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			if router.Match(chi.NewRouteContext(), m, r.URL.Path) {
				allowed = append(allowed, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		p := ProblemFor(r, o211.Errorf(o211.EINVALID, "%s is not allowed on %s; use %s.",
			Prefix(r.Method), Prefix(r.URL.Path), strings.Join(allowed, " or ")))
		p.Status, p.Title = http.StatusMethodNotAllowed, StatusText(http.StatusMethodNotAllowed)
		WriteProblem(w, p)
	}
}
