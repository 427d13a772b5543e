package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// ArtifactsEnv names the folder where the browser tests write their
// screenshots (default: artifacts/screenshots at the repository's root).
const ArtifactsEnv = "O211_ARTIFACTS"

// chromiumPath returns Debian's chromium (or another Chrome), or skips the
// test when there is none; under CI=true a missing browser fails instead.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal("chromium is not installed, and CI=true requires the browser tests: apt-get install chromium (.ci/run does)")
	}
	tb.Skip("chromium is not installed: apt-get install chromium to run the browser tests")
	return ""
}

// browser is one headless Chromium for a test.
type browser struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// mustStartBrowser starts a headless Chromium for the test (--no-sandbox,
// as containers need) and closes it at the end.
func mustStartBrowser(tb testing.TB) *browser {
	tb.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(tb)),
		chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(tb.TempDir()))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, tcancel := context.WithTimeout(ctx, 8*time.Minute) // a loaded CI machine is slow; a hung browser still ends
	b := &browser{ctx: ctx, cancel: func() { tcancel(); cancel(); acancel() }}
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		b.cancel()
		tb.Fatalf("starting chromium: %v", err)
	}
	tb.Cleanup(b.cancel)
	return b
}

// tab opens a new tab; with noJS its scripts are turned off.
func (b *browser) tab(tb testing.TB, noJS bool) context.Context {
	tb.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	tb.Cleanup(cancel)
	if noJS {
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			tb.Fatal(err)
		}
	}
	return ctx
}

