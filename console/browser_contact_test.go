package console_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/o211/o211"
	"github.com/o211/o211/node"
)

// maxContactActions is the target for the whole contact path.
const maxContactActions = 25

// actions counts what a navigator does: each field typed into, each click,
// each key pressed (Tab, Enter, an arrow, a shortcut).
type actions struct {
	tb  testing.TB
	ctx context.Context
	n   int
	log []string
}

func (a *actions) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	a.tb.Helper()
	a.n++
	a.log = append(a.log, what)
	if err := chromedp.Do(a.ctx, steps...); err != nil {
		a.tb.Fatalf("action %d (%s): %v", a.n, what, err)
	}
}

// wait waits for what an action brings (not an action of the navigator),
// at most two minutes.
func (a *actions) wait(steps ...chromedp.Action[chromedp.Void]) {
	a.tb.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 2*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		a.tb.Fatalf("after action %d (%s): %v", a.n, a.log[len(a.log)-1], err)
	}
}

// key presses one key (with modifiers) as one action.
func (a *actions) key(what, k string, mods ...chromedp.Modifier) {
	a.tb.Helper()
	var opts []chromedp.KeyOption
	if len(mods) > 0 {
		opts = append(opts, chromedp.KeyModifiers(mods...))
	}
	a.do(what, chromedp.KeyEvent(k, opts...))
}

// focusedID returns the id of the focused element.
func focusedID(tb testing.TB, ctx context.Context) string {
	tb.Helper()
	id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// startCentral starts a second real node, of the central region, with a
// navigator carl.
func startCentral(tb testing.TB) *node.Node {
	tb.Helper()
	n := node.New(node.Config{Region: "central", DataDir: tb.TempDir(), HTTPAddr: "127.0.0.1:0", Token: "tok2",
		NoSync: true, Now: func() time.Time { return fixtureNow }, Hasher: testHasher})
	if err := n.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { n.Close() })
	mustAddUser(tb, n, "carl", o211.RoleNavigator)
	return n
}

// checkClosedContact checks what the path stored: two needs, the second
// unmet with its reason, one referral to the food bank, closed, and
// counted by the region's reports.
func checkClosedContact(t *testing.T, n *node.Node, url string, reason o211.UnmetReason) string {
	t.Helper()
	i := strings.LastIndex(url, "/console/contacts/")
	id := strings.SplitN(url[i+len("/console/contacts/"):], "?", 2)[0]
	c := mustContact(t, n, id)
	if c.Status != o211.ContactClosed || len(c.Needs) != 2 || c.Needs[0].Code != "BD-1800.2000" || c.Needs[1].Code != "BH" {
		t.Fatalf("stored contact: status %s needs %+v", c.Status, c.Needs)
	}
	if c.Needs[0].Status != o211.NeedMet || c.Needs[1].Status != o211.NeedUnmet || c.Needs[1].Reason != reason {
		t.Errorf("needs %+v, want the second unmet (%s)", c.Needs, reason)
	}
	if len(c.Referrals) != 1 || c.Referrals[0].ServiceID != banqueID {
		t.Errorf("referrals %+v, want the food bank", c.Referrals)
	}
	if got := n.Reports().Contacts(); got != 1 {
		t.Errorf("the region's reports count %d contacts, want 1", got)
	}
	if got := n.Reports().Needs(); got != 2 {
		t.Errorf("the region's reports count %d needs, want 2", got)
	}
	return id
}

