package api_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/api"
)

func TestServer_Healthz(t *testing.T) {
	srv := MustStartServer(t, MustOpenDirectory(t))
	r := get(t, srv.URL()+"/healthz").mustStatus(t, http.StatusOK)
	if !strings.Contains(string(r.body), `"ok"`) {
		t.Errorf("body %s", r.body)
	}
}

func TestServer_Readyz(t *testing.T) {
	var state atomic.Value // error, or a nil error in a box
	type box struct{ err error }
	state.Store(box{o211.Errorf(o211.EUNAVAILABLE, "The search index is loading (40%%).")})
	srv := MustStartServer(t, MustOpenDirectory(t), func(c *serverConfig) {
		c.Ready = func() error { return state.Load().(box).err }
	})
	p := get(t, srv.URL()+"/readyz").problem(t, http.StatusServiceUnavailable)
	if p.Detail != "The search index is loading (40%)." {
		t.Errorf("detail %q", p.Detail)
	}
	state.Store(box{errors.New("bolt: database not open /var/lib/o211/node.db")})
	p = get(t, srv.URL()+"/readyz").problem(t, http.StatusServiceUnavailable)
	if strings.Contains(p.Detail, "bolt") || p.Detail == "" {
		t.Errorf("an internal error shows in /readyz: %q", p.Detail)
	}
	state.Store(box{nil})
	get(t, srv.URL()+"/readyz").mustStatus(t, http.StatusOK)
	get(t, srv.URL()+"/healthz").mustStatus(t, http.StatusOK)
}

