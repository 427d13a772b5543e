package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
)

// roleOption is a role in a form's select.
type roleOption struct {
	Value    o211.Role
	Selected bool
}

// roleOptions lists the roles a may hand out (Role.Covers), selecting sel.
func roleOptions(a o211.Actor, sel o211.Role) []roleOption {
	var out []roleOption
	for _, r := range o211.Roles {
		if a.Role.Covers(r) {
			out = append(out, roleOption{Value: r, Selected: r == sel})
		}
	}
	return out
}

// accountBody is the account page's: the password form and the tokens.
type accountBody struct {
	Tokens []*o211.APIToken
	Roles  []roleOption
	// NewToken is a token just made, shown this once.
	NewToken     string
	NewTokenName string
	TokenName    string
	// Notice is a message id shown above the page ("password changed").
	Notice string
}

// account shows the signed-in user's account page.
func (c *Console) account(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r)
	if !ok {
		return
	}
	b := &accountBody{}
	switch r.URL.Query().Get("done") {
	case "password":
		b.Notice = "account.password.done"
	case "revoked":
		b.Notice = "account.token.revoked"
	}
	c.renderAccount(w, r, a, http.StatusOK, b, &FormErrors{})
}

func (c *Console) renderAccount(w http.ResponseWriter, r *http.Request, a o211.Actor, status int, b *accountBody, errs *FormErrors) {
	ts, err := c.cfg.Accounts.Tokens(r.Context(), a)
	if err != nil && o211.ErrorCode(err) != o211.EFORBIDDEN {
		c.fail(w, r, err)
		return
	}
	b.Tokens = ts
	b.Roles = roleOptions(a, a.Role)
	p := c.staffView(w, r, a, "account.title")
	p.Body, p.Errors = b, errs
	c.render(w, r, status, "account", p)
}

// changePassword checks the current password and sets the new one; the
// session is renewed (the change ends every older session).
func (c *Console) changePassword(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r)
	if !ok || !c.parseForm(w, r) {
		return
	}
	current, pw := r.PostForm.Get("current_password"), r.PostForm.Get("password")
	errs := &FormErrors{}
	if current == "" {
		errs.Add("current_password", "account.password.current_missing")
	}
	if pw != r.PostForm.Get("password_confirm") {
		errs.Add("password_confirm", "account.password.mismatch")
	}
	var u *o211.User
	var err error
	if !errs.Any() {
		u, err = c.cfg.Accounts.ChangePassword(r.Context(), a, current, pw)
		passwordErrors(errs, err)
	}
	if errs.Any() {
		c.renderAccount(w, r, a, http.StatusBadRequest, &accountBody{}, errs)
		return
	} else if err != nil {
		c.fail(w, r, err)
		return
	}
	if err := c.cfg.Accounts.StartSession(w, r, u); err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, "/console/account?done=password")
}

// passwordErrors adds the form problems an account call's error stands for.
func passwordErrors(errs *FormErrors, err error) {
	var e *o211.Error
	if !errors.As(err, &e) || e.Code != o211.EINVALID {
		return
	}
	switch e.Field {
	case "current_password":
		errs.Add("current_password", "account.password.current_wrong")
	case "password":
		errs.Add("password", "account.password.rule", "Min", o211.MinPasswordLen, "Max", o211.MaxPasswordLen)
	case "username":
		errs.Add("username", "users.username.invalid")
	case "role":
		errs.Add("role", "users.role.invalid")
	}
}

// createToken makes a personal API token and shows it once.
func (c *Console) createToken(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r)
	if !ok || !c.parseForm(w, r) {
		return
	}
	b := &accountBody{TokenName: strings.TrimSpace(r.PostForm.Get("token_name"))}
	errs := &FormErrors{}
	if b.TokenName == "" || len(b.TokenName) > 100 {
		errs.Add("token_name", "account.token.name_missing")
		b.TokenName = ""
		c.renderAccount(w, r, a, http.StatusBadRequest, b, errs)
		return
	}
	tok, t, err := c.cfg.Accounts.CreateToken(r.Context(), a, b.TokenName, o211.Role(r.PostForm.Get("token_role")), nil)
	switch o211.ErrorCode(err) {
	case "":
		b.NewToken, b.NewTokenName, b.TokenName = tok, t.Name, ""
		c.renderAccount(w, r, a, http.StatusOK, b, errs)
	case o211.EFORBIDDEN, o211.EINVALID:
		errs.Add("token_role", "account.token.role_forbidden")
		c.renderAccount(w, r, a, http.StatusForbidden, b, errs)
	case o211.ECONFLICT:
		errs.Add("token_name", "account.token.too_many")
		c.renderAccount(w, r, a, http.StatusConflict, b, errs)
	default:
		c.fail(w, r, err)
	}
}

// revokeToken deletes one of the user's tokens.
func (c *Console) revokeToken(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r)
	if !ok {
		return
	}
	err := c.cfg.Accounts.RevokeToken(r.Context(), a, chi.URLParam(r, "id"))
	if o211.ErrorCode(err) == o211.ENOTFOUND {
		c.notFound(w, r)
		return
	} else if err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, "/console/account?done=revoked")
}