// TestBrowser_ContactPath is issue 14's path, in French with the mouse: a
// navigator signs in, opens a contact, adds two needs through the
// type-ahead, searches in French, adds a referral from the results, marks
// one need unmet with its reason and closes it; the region's reports
// count it, and a navigator of another region cannot open it by URL.
func TestBrowser_ContactPath(t *testing.T) {
	b := mustStartBrowser(t)
	n := MustStartPortal(t)
	mustAddUser(t, n, "nadia", o211.RoleNavigator)
	central := startCentral(t)
	ctx := b.tab(t, false)
	a := &actions{tb: t, ctx: ctx}
	navigate(t, ctx, n.URL()+"/fr/console/login")
	a.do("type the username", chromedp.SendKeys(chromedp.CSS("#username"), "nadia"))
	a.do("type the password", chromedp.SendKeys(chromedp.CSS("#password"), "nadia-password"))
	a.key("Enter: sign in", "\r")
	a.wait(chromedp.WaitVisible(chromedp.CSS("#nav-new-contact")))
	a.do("click New contact", chromedp.Click(chromedp.CSS("#nav-new-contact")))
	a.wait(chromedp.WaitVisible(chromedp.CSS("#need_q")))
	screenshot(t, ctx, "contact-new-fr")
	a.do("type a need", chromedp.SendKeys(chromedp.CSS("#need_q"), "banq alim"))
	a.wait(chromedp.WaitVisible(chromedp.CSS("#need_q-list [role=option]")))
	if got := text(t, ctx, "#need_q-list [role=option] .o211-suggest__name"); got != "Banques alimentaires" {
		t.Errorf("first suggestion %q", got)
	}
	screenshot(t, ctx, "contact-typeahead-fr")
	a.do("click the suggestion", chromedp.Click(chromedp.CSS("#need_q-list [role=option]")))
	a.wait(chromedp.WaitVisible(chromedp.CSS("#outcome_0")))
	a.do("type a second need", chromedp.SendKeys(chromedp.CSS("#need_q"), "logement"))
	a.wait(chromedp.WaitVisible(chromedp.CSS(`#need_q-list [data-value="BH"]`)))
	a.do("click the suggestion", chromedp.Click(chromedp.CSS(`#need_q-list [data-value="BH"]`)))
	a.wait(chromedp.WaitVisible(chromedp.CSS("#outcome_1")))
	a.do("type the search", chromedp.SendKeys(chromedp.CSS("#s_q"), "banque alimentaire"))
	a.do("type the postal code", chromedp.SendKeys(chromedp.CSS("#s_near"), "K1N 6N5"))
	a.key("Enter: search", "\r")
	a.wait(chromedp.WaitVisible(chromedp.CSS("#results")))
	if got := text(t, ctx, "#results"); !strings.Contains(got, "trouvé") {
		t.Errorf("results heading %q", got)
	}
	screenshot(t, ctx, "contact-results-fr")
	a.do("click Add as referral", chromedp.Click(chromedp.CSS(".o211-add-referral")))
	a.wait(chromedp.WaitVisible(chromedp.CSS(".o211-refs")))
	a.do("choose the second need's outcome", chromedp.SetValue(chromedp.CSS("#outcome_1"), "unmet:not-available"))
	a.do("click Close contact", chromedp.Click(chromedp.CSS("#close-contact")))
	a.wait(chromedp.WaitVisible(chromedp.CSS("#record")))
	screenshot(t, ctx, "contact-closed-fr")
	t.Logf("the contact path took %d actions: %s", a.n, strings.Join(a.log, "; "))
	if a.n > maxContactActions {
		t.Errorf("the contact path took %d actions, the target is at most %d", a.n, maxContactActions)
	}
	id := checkClosedContact(t, n, location(t, ctx), o211.ReasonNotAvailable)
	if got := text(t, ctx, "#record-needs tbody"); !strings.Contains(got, "Non comblé : Aucun service disponible") {
		t.Errorf("the record's needs read %q", got)
	}

	// carl, of the central region, cannot open it: not on his node, and
	// his session does not open the east node.
	other := b.tab(t, false)
	signInBrowser(t, other, central.URL()+"/fr", "carl", "carl-password")
	for _, base := range []string{central.URL(), n.URL()} {
		resp, err := chromedp.RunResponse(other, chromedp.Navigate(base+"/fr/console/contacts/"+id))
		if err != nil {
			t.Fatal(err)
		}
		if base == central.URL() && resp.Status != http.StatusNotFound {
			t.Errorf("carl opened the contact on his node: status %d", resp.Status)
		}
		if base == n.URL() && !strings.Contains(location(t, other), "/console/login") {
			t.Errorf("carl's session opened the east node's contact: at %s (status %d)", location(t, other), resp.Status)
		}
	}
	if strings.Contains(text(t, other, "main"), "Banques alimentaires") {
		t.Error("carl saw the contact's needs")
	}
}

// TestBrowser_ContactKeyboardOnly takes the same path with the keyboard
// alone: key presses and typing, never a mouse event, in English.
func TestBrowser_ContactKeyboardOnly(t *testing.T) {
	b := mustStartBrowser(t)
	n := MustStartPortal(t)
	mustAddUser(t, n, "nadia", o211.RoleNavigator)
	ctx := b.tab(t, false)
	a := &actions{tb: t, ctx: ctx}
	navigate(t, ctx, n.URL()+"/console/login")
	tabTo(t, a, "username")
	a.key("type the username", "nadia")
	a.key("Tab", "\t")
	a.key("type the password", "nadia-password")
	a.key("Enter: sign in", "\r")
	a.wait(chromedp.WaitVisible(chromedp.CSS("body.o211-js #nav-new-contact")))
	a.key("Alt+W: new contact", "w", chromedp.ModifierAlt)
	a.wait(chromedp.WaitVisible(chromedp.CSS("body.o211-js #need_q")))
	a.key("Alt+N: need field", "n", chromedp.ModifierAlt)
	if id := focusedID(t, ctx); id != "need_q" {
		t.Fatalf("Alt+N focused %q, want need_q", id)
	}
	pickNeed(t, a, "food bank", "#outcome_0")
	pickNeed(t, a, "housing", "#outcome_1")
	a.key("Alt+R: search field", "r", chromedp.ModifierAlt)
	a.key("type the search", "banque")
	a.key("Tab", "\t")
	if id := focusedID(t, ctx); id != "s_near" {
		t.Fatalf("Tab from the search went to %q, want s_near", id)
	}
	a.key("type the postal code", "K1N 6N5")
	a.key("Enter: search", "\r")
	a.wait(chromedp.WaitVisible(chromedp.CSS("body.o211-js #results")))
	a.key("Enter: add the first result as referral", "\r")
	a.wait(chromedp.WaitVisible(chromedp.CSS("body.o211-js .o211-refs")))
	a.key("Alt+N: need field", "n", chromedp.ModifierAlt)
	a.key("Shift+Tab", "\t", chromedp.ModifierShift)
	a.key("Shift+Tab", "\t", chromedp.ModifierShift)
	if id := focusedID(t, ctx); id != "outcome_1" {
		t.Fatalf("two Shift+Tab from the need field went to %q, want outcome_1", id)
	}
	a.key("ArrowDown: first reason", kb.ArrowDown)
	a.key("Alt+X: close", "x", chromedp.ModifierAlt)
	a.wait(chromedp.WaitVisible(chromedp.CSS("#record")))
	t.Logf("keyboard only: %d actions: %s", a.n, strings.Join(a.log, "; "))
	if a.n > maxContactActions {
		t.Errorf("the keyboard path took %d actions, the target is at most %d", a.n, maxContactActions)
	}
	checkClosedContact(t, n, location(t, ctx), o211.ReasonNotEligible)
}

