package console_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node"
)

// staff is a browser-like client of the console: it keeps cookies, does
// not follow redirects, and posts forms with the token of the last page.
type staff struct {
	tb     testing.TB
	base   string
	client *http.Client
	token  string
}

func newStaff(tb testing.TB, n *node.Node) *staff {
	c := jarClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &staff{tb: tb, base: n.URL(), client: c}
}

var formTokenRE = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

// do sends a request and returns the answer; a page's form token is kept.
func (s *staff) do(req *http.Request) page {
	s.tb.Helper()
	resp, err := s.client.Do(req)
	if err != nil {
		s.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := formTokenRE.FindSubmatch(b); m != nil {
		s.token = string(m[1])
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (s *staff) get(path string) page {
	req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
	return s.do(req)
}

// post posts a form (name, value pairs) with the page's form token.
func (s *staff) post(path string, fields ...string) page {
	form := url.Values{"form_token": {s.token}}
	for i := 0; i+1 < len(fields); i += 2 {
		form.Set(fields[i], fields[i+1])
	}
	return s.postRaw(path, form.Encode())
}

func (s *staff) postRaw(path, body string) page {
	req, _ := http.NewRequest(http.MethodPost, s.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.do(req)
}

func (p page) mustRedirect(tb testing.TB, to string) page {
	tb.Helper()
	if p.status != http.StatusSeeOther || p.header.Get("Location") != to {
		tb.Fatalf("status %d to %q, want 303 to %q; body starts %.300s", p.status, p.header.Get("Location"), to, p.body)
	}
	return p
}

// mustAddUser adds a user of the node's region with password name+"-password".
func mustAddUser(tb testing.TB, n *node.Node, name string, role o211.Role) {
	tb.Helper()
	if _, err := n.Accounts().AddUser(context.Background(), o211.System("test"), name, name+"-password", role); err != nil {
		tb.Fatal(err)
	}
}

// mustQualify gives user name the languages (as the users page does).
func mustQualify(tb testing.TB, n *node.Node, name string, languages ...string) {
	tb.Helper()
	if _, err := n.Accounts().SetQualifications(context.Background(), o211.System("test"), name, languages, nil); err != nil {
		tb.Fatal(err)
	}
}

func (s *staff) signIn(name string) {
	s.tb.Helper()
	s.get("/console/login").mustStatus(s.tb, http.StatusOK)
	s.post("/console/login", "username", name, "password", name+"-password").mustRedirect(s.tb, "/console/")
}

func TestConsole_SignIn(t *testing.T) {
	n := MustStartPortal(t)
	mustAddUser(t, n, "nadia", o211.RoleNavigator)
	s := newStaff(t, n)
	s.get("/console/").mustRedirect(t, "/console/login")
	s.get("/console/login").mustStatus(t, http.StatusOK).mustContain(t, `name="username"`, `name="password"`, `autocomplete="current-password"`)
	t.Run("ErrMissingFields", func(t *testing.T) {
		s.post("/console/login").mustStatus(t, http.StatusBadRequest).
			mustContain(t, "There is a problem", `href="#username"`, "Enter your username", "Enter your password")
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		s.post("/console/login", "username", "nadia", "password", "not-her-password").mustStatus(t, http.StatusUnauthorized).
			mustContain(t, "The username or password is wrong", `value="nadia"`).mustNotContain(t, "not-her-password")
	})
	t.Run("ErrNoFormToken", func(t *testing.T) {
		s.postRaw("/console/login", "username=nadia&password=nadia-password").mustStatus(t, http.StatusForbidden).
			mustContain(t, "The form has expired")
	})
	t.Run("ErrForgedFormToken", func(t *testing.T) {
		s.postRaw("/console/login", "username=nadia&password=nadia-password&form_token=forged").mustStatus(t, http.StatusForbidden)
	})
	t.Run("ErrOversizedForm", func(t *testing.T) {
		s.postRaw("/console/login", "username=nadia&password="+strings.Repeat("x", 70<<10)).
			mustStatus(t, http.StatusRequestEntityTooLarge).mustContain(t, "The form is too large")
	})
	s.post("/console/login", "username", "NADIA", "password", "nadia-password").mustRedirect(t, "/console/")
	s.get("/console/").mustStatus(t, http.StatusOK).mustContain(t, "nadia", "Navigator", "Eastern Region", "Sign out")
	s.get("/fr/console/").mustStatus(t, http.StatusOK).mustContain(t, "Personne-ressource", "Se déconnecter")
	s.get("/console/?lang=en").mustStatus(t, http.StatusOK) // the language cookie back to English
	t.Run("RoleRefused", func(t *testing.T) {
		s.get("/console/users").mustStatus(t, http.StatusForbidden).mustContain(t, "Your role (Navigator) does not allow this page")
		s.post("/console/users", "username", "eve", "password", "eve-password", "role", "admin").mustStatus(t, http.StatusForbidden)
	})
	t.Run("LogoutNeedsItsToken", func(t *testing.T) {
		s.postRaw("/console/logout", "").mustStatus(t, http.StatusForbidden)
		s.get("/console/").mustStatus(t, http.StatusOK)
	})
	s.post("/console/logout").mustRedirect(t, "/console/login?signed_out=1")
	s.get("/console/login?signed_out=1").mustContain(t, "You have signed out")
	s.get("/console/").mustRedirect(t, "/console/login")
}

func TestConsole_Lockout(t *testing.T) {
	n := MustStartPortal(t)
	mustAddUser(t, n, "lou", o211.RoleNavigator)
	s := newStaff(t, n)
	s.get("/console/login")
	for i := 0; i < 4; i++ {
		s.post("/console/login", "username", "lou", "password", "wrong-password").mustStatus(t, http.StatusUnauthorized)
	}
	s.post("/console/login", "username", "lou", "password", "wrong-password").mustStatus(t, http.StatusTooManyRequests).
		mustContain(t, "This account is locked")
	s.post("/console/login", "username", "lou", "password", "lou-password").mustStatus(t, http.StatusTooManyRequests)
	page, err := n.Directory().Store().Audit(o211.AuditQuery{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range page.Entries {
		if strings.HasPrefix(e.Action, "signin") || e.Action == "lockout" {
			actions = append(actions, e.Action)
		}
	}
	if got := strings.Join(actions, " "); got != "signin_failed signin_failed signin_failed signin_failed lockout signin_locked" {
		t.Errorf("audit log: %s", got)
	}
}

func TestConsole_AccountAndUsers(t *testing.T) {
	n := MustStartPortal(t)
	mustAddUser(t, n, "sam", o211.RoleSupervisor)
	s := newStaff(t, n)
	s.signIn("sam")
	s.get("/console/users").mustStatus(t, http.StatusOK).mustContain(t, "Users of Eastern Region", "sam")
	t.Run("ErrRoleAboveSupervisor", func(t *testing.T) {
		s.post("/console/users", "username", "eve", "password", "eve-password", "role", "admin").
			mustStatus(t, http.StatusBadRequest).mustContain(t, "Your role cannot add a user with this role")
	})
	t.Run("ErrShortPassword", func(t *testing.T) {
		s.post("/console/users", "username", "rob", "password", "short", "role", "navigator").
			mustStatus(t, http.StatusBadRequest).mustContain(t, "Enter a password of 10 to 128 characters")
	})
	s.post("/console/users", "username", "rob", "password", "rob-password", "role", "navigator").
		mustRedirect(t, "/console/users?done=added&name=rob")
	s.get("/console/users?done=added&name=rob").mustContain(t, "rob has been added")
	rob := newStaff(t, n)
	rob.signIn("rob")
	s.post("/console/users/rob/disable", "disabled", "true").mustRedirect(t, "/console/users?done=disabled&name=rob")
	rob.get("/console/").mustRedirect(t, "/console/login?ended=1")
	rob.get("/console/login?ended=1").mustContain(t, "Your session has ended")

	s.get("/console/account").mustStatus(t, http.StatusOK)
	p := s.post("/console/account/tokens", "token_name", "nightly import", "token_role", "navigator").mustStatus(t, http.StatusOK)
	tok := regexp.MustCompile(`o211_[0-9a-f]{16}_[A-Za-z0-9_-]{43}`).FindString(p.body)
	if tok == "" {
		t.Fatalf("the new token is not shown: %.500s", p.body)
	}
	if again := s.get("/console/account"); strings.Contains(again.body, tok) || !strings.Contains(again.body, "nightly import") {
		t.Error("the token is shown twice, or not listed")
	}
	t.Run("ChangePassword", func(t *testing.T) {
		s.post("/console/account/password", "current_password", "wrong", "password", "sam-new-password", "password_confirm", "sam-new-password").
			mustStatus(t, http.StatusBadRequest).mustContain(t, "The current password is wrong")
		s.post("/console/account/password", "current_password", "sam-password", "password", "sam-new-password", "password_confirm", "sam-new-password").
			mustRedirect(t, "/console/account?done=password")
		s.get("/console/account?done=password").mustStatus(t, http.StatusOK).mustContain(t, "Your password has been changed")
	})
}
