package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/o211/o211"
)

// loginBody is the sign-in page's.
type loginBody struct {
	Username string
	// Notice is a message id shown above the form ("signed out").
	Notice string
}

// loginForm shows the sign-in form; a signed-in reader goes to the console.
func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := o211.ActorFrom(r.Context()); ok {
		c.redirect(w, r, "/console/")
		return
	}
	b := &loginBody{}
	switch {
	case r.URL.Query().Has("ended"):
		b.Notice = "login.ended"
	case r.URL.Query().Has("signed_out"):
		b.Notice = "login.signed_out"
	}
	c.renderLogin(w, r, http.StatusOK, b, &FormErrors{})
}

func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, b *loginBody, errs *FormErrors) {
	p := c.view(r, "login.title")
	p.FormToken = c.cfg.Accounts.FormToken(w, r)
	p.Body, p.Errors = b, errs
	c.render(w, r, status, "login", p)
}

// login checks the posted username and password: on success the reader
// goes to the console (303), otherwise the form comes back with the
// problem (wrong credentials, account locked) in its error summary.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	if !c.parseForm(w, r) {
		return
	}
	if err := c.cfg.Accounts.CheckSignInForm(r); err != nil {
		c.accountError(w, r, err)
		return
	}
	b := &loginBody{Username: strings.TrimSpace(r.PostForm.Get("username"))}
	if len(b.Username) > 64 {
		b.Username = b.Username[:64]
	}
	password := r.PostForm.Get("password")
	errs := &FormErrors{}
	if b.Username == "" {
		errs.Add("username", "login.username.missing")
	}
	if password == "" {
		errs.Add("password", "login.password.missing")
	}
	if errs.Any() {
		c.renderLogin(w, r, http.StatusBadRequest, b, errs)
		return
	}
	_, err := c.cfg.Accounts.SignIn(w, r, b.Username, password)
	switch {
	case err == nil:
		c.redirect(w, r, "/console/")
	case errors.Is(err, o211.ErrAccountLocked):
		errs.Add("username", "login.locked")
		c.renderLogin(w, r, http.StatusTooManyRequests, b, errs)
	case errors.Is(err, o211.ErrWrongCredentials):
		errs.Add("username", "login.wrong")
		c.renderLogin(w, r, http.StatusUnauthorized, b, errs)
	default:
		c.fail(w, r, err)
	}
}

// logout ends the session (the form carries its token) and shows the
// sign-in page saying so.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.staff(w, r); !ok {
		return
	}
	if err := c.cfg.Accounts.SignOut(w, r); err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, "/console/login?signed_out=1")
}

// consoleHome is the staff console's front page: who is signed in, with
// what role, and where to go. Without accounts it only says what the
// console is.
func (c *Console) consoleHome(w http.ResponseWriter, r *http.Request) {
	if c.cfg.Accounts == nil {
		c.render(w, r, http.StatusOK, "console_home", c.view(r, "console.title"))
		return
	}
	a, ok := c.staff(w, r)
	if !ok {
		return
	}
	p := c.staffView(w, r, a, "console.title")
	c.render(w, r, http.StatusOK, "console_home", p)
}