// tabTo presses Tab until the element id has the focus.
func tabTo(t *testing.T, a *actions, id string) {
	t.Helper()
	for range 30 {
		if focusedID(t, a.ctx) == id {
			return
		}
		a.key("Tab", "\t")
	}
	t.Fatalf("30 Tabs never reached #%s", id)
}

// pickNeed types a need, moves to the first suggestion and chooses it.
func pickNeed(t *testing.T, a *actions, words, then string) {
	t.Helper()
	a.key("type a need", words)
	a.wait(chromedp.WaitVisible(chromedp.CSS("#need_q-list [role=option]")))
	a.key("ArrowDown", kb.ArrowDown)
	a.key("Enter: choose", "\r")
	a.wait(chromedp.WaitVisible(chromedp.CSS("body.o211-js " + then)))
	if id := focusedID(t, a.ctx); id != "need_q" {
		t.Errorf("after adding a need the focus is on %q, want need_q", id)
	}
}

// TestBrowser_ContactPagesAccessible runs axe-core over the contact pages,
// in English and French, and saves their screenshots.
func TestBrowser_ContactPagesAccessible(t *testing.T) {
	for _, lang := range []string{"en", "fr"} {
		t.Run(lang, func(t *testing.T) { contactPagesAccessible(t, lang) })
	}
}

func contactPagesAccessible(t *testing.T, lang string) {
	b := mustStartBrowser(t)
	n := MustStartPortal(t)
	mustAddUser(t, n, "nadia", o211.RoleNavigator)
	mustAddUser(t, n, "sam", o211.RoleSupervisor)
	ctx := b.tab(t, false)
	pre := n.URL()
	if lang == "fr" {
		pre += "/fr"
	}
	signInBrowser(t, ctx, pre, "nadia", "nadia-password")
	staffPage(t, ctx, pre+"/console/contacts/new", "contact-new-"+lang)
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#email"), "not-an-address"),
		chromedp.SendKeys(chromedp.CSS("#need_q"), "zzzz")); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, "#save")
	checkAxe(t, ctx)
	screenshot(t, ctx, "contact-errors-"+lang)
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#email"), "ana@example.com"), chromedp.SetValue(chromedp.CSS("#need_q"), "food"),
		chromedp.SetValue(chromedp.CSS("#first_name"), "Ana"), chromedp.Click(chromedp.CSS("#consent_follow_up")),
		chromedp.SetValue(chromedp.CSS("#follow_up"), "2026-12-07")); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, "#add-need")
	checkAxe(t, ctx)
	screenshot(t, ctx, "contact-choices-"+lang)
	press(t, ctx, `button[name=add_need]`)
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#s_q"), "food"), chromedp.SetValue(chromedp.CSS("#s_near"), "K1N 6N5")); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, "#search-button")
	press(t, ctx, ".o211-add-referral")
	press(t, ctx, `button[name=detail]`)
	checkAxe(t, ctx)
	screenshot(t, ctx, "contact-workspace-"+lang)
	u := location(t, ctx)
	staffPage(t, ctx, pre+"/console/followups", "followups-"+lang)
	staffPage(t, ctx, pre+"/console/contacts", "contacts-"+lang)
	navigate(t, ctx, u)
	press(t, ctx, "#close-contact")
	checkAxe(t, ctx)
	screenshot(t, ctx, "contact-record-"+lang)
	submit(t, ctx, "#sign-out")
	signInBrowser(t, ctx, pre, "sam", "sam-password")
	staffPage(t, ctx, pre+"/console/region", "region-"+lang)
	staffPage(t, ctx, pre+"/console/audit", "audit-"+lang)
}

// press presses a button through the DOM (so that the form sends it,
// wherever the button is laid out at that moment) and waits for the page
// that answers.
func press(tb testing.TB, ctx context.Context, sel string) {
	tb.Helper()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	js := "document.querySelector(" + strconv.Quote(sel) + ").click()"
	if _, err := chromedp.RunResponse(cctx, chromedp.WaitReady(chromedp.CSS(sel)), chromedp.Evaluate[chromedp.Void](js)); err != nil {
		tb.Fatalf("pressing %s: %v", sel, err)
	}
}
