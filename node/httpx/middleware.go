package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

type ctxKey int

const requestIDKey ctxKey = iota

// RequestIDFrom returns the request id that RequestID put in ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// RequestID is middleware that takes the client's X-Request-Id when it is
// short and plain, or makes one, puts it in the request's context and
// echoes it in the response.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !plainID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

// plainID reports whether a client's request id is safe to echo and log.
func plainID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Metrics are the HTTP metrics of a server: requests, their duration and
// those in flight, by route pattern, method and status code.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// NewMetrics returns the HTTP metrics, registered in reg. It panics if reg
// already holds them (a programming error).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "o211_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "o211_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern, method and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "o211_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight)
	return m
}

// statusWriter records the status and size of a response. It unwraps for
// http.ResponseController (Flush in streaming handlers).
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// WriteHeader records the status and sends it.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write counts the bytes written.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush sends buffered data to the client.
func (w *statusWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

// Unwrap returns the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Instrument returns middleware that counts and times requests by route
// pattern in m (when not nil) and logs each one on log: method, route,
// path, status, bytes, duration and request id. It never logs headers (the
// Authorization header holds a token) nor query strings (they may hold
// postal codes).
func Instrument(m *Metrics, log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			if m != nil {
				m.inFlight.Inc()
				defer m.inFlight.Dec()
			}
			sw := &statusWriter{ResponseWriter: w}
			defer func() {
				if sw.status == 0 {
					sw.status = http.StatusOK
				}
				route := "unmatched"
				if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
					route = rc.RoutePattern()
				}
				d := time.Since(start)
				if m != nil {
					code, method := strconv.Itoa(sw.status), metricMethod(r.Method)
					m.requests.WithLabelValues(route, method, code).Inc()
					m.duration.WithLabelValues(route, method, code).Observe(d.Seconds())
				}
				log.LogAttrs(r.Context(), levelOf(sw.status), "http request",
					slog.String("method", r.Method), slog.String("route", route), slog.String("path", r.URL.Path),
					slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes), slog.Duration("duration", d),
					slog.String("request_id", RequestIDFrom(r.Context())))
			}()
			next.ServeHTTP(sw, r)
		})
	}
}

// Recover returns middleware that turns a panic into a 500 problem with a
// plain sentence; the panic and its stack are logged in full on log.
// http.ErrAbortHandler is passed on.
func Recover(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("http: panic serving request", "method", r.Method, "path", r.URL.Path,
					"request_id", RequestIDFrom(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
					return // the response has begun; all we can do is stop
				}
				WriteProblem(w, ProblemFor(r, fmt.Errorf("httpx: panic: %v", v)))
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// levelOf is the log level of a request with the status: errors of ours
// are errors, the rest information.
func levelOf(status int) slog.Level {
	if status >= 500 && status != http.StatusServiceUnavailable && status != http.StatusNotImplemented {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// metricMethod bounds the method label: the standard methods, or OTHER.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// NewRegistry returns a metrics registry with the Go runtime and process
// collectors, for a process's /metrics.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
