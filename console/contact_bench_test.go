package console_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node"
)

// latencies records the time of each request of a benchmark and reports
// its median and 99th percentile (measured at the client, over loopback:
// an upper bound of the server's time).
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B) {
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	at := func(p float64) float64 { return float64(l.d[min(len(l.d)-1, int(p*float64(len(l.d))))].Microseconds()) }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// benchNode starts the node the console benchmarks read: the fixture, or
// with O211_PORTAL_DATA a node's data folder (o211 bench search's 60,000
// services), with a navigator signed in.
func benchNode(b *testing.B) (*node.Node, *staff) {
	b.Helper()
	var n *node.Node
	if dir := os.Getenv("O211_PORTAL_DATA"); dir != "" {
		n = node.New(node.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", NoSync: true, Hasher: testHasher})
		if err := n.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { n.Close() })
	} else {
		n = MustStartPortal(b)
	}
	name := "bench" + time.Now().Format("150405.000000")
	mustAddUser(b, n, name, o211.RoleNavigator)
	s := newStaff(b, n)
	s.signIn(name)
	return n, s
}

// get fetches path with the staff client's cookies and times it.
func (s *staff) timed(b *testing.B, l *latencies, path string) {
	req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
	req.Header.Set("Accept-Encoding", "br")
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	l.add(time.Since(start))
	if resp.StatusCode != http.StatusOK {
		b.Errorf("%s: %s", path, resp.Status)
	}
}

// BenchmarkSuggest is the type-ahead as a navigator's typing asks it,
// one request at a time: over the taxonomy (English and French words, a
// code) and over the region's services (the search's prefix match).
func BenchmarkSuggest(b *testing.B) {
	_, s := benchNode(b)
	cases := []struct{ name, query string }{
		{"Taxonomy", "q=banq+alim"},
		{"TaxonomyFrench", "q=logem&lang=fr"},
		{"TaxonomyCode", "q=BD-18"},
		{"Services", "kind=service&q=food+ban"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			l := &latencies{}
			for b.Loop() {
				s.timed(b, l, "/console/suggest?"+tc.query)
			}
			l.report(b)
		})
	}
}
