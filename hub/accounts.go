package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/node/auth"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/store"
)

// Accounts: the province's users and their personal tokens are in the Raft
// state, so that every replica accepts the same ones; passwords are hashed
// (and token secrets digested) by the replica that takes the request,
// before the command is proposed. A follower sends the command to the
// leader through its own API (POST /api/v1/accounts/commands, forwarded
// like every write). Console sessions are the replica's own (sessions.db).

// replicaSessions is the replica's sessions file, opened by Start; the
// accounts service is made by New, before it (the console's routes are
// mounted before Start).
type replicaSessions struct{ *store.SessionFile }

// newAccounts makes the replica's accounts service (no I/O).
func (r *Replica) newAccounts() {
	r.sessions = &replicaSessions{}
	cfg := auth.Config{Region: o211.ProvinceRegion, Users: r.Users(), Sessions: r.sessions,
		Hasher: r.cfg.Hasher, Logger: r.logger, Now: r.cfg.Now}
	if r.cfg.Token != "" { // the bootstrap administrator
		cfg.Fallback = httpx.NewTokenAuthenticator(r.cfg.Token, o211.ProvinceRegion)
	}
	r.accounts = auth.New(cfg)
}

// openAccounts opens the replica's sessions file.
func (r *Replica) openAccounts() error {
	f, err := store.OpenSessionFile(filepath.Join(r.cfg.DataDir, "sessions.db"), store.Options{NoSync: r.cfg.NoSync})
	if err != nil {
		return fmt.Errorf("hub: start: %w", err)
	}
	r.sessions.SessionFile = f
	return nil
}

// Accounts returns the replica's accounts service: sign-in, sessions,
// personal tokens and the provincial users (usable once Start has run).
func (r *Replica) Accounts() *auth.Service { return r.accounts }

// Users returns the provincial accounts kept in the Raft state.
func (r *Replica) Users() auth.Users { return hubUsers{r} }

type hubUsers struct{ r *Replica }

var _ auth.Users = hubUsers{}

func (h hubUsers) view(fn func(*fsm.State) error) error { return h.r.fsm.View(fn) }

// User returns the provincial user id, or an ENOTFOUND error.
func (h hubUsers) User(_ context.Context, id string) (u *o211.User, err error) {
	err = h.view(func(s *fsm.State) error { u, err = s.User(id); return err })
	return u, err
}

// UserByName returns the provincial user named name, or ENOTFOUND.
func (h hubUsers) UserByName(_ context.Context, name string) (u *o211.User, err error) {
	err = h.view(func(s *fsm.State) error { u, err = s.UserByName(name); return err })
	return u, err
}

// Users returns every provincial user.
func (h hubUsers) Users(context.Context) (us []*o211.User, err error) {
	err = h.view(func(s *fsm.State) error { us, err = s.Users(); return err })
	return us, err
}

// Token returns the personal token id, or ENOTFOUND.
func (h hubUsers) Token(_ context.Context, id string) (t *o211.APIToken, err error) {
	err = h.view(func(s *fsm.State) error { t, err = s.Token(id); return err })
	return t, err
}

// Tokens returns a provincial user's personal tokens.
func (h hubUsers) Tokens(_ context.Context, userID string) (ts []*o211.APIToken, err error) {
	err = h.view(func(s *fsm.State) error { ts, err = s.Tokens(userID); return err })
	return ts, err
}

// PutUser creates or replaces a provincial user through Raft.
func (h hubUsers) PutUser(ctx context.Context, _ o211.Actor, u *o211.User) error {
	if err := fsm.ValidateUser(u); err != nil {
		return err
	}
	return h.r.applyAccount(ctx, fsm.CmdPutUser, &fsm.PutUser{User: *u})
}

// PutToken stores a personal token through Raft.
func (h hubUsers) PutToken(ctx context.Context, _ o211.Actor, t *o211.APIToken) error {
	return h.r.applyAccount(ctx, fsm.CmdPutToken, &fsm.PutToken{Token: *t})
}

// DeleteToken removes a personal token through Raft.
func (h hubUsers) DeleteToken(ctx context.Context, _ o211.Actor, id string) error {
	return h.r.applyAccount(ctx, fsm.CmdDeleteToken, &fsm.DeleteToken{ID: id})
}

// accountCommand is the body of POST /api/v1/accounts/commands.
type accountCommand struct {
	Type    fsm.CommandType `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

// applyAccount commits an account command: proposed here when this replica
// leads, otherwise sent to the leader through this replica's API.
func (r *Replica) applyAccount(ctx context.Context, typ fsm.CommandType, payload any) error {
	if r.IsLeader() {
		resp, _, err := r.propose(ctx, typ, payload)
		if err == nil {
			return resp.Err
		} else if !retryable(err) {
			return err
		}
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	c := &Client{BaseURL: "http://" + r.HTTPAddr(), Token: r.cfg.Token, HTTP: r.api.client}
	err = c.do(ctx, http.MethodPost, "/api/v1/accounts/commands", &accountCommand{Type: typ, Payload: raw}, nil)
	var pe *ProblemError
	if errors.As(err, &pe) {
		return pe.err // the leader's answer, as a domain error
	}
	return err
}

func (s *handlers) routesAccounts(r chi.Router) {
	r.With(s.requireToken).Post("/api/v1/accounts/commands", s.onLeader(s.postAccountCommand))
}

// postAccountCommand proposes an account command sent by a follower.
func (s *handlers) postAccountCommand(ctx context.Context, _ *http.Request, body []byte) (*reply, error) {
	var c accountCommand
	if err := decodeStrict(body, &c); err != nil {
		return nil, err
	}
	switch c.Type {
	case fsm.CmdPutUser, fsm.CmdPutToken, fsm.CmdDeleteToken:
	default:
		return nil, o211.FieldErrorf("type", "%q is not an account command", httpx.Prefix(string(c.Type)))
	}
	resp, index, err := s.r.propose(ctx, c.Type, encoded(c.Payload))
	if err != nil {
		return nil, err
	}
	if resp.Err != nil {
		return nil, resp.Err
	}
	return &reply{status: http.StatusOK, value: map[string]string{"type": string(c.Type)}, index: index}, nil
}
