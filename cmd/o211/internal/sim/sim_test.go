package sim

import (
	"context"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/o211/o211/node"
	"github.com/o211/o211/node/auth"
)

// startNode starts a real node on loopback, closed at the end.
func startNode(tb testing.TB, region string) *node.Node {
	tb.Helper()
	n := node.New(node.Config{Region: region, DataDir: tb.TempDir(), HTTPAddr: "127.0.0.1:0", Token: "tok-" + region,
		NoSync: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Hasher: auth.NewHasher(auth.Params{Memory: 1024, Time: 1, Threads: 1}, 2)})
	if err := n.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { n.Close() })
	return n
}

// TestSim_AgreesWithErlangA runs the simulator against a real node with
// one region, a flat arrival rate and exponential handle times and
// patiences, and checks that the share of callers who waited, the share
// who hung up and the mean wait agree with the Erlang-A model within the
// sampling error (three standard errors of ten batch means), plus a
// small allowance for what the model leaves out: the few milliseconds of
// real time each offer, accept and finish takes over HTTP, which the
// time scale turns into simulated seconds. Measured on a machine with a
// load of 24 on two cores (BENCHMARKS.md).
func TestSim_AgreesWithErlangA(t *testing.T) {
	if testing.Short() {
		t.Skip("a minute of simulation")
	}
	if raceEnabled {
		// The race detector slows every request several times over, and
		// the time scale turns those milliseconds into simulated minutes
		// of waiting: the run no longer models the queue it measures.
		t.Skip("timing-sensitive: run without -race (go test ./cmd/o211/internal/sim)")
	}
	n := startNode(t, "east")
	// Ten navigators, 120 calls an hour, 5 minutes' handle time and
	// patience (10 erlangs offered to 10 navigators); at scale 600 a
	// handle time is half a second of real time, long beside the
	// milliseconds of HTTP, and ten hours run in a minute.
	cfg := Config{Targets: []Target{{Region: "east", URL: n.URL()}}, Token: "tok-east", Navigators: 10,
		PerHour: 120, Flat: true, Handle: 5 * time.Minute, Patience: 5 * time.Minute,
		Duration: 10 * time.Hour, Scale: 600, WarmUp: 0.05, Seed: 7}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	m := r.Model
	if m == nil {
		t.Fatal("no model figures for a flat rate")
	}
	t.Logf("simulated: waited %v, abandoned %v, mean wait %v s (%d callers)", r.PWait, r.PAbandon, r.MeanWait, r.Arrivals)
	t.Logf("node: abandoned %.3f, mean wait %.1f s, handle %.1f s", r.Node.Total.AbandonRate, r.Node.Total.WaitAllAvg, r.Node.Total.HandleAvg)
	t.Logf("Erlang-A:  waited %.3f, abandoned %.3f, mean wait %.1f s", m.PWait, m.PAbandon, m.MeanWait)
	if r.Arrivals < 1000 {
		t.Fatalf("%d callers after the warm-up; want at least 1000", r.Arrivals)
	}
	for _, c := range []struct {
		name      string
		got       Figure
		want, tol float64
	}{
		{"waited", r.PWait, m.PWait, 0.03},
		{"abandoned", r.PAbandon, m.PAbandon, 0.02},
		{"mean wait", r.MeanWait, m.MeanWait, 0.08 * m.MeanWait},
	} {
		if d := math.Abs(c.got.Mean - c.want); d > 3*c.got.SE+c.tol {
			t.Errorf("%s: simulated %v, Erlang-A %.3f: off by %.3f, more than 3 standard errors + %.3f", c.name, c.got, c.want, d, c.tol)
		}
	}
	if len(r.Double) > 0 {
		t.Errorf("contacts given to two navigators: %v", r.Double)
	}
	if got := r.Node.Total.Arrived; got < r.Arrivals {
		t.Errorf("the node counted %d arrivals; the callers %d after the warm-up", got, r.Arrivals)
	}
}
