package auth_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/auth"
	"github.com/o211/o211/node/store"
)

// fastParams keep the tests' hashes cheap; the benchmark uses the defaults.
var fastParams = auth.Params{Memory: 1024, Time: 1, Threads: 1}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a service over a real regional store.
type fixture struct {
	st    *store.Store
	svc   *auth.Service
	clock *clock
}

func mustOpenService(tb testing.TB, region string) *fixture {
	tb.Helper()
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	st, err := store.Open(tb.TempDir()+"/node.db", store.Options{Region: region, NoSync: true, Now: c.Now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	svc := auth.New(auth.Config{Region: region, Users: st, Sessions: st, Hasher: auth.NewHasher(fastParams, 2), Now: c.Now})
	return &fixture{st: st, svc: svc, clock: c}
}

func (f *fixture) mustAddUser(tb testing.TB, name string, role o211.Role) *o211.User {
	tb.Helper()
	u, err := f.svc.AddUser(context.Background(), o211.System("test"), name, name+"-secret-pw", role)
	if err != nil {
		tb.Fatalf("add user %s: %v", name, err)
	}
	return u
}

// signIn posts a sign-in and returns the session cookie set, if any.
func (f *fixture) signIn(tb testing.TB, name, password string, carry ...*http.Cookie) (*http.Cookie, error) {
	tb.Helper()
	r := httptest.NewRequest("POST", "/console/login", nil)
	for _, c := range carry {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	_, err := f.svc.SignIn(w, r, name, password)
	for _, c := range w.Result().Cookies() {
		if strings.HasSuffix(c.Name, "o211_session") && c.MaxAge >= 0 {
			return c, err
		}
	}
	return nil, err
}

func (f *fixture) mustSignIn(tb testing.TB, name string) *http.Cookie {
	tb.Helper()
	c, err := f.signIn(tb, name, strings.ToLower(strings.TrimSpace(name))+"-secret-pw")
	if err != nil || c == nil {
		tb.Fatalf("sign in %s: cookie %v, err %v", name, c, err)
	}
	return c
}

// who authenticates a GET carrying cookie.
func (f *fixture) who(tb testing.TB, c *http.Cookie) (o211.Actor, bool) {
	tb.Helper()
	r := httptest.NewRequest("GET", "/console/", nil)
	r.AddCookie(c)
	a, ok, err := f.svc.Authenticate(r)
	if err != nil {
		tb.Fatalf("authenticate: %v", err)
	}
	return a, ok
}

func TestHasher(t *testing.T) {
	h := auth.NewHasher(fastParams, 1)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q does not state argon2id and its costs", enc)
	}
	if ok, err := h.Verify(ctx, enc, "correct horse battery"); !ok || err != nil {
		t.Fatalf("right password: ok %v err %v", ok, err)
	}
	if ok, _ := h.Verify(ctx, enc, "correct horse batterz"); ok {
		t.Fatal("a wrong password verified")
	}
	enc2, _ := h.Hash(ctx, "correct horse battery")
	if enc2 == enc {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"} {
		if _, err := h.Verify(ctx, bad, "x"); err == nil {
			t.Errorf("Verify(%q) accepted a malformed or too costly hash", bad)
		}
	}
	if !auth.NewHasher(auth.DefaultParams, 1).Outdated(enc) || h.Outdated(enc) {
		t.Error("Outdated does not compare the costs")
	}
}

func TestSignIn_SessionCookie(t *testing.T) {
	f := mustOpenService(t, "east")
	u := f.mustAddUser(t, "nadia", o211.RoleNavigator)
	c := f.mustSignIn(t, "Nadia ")
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Name != "o211_session" {
		t.Errorf("plain HTTP cookie %+v: want HttpOnly, SameSite=Lax, not Secure, o211_session", c)
	}
	a, ok := f.who(t, c)
	if !ok || a.ID != u.ID || a.Role != o211.RoleNavigator || a.Region != "east" || a.Username != "nadia" {
		t.Fatalf("actor %+v ok %v, want nadia navigator of east", a, ok)
	}

	t.Run("SecureOverTLS", func(t *testing.T) {
		r := httptest.NewRequest("POST", "https://east.example/console/login", nil)
		r.TLS = &tls.ConnectionState{}
		w := httptest.NewRecorder()
		if _, err := f.svc.SignIn(w, r, "nadia", "nadia-secret-pw"); err != nil {
			t.Fatal(err)
		}
		got := w.Result().Cookies()[0]
		if got.Name != "__Host-o211_session" || !got.Secure || got.Path != "/" || got.Domain != "" {
			t.Errorf("TLS cookie %+v: want __Host-o211_session, Secure, Path=/", got)
		}
	})
	t.Run("RotatedAtSignIn", func(t *testing.T) {
		old := f.mustSignIn(t, "nadia")
		fresh, err := f.signIn(t, "nadia", "nadia-secret-pw", old)
		if err != nil || fresh.Value == old.Value {
			t.Fatalf("second sign-in: %v, same value %v", err, fresh.Value == old.Value)
		}
		if _, ok := f.who(t, old); ok {
			t.Error("the session carried to a new sign-in still works")
		}
		if _, ok := f.who(t, fresh); !ok {
			t.Error("the new session does not work")
		}
	})
	t.Run("SignOut", func(t *testing.T) {
		s := f.mustSignIn(t, "nadia")
		r := httptest.NewRequest("POST", "/console/logout", nil)
		r.AddCookie(s)
		if err := f.svc.SignOut(httptest.NewRecorder(), r); err != nil {
			t.Fatal(err)
		}
		if _, ok := f.who(t, s); ok {
			t.Error("a signed-out session still works")
		}
	})
	t.Run("ForgedCookie", func(t *testing.T) {
		if _, ok := f.who(t, &http.Cookie{Name: "o211_session", Value: strings.Repeat("A", 43)}); ok {
			t.Error("a made-up session value was accepted")
		}
	})
}

func TestSignIn_Expiry(t *testing.T) {
	f := mustOpenService(t, "east")
	f.mustAddUser(t, "nadia", o211.RoleNavigator)
	t.Run("Idle", func(t *testing.T) {
		c := f.mustSignIn(t, "nadia")
		f.clock.Add(29 * time.Minute)
		if _, ok := f.who(t, c); !ok {
			t.Fatal("session ended before its idle timeout")
		}
		f.clock.Add(29 * time.Minute) // used 29 min ago: still alive
		if _, ok := f.who(t, c); !ok {
			t.Fatal("a session in use ended at the idle timeout of its start")
		}
		f.clock.Add(31 * time.Minute)
		if _, ok := f.who(t, c); ok {
			t.Fatal("session outlived 31 idle minutes")
		}
		r := httptest.NewRequest("GET", "/console/", nil)
		r.AddCookie(c)
		if !f.svc.SessionEnded(r) {
			t.Error("SessionEnded false for an expired session's cookie")
		}
	})
	t.Run("Absolute", func(t *testing.T) {
		c := f.mustSignIn(t, "nadia")
		for used := 25 * time.Minute; used < 12*time.Hour; used += 25 * time.Minute { // busy all day
			f.clock.Add(25 * time.Minute)
			if _, ok := f.who(t, c); !ok {
				t.Fatalf("session in use ended after %v", used)
			}
		}
		f.clock.Add(25 * time.Minute)
		if _, ok := f.who(t, c); ok {
			t.Error("session outlived its 12 h maximum age")
		}
	})
}

func TestSignIn_Lockout(t *testing.T) {
	f := mustOpenService(t, "east")
	f.mustAddUser(t, "nadia", o211.RoleNavigator)
	for i := 1; i <= 4; i++ {
		if _, err := f.signIn(t, "nadia", "wrong-password-"+string(rune('0'+i))); !errors.Is(err, o211.ErrWrongCredentials) {
			t.Fatalf("failure %d: %v, want ErrWrongCredentials", i, err)
		}
	}
	if _, err := f.signIn(t, "nadia", "wrong-again-5"); !errors.Is(err, o211.ErrAccountLocked) {
		t.Fatalf("fifth failure: %v, want ErrAccountLocked", err)
	}
	if _, err := f.signIn(t, "nadia", "nadia-secret-pw"); !errors.Is(err, o211.ErrAccountLocked) {
		t.Fatalf("right password while locked: %v, want ErrAccountLocked", err)
	}
	f.clock.Add(16 * time.Minute)
	f.mustSignIn(t, "nadia")
	if _, err := f.signIn(t, "nobody", "whatever-pw"); !errors.Is(err, o211.ErrWrongCredentials) {
		t.Fatalf("unknown user: %v", err)
	}
	page, err := f.st.Audit(o211.AuditQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range page.Entries {
		if strings.HasPrefix(e.Action, "signin") || e.Action == "lockout" {
			got = append(got, e.Action)
		}
	}
	want := "signin_failed signin_failed signin_failed signin_failed lockout signin_locked signin signin_failed"
	if strings.Join(got, " ") != want {
		t.Errorf("audit log sign-ins:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	t.Run("NewPasswordUnlocks", func(t *testing.T) {
		f.mustAddUser(t, "lou", o211.RoleNavigator)
		for i := 0; i < 5; i++ {
			_, _ = f.signIn(t, "lou", "wrong-password")
		}
		if _, err := f.svc.SetPassword(context.Background(), o211.System("test"), "lou", "lou-new-password"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.signIn(t, "lou", "lou-new-password"); err != nil {
			t.Errorf("sign-in after a supervisor set a new password: %v", err)
		}
	})
}

func TestAuthenticate_FormToken(t *testing.T) {
	f := mustOpenService(t, "east")
	f.mustAddUser(t, "nadia", o211.RoleNavigator)
	c := f.mustSignIn(t, "nadia")
	get := httptest.NewRequest("GET", "/console/account", nil)
	get.AddCookie(c)
	token := f.svc.FormToken(httptest.NewRecorder(), get)
	post := func(body string) error {
		r := httptest.NewRequest("POST", "/console/account/tokens", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(c)
		_, _, err := f.svc.Authenticate(r)
		return err
	}
	if err := post("name=x&" + auth.FormField + "=" + url.QueryEscape(token)); err != nil {
		t.Fatalf("form with its token: %v", err)
	}
	for name, body := range map[string]string{
		"Missing": "name=x",
		"Forged":  "name=x&" + auth.FormField + "=" + strings.Repeat("x", len(token)),
	} {
		if err := post(body); !errors.Is(err, o211.ErrFormToken) {
			t.Errorf("%s token: %v, want ErrFormToken", name, err)
		}
	}
	if err := post(auth.FormField + "=" + strings.Repeat("a", auth.MaxFormBytes)); o211.ErrorCode(err) != o211.ETOOLARGE {
		t.Errorf("oversized form: %v, want ETOOLARGE", err)
	}
	t.Run("SignInForm", func(t *testing.T) {
		w := httptest.NewRecorder()
		tok := f.svc.FormToken(w, httptest.NewRequest("GET", "/console/login", nil))
		r := httptest.NewRequest("POST", "/console/login", strings.NewReader(auth.FormField+"="+url.QueryEscape(tok)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, ck := range w.Result().Cookies() {
			r.AddCookie(ck)
		}
		if err := f.svc.CheckSignInForm(r); err != nil {
			t.Errorf("sign-in form with its cookie: %v", err)
		}
		r2 := httptest.NewRequest("POST", "/console/login", strings.NewReader(auth.FormField+"="+url.QueryEscape(tok)))
		r2.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := f.svc.CheckSignInForm(r2); !errors.Is(err, o211.ErrFormToken) {
			t.Errorf("sign-in form without its cookie: %v, want ErrFormToken", err)
		}
	})
}

func TestTokens(t *testing.T) {
	f := mustOpenService(t, "east")
	ctx := context.Background()
	nav := f.mustAddUser(t, "nadia", o211.RoleNavigator)
	sup := f.mustAddUser(t, "sam", o211.RoleSupervisor)
	bearer := func(tok string) (o211.Actor, bool, error) {
		r := httptest.NewRequest("GET", "/api/v1/contacts", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		return f.svc.Authenticate(r)
	}
	tok, rec, err := f.svc.CreateToken(ctx, nav.Actor(), "script", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Hash != "" || strings.Contains(tok, "-secret-pw") {
		t.Fatalf("token record served with its hash: %+v", rec)
	}
	stored, _ := f.st.Token(ctx, rec.ID)
	if strings.Contains(stored.Hash, tok[len(tok)-20:]) || stored.Hash == "" {
		t.Fatal("the token's secret is stored as is")
	}
	if a, ok, err := bearer(tok); err != nil || !ok || a.ID != nav.ID || a.Role != o211.RoleNavigator {
		t.Fatalf("token: actor %+v ok %v err %v", a, ok, err)
	}
	if _, _, err := f.svc.CreateToken(ctx, nav.Actor(), "escalate", o211.RoleAdmin, nil); o211.ErrorCode(err) != o211.EFORBIDDEN {
		t.Errorf("navigator making an admin token: %v, want EFORBIDDEN", err)
	}
	stok, _, err := f.svc.CreateToken(ctx, sup.Actor(), "as navigator", o211.RoleNavigator, nil)
	if a, _, _ := bearer(stok); err != nil || a.Role != o211.RoleNavigator || a.ID != sup.ID {
		t.Errorf("supervisor's navigator-scoped token acts as %+v (%v)", a, err)
	}
	if _, _, err := bearer(tok[:len(tok)-1] + "x"); o211.ErrorCode(err) != o211.EUNAUTHORIZED {
		t.Errorf("a token with a wrong secret: %v, want EUNAUTHORIZED", err)
	}
	other := mustOpenService(t, "west")
	r := httptest.NewRequest("GET", "/api/v1/contacts", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if _, _, err := other.svc.Authenticate(r); o211.ErrorCode(err) != o211.EUNAUTHORIZED {
		t.Errorf("east's token at west: %v, want EUNAUTHORIZED", err)
	}
	if _, err := f.svc.SetDisabled(ctx, sup.Actor(), "nadia", true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := bearer(tok); o211.ErrorCode(err) != o211.EUNAUTHORIZED {
		t.Errorf("a disabled user's token: %v, want EUNAUTHORIZED", err)
	}
	if _, err := f.svc.SetDisabled(ctx, sup.Actor(), "nadia", false); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RevokeToken(ctx, sup.Actor(), rec.ID); o211.ErrorCode(err) != o211.ENOTFOUND {
		t.Errorf("supervisor revoking another's token: %v, want ENOTFOUND", err)
	}
	if err := f.svc.RevokeToken(ctx, nav.Actor(), rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := bearer(tok); o211.ErrorCode(err) != o211.EUNAUTHORIZED {
		t.Errorf("a revoked token: %v, want EUNAUTHORIZED", err)
	}
}

func TestAccounts(t *testing.T) {
	f := mustOpenService(t, "east")
	ctx := context.Background()
	sup := f.mustAddUser(t, "sam", o211.RoleSupervisor)
	nav := f.mustAddUser(t, "nadia", o211.RoleNavigator)
	cases := []struct {
		name           string
		user, password string
		role           o211.Role
		code           string
	}{
		{"ErrRoleNotCovered", "eve", "long-enough-pw", o211.RoleAdmin, o211.EFORBIDDEN},
		{"ErrUsernameTaken", "NADIA", "long-enough-pw", o211.RoleNavigator, o211.ECONFLICT},
		{"ErrShortPassword", "rob", "short", o211.RoleNavigator, o211.EINVALID},
		{"ErrBadUsername", "a b", "long-enough-pw", o211.RoleNavigator, o211.EINVALID},
		{"ErrUnknownRole", "rob", "long-enough-pw", "boss", o211.EINVALID},
		{"OK", "rob", "long-enough-pw", o211.RoleResourceSpecialist, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.AddUser(ctx, sup.Actor(), tc.user, tc.password, tc.role)
			if got := o211.ErrorCode(err); got != tc.code {
				t.Errorf("AddUser: code %q (%v), want %q", got, err, tc.code)
			}
		})
	}
	if _, err := f.svc.Users(ctx, nav.Actor()); o211.ErrorCode(err) != o211.EFORBIDDEN {
		t.Errorf("a navigator listing users: %v, want EFORBIDDEN", err)
	}
	us, err := f.svc.Users(ctx, sup.Actor())
	if err != nil || len(us) != 3 || us[0].PasswordHash != "" {
		t.Fatalf("users: %d (%v), hashes hidden %v", len(us), err, len(us) > 0 && us[0].PasswordHash == "")
	}
	t.Run("ChangePasswordEndsOtherSessions", func(t *testing.T) {
		c := f.mustSignIn(t, "nadia")
		f.clock.Add(time.Second)
		if _, err := f.svc.ChangePassword(ctx, nav.Actor(), "wrong", "a-new-password"); o211.ErrorCode(err) != o211.EINVALID {
			t.Errorf("wrong current password: %v", err)
		}
		if _, err := f.svc.ChangePassword(ctx, nav.Actor(), "nadia-secret-pw", "a-new-password"); err != nil {
			t.Fatal(err)
		}
		if _, ok := f.who(t, c); ok {
			t.Error("a session begun before the password change still works")
		}
		if _, err := f.signIn(t, "nadia", "a-new-password"); err != nil {
			t.Errorf("sign in with the new password: %v", err)
		}
	})
	if _, err := f.svc.SetDisabled(ctx, sup.Actor(), "sam", true); o211.ErrorCode(err) != o211.EFORBIDDEN {
		t.Errorf("disabling oneself: %v, want EFORBIDDEN", err)
	}
}

// TestAccounts_Qualifications: a supervisor gives a navigator languages
// and skills, stored with the user (trimmed, lower case, once each); a
// nil list is left as it is; nobody gives them to themselves, a
// navigator to anyone, a supervisor to an administrator; bad words are
// refused naming the field.
func TestAccounts_Qualifications(t *testing.T) {
	f := mustOpenService(t, "east")
	ctx := context.Background()
	sup := f.mustAddUser(t, "sam", o211.RoleSupervisor)
	nav := f.mustAddUser(t, "nadia", o211.RoleNavigator)
	f.mustAddUser(t, "ada", o211.RoleAdmin)
	u, err := f.svc.SetQualifications(ctx, sup.Actor(), "nadia", []string{" FR", "en", "fr"}, []string{"crisis"})
	if err != nil || !slices.Equal(u.Languages, []string{"fr", "en"}) || !slices.Equal(u.Skills, []string{"crisis"}) {
		t.Fatalf("set: %+v, %v; want fr, en and crisis", u, err)
	}
	if u, err = f.svc.SetQualifications(ctx, sup.Actor(), "nadia", nil, []string{}); err != nil || len(u.Languages) != 2 || len(u.Skills) != 0 {
		t.Fatalf("skills cleared, languages left: %+v, %v", u, err)
	}
	stored, err := f.st.UserByName(ctx, "nadia")
	if err != nil || !slices.Equal(stored.GrantedLanguages(), []string{"fr", "en"}) {
		t.Fatalf("stored: %+v, %v", stored, err)
	}
	for _, tc := range []struct {
		name  string
		a     o211.Actor
		user  string
		langs []string
		code  string
		field string
	}{
		{"Self", sup.Actor(), "sam", []string{"fr"}, o211.EFORBIDDEN, ""},
		{"NavigatorForOthers", nav.Actor(), "sam", []string{"fr"}, o211.EFORBIDDEN, ""},
		{"SupervisorForAdmin", sup.Actor(), "ada", []string{"fr"}, o211.EFORBIDDEN, ""},
		{"NotAWord", sup.Actor(), "nadia", []string{"français!"}, o211.EINVALID, "languages"},
		{"Unknown", sup.Actor(), "nobody", []string{"fr"}, o211.ENOTFOUND, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.SetQualifications(ctx, tc.a, tc.user, tc.langs, nil)
			var e *o211.Error
			if o211.ErrorCode(err) != tc.code || (tc.field != "" && (!errors.As(err, &e) || e.Field != tc.field)) {
				t.Fatalf("got %v; want %s on %q", err, tc.code, tc.field)
			}
		})
	}
}
