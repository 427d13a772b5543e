package hub

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/internal/testutil"
	o211node "github.com/o211/o211/node"
	"github.com/o211/o211/node/store"
)

// The replication benchmarks run a whole connected province (three hub
// replicas with Raft and NATS, nodes as leaves, TLS and credentials, every
// store syncing its commits) in this process, once per run: use
// -benchtime=1x. Their figures go to BENCHMARKS.md.
//
//	go test ./hub -run '^$' -bench Replication -benchtime=1x

// BenchmarkReplication_Drain: a region's link is cut while it writes
// O211_BENCH_BACKLOG changes (default 100,000 new organisations); then it
// is healed, and the time until the hub holds them all gives the rate.
func BenchmarkReplication_Drain(b *testing.B) {
	backlog := envInt("O211_BENCH_BACKLOG", 100000)
	p := newConnectedWith(b, connectedOpts{sync: true}, "east")
	p.startNode("east", func(rc *o211node.ReplicationConfig) {
		rc.Push.BatchEntries = envInt("O211_BENCH_BATCH", 0)
	})
	p.cut("east", true)
	ctx := context.Background()
	nd := p.node("east")
	const per = 1000
	for i := 0; i < backlog; i += per {
		cs := make([]o211.Change, 0, per)
		for k := i; k < min(i+per, backlog); k++ {
			cs = append(cs, orgChange("east", k, 0))
		}
		if _, err := nd.Directory().Write(o211.WithActor(ctx, o211.System("test")), cs, o211.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	seq, _ := nd.Directory().Store().Seq()
	leader := p.leader(10 * time.Second)
	b.ResetTimer()
	if path := os.Getenv("O211_BENCH_PROFILE"); path != "" {
		// The drain alone, without the writes that made the backlog.
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	var first time.Time // when the first batch was applied
	var firstMark uint64
	p.cut("east", false)
	testutil.CheckFor(b, 10*time.Minute, func() error {
		var mark uint64
		err := leader.r.FSM().View(func(s *fsm.State) error {
			reg, err := s.Region("east")
			if err == nil {
				mark = reg.Mark
			}
			return err
		})
		if err != nil {
			return err
		}
		if mark > 0 && first.IsZero() {
			first, firstMark = time.Now(), mark
		}
		if mark != seq {
			return fmt.Errorf("mark %d of %d", mark, seq)
		}
		return nil
	})
	took := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(seq)/took.Seconds(), "changes/s")
	b.ReportMetric(took.Seconds(), "drain-s")
	// From the first batch applied: the link's coming back (the leaf
	// reconnects within a second) left out.
	b.ReportMetric(float64(seq-firstMark)/start.Add(took).Sub(first).Seconds(), "steady-changes/s")
	b.ReportMetric(first.Sub(start).Seconds(), "relink-s")
	st := nd.Directory().Store()
	if n, _, _ := st.OutboxStats(); n != 0 {
		// Acknowledged after the mark moved: wait for the last reply.
		testutil.CheckFor(b, time.Minute, func() error {
			if n, _, _ := st.OutboxStats(); n != 0 {
				return fmt.Errorf("%d outbox entries left", n)
			}
			return nil
		})
	}
}

// BenchmarkReplication_SteadyLag: one region writes O211_BENCH_RATE
// changes a second (default 500) for O211_BENCH_SECONDS (default 20), in
// writes every 10 ms, each change a new organisation; the lag of each
// change is from its commit at the node (the record's modification time)
// to its application on the replica that led (one process: one clock).
func BenchmarkReplication_SteadyLag(b *testing.B) {
	rate := envInt("O211_BENCH_RATE", 500)
	secs := envInt("O211_BENCH_SECONDS", 20)
	type applied struct {
		at  time.Time
		ref store.ChangeRef
	}
	var mu sync.Mutex
	seen := map[string][]applied{}
	p := newConnectedWith(b, connectedOpts{sync: true, onApply: func(id string, e fsm.Event) {
		now := time.Now()
		mu.Lock()
		for _, c := range e.Changed {
			seen[id] = append(seen[id], applied{now, c})
		}
		mu.Unlock()
	}}, "east")
	leader := p.leader(10 * time.Second)
	nd := p.startNode("east", nil)
	testutil.CheckFor(b, 10*time.Second, func() error {
		if st, err := nd.ReplicationStatus(); err != nil || !st.Linked {
			return fmt.Errorf("not linked")
		}
		return nil
	})
	ctx := context.Background()
	per := max(1, rate/100)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	start := time.Now()
	k := 0
	for i := 0; i < secs*100; i++ {
		<-tick.C
		cs := make([]o211.Change, 0, per)
		for j := 0; j < per; j++ {
			cs = append(cs, orgChange("east", k, 0))
			k++
		}
		if _, err := nd.Directory().Write(o211.WithActor(ctx, o211.System("test")), cs, o211.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	wrote := time.Since(start)
	seq, _ := nd.Directory().Store().Seq()
	testutil.CheckFor(b, time.Minute, func() error {
		var mark uint64
		_ = leader.r.FSM().View(func(s *fsm.State) error {
			reg, err := s.Region("east")
			if err == nil {
				mark = reg.Mark
			}
			return err
		})
		if mark != seq {
			return fmt.Errorf("mark %d of %d", mark, seq)
		}
		return nil
	})
	b.StopTimer()
	if l := p.leader(time.Second); l.id != leader.id {
		b.Fatalf("the leader changed during the run (%s, then %s)", leader.id, l.id)
	}
	mu.Lock()
	events := seen[leader.id]
	mu.Unlock()
	var lags []time.Duration
	_ = leader.r.FSM().View(func(s *fsm.State) error {
		for _, a := range events {
			if r, err := s.Tx().GetAny(a.ref.Kind, a.ref.ID); err == nil && r != nil && r.Region == "east" {
				lags = append(lags, a.at.Sub(r.Modified))
			}
		}
		return nil
	})
	if len(lags) != int(seq) {
		b.Fatalf("%d changes applied on the leader, %d written", len(lags), seq)
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	q := func(f float64) float64 { return float64(lags[int(f*float64(len(lags)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(seq)/wrote.Seconds(), "changes/s")
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
	b.Logf("%d changes at %.0f/s: commit-to-apply p50 %.1f ms, p99 %.1f ms, max %.1f ms",
		len(lags), float64(seq)/wrote.Seconds(), q(0.5), q(0.99), q(1))
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
