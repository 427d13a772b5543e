package api

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
)

// metrics are the server's Prometheus metrics, in a registry of its own.
type metrics struct {
	registry *prometheus.Registry
	http     *httpx.Metrics
	search   *prometheus.HistogramVec
}

// newMetrics returns the metrics in a new registry, with the Go runtime
// and process collectors.
func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		search: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "o211_search_duration_seconds",
			Help:    "Time the search index takes to answer, by scope and outcome.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"scope", "outcome"}),
	}
	m.http = httpx.NewMetrics(m.registry)
	m.registry.MustRegister(m.search,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// routesOps mounts the operational endpoints.
func (s *Server) routesOps(r chi.Router) {
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(s.metrics.registry,
		promhttp.HandlerOpts{Registry: s.metrics.registry, ErrorHandling: promhttp.ContinueOnError}))
}

// healthz answers 200 while the process serves HTTP.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when Config.Ready says the node can serve, and a 503
// problem saying why not otherwise.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(); err != nil {
			msg := "The node is not ready yet."
			var e *o211.Error
			if errors.As(err, &e) {
				msg = e.Message
			} else {
				s.log.Info("api: not ready", "err", err)
			}
			s.writeProblem(w, r, o211.Errorf(o211.EUNAVAILABLE, "%s", msg))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
