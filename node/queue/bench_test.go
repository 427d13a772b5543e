package queue_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/queue"
)

// BenchmarkQueue_Route measures the routing decision (the offers made
// after a change, timed by Config.OnRoute) in a hard state: 100
// navigators available in English and French, and a backlog of 1,000
// contacts in a language none of them speaks, so that every decision
// looks at all of them for every free navigator. Each iteration is one
// arrival, its offer accepted and the contact finished: three decisions.
// It reports the decisions' median and 99th percentile (route-p50-µs,
// route-p99-µs).
func BenchmarkQueue_Route(b *testing.B) {
	var mu sync.Mutex
	var ds []time.Duration
	q := MustOpenQueue(b, queue.Config{NoSync: true, OnRoute: func(d time.Duration) {
		mu.Lock()
		ds = append(ds, d)
		mu.Unlock()
	}})
	for i := range 1000 {
		mustEnqueue(b, q, queue.Item{Channel: []o211.Channel{o211.ChannelPhone, o211.ChannelChat}[i%2], Language: "de"})
	}
	navs := make([]string, 100)
	for i := range navs {
		navs[i] = fmt.Sprintf("nav%03d", i)
		mustPresence(b, q, nav(navs[i], "en", "fr"), queue.Available)
	}
	mu.Lock()
	ds = ds[:0]
	mu.Unlock()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		it := mustEnqueue(b, q, queue.Item{Channel: o211.ChannelPhone, Language: []string{"en", "fr"}[i%2]})
		o := ""
		for _, n := range navs {
			if offerOf(q, n) == it.ID {
				o = n
				break
			}
		}
		if o == "" {
			b.Fatalf("arrival %d was offered to nobody", i)
		}
		if _, err := q.Accept(ctx, o, it.ID); err != nil {
			b.Fatal(err)
		}
		if err := q.DoneReady(ctx, o, it.ID, ""); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(ds)
	if len(ds) > 0 {
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), "route-p50-µs")
		b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds()), "route-p99-µs")
	}
}

// BenchmarkQueue_EnqueueFsync measures Enqueue with its fsync (the
// durable write before a contact is acknowledged) and routing, one at a
// time; ns/op is the latency of one arrival.
func BenchmarkQueue_EnqueueFsync(b *testing.B) {
	q := MustOpenQueue(b, queue.Config{})
	mustPresence(b, q, nav("ann", "en"), queue.Available)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mustEnqueue(b, q, queue.Item{Channel: o211.ChannelChat, Language: "fr"})
	}
}
