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
//	POST   /api/v1/users              {"username", "password", "role", "languages", "skills"}: add one
//	PATCH  /api/v1/users/{username}   any of {"disabled": bool, "password": "...", "languages": [...], "skills": [...]}
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
		Username  string    `json:"username"`
		Password  string    `json:"password"`
		Role      o211.Role `json:"role"`
		Languages []string  `json:"languages"`
		Skills    []string  `json:"skills"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		httpx.WriteError(w, r, s.log, err)
		return
	}
	if _, err := o211.ParseQualifications("languages", in.Languages); err != nil {
		httpx.WriteError(w, r, s.log, err)
		return
	}
	if _, err := o211.ParseQualifications("skills", in.Skills); err != nil {
		httpx.WriteError(w, r, s.log, err)
		return
	}
	u, err := s.AddUser(r.Context(), actorOf(r), in.Username, in.Password, in.Role)
	if err == nil && (len(in.Languages) > 0 || len(in.Skills) > 0) {
		u, err = s.SetQualifications(r.Context(), actorOf(r), u.Username, in.Languages, in.Skills)
	}
	if err != nil {
		httpx.WriteError(w, r, s.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, u.Public())
}

func (s *Service) apiPatchUser(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Disabled  *bool     `json:"disabled"`
		Password  *string   `json:"password"`
		Languages *[]string `json:"languages"`
		Skills    *[]string `json:"skills"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		httpx.WriteError(w, r, s.log, err)
		return
	}
	ctx, a, name := r.Context(), actorOf(r), chi.URLParam(r, "username")
	var steps []func() (*o211.User, error)
	if in.Password != nil {
		steps = append(steps, func() (*o211.User, error) { return s.SetPassword(ctx, a, name, *in.Password) })
	}
	if in.Disabled != nil {
		steps = append(steps, func() (*o211.User, error) { return s.SetDisabled(ctx, a, name, *in.Disabled) })
	}
	if in.Languages != nil || in.Skills != nil {
		steps = append(steps, func() (*o211.User, error) {
			return s.SetQualifications(ctx, a, name, orEmpty(in.Languages), orEmpty(in.Skills))
		})
	}
	var u *o211.User
	err := error(o211.Errorf(o211.EINVALID, "Send \"disabled\", \"password\", \"languages\" or \"skills\"."))
	for _, step := range steps {
		if u, err = step(); err != nil {
			break
		}
	}
	if err != nil {
		httpx.WriteError(w, r, s.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, u.Public())
}

// orEmpty returns the list p points to (never nil: an empty list clears),
// or nil when p is nil (left as it is).
func orEmpty(p *[]string) []string {
	if p == nil {
		return nil
	}
	if *p == nil {
		return []string{}
	}
	return *p
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
