package auth

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
)

// MaxFormBytes bounds a form body read to find its cross-site token.
const MaxFormBytes = 64 << 10

// seenEvery is how stale a session's last-seen time may get before a
// request rewrites it: a write per minute per session, not per request.
const seenEvery = time.Minute

// Authenticate returns the actor of r's credential: a personal API token,
// a session cookie, or what the Fallback authenticator accepts. A request
// with no credential, or with a session cookie that has ended, is
// anonymous (ok=false): the public pages stay open to it, and the console
// sends it to sign in. A write (POST, PUT, PATCH, DELETE) made with a
// session must carry the session's form token, in FormField of a form or
// in FormHeader.
//
// Errors: EUNAUTHORIZED for a bad token, o211.ErrFormToken, ETOOLARGE for a
// form body over MaxFormBytes.
func (s *Service) Authenticate(r *http.Request) (o211.Actor, bool, error) {
	if tok, sent, err := httpx.BearerToken(r); sent {
		if err == nil && strings.HasPrefix(tok, TokenPrefix) {
			a, err := s.tokenActor(r, tok)
			return a, err == nil, err
		}
		if s.cfg.Fallback != nil {
			return s.cfg.Fallback.Authenticate(r)
		}
		if err == nil {
			err = o211.Errorf(o211.EUNAUTHORIZED, "The API token is not valid (revoked, expired or mistyped).")
		}
		return o211.Actor{}, true, err
	}
	sess, u, err := s.session(r)
	if err != nil || sess == nil {
		return o211.Actor{}, false, err
	}
	if unsafeMethod(r.Method) {
		if err := s.checkFormToken(r, sess); err != nil {
			return o211.Actor{}, false, err
		}
	}
	return u.Actor(), true, nil
}

// tokenActor checks a personal API token.
func (s *Service) tokenActor(r *http.Request, token string) (o211.Actor, error) {
	bad := o211.Errorf(o211.EUNAUTHORIZED, "The API token is not valid (revoked, expired or mistyped).")
	id, secret, ok := parseToken(token)
	if !ok {
		return o211.Actor{}, bad
	}
	t, err := s.cfg.Users.Token(r.Context(), id)
	if o211.ErrorCode(err) == o211.ENOTFOUND || (err == nil && !sameDigest(secret, t.Hash)) {
		return o211.Actor{}, bad
	} else if err != nil {
		return o211.Actor{}, err
	}
	if t.Expires != nil && !s.cfg.Now().Before(*t.Expires) {
		return o211.Actor{}, bad
	}
	u, err := s.cfg.Users.User(r.Context(), t.UserID)
	if o211.ErrorCode(err) == o211.ENOTFOUND || (err == nil && (u.Disabled || u.Region != s.cfg.Region || !u.Role.Covers(t.Role))) {
		return o211.Actor{}, bad
	} else if err != nil {
		return o211.Actor{}, err
	}
	a := u.Actor()
	a.Role = t.Role
	return a, nil
}

// session returns the live session r's cookie names and its user, nil
// when there is none or it has ended, and refreshes its last-seen time.
func (s *Service) session(r *http.Request) (*o211.Session, *o211.User, error) {
	c, err := r.Cookie(s.cookieName(r, sessionCookie))
	if err != nil || s.cfg.Sessions == nil || len(c.Value) != 43 {
		return nil, nil, nil
	}
	ctx := r.Context()
	key := digest(c.Value)
	sess, err := s.cfg.Sessions.Session(ctx, key)
	if o211.ErrorCode(err) == o211.ENOTFOUND {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	now := s.cfg.Now()
	if now.Sub(sess.Seen) > s.cfg.IdleTimeout || now.Sub(sess.Created) > s.cfg.MaxAge {
		return nil, nil, s.cfg.Sessions.DeleteSession(ctx, key)
	}
	u, err := s.cfg.Users.User(ctx, sess.UserID)
	if o211.ErrorCode(err) == o211.ENOTFOUND || (err == nil && (u.Disabled || u.Region != s.cfg.Region || sess.Created.Before(u.PasswordChanged))) {
		return nil, nil, s.cfg.Sessions.DeleteSession(ctx, key)
	} else if err != nil {
		return nil, nil, err
	}
	if now.Sub(sess.Seen) > seenEvery {
		sess.Seen = now
		if err := s.cfg.Sessions.PutSession(ctx, key, sess); err != nil {
			return nil, nil, err
		}
	}
	return sess, u, nil
}

// SessionEnded reports whether r carries a session cookie that no longer
// names a live session (expired, signed out, or the user disabled): the
// console then says so on its sign-in page.
func (s *Service) SessionEnded(r *http.Request) bool {
	if _, err := r.Cookie(s.cookieName(r, sessionCookie)); err != nil {
		return false
	}
	sess, _, err := s.session(r)
	return err == nil && sess == nil
}

// checkFormToken checks that a write made with sess carries its token.
func (s *Service) checkFormToken(r *http.Request, sess *o211.Session) error {
	got := r.Header.Get(FormHeader)
	if got == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		r.Body = http.MaxBytesReader(nil, r.Body, MaxFormBytes)
		if err := r.ParseForm(); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return o211.Errorf(o211.ETOOLARGE, "the form is larger than %d KiB", MaxFormBytes>>10)
			}
			return o211.Errorf(o211.EINVALID, "the form could not be read")
		}
		got = r.PostForm.Get(FormField)
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.FormToken)) != 1 {
		return o211.ErrFormToken
	}
	return nil
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}
