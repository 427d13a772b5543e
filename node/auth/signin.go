package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/o211/o211"
)

// Cookie names. Over TLS they take the "__Host-" prefix, which browsers
// accept only with Secure, Path=/ and no Domain, so that no other host of
// the domain can set them.
const (
	sessionCookie = "o211_session"
	formCookie    = "o211_form"
)

// FormField is the name of the cross-site request token in a form;
// FormHeader carries it in a script's request.
const (
	FormField  = "form_token"
	FormHeader = "X-O211-Form-Token"
)

// SignIn checks username and password, and on success starts a new
// session and sets its cookie on w. An old session the request carried
// ends (the session id rotates at sign-in). Failed attempts count towards
// the lockout; every attempt is in the audit log.
//
// Errors: o211.ErrWrongCredentials, o211.ErrAccountLocked, a context error.
func (s *Service) SignIn(w http.ResponseWriter, r *http.Request, username, password string) (*o211.User, error) {
	ctx := r.Context()
	ev := SignInEvent{Username: cut(username, 64), From: clientAddr(r)}
	u, err := s.checkPassword(ctx, username, password, &ev)
	if aerr := s.audit(ctx, ev); aerr != nil && err == nil {
		err = aerr // a sign-in that cannot be audited does not happen
	}
	if err != nil {
		return nil, err
	}
	if err := s.StartSession(w, r, u); err != nil {
		return nil, err
	}
	return u, nil
}

// StartSession starts a new session of u and sets its cookie on w, ending
// the session r carried, if any: after a sign-in, and after a password
// change (which ends the user's older sessions).
func (s *Service) StartSession(w http.ResponseWriter, r *http.Request, u *o211.User) error {
	ctx := r.Context()
	if c, err := r.Cookie(s.cookieName(r, sessionCookie)); err == nil {
		_ = s.cfg.Sessions.DeleteSession(ctx, digest(c.Value))
	}
	value := randomString(32)
	now := s.cfg.Now()
	sess := &o211.Session{UserID: u.ID, FormToken: randomString(24), Created: now, Seen: now}
	if err := s.cfg.Sessions.PutSession(ctx, digest(value), sess); err != nil {
		return fmt.Errorf("auth: start session: %w", err)
	}
	s.setCookie(w, r, sessionCookie, value, 0)
	s.setCookie(w, r, formCookie, "", -1)
	s.purgeSometimes(ctx, now)
	return nil
}

