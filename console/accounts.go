package console

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
)

// Accounts signs staff in and out and manages their accounts and personal
// tokens (node/auth's Service, over a node's store or the hub's state).
// The staff console needs it; without it only the portal is served.
type Accounts interface {
	// Authenticate returns the actor of a request's session or token.
	Authenticate(r *http.Request) (o211.Actor, bool, error)
	// SignIn checks the credentials and starts a session (its cookie on w).
	SignIn(w http.ResponseWriter, r *http.Request, username, password string) (*o211.User, error)
	// SignOut ends the request's session.
	SignOut(w http.ResponseWriter, r *http.Request) error
	// StartSession starts a new session of u (after a password change).
	StartSession(w http.ResponseWriter, r *http.Request, u *o211.User) error
	// FormToken is the cross-site request token a page's forms carry.
	FormToken(w http.ResponseWriter, r *http.Request) string
	// CheckSignInForm checks the form token of a sign-in form.
	CheckSignInForm(r *http.Request) error
	// SessionEnded reports a cookie whose session has ended.
	SessionEnded(r *http.Request) bool
	ChangePassword(ctx context.Context, a o211.Actor, current, password string) (*o211.User, error)
	CreateToken(ctx context.Context, a o211.Actor, name string, role o211.Role, expires *time.Time) (string, *o211.APIToken, error)
	Tokens(ctx context.Context, a o211.Actor) ([]*o211.APIToken, error)
	RevokeToken(ctx context.Context, a o211.Actor, id string) error
	Users(ctx context.Context, a o211.Actor) ([]*o211.User, error)
	AddUser(ctx context.Context, a o211.Actor, username, password string, role o211.Role) (*o211.User, error)
	SetDisabled(ctx context.Context, a o211.Actor, username string, disabled bool) (*o211.User, error)
	// SetQualifications sets the languages and skills a user was given
	// (nil leaves one as it is).
	SetQualifications(ctx context.Context, a o211.Actor, username string, languages, skills []string) (*o211.User, error)
}

// FormField names the cross-site request token in every console form
// (node/auth reads the same name).
const FormField = "form_token"

// maxFormBytes bounds a console form's body.
const maxFormBytes = 64 << 10

// routesConsole mounts the staff console under /console/.
func (c *Console) routesConsole(r chi.Router) {
	r.Get("/console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, localPath(langOf(r), "/console/"), http.StatusMovedPermanently)
	})
	if c.cfg.Accounts == nil {
		r.Get("/console/", c.consoleHome)
		return
	}
	r.Group(func(r chi.Router) {
		r.Use(c.identify, noStore)
		r.Get("/console/", c.consoleHome)
		r.Get("/console/login", c.loginForm)
		r.Post("/console/login", c.login)
		r.Post("/console/logout", c.logout)
		r.Get("/console/account", c.account)
		r.Post("/console/account/password", c.changePassword)
		r.Post("/console/account/tokens", c.createToken)
		r.Post("/console/account/tokens/{id}/revoke", c.revokeToken)
		r.Get("/console/users", c.users)
		r.Post("/console/users", c.addUser)
		r.Post("/console/users/{username}/disable", c.disableUser)
		r.Post("/console/users/{username}/qualifications", c.qualifyUser)
		c.routesContacts(r)
		c.routesQueue(r)
		c.routesDirectory(r)
	})
}

