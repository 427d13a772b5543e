package console_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"testing"

	"github.com/o211/o211/node"
)

// BenchmarkPortal_Search is one results page, brotli-compressed, from a
// real node over loopback: the portal's own cost over the search's
// (o211 bench search --surface portal loads the 60,000-service node).
// O211_PORTAL_DATA names a node's data folder to serve instead of the
// fixture (o211 bench search's, with 60,000 services), for profiles.
func BenchmarkPortal_Search(b *testing.B) {
	base := portalBase(b)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	q := url.Values{"q": {"banque alimentaire"}, "near": {"K1N"}, "radius_km": {"25"}, "category": {"BD"}, "open_now": {"true"}}
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodGet, base+"/fr/search?"+q.Encode(), nil)
		req.Header.Set("Accept-Encoding", "br")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}

// BenchmarkPortal_ResultsMix is the results pages `o211 bench search
// --surface portal` asks for (its topics, each near one of a few FSAs in
// cities, 25 km, open now, brotli), one after another from one client:
// ns/op and allocs/op are the portal's cost per page with the search, less
// sensitive to the machine's load than the bench's percentiles. Run it
// with O211_PORTAL_DATA set to the bench's node folder.
func BenchmarkPortal_ResultsMix(b *testing.B) {
	base := portalBase(b)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	topics := []struct{ text, category, path string }{
		{"food bank", "BD", "/search"}, {"banque alimentaire", "BD", "/fr/search"}, {"meals", "BD-5000", "/search"},
		{"shelter", "BH", "/search"}, {"logement", "BH", "/fr/search"}, {"counselling", "R", "/search"},
		{"mental health", "R", "/search"}, {"emploi", "N", "/fr/search"}, {"legal", "F", "/search"},
		{"clinic", "L", "/search"}, {"clothing", "BM", "/search"}, {"seniors", "P", "/search"}, {"youth", "P", "/search"},
	}
	fsas := []string{"K1N", "M5V", "M4C", "L5B", "N2L", "K7L", "P3A", "L8P", "N6A", "M1B", "K2P"}
	i, results := 0, 0
	for b.Loop() {
		t, fsa := topics[i%len(topics)], fsas[(i/len(topics))%len(fsas)]
		i++
		q := url.Values{"q": {t.text}, "near": {fsa}, "radius_km": {"25"}, "category": {t.category}, "open_now": {"true"}}
		req, _ := http.NewRequest(http.MethodGet, base+t.path+"?"+q.Encode(), nil)
		req.Header.Set("Accept-Encoding", "br")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
		n, _ := strconv.Atoi(resp.Header.Get("X-O211-Results"))
		results += min(n, 10)
	}
	b.ReportMetric(float64(results)/float64(i), "results/page")
}

// portalBase serves the node in O211_PORTAL_DATA, or the fixture.
func portalBase(b *testing.B) string {
	if dir := os.Getenv("O211_PORTAL_DATA"); dir != "" {
		n := node.New(node.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", NoSync: true})
		if err := n.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { n.Close() })
		return n.URL()
	}
	return MustStartPortal(b).URL()
}
