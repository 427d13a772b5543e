package auth

import (
	"context"
	"strings"
	"time"

	"github.com/o211/o211"
)

// MaxTokensPerUser bounds how many personal tokens one user holds.
const MaxTokensPerUser = 20

// CreateToken creates a personal API token of a's user, acting with role
// (the user's own when empty; one the user's role covers) until expires
// (nil: until revoked). It returns the token to show once (only its hash
// is kept) and the stored record without its hash.
//
// Errors: EINVALID (name, role), EFORBIDDEN (a role not covered, or an
// actor that is not a user of this region), ECONFLICT past MaxTokensPerUser.
func (s *Service) CreateToken(ctx context.Context, a o211.Actor, name string, role o211.Role, expires *time.Time) (string, *o211.APIToken, error) {
	u, err := s.actorUser(ctx, a)
	if err != nil {
		return "", nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", nil, o211.FieldErrorf("name", "give the token a name of 1 to 100 characters")
	}
	if role == "" {
		role = u.Role
	} else if role, err = o211.ParseRole(string(role)); err != nil {
		return "", nil, err
	}
	if !u.Role.Covers(role) {
		return "", nil, o211.Errorf(o211.EFORBIDDEN, "a %s cannot make a token that acts as %s", u.Role, role)
	}
	if expires != nil && !expires.After(s.cfg.Now()) {
		return "", nil, o211.FieldErrorf("expires", "is in the past")
	}
	have, err := s.cfg.Users.Tokens(ctx, u.ID)
	if err != nil {
		return "", nil, err
	}
	if len(have) >= MaxTokensPerUser {
		return "", nil, o211.Errorf(o211.ECONFLICT, "you hold %d tokens, the most allowed: revoke one first", len(have))
	}
	id, token, hash := newToken()
	t := &o211.APIToken{ID: id, UserID: u.ID, Name: name, Role: role, Hash: hash,
		Created: s.cfg.Now().UTC(), Expires: expires}
	if err := s.cfg.Users.PutToken(ctx, a, t); err != nil {
		return "", nil, err
	}
	return token, t.Public(), nil
}

// Tokens lists the personal tokens of a's user, without their hashes.
func (s *Service) Tokens(ctx context.Context, a o211.Actor) ([]*o211.APIToken, error) {
	u, err := s.actorUser(ctx, a)
	if err != nil {
		return nil, err
	}
	ts, err := s.cfg.Users.Tokens(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for i, t := range ts {
		ts[i] = t.Public()
	}
	return ts, nil
}

// RevokeToken deletes token id of a's user (an administrator may revoke
// any user's).
//
// Errors: ENOTFOUND for a token that is not a's.
func (s *Service) RevokeToken(ctx context.Context, a o211.Actor, id string) error {
	t, err := s.cfg.Users.Token(ctx, id)
	if err != nil {
		return err
	}
	if t.UserID != a.ID && !(a.Role == o211.RoleAdmin && a.Region == s.cfg.Region) && a.Role != o211.RoleSystem {
		return o211.Errorf(o211.ENOTFOUND, "you hold no token %q", cut(id, 40))
	}
	return s.cfg.Users.DeleteToken(ctx, a, id)
}

// actorUser returns the user a names, which must be one of this region.
func (s *Service) actorUser(ctx context.Context, a o211.Actor) (*o211.User, error) {
	u, err := s.cfg.Users.User(ctx, a.ID)
	if o211.ErrorCode(err) == o211.ENOTFOUND || (err == nil && (u.Region != s.cfg.Region || u.Disabled)) {
		return nil, o211.Errorf(o211.EFORBIDDEN, "only a signed-in user of %s has personal tokens", s.cfg.Region)
	}
	return u, err
}
