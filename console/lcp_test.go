package console_test

import (
	"os"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
)

// lcpScript resolves with the Largest Contentful Paint of the page, in
// milliseconds after the navigation started.
const lcpScript = `new Promise(resolve => {
  new PerformanceObserver(list => {
    const e = list.getEntries();
    resolve(e[e.length - 1].startTime);
  }).observe({type: "largest-contentful-paint", buffered: true});
})`

// BenchmarkBrowser_LCP opens a results page in headless Chromium over
// loopback and reports its Largest Contentful Paint, with the stylesheet
// already cached (the first load is not counted). O211_PORTAL_URL names a
// running node to measure (o211 bench search's 60,000-service node, for
// BENCHMARKS.md); without it the test fixture's node is used.
func BenchmarkBrowser_LCP(b *testing.B) {
	br := mustStartBrowser(b)
	base := os.Getenv("O211_PORTAL_URL")
	if base == "" {
		base = MustStartPortal(b).URL()
	}
	ctx := br.tab(b, false)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 800)); err != nil {
		b.Fatal(err)
	}
	pages := []string{"/fr/search?q=banque+alimentaire&near=K1N&radius_km=25&category=BD",
		"/search?q=food+bank&near=M5T&radius_km=25&category=BD&open_now=true"}
	navigate(b, ctx, base+pages[0]) // caches the stylesheet
	var lcps []float64
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		navigate(b, ctx, base+pages[i%len(pages)])
		ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](lcpScript, chromedp.EvalAwaitPromise))
		if err != nil {
			b.Fatal(err)
		}
		lcps = append(lcps, ms)
	}
	slices.Sort(lcps)
	b.ReportMetric(lcps[len(lcps)/2], "lcp-p50-ms")
	b.ReportMetric(lcps[len(lcps)-1], "lcp-max-ms")
}