// checkPassword finds the user and checks the password and the lockout,
// filling ev's action and user.
func (s *Service) checkPassword(ctx context.Context, username, password string, ev *SignInEvent) (*o211.User, error) {
	ev.Action = "signin_failed"
	name, err := o211.NormalizeUsername(username)
	var u *o211.User
	if err == nil {
		u, err = s.cfg.Users.UserByName(ctx, name)
	}
	if err != nil && o211.ErrorCode(err) != o211.ENOTFOUND && o211.ErrorCode(err) != o211.EINVALID {
		return nil, err
	}
	if u == nil || u.Region != s.cfg.Region || len(password) > 4*o211.MaxPasswordLen {
		s.burn(ctx, password) // unknown users take as long as known ones
		return nil, o211.ErrWrongCredentials
	}
	ev.UserID = u.ID
	now := s.cfg.Now()
	st, err := s.cfg.Sessions.SignInState(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if now.Before(st.LockedUntil) {
		ev.Action = "signin_locked"
		return nil, o211.ErrAccountLocked
	}
	ok, err := s.cfg.Hasher.Verify(ctx, u.PasswordHash, password)
	if err != nil && ctx.Err() != nil {
		return nil, err
	} else if err != nil {
		s.log.Error("auth: unreadable password hash", "user", u.ID, "err", err)
	}
	if !ok || u.Disabled {
		return nil, s.failed(ctx, u, st, now, ev)
	}
	ev.Action = "signin"
	if st != (o211.SignInState{}) {
		if err := s.cfg.Sessions.PutSignInState(ctx, u.ID, o211.SignInState{}); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// failed counts a failed sign-in of u, locking the account at the limit.
func (s *Service) failed(ctx context.Context, u *o211.User, st o211.SignInState, now time.Time, ev *SignInEvent) error {
	if st.Failures == 0 || now.Sub(st.First) > s.cfg.FailureWindow {
		st = o211.SignInState{First: now}
	}
	st.Failures++
	err := o211.ErrWrongCredentials
	if st.Failures >= s.cfg.MaxFailures {
		st.LockedUntil = now.Add(s.cfg.LockFor)
		ev.Action = "lockout"
		err = o211.ErrAccountLocked
		s.log.Warn("auth: account locked after failed sign-ins", "user", u.Username, "failures", st.Failures)
	}
	if perr := s.cfg.Sessions.PutSignInState(ctx, u.ID, st); perr != nil {
		return perr
	}
	return err
}

// burn verifies password against a throw-away hash.
func (s *Service) burn(ctx context.Context, password string) {
	s.dummyOnce.Do(func() {
		s.dummy, _ = s.cfg.Hasher.Hash(context.Background(), randomString(16))
	})
	_, _ = s.cfg.Hasher.Verify(ctx, s.dummy, cut(password, o211.MaxPasswordLen))
}

// Unlock forgets a user's failed sign-ins, ending a lockout.
func (s *Service) Unlock(ctx context.Context, userID string) error {
	return s.cfg.Sessions.PutSignInState(ctx, userID, o211.SignInState{})
}

// SignOut ends the request's session, if any, and clears its cookie.
func (s *Service) SignOut(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(s.cookieName(r, sessionCookie))
	s.setCookie(w, r, sessionCookie, "", -1)
	if err != nil {
		return nil
	}
	key := digest(c.Value)
	ctx := r.Context()
	if sess, err := s.cfg.Sessions.Session(ctx, key); err == nil {
		ev := SignInEvent{Action: "signout", UserID: sess.UserID, From: clientAddr(r)}
		if u, err := s.cfg.Users.User(ctx, sess.UserID); err == nil {
			ev.Username = u.Username
		}
		_ = s.audit(ctx, ev)
	}
	return s.cfg.Sessions.DeleteSession(ctx, key)
}

// FormToken returns the cross-site request token that a form of the page
// answering r must carry in FormField: the session's, or before sign-in a
// random value also set in a cookie on w (checked by CheckSignInForm).
func (s *Service) FormToken(w http.ResponseWriter, r *http.Request) string {
	if sess, _, err := s.session(r); err == nil && sess != nil {
		return sess.FormToken
	}
	if c, err := r.Cookie(s.cookieName(r, formCookie)); err == nil && len(c.Value) == 32 {
		return c.Value
	}
	v := randomString(24)
	s.setCookie(w, r, formCookie, v, 0)
	return v
}

// CheckSignInForm checks the form token of a sign-in form posted without
// a session: it must equal the cookie that FormToken set. The form must
// have been parsed.
//
// Errors: o211.ErrFormToken.
func (s *Service) CheckSignInForm(r *http.Request) error {
	if sess, _, err := s.session(r); err == nil && sess != nil {
		return s.checkFormToken(r, sess)
	}
	c, err := r.Cookie(s.cookieName(r, formCookie))
	got := r.PostFormValue(FormField)
	if err != nil || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.Value)) != 1 {
		return o211.ErrFormToken
	}
	return nil
}

// audit appends ev to the sign-in audit log, stamped now.
func (s *Service) audit(ctx context.Context, ev SignInEvent) error {
	ev.Time = s.cfg.Now()
	if err := s.cfg.Sessions.AuditSignIn(ctx, ev); err != nil {
		return fmt.Errorf("auth: audit sign-in: %w", err)
	}
	return nil
}

// purgeSometimes removes expired sessions, at most once an hour.
func (s *Service) purgeSometimes(ctx context.Context, now time.Time) {
	s.mu.Lock()
	due := now.Sub(s.purged) > time.Hour
	if due {
		s.purged = now
	}
	s.mu.Unlock()
	if !due {
		return
	}
	n, err := s.cfg.Sessions.PurgeSessions(ctx, now.Add(-s.cfg.IdleTimeout), now.Add(-s.cfg.MaxAge))
	if err != nil && !errors.Is(err, context.Canceled) {
		s.log.Error("auth: purge expired sessions", "err", err)
	} else if n > 0 {
		s.log.Info("auth: expired sessions removed", "count", n)
	}
}

// secure reports whether r's cookies must be Secure.
func (s *Service) secure(r *http.Request) bool { return r.TLS != nil || s.cfg.SecureCookies }

func (s *Service) cookieName(r *http.Request, name string) string {
	if s.secure(r) {
		return "__Host-" + name
	}
	return name
}

// setCookie sets (maxAge 0: a browser-session cookie) or clears (maxAge
// -1) a cookie: HttpOnly, SameSite=Lax (a link from a mail to the console
// keeps the session; cross-site posts carry no cookie), Secure over TLS.
func (s *Service) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(r, name), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

// clientAddr returns r's client IP address.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return cut(r.RemoteAddr, 64)
	}
	return host
}

// cut returns at most n bytes of s.
func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