func TestServer_Metrics(t *testing.T) {
	extra := prometheus.NewCounter(prometheus.CounterOpts{Name: "o211_test_configured_total", Help: "A collector given in Config."})
	srv := MustStartServer(t, MustOpenDirectory(t), func(c *serverConfig) { c.Collectors = []prometheus.Collector{extra} })
	later := prometheus.NewGauge(prometheus.GaugeOpts{Name: "o211_test_registered", Help: "A collector registered after New."})
	srv.Registerer().MustRegister(later)
	extra.Add(2)
	later.Set(7)

	get(t, srv.URL()+"/hsds/services").mustStatus(t, 200)
	get(t, srv.URL()+"/hsds/services").mustStatus(t, 200)
	get(t, srv.URL()+"/hsds/services/"+svcPantry).mustStatus(t, 200)
	get(t, srv.URL()+"/hsds/services/nope").mustStatus(t, 404)
	get(t, srv.URL()+"/nowhere").mustStatus(t, 404)
	get(t, srv.URL()+"/api/v1/search?q=food").mustStatus(t, 200)

	body := string(get(t, srv.URL()+"/metrics").mustStatus(t, http.StatusOK).body)
	for _, want := range []string{
		`o211_http_requests_total{code="200",method="GET",route="/hsds/services"} 2`,
		`o211_http_request_duration_seconds_bucket{code="200",method="GET",route="/hsds/services",le="+Inf"} 2`,
		`o211_http_request_duration_seconds_count{code="200",method="GET",route="/hsds/services/{id}"} 1`,
		`o211_http_requests_total{code="404",method="GET",route="/hsds/services/{id}"} 1`,
		`o211_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`o211_http_requests_in_flight 1`,
		`o211_search_duration_seconds_count{outcome="ok",scope="region"} 1`,
		`o211_test_configured_total 2`,
		`o211_test_registered 7`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// blockingDirectory holds every search until released, to keep a request
// in flight.
type blockingDirectory struct {
	*testDirectory
	entered chan struct{}
	release chan struct{}
}

func (b *blockingDirectory) Search(ctx context.Context, q o211.Query) (*o211.Results, error) {
	b.entered <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return b.testDirectory.Search(ctx, q)
}

func TestServer_GracefulClose(t *testing.T) {
	d := MustOpenDirectory(t)
	t.Run("CompletesRequestInFlight", func(t *testing.T) {
		bd := &blockingDirectory{d, make(chan struct{}), make(chan struct{})}
		s, err := newServer(t, serverConfig{Directory: bd, Config: api.Config{Logger: testutil.Logger(t)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		addr := s.Addr()
		got := make(chan *http.Response, 1)
		go func() {
			resp, err := http.Get("http://" + addr + "/api/v1/search?q=food")
			if err != nil {
				t.Errorf("request in flight failed: %v", err)
			}
			got <- resp
		}()
		<-bd.entered
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		testutil.CheckFor(t, 5*time.Second, func() error { // Close stops accepting first
			c, err := net.Dial("tcp", addr)
			if err == nil {
				c.Close()
				return errors.New("still accepting connections")
			}
			return nil
		})
		select {
		case err := <-closed:
			t.Fatalf("Close returned (%v) before the request in flight finished", err)
		default:
		}
		close(bd.release)
		if resp := <-got; resp == nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("request in flight: %+v", resp)
		} else {
			resp.Body.Close()
		}
		if err := <-closed; err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
	t.Run("DeadlineCutsStuckRequests", func(t *testing.T) {
		bd := &blockingDirectory{d, make(chan struct{}), make(chan struct{})}
		s, err := newServer(t, serverConfig{Directory: bd, ShutdownTimeout: 50 * time.Millisecond, Config: api.Config{Logger: testutil.Logger(t)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		failed := make(chan error, 1)
		go func() {
			resp, err := http.Get(s.URL() + "/api/v1/search?q=food")
			if err == nil {
				resp.Body.Close()
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
			failed <- err
		}()
		<-bd.entered
		if err := s.Close(); err == nil {
			t.Error("Close with a stuck request returned no error")
		}
		if err := <-failed; err == nil {
			t.Error("the stuck request was not cut")
		}
	})
}

func TestServer_Lifecycle(t *testing.T) {
	d := MustOpenDirectory(t)
	t.Run("ErrAddressInUse", func(t *testing.T) {
		a := MustStartServer(t, d)
		b, err := newServer(t, serverConfig{Addr: a.Addr(), Directory: d})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "listen") {
			t.Errorf("Start on a used address: %v", err)
		}
		if err := b.Close(); err != nil {
			t.Errorf("Close after a failed Start: %v", err)
		}
	})
	t.Run("ErrNoDirectory", func(t *testing.T) {
		if _, err := api.New(api.Config{}); err == nil {
			t.Error("New without a Viewer and a Searcher succeeded")
		}
	})
	t.Run("ErrWriterWithoutToken", func(t *testing.T) {
		// Without an Authenticator no request has an actor, so a Writer
		// can take no change: the server is safe rather than refused.
		s := MustStartServer(t, d, func(c *serverConfig) { c.Authenticator = nil })
		do(t, http.MethodPost, s.URL()+"/api/v1/organizations", strings.NewReader(`{"name":"x"}`), authed()...).problem(t, http.StatusUnauthorized)
	})
	t.Run("CloseNeverStarted", func(t *testing.T) {
		s, err := newServer(t, serverConfig{Directory: d})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil || s.Close() != nil || s.Addr() != "" {
			t.Errorf("Close on a server never started: %v", err)
		}
		if err := s.Start(context.Background()); err == nil {
			t.Error("Start after Close succeeded")
		}
	})
}

func TestServer_Middleware(t *testing.T) {
	logger, logs := captureLogger()
	srv := MustStartServer(t, MustOpenDirectory(t), func(c *serverConfig) {
		c.Logger = logger
		c.Routes = func(r chi.Router) {
			r.Get("/api/v1/cluster", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"id":"hub-1"}`) })
			r.Get("/boom", func(http.ResponseWriter, *http.Request) { panic("secret detail of the failure") })
		}
	})
	t.Run("RoutesHook", func(t *testing.T) {
		get(t, srv.URL()+"/api/v1/cluster").mustStatus(t, http.StatusOK)
		get(t, srv.URL()+"/api/v1/search?q=food").mustStatus(t, http.StatusOK)
	})
	t.Run("PanicIsAPlain500", func(t *testing.T) {
		p := get(t, srv.URL()+"/boom").problem(t, http.StatusInternalServerError)
		if strings.Contains(p.Detail, "secret") || p.Code != o211.EINTERNAL {
			t.Errorf("problem shows the panic: %+v", p)
		}
		if l := logs.String(); !strings.Contains(l, "secret detail of the failure") || !strings.Contains(l, "goroutine") {
			t.Errorf("the panic and its stack are not logged:\n%s", l)
		}
		get(t, srv.URL()+"/healthz").mustStatus(t, http.StatusOK) // still serving
	})
	t.Run("RequestID", func(t *testing.T) {
		r := do(t, http.MethodGet, srv.URL()+"/hsds/services/nope", nil, "X-Request-Id", "call-42")
		if p := r.problem(t, http.StatusNotFound); p.RequestID != "call-42" || r.Header.Get("X-Request-Id") != "call-42" {
			t.Errorf("request id %q / %q, want call-42", p.RequestID, r.Header.Get("X-Request-Id"))
		}
		r = do(t, http.MethodGet, srv.URL()+"/healthz", nil, "X-Request-Id", "has spaces <script>")
		if id := r.Header.Get("X-Request-Id"); id == "" || strings.Contains(id, " ") {
			t.Errorf("request id %q", id)
		}
	})
	t.Run("LogsWithoutToken", func(t *testing.T) {
		do(t, http.MethodGet, srv.URL()+"/api/v1/services/"+svcPantry, nil, authed()...).mustStatus(t, http.StatusOK)
		l := logs.String()
		if strings.Contains(l, testToken) {
			t.Error("the API token is in the log")
		}
		for _, want := range []string{`"method":"GET"`, `"route":"/api/v1/services/{id}"`, `"status":200`, `"bytes":`, `"duration":`, `"request_id":`} {
			if !strings.Contains(l, want) {
				t.Errorf("request log lacks %s", want)
			}
		}
	})
}
