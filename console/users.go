package console

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
)

// usersBody is the users page's: the region's users and the add form.
type usersBody struct {
	Users []*o211.User
	Roles []roleOption
	// Username is the add form's value after a problem.
	Username string
	// Notice is a message id, with its Name argument.
	Notice, Name string
}

// manageRoles are the roles that open the users page.
var manageRoles = []o211.Role{o211.RoleSupervisor, o211.RoleAdmin}

// users lists the region's (or the province's) users for a supervisor or
// an administrator.
func (c *Console) users(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r, manageRoles...)
	if !ok {
		return
	}
	b := &usersBody{Name: r.URL.Query().Get("name")}
	if len(b.Name) > 64 {
		b.Name = b.Name[:64]
	}
	switch r.URL.Query().Get("done") {
	case "added":
		b.Notice = "users.added"
	case "disabled":
		b.Notice = "users.disabled_done"
	case "enabled":
		b.Notice = "users.enabled_done"
	case "qualified":
		b.Notice = "users.qualified_done"
	}
	c.renderUsers(w, r, a, http.StatusOK, b, &FormErrors{}, "")
}

func (c *Console) renderUsers(w http.ResponseWriter, r *http.Request, a o211.Actor, status int, b *usersBody, errs *FormErrors, role o211.Role) {
	us, err := c.cfg.Accounts.Users(r.Context(), a)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	b.Users = us
	b.Roles = roleOptions(a, role)
	p := c.staffView(w, r, a, "users.title")
	p.Body, p.Errors = b, errs
	c.render(w, r, status, "users", p)
}

// addUser adds a user with the role and first password a supervisor or an
// administrator chose.
func (c *Console) addUser(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r, manageRoles...)
	if !ok || !c.parseForm(w, r) {
		return
	}
	b := &usersBody{Username: strings.TrimSpace(r.PostForm.Get("username"))}
	if len(b.Username) > 64 {
		b.Username = b.Username[:64]
	}
	role := o211.Role(r.PostForm.Get("role"))
	u, err := c.cfg.Accounts.AddUser(r.Context(), a, b.Username, r.PostForm.Get("password"), role)
	errs := &FormErrors{}
	switch o211.ErrorCode(err) {
	case "":
		c.redirect(w, r, "/console/users?done=added&name="+u.Username)
		return
	case o211.ECONFLICT:
		errs.Add("username", "users.username.taken")
	case o211.EFORBIDDEN:
		errs.Add("role", "users.role.forbidden")
	case o211.EINVALID:
		passwordErrors(errs, err)
	}
	if !errs.Any() {
		c.fail(w, r, err)
		return
	}
	c.renderUsers(w, r, a, http.StatusBadRequest, b, errs, role)
}

// disableUser disables a user (or enables one again: disabled=false).
func (c *Console) disableUser(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r, manageRoles...)
	if !ok || !c.parseForm(w, r) {
		return
	}
	disabled := r.PostForm.Get("disabled") != "false"
	u, err := c.cfg.Accounts.SetDisabled(r.Context(), a, chi.URLParam(r, "username"), disabled)
	switch o211.ErrorCode(err) {
	case "":
	case o211.ENOTFOUND, o211.EINVALID:
		c.notFound(w, r)
		return
	case o211.EFORBIDDEN:
		c.forbiddenUser(w, r, "users.disable.forbidden")
		return
	default:
		c.fail(w, r, err)
		return
	}
	done := "disabled"
	if !u.Disabled {
		done = "enabled"
	}
	c.redirect(w, r, "/console/users?done="+done+"&name="+u.Username)
}

// qualifyUser sets the languages and skills a supervisor or an
// administrator gives a user (space- or comma-separated words: "en fr",
// "crisis"): what the live queue routes to them.
func (c *Console) qualifyUser(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r, manageRoles...)
	if !ok || !c.parseForm(w, r) {
		return
	}
	name := chi.URLParam(r, "username")
	u, err := c.cfg.Accounts.SetQualifications(r.Context(), a, name, words(r.PostForm.Get("languages")), words(r.PostForm.Get("skills")))
	errs := &FormErrors{}
	switch o211.ErrorCode(err) {
	case "":
		c.redirect(w, r, "/console/users?done=qualified&name="+u.Username)
		return
	case o211.ENOTFOUND:
		c.notFound(w, r)
		return
	case o211.EFORBIDDEN:
		c.forbiddenUser(w, r, "users.qualifications.forbidden")
		return
	case o211.EINVALID:
		field := "languages"
		if fe, ok := err.(*o211.Error); ok && fe.Field == "skills" {
			field = "skills"
		}
		errs.Add(field+"-"+name, "users."+field+".invalid")
	default:
		c.fail(w, r, err)
		return
	}
	c.renderUsers(w, r, a, http.StatusBadRequest, &usersBody{}, errs, "")
}

// words splits a form field of words separated by spaces or commas
// (never nil: an empty field clears the list).
func words(s string) []string {
	out := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	if out == nil {
		out = []string{}
	}
	return out
}

// Qualified reports whether the users page offers languages and skills
// for u: the roles that take contacts from the queue.
func (b *usersBody) Qualified(u *o211.User) bool {
	return u.Role == o211.RoleNavigator || u.Role == o211.RoleSupervisor
}

// QualificationFields are the fields of a user's languages and skills
// form.
func (b *usersBody) QualificationFields() []string { return []string{"languages", "skills"} }

// Joined returns u's languages or skills as the form shows them.
func (b *usersBody) Joined(u *o211.User, field string) string {
	if field == "languages" {
		return strings.Join(u.GrantedLanguages(), " ")
	}
	return strings.Join(u.Skills, " ")
}

// forbiddenUser answers a change to a user the actor may not make.
func (c *Console) forbiddenUser(w http.ResponseWriter, r *http.Request, msg string) {
	p := c.view(r, "account.forbidden.title")
	p.Body = errorBody{Message: msg}
	c.render(w, r, http.StatusForbidden, "error", p)
}
