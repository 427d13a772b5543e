package queue

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
)

// The navigators' HTTP API, every route behind a credential of the
// node's region (httpx.Require, and the actor's region is the queue's):
//
//	GET  /api/v1/queue                         the queue now (Snapshot): navigator, supervisor, admin
//	GET  /api/v1/queue/stats                   the service level (Stats): also analyst
//	PUT  /api/v1/queue/presence                {"state", "languages", "skills"}: the caller's presence
//	GET  /api/v1/queue/offer?wait=10s          the offer standing for the caller (200), or 204 after wait (at most 30 s)
//	GET  /api/v1/queue/mine                    the caller's contacts
//	POST /api/v1/queue/items/{id}/accept       -> {"item", "workspace"}: the contact workspace to open
//	POST /api/v1/queue/items/{id}/decline
//	POST /api/v1/queue/items/{id}/done         {"outcome", "ready"}: finished; wrap-up follows unless ready
//	POST /api/v1/queue/items/{id}/transfer     {"to": "queue" | "navigator" | "number", "navigator", "warm", "number" or "service"}
//	GET  /api/v1/queue/ended?since=T&cursor=C  items that ended since T (RFC 3339), with the queue's times: supervisor, admin
//	                                           -> {"items": [ItemStatus], "next": cursor of the next page or ""}
//	POST /api/v1/queue/items                   enqueue an Item (admin: the gateway enqueues in process; tests and `o211 sim`)
//	POST /api/v1/queue/items/{id}/abandon      {"reason", "if_waiting"} (admin, as above)
//
// The navigator is always the request's actor: nobody accepts, declines
// or transfers for someone else.

// maxBody bounds a request body of the queue API.
const maxBody = 16 << 10

// API is the route group of the queue API.
type API struct{ q *Queue }

// NewAPI returns the queue's route group.
func NewAPI(q *Queue) *API { return &API{q: q} }

var (
	readRoles  = []o211.Role{o211.RoleNavigator, o211.RoleSupervisor, o211.RoleAdmin}
	statsRoles = []o211.Role{o211.RoleNavigator, o211.RoleSupervisor, o211.RoleAnalyst, o211.RoleAdmin}
)

// Routes mounts the queue API on r.
func (a *API) Routes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(httpx.Require(statsRoles...), a.region)
		r.Get("/api/v1/queue/stats", a.getStats)
	})
	r.Group(func(r chi.Router) {
		r.Use(httpx.Require(readRoles...), a.region)
		r.Get("/api/v1/queue", a.getSnapshot)
		r.Put("/api/v1/queue/presence", a.putPresence)
		r.Get("/api/v1/queue/offer", a.getOffer)
		r.Get("/api/v1/queue/mine", a.getMine)
		r.Post("/api/v1/queue/items/{id}/accept", a.postAccept)
		r.Post("/api/v1/queue/items/{id}/decline", a.postDecline)
		r.Post("/api/v1/queue/items/{id}/done", a.postDone)
		r.Post("/api/v1/queue/items/{id}/transfer", a.postTransfer)
	})
	r.Group(func(r chi.Router) {
		r.Use(httpx.Require(o211.RoleSupervisor, o211.RoleAdmin), a.region)
		r.Get("/api/v1/queue/ended", a.getEnded)
	})
	r.Group(func(r chi.Router) {
		r.Use(httpx.Require(o211.RoleAdmin), a.region)
		r.Post("/api/v1/queue/items", a.postItem)
		r.Post("/api/v1/queue/items/{id}/abandon", a.postAbandon)
	})
}

// region refuses actors of another region.
func (a *API) region(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if act, _ := o211.ActorFrom(r.Context()); act.Region != a.q.cfg.Region {
			a.fail(w, r, o211.Errorf(o211.EFORBIDDEN, "the queue of region %s is for its own staff", a.q.cfg.Region))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, a.q.log, err)
}

func actor(r *http.Request) o211.Actor {
	act, _ := o211.ActorFrom(r.Context())
	return act
}

// decodeBody decodes a JSON body of at most maxBody into v, strictly; an
// empty body leaves v as it is.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	return httpx.ReadOptionalJSON(w, r, maxBody, v)
}

func (a *API) getStats(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, a.q.Stats())
}

func (a *API) getSnapshot(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, a.q.Snapshot())
}

// PresenceRequest is the body of PUT /api/v1/queue/presence.
type PresenceRequest struct {
	State     string   `json:"state"`
	Languages []string `json:"languages"`
	Skills    []string `json:"skills"`
}

