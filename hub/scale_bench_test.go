package hub

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/internal/testutil"
	o211node "github.com/o211/o211/node"
)

// BenchmarkProvince_Scale runs O211_BENCH_REGIONS regional nodes (default
// 200: about the United States' 211 network) in this process against a hub
// of three replicas (Raft, NATS leaves with TLS and credentials, every
// store syncing its commits), then:
//
//   - memory: the process's heap and RSS before and after the nodes start,
//     per region;
//
//   - ingest: every node writes O211_BENCH_RATE new organisations a second
//     (default 30: 6,000/s for the province) for O211_BENCH_SECONDS (20);
//     the hub's sustained rate is what its leader applied over the window,
//     and each write's lag is from its node's commit to the leader's apply
//     (p50 and p99 over all, and the worst region's p99). The leader's log
//     entries, state transactions and records per entry, and the process's
//     CPU time per record, are the figures that a loaded machine does not
//     blur. The nodes' pulls (200 copies of every change, each on its own
//     machine in a province) are held during the ingest unless
//     O211_BENCH_PULLS=live;
//
//   - pull fan-out, before the ingest: one change of one region, from its
//     commit until every other node's provincial copy holds it;
//
//   - catch-up: every node's provincial copy pulls what the ingest changed
//     (bounded: see scaleCatchUp).
//
//     Every node's own lag p99 goes to the file O211_BENCH_LAGS names, when set.
//
//     O211_BENCH_REGIONS=200 go test ./hub -run '^$' -bench Province_Scale -benchtime=1x -timeout 30m
func BenchmarkProvince_Scale(b *testing.B) {
	n := envInt("O211_BENCH_REGIONS", 200)
	rate := envInt("O211_BENCH_RATE", 30)
	window := time.Duration(envInt("O211_BENCH_SECONDS", 20)) * time.Second
	regions := make([]string, n)
	for i := range regions {
		regions[i] = "r" + strconv.Itoa(i)
	}
	var applied atomic.Int64
	seen := sync.Map{} // organisation id -> time the first replica applied it
	var st scaleStats
	p := newConnectedWith(b, connectedOpts{sync: true, raftTimeout: 2 * time.Second, onApply: func(id string, e fsm.Event) {
		now := time.Now()
		st.event(id, len(e.Changed))
		for _, c := range e.Changed {
			if _, loaded := seen.LoadOrStore(c.ID, now); !loaded {
				applied.Add(1)
			}
		}
	}}, regions...)
	// The nodes' pulls run on this machine too: 200 copies of every
	// change the hub takes. Unless O211_BENCH_PULLS=live, they are held
	// during the ingest (each node runs on its own machine in a
	// province), then every copy catches up and that is timed.
	live := os.Getenv("O211_BENCH_PULLS") == "live"
	var hold atomic.Bool
	tune := func(rc *o211node.ReplicationConfig) {
		rc.Push.Timeout = time.Minute // a starved process answers late; retries only add work
		if !live {
			rc.Pull.Defer, rc.Pull.MaxDefer = hold.Load, time.Hour
		}
	}
	heap0, rss0 := memNow()
	start := time.Now()
	for _, r := range regions {
		p.startNode(r, tune)
	}
	heap1, rss1 := memNow()
	say(b, "%d nodes started in %s; heap %d -> %d MiB, RSS %d -> %d MiB: %.1f MiB heap, %.1f MiB RSS per region",
		n, time.Since(start).Round(time.Millisecond), heap0>>20, heap1>>20, rss0>>20, rss1>>20,
		float64(heap1-heap0)/float64(n)/(1<<20), float64(rss1-rss0)/float64(n)/(1<<20))
	for _, r := range regions { // the import-free nodes push nothing; wait for their links
		testutil.CheckFor(b, 5*time.Minute, func() error {
			st, err := p.node(r).ReplicationStatus()
			if err != nil || st == nil || !st.Linked {
				return fmt.Errorf("%s not linked", r)
			}
			return nil
		})
	}
	scaleFanOut(b, p, regions) // on the idle province
	b.ResetTimer()
	hold.Store(!live)
	st.begin(p)
	written := scaleWrite(b, p, regions, rate, window)
	ended := false
	defer func() {
		if !ended { // the ingest did not finish: say how far it went
			st.end(b, p, int(applied.Load()))
		}
	}()
	testutil.CheckFor(b, 10*time.Minute, func() error {
		if got := applied.Load(); got < int64(len(written)) {
			return fmt.Errorf("%d of %d applied", got, len(written))
		}
		return nil
	})
	ended = true
	st.end(b, p, len(written))
	scaleReport(b, written, &seen, window, live)
	b.StopTimer()
	hold.Store(false)
	scaleCatchUp(b, p, regions)
}

