package api

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/o211/o211"
)

// Routes mounts the operational endpoints on r; /metrics serves
// Config.Gatherer (404 without one).
func (s *Ops) Routes(r chi.Router) {
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	if g := s.cfg.Gatherer; g != nil {
		r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(g,
			promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	}
}

// healthz answers 200 while the process serves HTTP.
func (s *Ops) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when Config.Ready says the node can serve, and a 503
// problem saying why not otherwise.
func (s *Ops) readyz(w http.ResponseWriter, r *http.Request) {
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