func (a *API) putPresence(w http.ResponseWriter, r *http.Request) {
	var in PresenceRequest
	if err := decodeBody(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	act := actor(r)
	p, err := ParsePresence(in.State)
	if err == nil {
		err = a.q.SetPresence(r.Context(), Navigator{ID: act.ID, Name: nameOf(act), Languages: in.Languages, Skills: in.Skills}, p)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// nameOf is the name a navigator is shown by.
func nameOf(a o211.Actor) string {
	if a.Username != "" {
		return a.Username
	}
	return a.ID
}

// maxOfferWait bounds the long poll of GET /api/v1/queue/offer.
const maxOfferWait = 30 * time.Second

func (a *API) getOffer(w http.ResponseWriter, r *http.Request) {
	var wait time.Duration
	if s := r.URL.Query().Get("wait"); s != "" {
		var err error
		if wait, err = time.ParseDuration(s); err != nil || wait < 0 || wait > maxOfferWait {
			a.fail(w, r, o211.FieldErrorf("wait", "%q is not a duration from 0s to 30s", httpx.Prefix(s)))
			return
		}
	}
	id := actor(r).ID
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		ch, _ := a.q.Changed()
		if o, ok := a.q.OfferFor(id); ok {
			httpx.WriteJSON(w, http.StatusOK, o)
			return
		}
		select {
		case <-ch:
		case <-t.C:
			w.WriteHeader(http.StatusNoContent)
			return
		case <-r.Context().Done():
			return
		}
	}
}

// maxEndedPage bounds a page of GET /api/v1/queue/ended.
const maxEndedPage = 1000

func (a *API) getEnded(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var since time.Time
	if s := q.Get("since"); s != "" {
		var err error
		if since, err = time.Parse(time.RFC3339Nano, s); err != nil {
			a.fail(w, r, o211.FieldErrorf("since", "%q is not a time such as 2026-12-08T09:00:00Z", httpx.Prefix(s)))
			return
		}
	}
	items, next, err := a.q.Ended(since, q.Get("cursor"), maxEndedPage)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "next": next})
}

func (a *API) getMine(w http.ResponseWriter, r *http.Request) {
	its := a.q.Mine(actor(r).ID)
	if its == nil {
		its = []Item{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": its})
}

// Accepted is the answer to an accept.
type Accepted struct {
	Item Item `json:"item"`
	// Workspace is the console page that opens the contact, filled in.
	Workspace string `json:"workspace"`
}

func (a *API) postAccept(w http.ResponseWriter, r *http.Request) {
	it, err := a.q.Accept(r.Context(), actor(r).ID, chi.URLParam(r, "id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, Accepted{Item: it, Workspace: WorkspaceURL(it)})
}

func (a *API) postDecline(w http.ResponseWriter, r *http.Request) {
	a.noContent(w, r, a.q.Decline(r.Context(), actor(r).ID, chi.URLParam(r, "id")))
}

func (a *API) noContent(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) postDone(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Outcome string `json:"outcome"`
		// Ready: no wrap-up, the next contact may come at once.
		Ready bool `json:"ready"`
	}
	err := decodeBody(w, r, &in)
	if err == nil {
		err = a.q.done(actor(r).ID, chi.URLParam(r, "id"), in.Outcome, in.Ready)
	}
	a.noContent(w, r, err)
}

// TransferRequest is the body of POST .../transfer.
type TransferRequest struct {
	// To is "queue", "navigator" or "number".
	To        string `json:"to"`
	Navigator string `json:"navigator,omitempty"`
	Warm      bool   `json:"warm,omitempty"`
	Number    string `json:"number,omitempty"`
	// Service, for "number" without one, is the directory service whose
	// phone number to call.
	Service string `json:"service,omitempty"`
}

func (a *API) postTransfer(w http.ResponseWriter, r *http.Request) {
	var in TransferRequest
	err := decodeBody(w, r, &in)
	if err == nil {
		err = a.q.Transfer(r.Context(), actor(r).ID, chi.URLParam(r, "id"), in)
	}
	a.noContent(w, r, err)
}

// Transfer makes the transfer tr of navigator nav's item id.
//
// Errors: those of TransferToQueue, TransferToNavigator and
// TransferToNumber; EINVALID for another To.
func (q *Queue) Transfer(ctx context.Context, nav, id string, tr TransferRequest) error {
	switch tr.To {
	case "queue":
		return q.TransferToQueue(ctx, nav, id)
	case "navigator":
		return q.TransferToNavigator(ctx, nav, id, tr.Navigator, tr.Warm)
	case "number":
		if tr.Number == "" && tr.Service != "" {
			if q.cfg.PhoneOf == nil {
				return o211.Errorf(o211.ENOTIMPLEMENTED, "this queue cannot look up a service's phone number")
			}
			n, err := q.cfg.PhoneOf(ctx, tr.Service)
			if err != nil {
				return err
			}
			tr.Number = n
		}
		return q.TransferToNumber(ctx, nav, id, tr.Number)
	}
	return o211.FieldErrorf("to", "%q is not one of queue, navigator, number", httpx.Prefix(tr.To))
}

func (a *API) postItem(w http.ResponseWriter, r *http.Request) {
	var in Item
	if err := decodeBody(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	in.Enqueued = time.Time{}
	it, err := a.q.Enqueue(r.Context(), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/queue/items/"+it.ID)
	httpx.WriteJSON(w, http.StatusCreated, it)
}

func (a *API) postAbandon(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Reason string `json:"reason"`
		// IfWaiting: only while nobody has it (else 409).
		IfWaiting bool `json:"if_waiting"`
	}
	err := decodeBody(w, r, &in)
	if err == nil {
		err = a.q.abandon(chi.URLParam(r, "id"), in.Reason, in.IfWaiting)
	}
	a.noContent(w, r, err)
}
