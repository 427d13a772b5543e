package auth

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
)

// The accounts API, on every node (the region's users) and hub replica
// (the province's), for scripts and `o211 users --url`:
//
//	GET    /api/v1/users              the users (supervisor, admin)
//	POST   /api/v1/users              {"username", "password", "role"}: add one
//	PATCH  /api/v1/users/{username}   {"disabled": bool} and/or {"password": "..."}
//	GET    /api/v1/tokens             the caller's personal tokens
//	POST   /api/v1/tokens             {"name", "role", "expires"}: make one, shown once
//	DELETE /api/v1/tokens/{id}        revoke one
//
// The bootstrap administrator (the shared token) manages users but holds
// no personal tokens.

// maxAPIBody bounds an accounts API body.
const maxAPIBody = 16 << 10

// Routes mounts the accounts API on r (the service is an httpx.Group).
func (s *Service) Routes(r chi.Router) {
	r.Route("/api/v1/users", func(r chi.Router) {
		r.Use(httpx.Require(o211.RoleSupervisor, o211.RoleAdmin))
		r.Get("/", s.apiUsers)
		r.Post("/", s.apiAddUser)
		r.Patch("/{username}", s.apiPatchUser)
	})
	r.Route("/api/v1/tokens", func(r chi.Router) {
		r.Use(httpx.Require())
		r.Get("/", s.apiTokens)
		r.Post("/", s.apiCreateToken)
		r.Delete("/{id}", s.apiRevokeToken)
	})
}

// actorOf returns the request's actor (httpx.Require let it through).
func actorOf(r *http.Request) o211.Actor {
	a, _ := o211.ActorFrom(r.Context())
	return a
}

// decodeBody decodes a JSON body of at most maxAPIBody into v, strictly.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	return httpx.ReadJSON(w, r, maxAPIBody, v)
}

func (s *Service) apiUsers(w http.ResponseWriter, r *http.Request) {
	us, err := s.Users(r.Context(), actorOf(r))
	if err != nil {
		httpx.WriteError(w, r, s.log, err)
		return
	}
	if us == nil {
		us = []*o211.User{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"users": us})
}

func (s *Service) apiAddUser(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string    `json:"username"`
		Password string    `json:"password"`
		Role     o211.Role `json:"role"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		httpx.WriteError(w, r, s.log, err)
		return
	}
	u, err := s.AddUser(r.Context(), actorOf(r), in.Username, in.Password, in.Role)
	if err != nil {
		httpx.WriteError(w, r, s.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, u.Public())
}

func (s *Service) apiPatchUser(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Disabled *bool   `json:"disabled"`
		Password *string `json:"password"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		httpx.WriteError(w, r, s.log, err)
		return
	}
	a, name := actorOf(r), chi.URLParam(r, "username")
	var u *o211.User
	var err error = o211.Errorf(o211.EINVALID, "Send \"disabled\" or \"password\".")
	if in.Password != nil {
		u, err = s.SetPassword(r.Context(), a, name, *in.Password)
	}
	if in.Disabled != nil && (err == nil || in.Password == nil) {
		u, err = s.SetDisabled(r.Context(), a, name, *in.Disabled)
	}
	if err != nil {
		httpx.WriteError(w, r, s.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, u.Public())
}

func (s *Service) apiTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Tokens(r.Context(), actorOf(r))
	if err != nil {
		httpx.WriteError(w, r, s.log, err)
		return
	}
	if ts == nil {
		ts = []*o211.APIToken{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"tokens": ts})
}

func (s *Service) apiCreateToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name    string     `json:"name"`
		Role    o211.Role  `json:"role"`
		Expires *time.Time `json:"expires"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		httpx.WriteError(w, r, s.log, err)
		return
	}
	tok, t, err := s.CreateToken(r.Context(), actorOf(r), in.Name, in.Role, in.Expires)
	if err != nil {
		httpx.WriteError(w, r, s.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, map[string]any{"token": tok, "record": t})
}

func (s *Service) apiRevokeToken(w http.ResponseWriter, r *http.Request) {
	if err := s.RevokeToken(r.Context(), actorOf(r), chi.URLParam(r, "id")); err != nil {
		httpx.WriteError(w, r, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
