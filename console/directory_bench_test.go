package console_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node"
)

// BenchmarkDirectory_Pages serves the resource specialist's pages (the
// directory search, a service's form, its history, the verification
// queue) to 8 signed-in clients at once over loopback, and reports the
// 99th percentile of the server's answer time. O211_PORTAL_DATA names a
// node's data folder to serve instead of the fixture (o211 bench search's,
// with 60,000 services).
func BenchmarkDirectory_Pages(b *testing.B) {
	var n *node.Node
	if dir := os.Getenv("O211_PORTAL_DATA"); dir != "" {
		n = node.New(node.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", NoSync: true})
		if err := n.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { n.Close() })
	} else {
		n = MustStartPortal(b)
	}
	name := "bench-" + time.Now().Format("150405.000000")
	if _, err := n.Accounts().AddUser(context.Background(), o211.System("bench"), name, name+"-password", o211.RoleResourceSpecialist); err != nil {
		b.Fatal(err)
	}
	s := newStaff(b, n)
	s.signIn(name)
	res, err := n.Directory().Search(context.Background(), o211.Query{Text: "food", PerPage: 1})
	if err != nil || len(res.Results) == 0 {
		b.Fatalf("no service to open: %v", err)
	}
	svc := "/console/directory/service/" + res.Results[0].ServiceID
	paths := []string{"/console/directory?q=food", svc, svc + "/history", "/console/directory/verify", "/fr" + svc}
	for _, p := range paths {
		s.get(p).mustStatus(b, http.StatusOK)
	}
	client := &http.Client{Jar: s.client.Jar, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var mu sync.Mutex
	var times []time.Duration
	var next atomic.Int64
	b.SetParallelism(max(1, 8/runtimeProcs()))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			p := paths[next.Add(1)%int64(len(paths))]
			start := time.Now()
			resp, err := client.Get(s.base + p)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("%s: %s", p, resp.Status)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		times = append(times, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	if len(times) > 0 {
		slices.Sort(times)
		b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// runtimeProcs is GOMAXPROCS: RunParallel starts parallelism times that
// many clients.
func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
