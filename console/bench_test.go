package console_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/o211/o211/node"
)

// BenchmarkPortal_Search is one results page, brotli-compressed, from a
// real node over loopback: the portal's own cost over the search's
// (o211 bench search --surface portal loads the 60,000-service node).
// O211_PORTAL_DATA names a node's data folder to serve instead of the
// fixture (o211 bench search's, with 60,000 services), for profiles.
func BenchmarkPortal_Search(b *testing.B) {
	var base string
	if dir := os.Getenv("O211_PORTAL_DATA"); dir != "" {
		n := node.New(node.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", NoSync: true})
		if err := n.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { n.Close() })
		base = n.URL()
	} else {
		base = MustStartPortal(b).URL()
	}
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
