package node

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
)

// emergencyRoutes is the route group of the emergencies a contact may be
// tagged with, which an administrator keeps until the hub's emergency
// mode names them (issue 11.3): GET /api/v1/emergencies lists them (to
// anyone: an emergency is public), PUT and DELETE
// /api/v1/emergencies/{id} add and remove one (administrators only).
type emergencyRoutes struct{ n *Node }

// Routes mounts the emergency routes on r.
func (g emergencyRoutes) Routes(r chi.Router) {
	r.Get("/api/v1/emergencies", g.list)
	r.With(httpx.Require(o211.RoleAdmin)).Put("/api/v1/emergencies/{id}", g.set(true))
	r.With(httpx.Require(o211.RoleAdmin)).Delete("/api/v1/emergencies/{id}", g.set(false))
}

func (g emergencyRoutes) list(w http.ResponseWriter, r *http.Request) {
	tags, err := g.n.dir.Store().Emergencies()
	if err != nil {
		httpx.WriteError(w, r, g.n.log, err)
		return
	}
	if tags == nil {
		tags = []string{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"emergencies": tags})
}

func (g emergencyRoutes) set(add bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, _ := o211.ActorFrom(r.Context())
		if err := g.n.dir.Store().SetEmergency(r.Context(), a, chi.URLParam(r, "id"), add); err != nil {
			httpx.WriteError(w, r, g.n.log, err)
			return
		}
		g.list(w, r)
	}
}