// noStore keeps the console's pages out of caches (they name who is signed
// in, and a token is shown once).
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// identify puts the actor of the request's session in its context, unless
// the server's middleware already did. A form without its cross-site token
// gets the error page; its body is at most maxFormBytes.
func (c *Console) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		}
		if _, ok := o211.ActorFrom(r.Context()); !ok {
			a, ok, err := c.cfg.Accounts.Authenticate(r)
			if err != nil {
				c.accountError(w, r, err)
				return
			}
			if ok {
				r = r.WithContext(o211.WithActor(r.Context(), a))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// staff returns the signed-in actor, or sends the reader to sign in (or
// to a page saying the role does not allow this one) and returns false.
func (c *Console) staff(w http.ResponseWriter, r *http.Request, roles ...o211.Role) (o211.Actor, bool) {
	a, ok := o211.ActorFrom(r.Context())
	if !ok {
		path := "/console/login"
		if c.cfg.Accounts.SessionEnded(r) {
			path += "?ended=1"
		}
		c.redirect(w, r, path)
		return a, false
	}
	if len(roles) > 0 && !a.HasRole(roles...) {
		p := c.view(r, "account.forbidden.title")
		p.Body = errorBody{Message: "account.forbidden.body", Args: []any{"Role", c.roleName(p.Lang, a.Role)}}
		c.render(w, r, http.StatusForbidden, "error", p)
		return a, false
	}
	return a, true
}

// accountError answers an error of the accounts service that has no form
// to show it beside: a forged or missing form token, an oversized form.
func (c *Console) accountError(w http.ResponseWriter, r *http.Request, err error) {
	var tooLarge *http.MaxBytesError
	status, title, msg := http.StatusForbidden, "account.form_token.title", "account.form_token.body"
	switch {
	case errors.As(err, &tooLarge) || o211.ErrorCode(err) == o211.ETOOLARGE:
		status, title, msg = http.StatusRequestEntityTooLarge, "account.too_large.title", "account.too_large.body"
	case errors.Is(err, o211.ErrFormToken):
	case o211.ErrorCode(err) == o211.EUNAUTHORIZED:
		status, title, msg = http.StatusUnauthorized, "account.bad_token.title", "account.bad_token.body"
	case o211.ErrorCode(err) == o211.EINVALID:
		status, title, msg = http.StatusBadRequest, "account.bad_form.title", "account.bad_form.body"
	default:
		c.fail(w, r, err)
		return
	}
	p := c.view(r, title)
	p.Body = errorBody{Message: msg}
	c.render(w, r, status, "error", p)
}

// parseForm reads a posted form (at most maxFormBytes), answering an
// oversized or unreadable one itself.
func (c *Console) parseForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if !errors.As(err, &tooLarge) {
			err = o211.Errorf(o211.EINVALID, "the form could not be read")
		}
		c.accountError(w, r, err)
		return false
	}
	return true
}

// staffView starts a console page for a signed-in actor.
func (c *Console) staffView(w http.ResponseWriter, r *http.Request, a o211.Actor, title string, args ...any) *page {
	p := c.view(r, title, args...)
	p.Actor = &a
	p.FormToken = c.cfg.Accounts.FormToken(w, r)
	if p.CanTakeContacts() {
		n, err := c.countDue(r.Context(), a)
		if err != nil {
			c.log.Warn("console: counting follow-ups", "err", err)
		}
		p.followUps = n
	}
	return p
}

// roleName names a role in lang.
func (c *Console) roleName(lang string, role o211.Role) string {
	if s, err := c.msg.T(lang, "role."+string(role)); err == nil {
		return s
	}
	return string(role)
}

// RoleName names a role in the page's language.
func (p *page) RoleName(role o211.Role) string { return p.c.roleName(p.Lang, role) }

// CanManageUsers reports whether the signed-in actor may open the users page.
func (p *page) CanManageUsers() bool {
	return p.Actor != nil && p.Actor.HasRole(o211.RoleSupervisor, o211.RoleAdmin)
}

// fieldArgs are the arguments of the password-field and role-select
// templates.
type fieldArgs struct {
	P            *page
	ID, Label    string
	Autocomplete string
	Roles        []roleOption
}

// Field returns the arguments of a password field: its id (and name), the
// message id of its label and its autocomplete token.
func (p *page) Field(id, label, autocomplete string) fieldArgs {
	return fieldArgs{P: p, ID: id, Label: label, Autocomplete: autocomplete}
}

// Select returns the arguments of a role select.
func (p *page) Select(id, label string, roles []roleOption) fieldArgs {
	return fieldArgs{P: p, ID: id, Label: label, Roles: roles}
}