// scaleWrite has every node write rate organisations a second for window
// and returns each write's region and commit time by organisation id.
func scaleWrite(b *testing.B, p *connected, regions []string, rate int, window time.Duration) map[string]scaleWritten {
	var mu sync.Mutex
	written := map[string]scaleWritten{}
	ctx := o211.WithActor(context.Background(), o211.System("bench"))
	var wg sync.WaitGroup
	end := time.Now().Add(window)
	const tick = 100 * time.Millisecond
	per := max(1, rate/int(time.Second/tick))
	for _, r := range regions {
		wg.Add(1)
		go func(r string) {
			defer wg.Done()
			d := p.node(r).Directory()
			t := time.NewTicker(tick)
			defer t.Stop()
			for k := 0; time.Now().Before(end); <-t.C {
				cs := make([]o211.Change, per)
				for i := range cs {
					cs[i] = orgChange(r, k, 0)
					k++
				}
				if _, err := d.Write(ctx, cs, o211.WriteOptions{}); err != nil {
					b.Error(err)
					return
				}
				now := time.Now()
				mu.Lock()
				for _, c := range cs {
					written[c.Object.ObjectID()] = scaleWritten{region: r, at: now}
				}
				mu.Unlock()
			}
		}(r)
	}
	wg.Wait()
	return written
}

// scaleStats counts what the leader's state machine did during the
// ingest: Raft log entries, ApplyBatch calls (one state transaction each)
// and the records they wrote, and the process's CPU time.
type scaleStats struct {
	mu      sync.Mutex
	leader  string
	calls   map[string]int // ApplyBatch calls (events) by replica
	records map[string]int // directory records written by replica
	index   uint64         // the leader's applied index at begin
	cpu     time.Duration  // the process's CPU time at begin
	start   time.Time
}

func (s *scaleStats) event(id string, records int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls == nil {
		s.calls, s.records = map[string]int{}, map[string]int{}
	}
	s.calls[id]++
	s.records[id] += records
}

func (s *scaleStats) begin(p *connected) {
	ld := p.leader(time.Minute)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leader, s.index, s.cpu, s.start = ld.id, ld.r.FSM().AppliedIndex(), cpuTime(), time.Now()
	s.calls, s.records = map[string]int{}, map[string]int{}
}

// end states entries, transactions and records of the leader since begin.
func (s *scaleStats) end(b *testing.B, p *connected, written int) {
	ld := p.leader(time.Minute)
	cpu, took := cpuTime()-s.cpu, time.Since(s.start)
	s.mu.Lock()
	defer s.mu.Unlock()
	if ld.id != s.leader {
		say(b, "the leader changed during the ingest (%s -> %s): no apply counts", s.leader, ld.id)
		return
	}
	entries := ld.r.FSM().AppliedIndex() - s.index
	calls, recs := s.calls[s.leader], s.records[s.leader]
	b.ReportMetric(float64(recs)/float64(max(entries, 1)), "records/entry")
	b.ReportMetric(float64(cpu.Microseconds())/float64(max(written, 1)), "cpu-µs/record")
	say(b, "leader %s: %d log entries (%.1f/s), %d state transactions (%.1f/s), %d records: %.1f records per entry, "+
		"%.1f per transaction; process CPU %s over %s (%.2f cores): %.0f µs per record written",
		s.leader, entries, float64(entries)/took.Seconds(), calls, float64(calls)/took.Seconds(), recs,
		float64(recs)/float64(max(entries, 1)), float64(recs)/float64(max(calls, 1)),
		cpu.Round(time.Millisecond), took.Round(time.Millisecond), cpu.Seconds()/took.Seconds(),
		float64(cpu.Microseconds())/float64(max(written, 1)))
}

// cpuTime returns the user and system CPU time of the process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type scaleWritten struct {
	region string
	at     time.Time
}

