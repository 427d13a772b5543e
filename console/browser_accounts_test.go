package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/o211/o211"
)

// signInBrowser fills and submits the sign-in form in the tab.
func signInBrowser(tb testing.TB, ctx context.Context, base, username, password string) {
	tb.Helper()
	navigate(tb, ctx, base+"/console/login")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#username"), username),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
	); err != nil {
		tb.Fatal(err)
	}
	submit(tb, ctx, "#password")
}

// submit submits the form of the element sel and waits for the page that
// answers it.
func submit(tb testing.TB, ctx context.Context, sel string) {
	tb.Helper()
	if _, err := chromedp.RunResponse(ctx, chromedp.Submit(chromedp.CSS(sel))); err != nil {
		tb.Fatalf("submitting %s: %v", sel, err)
	}
}

func location(tb testing.TB, ctx context.Context) string {
	tb.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// checkAxe fails the test on a serious or critical axe-core violation.
func checkAxe(t *testing.T, ctx context.Context) {
	t.Helper()
	for _, v := range runAxe(t, ctx) {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("axe %s (%s): %s at %v", v.ID, v.Impact, v.Help, v.Nodes)
		}
	}
}

// TestBrowser_SignInAndOut: a navigator opens the console, is sent to sign
// in, signs in with JavaScript off, sees who they are, and signs out.
func TestBrowser_SignInAndOut(t *testing.T) {
	b := mustStartBrowser(t)
	n := MustStartPortal(t)
	mustAddUser(t, n, "nadia", o211.RoleNavigator)
	ctx := b.tab(t, true)
	navigate(t, ctx, n.URL()+"/console/")
	if loc := location(t, ctx); loc != n.URL()+"/console/login" {
		t.Fatalf("the console sent a stranger to %s", loc)
	}
	signInBrowser(t, ctx, n.URL(), "nadia", "nadia-password")
	if loc := location(t, ctx); loc != n.URL()+"/console/" {
		t.Fatalf("signed in, the browser is at %s", loc)
	}
	if got := text(t, ctx, "#role"); got != "Navigator" {
		t.Errorf("role shown %q", got)
	}
	screenshot(t, ctx, "console-home-en")
	submit(t, ctx, "#sign-out")
	if got := text(t, ctx, "[role=status]"); got != "You have signed out." {
		t.Errorf("after signing out: %q", got)
	}
	navigate(t, ctx, n.URL()+"/console/account")
	if loc := location(t, ctx); loc != n.URL()+"/console/login" {
		t.Errorf("after signing out, the account page went to %s", loc)
	}
}

// TestBrowser_Lockout: five wrong passwords lock the account, and the
// right one is then refused too.
func TestBrowser_Lockout(t *testing.T) {
	b := mustStartBrowser(t)
	n := MustStartPortal(t)
	mustAddUser(t, n, "lou", o211.RoleNavigator)
	ctx := b.tab(t, true)
	for i := 0; i < 5; i++ {
		signInBrowser(t, ctx, n.URL(), "lou", "wrong-password")
	}
	if got := text(t, ctx, ".govuk-error-summary__list"); !strings.Contains(got, "This account is locked") {
		t.Errorf("after five failures: %q", got)
	}
	signInBrowser(t, ctx, n.URL(), "lou", "lou-password")
	if got := text(t, ctx, ".govuk-error-summary__list"); !strings.Contains(got, "This account is locked") {
		t.Errorf("right password while locked: %q", got)
	}
	screenshot(t, ctx, "login-locked-en")
}

// TestBrowser_RoleRefused: a navigator who opens the users page is told
// their role does not allow it.
func TestBrowser_RoleRefused(t *testing.T) {
	b := mustStartBrowser(t)
	n := MustStartPortal(t)
	mustAddUser(t, n, "nadia", o211.RoleNavigator)
	ctx := b.tab(t, true)
	signInBrowser(t, ctx, n.URL(), "nadia", "nadia-password")
	navigate(t, ctx, n.URL()+"/console/users")
	if got := text(t, ctx, "h1"); got != "You cannot open this page" {
		t.Errorf("users page for a navigator: h1 %q", got)
	}
	screenshot(t, ctx, "role-refused-en")
}

// TestBrowser_StaffPagesAccessible runs axe-core over the sign-in page (and
// its errors), the console home, the users page, the account page with a
// new token and the page refusing a role, in English and French (a browser
// each: the harness gives a browser two minutes), and saves their
// screenshots.
func TestBrowser_StaffPagesAccessible(t *testing.T) {
	for _, lang := range []string{"en", "fr"} {
		t.Run(lang, func(t *testing.T) { staffPagesAccessible(t, lang) })
	}
}

func staffPagesAccessible(t *testing.T, lang string) {
	b := mustStartBrowser(t)
	n := MustStartPortal(t)
	mustAddUser(t, n, "sam", o211.RoleSupervisor)
	mustAddUser(t, n, "nadia", o211.RoleNavigator)
	ctx := b.tab(t, false)
	pre := n.URL()
	if lang == "fr" {
		pre += "/fr"
	}
	staffPage(t, ctx, pre+"/console/login", "login-"+lang)
	signInBrowser(t, ctx, pre, "sam", "wrong-password")
	checkAxe(t, ctx)
	screenshot(t, ctx, "login-error-"+lang)
	signInBrowser(t, ctx, pre, "sam", "sam-password")
	staffPage(t, ctx, pre+"/console/", "console-home-"+lang)
	staffPage(t, ctx, pre+"/console/users", "users-"+lang)
	navigate(t, ctx, pre+"/console/account")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#token_name"), "import")); err != nil {
		t.Fatal(err)
	}
	submit(t, ctx, "#token_name")
	checkAxe(t, ctx)
	screenshot(t, ctx, "account-token-"+lang)
	submit(t, ctx, "#sign-out")
	signInBrowser(t, ctx, pre, "nadia", "nadia-password")
	staffPage(t, ctx, pre+"/console/users", "role-refused-"+lang)
}

func staffPage(t *testing.T, ctx context.Context, u, name string) {
	t.Helper()
	navigate(t, ctx, u)
	checkAxe(t, ctx)
	screenshot(t, ctx, name)
}