// artifactsDir returns the folder for screenshots, created.
func artifactsDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv(ArtifactsEnv)
	if dir == "" {
		dir = filepath.Join("..", "artifacts", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// foreignRequests records every request a tab makes to a host other than
// the portal's.
type foreignRequests struct {
	mu   sync.Mutex
	host string
	urls []string
}

func watchRequests(ctx context.Context, tb testing.TB, base string) *foreignRequests {
	tb.Helper()
	u, _ := url.Parse(base)
	f := &foreignRequests{host: u.Host}
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			ru, err := url.Parse(e.Request.URL)
			if err == nil && ru.Scheme != "data" && ru.Host != f.host {
				f.mu.Lock()
				f.urls = append(f.urls, e.Request.URL)
				f.mu.Unlock()
			}
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func (f *foreignRequests) check(tb testing.TB) {
	tb.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.urls) > 0 {
		tb.Errorf("the page made requests to other hosts: %v", f.urls)
	}
}

// screenshot saves full-page PNGs of the tab's page at phone and desktop
// widths, as NAME-390.png and NAME-1280.png.
func screenshot(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	dir := artifactsDir(tb)
	for _, width := range []int64{390, 1280} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800)); err != nil {
			tb.Fatal(err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			tb.Fatalf("screenshot %s at %d px: %v", name, width, err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	// The first screen at desktop width alone, as the README shows it.
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+"-1280-top.png"), png, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// axeViolation is one rule axe-core found broken.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// runAxe runs axe-core (testdata/axe, from npm) on the tab's page against
// WCAG 2.1 A and AA and returns its violations.
func runAxe(tb testing.TB, ctx context.Context) []axeViolation {
	tb.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](string(src))); err != nil {
		tb.Fatalf("loading axe-core: %v", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](
		`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}).then(r => r.violations)`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("running axe-core: %v", err)
	}
	var v []axeViolation
	if err := json.Unmarshal(raw, &v); err != nil {
		tb.Fatalf("axe-core's answer: %v", err)
	}
	return v
}

// navigate opens url in the tab and waits for the page to load.
func navigate(tb testing.TB, ctx context.Context, u string) {
	tb.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(u))
	if err != nil {
		tb.Fatalf("opening %s: %v", u, err)
	}
	_ = resp
}

// text returns the text of the first element matching a CSS selector.
func text(tb testing.TB, ctx context.Context, sel string) string {
	tb.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		tb.Fatalf("reading %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// portalPages are the pages every browser test visits, by name.
func portalPages() []struct{ name, path string } {
	return []struct{ name, path string }{
		{"home", "/"},
		{"results", "/search?q=food&near=K1N+6N5"},
		{"search-error", "/search?q=food&near=12345"},
		{"service", "/services/" + banqueID},
		{"console", "/console/"},
		{"not-found", "/services/no-such-service"},
	}
}

// TestBrowser_PagesAccessible runs axe-core over every portal and console
// page, in English and in French, and saves their screenshots: no serious
// or critical violation of WCAG 2.1 A or AA is allowed, and no page asks
// another host for anything.
func TestBrowser_PagesAccessible(t *testing.T) {
	b := mustStartBrowser(t)
	n := MustStartPortal(t)
	for _, lang := range []string{"en", "fr"} {
		for _, pg := range portalPages() {
			t.Run(lang+"/"+pg.name, func(t *testing.T) {
				ctx := b.tab(t, false)
				foreign := watchRequests(ctx, t, n.URL())
				u := n.URL() + pg.path
				if lang == "fr" {
					u = n.URL() + "/fr" + pg.path
				}
				navigate(t, ctx, u)
				for _, v := range runAxe(t, ctx) {
					if v.Impact == "serious" || v.Impact == "critical" {
						t.Errorf("axe %s (%s): %s at %v", v.ID, v.Impact, v.Help, v.Nodes)
					} else {
						t.Logf("axe %s (%s): %s", v.ID, v.Impact, v.Help)
					}
				}
				screenshot(t, ctx, pg.name+"-"+lang)
				foreign.check(t)
			})
		}
	}
}

// TestBrowser_FrenchSearchWithoutJavaScript is the resident's path: with
// scripts off, open the French portal, type a postal code and a need,
// submit, and open the food bank's page.
func TestBrowser_FrenchSearchWithoutJavaScript(t *testing.T) {
	b := mustStartBrowser(t)
	n := MustStartPortal(t)
	ctx := b.tab(t, true)
	navigate(t, ctx, n.URL()+"/fr/")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#q"), "banque alimentaire"),
		chromedp.SendKeys(chromedp.CSS("#near"), "K1N 6N5"),
		chromedp.Submit(chromedp.CSS("#q")),
		chromedp.WaitVisible(chromedp.CSS("#results-heading")),
	); err != nil {
		t.Fatal(err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.HasPrefix(loc, n.URL()+"/fr/search?") {
		t.Errorf("the search went to %s", loc)
	}
	if got := text(t, ctx, "#results-heading"); !strings.Contains(got, "trouvé") {
		t.Errorf("results heading %q", got)
	}
	if got := text(t, ctx, ".o211-result h3"); got != "Banque alimentaire de la Côte-de-Sable" {
		t.Errorf("first result %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".o211-result h3 a")),
		chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, "h1"); got != "Banque alimentaire de la Côte-de-Sable" {
		t.Errorf("service page h1 %q", got)
	}
	if got := text(t, ctx, "table caption"); got != "Heures d’ouverture" {
		t.Errorf("hours caption %q", got)
	}
	screenshot(t, ctx, "service-nojs-fr")
}

// TestBrowser_LanguageSwitch follows the header's language link both ways
// and checks that the choice stays.
func TestBrowser_LanguageSwitch(t *testing.T) {
	b := mustStartBrowser(t)
	n := MustStartPortal(t)
	ctx := b.tab(t, true)
	navigate(t, ctx, n.URL()+"/search?q=food")
	lang := func() string {
		s, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang"))
		if err != nil {
			t.Fatal(err)
		}
		return s.Value
	}
	if got := lang(); got != "en" {
		t.Fatalf("lang %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[hreflang="fr"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[hreflang="en"]`))); err != nil {
		t.Fatal(err)
	}
	if got := lang(); got != "fr" {
		t.Errorf("after the switch, lang %q", got)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#q"))); v != "food" {
		t.Errorf("the switch lost the search: %q", v)
	}
	navigate(t, ctx, n.URL()+"/") // the cookie keeps French
	if got := lang(); got != "fr" {
		t.Errorf("the choice of French was not kept: lang %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[hreflang="en"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[hreflang="fr"]`))); err != nil {
		t.Fatal(err)
	}
	if got := lang(); got != "en" {
		t.Errorf("back to English, lang %q", got)
	}
}

// TestBrowser_AxeFindsViolations shows that the accessibility check can
// fail: a page without lang and an image without alt text.
func TestBrowser_AxeFindsViolations(t *testing.T) {
	b := mustStartBrowser(t)
	ctx := b.tab(t, false)
	navigate(t, ctx, "data:text/html,<!DOCTYPE html><html><head><title>x</title></head><body><main><img src='x.png'></main></body></html>")
	found := map[string]string{}
	for _, v := range runAxe(t, ctx) {
		found[v.ID] = v.Impact
	}
	if found["image-alt"] != "critical" || found["html-has-lang"] != "serious" {
		t.Errorf("axe found %v, want image-alt (critical) and html-has-lang (serious)", found)
	}
}

// TestBrowser_KeyboardOnly uses the portal with the keyboard alone: the
// first Tab reaches the skip link, which shows GOV.UK's yellow focus and
// moves to the main content; Tab reaches the search box, typing and Enter
// search, and every focused control is visibly marked.
func TestBrowser_KeyboardOnly(t *testing.T) {
	b := mustStartBrowser(t)
	n := MustStartPortal(t)
	ctx := b.tab(t, true)
	navigate(t, ctx, n.URL()+"/fr/")
	focused := func() (id, class, bg, outline string) {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const e = document.activeElement, s = getComputedStyle(e);
			return [e.id, e.className, s.backgroundColor, s.outlineStyle + " " + s.outlineColor]; })()`))
		if err != nil || len(v) != 4 {
			t.Fatalf("reading the focused element: %v %v", v, err)
		}
		return v[0], v[1], v[2], v[3]
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
		t.Fatal(err)
	}
	if _, class, bg, _ := focused(); !strings.Contains(class, "govuk-skip-link") || bg != "rgb(255, 221, 0)" {
		t.Errorf("first Tab: class %q background %q, want the skip link on yellow", class, bg)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\r")); err != nil {
		t.Fatal(err)
	}
	if id, _, _, _ := focused(); id != "main" {
		t.Errorf("the skip link moved the focus to %q, want main", id)
	}
	// From main, Tab goes to the search box (the header's links come before main).
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
		t.Fatal(err)
	}
	if id, _, _, outline := focused(); id != "q" || !strings.HasPrefix(outline, "solid rgb(255, 221, 0)") {
		t.Errorf("Tab after main: focus on %q with outline %q, want #q with a solid yellow outline", id, outline)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("banque"), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS("#results-heading"))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, ".o211-result h3"); got != "Banque alimentaire de la Côte-de-Sable" {
		t.Errorf("keyboard search found %q", got)
	}
}

// TestBrowser_Print renders a service page for print: the header, the ways
// to reach 211 band, the footer and the back link are left out; the
// service's details stay.
func TestBrowser_Print(t *testing.T) {
	b := mustStartBrowser(t)
	n := MustStartPortal(t)
	ctx := b.tab(t, true)
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	navigate(t, ctx, n.URL()+"/fr/services/"+banqueID)
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]bool](`(() => {
		const d = sel => getComputedStyle(document.querySelector(sel)).display !== "none";
		return {header: d(".o211-header"), reach: d(".o211-reach"), footer: d(".govuk-footer"), back: d(".govuk-back-link"),
			h1: d("h1"), hours: d("table"), details: d(".govuk-summary-list")};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"header": false, "reach": false, "footer": false, "back": false, "h1": true, "hours": true, "details": true}
	for k, v := range want {
		if shown[k] != v {
			t.Errorf("in print, %s shown = %v, want %v", k, shown[k], v)
		}
	}
	screenshot(t, ctx, "service-print-fr")
}