// scaleReport states the ingest rate and the lags.
func scaleReport(b *testing.B, written map[string]scaleWritten, seen *sync.Map, window time.Duration, live bool) {
	var first, last time.Time
	var all []time.Duration
	byRegion := map[string][]time.Duration{}
	for id, w := range written {
		v, ok := seen.Load(id)
		if !ok {
			b.Fatalf("%s was never applied", id)
		}
		at := v.(time.Time)
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
		lag := max(at.Sub(w.at), 0)
		all = append(all, lag)
		byRegion[w.region] = append(byRegion[w.region], lag)
	}
	var p99s []time.Duration
	var each strings.Builder // every node's p99, by region
	for _, r := range sortedKeys(byRegion) {
		p := pct(byRegion[r], 0.99)
		p99s = append(p99s, p)
		fmt.Fprintf(&each, "%s\t%d\t%s\n", r, len(byRegion[r]), p.Round(time.Millisecond))
	}
	if path := os.Getenv("O211_BENCH_LAGS"); path != "" {
		if err := os.WriteFile(path, []byte("region\twrites\tlag_p99\n"+each.String()), 0o644); err != nil {
			b.Error(err)
		}
	}
	sort.Slice(p99s, func(i, j int) bool { return p99s[i] < p99s[j] })
	say(b, "each node's lag p99 (commit -> hub): min %s, p10 %s, median %s, p90 %s, max %s (every node's in O211_BENCH_LAGS)",
		p99s[0].Round(time.Millisecond), pct(p99s, 0.1).Round(time.Millisecond), pct(p99s, 0.5).Round(time.Millisecond),
		pct(p99s, 0.9).Round(time.Millisecond), p99s[len(p99s)-1].Round(time.Millisecond))
	rate := float64(len(written)) / last.Sub(first).Seconds()
	b.ReportMetric(rate, "records/s")
	pulls := "held until the end of the ingest"
	if live {
		pulls = "live"
	}
	say(b, "ingest (pulls %s): %d records written in %s by %d regions, applied by the hub at %.0f records/s (first to last apply %s); "+
		"lag commit->hub p50 %s, p99 %s; per-region p99: median %s, worst %s",
		pulls, len(written), window, len(byRegion), rate, last.Sub(first).Round(time.Millisecond),
		pct(all, 0.5).Round(time.Millisecond), pct(all, 0.99).Round(time.Millisecond),
		p99s[len(p99s)/2].Round(time.Millisecond), p99s[len(p99s)-1].Round(time.Millisecond))
}

// scaleCatchUp times every node's provincial copy catching up with the
// hub's directory (what the ingest changed, pulled page by page), for at
// most O211_BENCH_CATCHUP_MINUTES (10): 200 copies in this one process
// may not all make it on a loaded machine; how many did is stated.
func scaleCatchUp(b *testing.B, p *connected, regions []string) {
	limit := time.Duration(envInt("O211_BENCH_CATCHUP_MINUTES", 10)) * time.Minute
	var head uint64
	_ = p.leader(time.Minute).r.FSM().View(func(s *fsm.State) error { head = s.Tx().Seq(); return nil })
	start := time.Now()
	var times []time.Duration
	pending := map[string]bool{}
	for _, r := range regions {
		pending[r] = true
	}
	testutil.CheckFor(b, limit+time.Minute, func() error {
		for r := range pending {
			if st, err := p.node(r).ReplicationStatus(); err == nil && st != nil && st.Pull.Position >= head {
				delete(pending, r)
				times = append(times, time.Since(start))
			}
		}
		if len(pending) > 0 && time.Since(start) < limit {
			return fmt.Errorf("%d copies short of %d", len(pending), head)
		}
		return nil
	})
	if len(times) == 0 {
		say(b, "catch-up: no provincial copy reached the hub's %d within %s", head, limit)
		return
	}
	say(b, "catch-up: %d of %d provincial copies pulled the hub's directory up to %d within %s: p50 %s, p99 %s, last %s",
		len(times), len(regions), head, limit, pct(times, 0.5).Round(time.Millisecond), pct(times, 0.99).Round(time.Millisecond),
		times[len(times)-1].Round(time.Millisecond))
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// pct returns the q quantile of ds (sorting it).
func pct(ds []time.Duration, q float64) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}

// scaleFanOut times one change of the first region until every other
// node's provincial copy holds it.
func scaleFanOut(b *testing.B, p *connected, regions []string) {
	ctx := o211.WithActor(context.Background(), o211.System("bench"))
	id := regions[0] + "-fanout"
	start := time.Now()
	ch := o211.Upsert(&o211.Organization{ID: id, Name: "Fan-out", Description: "One change to every copy."})
	if _, err := p.node(regions[0]).Directory().Write(ctx, []o211.Change{ch}, o211.WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	var times []time.Duration
	pending := map[string]bool{}
	for _, r := range regions[1:] {
		pending[r] = true
	}
	testutil.CheckFor(b, 5*time.Minute, func() error {
		for r := range pending {
			if _, err := p.node(r).Province().Store().Get(o211.KindOrganization, id); err == nil {
				delete(pending, r)
				times = append(times, time.Since(start))
			}
		}
		if len(pending) > 0 {
			return fmt.Errorf("%d copies lack the change", len(pending))
		}
		return nil
	})
	say(b, "pull fan-out: one change reached %d provincial copies: p50 %s, p99 %s, all %s",
		len(times), pct(times, 0.5).Round(time.Millisecond), pct(times, 0.99).Round(time.Millisecond),
		times[len(times)-1].Round(time.Millisecond))
}

// memNow returns the heap in use after a collection and the process's RSS.
func memNow() (heap, rss uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				rss = kb << 10
			}
		}
	}
	return ms.HeapInuse, rss
}

// say writes a result line to standard output (benchmark logs are cut
// short) and to the benchmark's log.
func say(b *testing.B, format string, args ...any) {
	b.Helper()
	fmt.Printf(format+"\n", args...)
	b.Logf(format, args...)
}
