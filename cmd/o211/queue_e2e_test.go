package main

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/o211/o211/cmd/o211/internal/sim"
	"github.com/o211/o211/internal/testutil"
)

// TestBinary_QueueSurvivesSIGKILLs runs a simulated busy hour against a
// real node process (contacts come through the queue API, whose requests
// the simulator retries while the node is down) and kills it with SIGKILL ten times while callers
// wait, navigators take offers and finish contacts (each time it is
// started again on the same data folder). With exact counts: every
// caller the simulator enqueued was answered once or abandoned; the
// node counted the same arrivals, answers and abandonments; nothing is
// left waiting or with a navigator; and no contact was given to two
// navigators.
func TestBinary_QueueSurvivesSIGKILLs(t *testing.T) {
	if testing.Short() {
		t.Skip("ten restarts of a node")
	}
	dir, addr := t.TempDir(), freeLoopback(t)
	base := "http://" + addr
	node := startProc(t, "node", "--region", "east", "--data", filepath.Join(dir, "east"), "--http", addr, "--token", "tok-east")
	ready := func() {
		var st map[string]any
		testutil.CheckFor(t, 2*time.Minute, func() error { return getJSONWithToken(base+"/api/v1/status", "tok-east", &st) })
	}
	ready()
	cfg := sim.Config{Targets: []sim.Target{{Region: "east", URL: base}}, Token: "tok-east", Navigators: 4, FrenchEvery: 2,
		FrenchShare: 0.2, Mix: map[string]float64{sim.ChannelAPI: 1}, PerHour: 90, Flat: true, Handle: 3 * time.Minute, Patience: 2 * time.Minute,
		Duration: time.Hour, Scale: 40, Seed: 11, Retry: 2 * time.Minute}
	started := make(chan struct{})
	cfg.OnStart = func(string) { close(started) }
	type outcome struct {
		res []*sim.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := sim.Run(context.Background(), cfg)
		done <- outcome{res, err}
	}()
	// The first kill comes once the navigators have signed in (sign-in
	// is not retried) and calls arrive, then one every six seconds.
	kills := 0
	var next <-chan time.Time
	select {
	case <-started:
		next = time.After(3 * time.Second)
	case out := <-done:
		t.Fatalf("the simulation ended before it started: %v", out.err)
	}
	var out outcome
wait:
	for {
		select {
		case out = <-done:
			break wait
		case <-next:
			if kills < 10 {
				node.stop(syscall.SIGKILL)
				kills++
				node.start()
				ready()
				next = time.After(6 * time.Second)
			}
		}
	}
	if out.err != nil {
		t.Fatalf("the simulation: %v\nnode's last log:\n%s", out.err, node.logs.String())
	}
	if kills < 10 {
		t.Fatalf("the busy hour ended after %d SIGKILLs; want 10 (lengthen it)", kills)
	}
	r := out.res[0]
	t.Logf("%d callers: %d answered, %d abandoned; node: %+v", r.Arrivals, r.Answered, r.Abandoned, r.Node.Total)
	if len(r.Double) > 0 {
		t.Errorf("contacts given to two navigators: %v", r.Double)
	}
	if r.Arrivals < 50 || r.Unknown != 0 || r.Answered+r.Abandoned != r.Arrivals {
		t.Errorf("%d callers, %d answered and %d abandoned: want each answered or abandoned", r.Arrivals, r.Answered, r.Abandoned)
	}
	nt := r.Node.Total
	if nt.Arrived != r.Arrivals || nt.Answered != r.Answered || nt.Abandoned != r.Abandoned {
		t.Errorf("the node counted %d arrived, %d answered, %d abandoned; the callers %d, %d, %d",
			nt.Arrived, nt.Answered, nt.Abandoned, r.Arrivals, r.Answered, r.Abandoned)
	}
	if r.Node.Waiting != 0 || r.Node.Active != 0 {
		t.Errorf("after the hour the node has %d waiting and %d with a navigator; want none", r.Node.Waiting, r.Node.Active)
	}
}
