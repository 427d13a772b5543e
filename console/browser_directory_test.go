package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/o211/o211"
)

// TestBrowser_DirectoryEditHours: a resource specialist finds a service,
// opens its Monday hours, adds Tuesday and an earlier opening, saves, and
// the portal's service page shows Tuesday open.
func TestBrowser_DirectoryEditHours(t *testing.T) {
	b := mustStartBrowser(t)
	n := MustStartPortal(t)
	mustAddUser(t, n, "rita", o211.RoleResourceSpecialist)
	ctx := b.tab(t, false)
	tuesday := "table.govuk-table tbody tr:nth-child(2) td"
	navigate(t, ctx, n.URL()+"/services/"+banqueID)
	if got := text(t, ctx, tuesday); got != "Closed" {
		t.Fatalf("before the edit, Tuesday shows %q", got)
	}
	signInBrowser(t, ctx, n.URL(), "rita", "rita-password")
	navigate(t, ctx, n.URL()+"/console/directory")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#dir-q"), "banque")); err != nil {
		t.Fatal(err)
	}
	submit(t, ctx, "#dir-q")
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`#dir-results a`))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`a[href$="/schedule/`+banqueMondayID+`"]`))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#f-byday-TU")), chromedp.SetValue(chromedp.CSS("#f-opens_at"), "08:00")); err != nil {
		t.Fatal(err)
	}
	submit(t, ctx, "#f-opens_at")
	if loc := location(t, ctx); !strings.HasSuffix(loc, "/console/directory/service/"+banqueID+"?done=saved") {
		t.Fatalf("after saving, the browser is at %s", loc)
	}
	if got := text(t, ctx, "[role=status]"); got != "Your changes have been saved." {
		t.Errorf("after saving: %q", got)
	}
	navigate(t, ctx, n.URL()+"/services/"+banqueID)
	if got := text(t, ctx, tuesday); !strings.Contains(got, "8") || got == "Closed" {
		t.Errorf("after the edit, Tuesday shows %q", got)
	}
}

// TestBrowser_DirectoryQueue: a record never verified is in the queue;
// "verified" takes it out.
func TestBrowser_DirectoryQueue(t *testing.T) {
	b := mustStartBrowser(t)
	n := MustStartPortal(t)
	mustAddUser(t, n, "rita", o211.RoleResourceSpecialist)
	ctx := b.tab(t, true)
	signInBrowser(t, ctx, n.URL(), "rita", "rita-password")
	navigate(t, ctx, n.URL()+"/console/")
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`a[href="/console/directory"]`))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("#queue-link"))); err != nil {
		t.Fatal(err)
	}
	if q := text(t, ctx, "#queue"); !strings.Contains(q, "Tenant Legal Advice") {
		t.Fatalf("the queue lacks the stale record: %q", q)
	}
	submit(t, ctx, `form[action="/console/directory/service/`+tenantLegalID+`/verify"] button`)
	if got := text(t, ctx, "[role=status]"); got != "Tenant Legal Advice has been verified today." {
		t.Errorf("after verifying: %q", got)
	}
	if q := text(t, ctx, "#queue"); strings.Contains(q, "Tenant Legal Advice") || !strings.Contains(q, "Distress and Crisis Line") {
		t.Errorf("after verifying, the queue is %q", q)
	}
}

// TestBrowser_DirectoryPagesAccessible runs axe-core over each directory
// page in English and French, with a form showing its errors, and saves
// screenshots of each at phone and desktop widths.
func TestBrowser_DirectoryPagesAccessible(t *testing.T) {
	b := mustStartBrowser(t)
	n := MustStartPortal(t)
	mustAddUser(t, n, "rita", o211.RoleResourceSpecialist)
	ctx := b.tab(t, false) // axe-core is a script
	signInBrowser(t, ctx, n.URL(), "rita", "rita-password")
	s := newStaff(t, n) // a change for the history page to show
	s.signIn("rita")
	s.get("/console/directory/service/" + banqueID)
	s.post("/console/directory/service/"+banqueID, "name", "Banque alimentaire", "status", "active", "minimum_age", "16").
		mustRedirect(t, "/console/directory/service/"+banqueID+"?done=saved")
	pages := []struct{ name, path string }{
		{"directory", "/console/directory?q=food"},
		{"directory-service", "/console/directory/service/" + banqueID},
		{"directory-schedule", "/console/directory/schedule/" + banqueMondayID},
		{"directory-new-phone", "/console/directory/phone/new?service_id=" + banqueID},
		{"directory-history", "/console/directory/service/" + banqueID + "/history"},
		{"directory-queue", "/console/directory/verify"},
		{"directory-closure", "/console/directory/service/" + banqueID + "/closure"},
	}
	for _, lang := range []string{"en", "fr"} {
		prefix := ""
		if lang == "fr" {
			prefix = "/fr"
		}
		for _, pg := range pages {
			t.Run(pg.name+"-"+lang, func(t *testing.T) {
				navigate(t, ctx, n.URL()+prefix+pg.path)
				checkAxe(t, ctx)
				screenshot(t, ctx, pg.name+"-"+lang)
			})
		}
		t.Run("directory-errors-"+lang, func(t *testing.T) {
			navigate(t, ctx, n.URL()+prefix+"/console/directory/service/"+banqueID)
			if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#f-email"), "not an address"),
				chromedp.SendKeys(chromedp.CSS("#f-minimum_age"), "douze")); err != nil {
				t.Fatal(err)
			}
			submit(t, ctx, "#f-email")
			if got := text(t, ctx, ".govuk-error-summary"); got == "" {
				t.Fatal("no error summary")
			}
			checkAxe(t, ctx)
			screenshot(t, ctx, "directory-errors-"+lang)
		})
	}
}
