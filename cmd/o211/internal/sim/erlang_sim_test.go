package sim

import (
	"context"
	"math"
	"testing"
	"time"
)

// tQuantile is Student's t quantile 0.9995 with Batches-1 = 9 degrees of
// freedom (tables: 4.781): a figure more than tQuantile standard errors
// from the model's is off with probability 0.1% when the model holds.
// An M/M/n+M simulation of this test's size (1,500 contacts, 10 % warm-up,
// 10 batches), 2,000 times, failed the three figures 8 times (0.4 %, the
// batches being slightly correlated) and never missed the model with
// twice the patience.
const tQuantile = 4.781

// TestSim_AgreesWithErlangA runs the simulator against a real node with
// one region, a flat arrival rate and exponential handle times and
// patiences, contacts coming through the queue API, and checks that the
// share who waited, the share who left and the mean wait agree with the
// Erlang-A (M/M/n+M) model within their sampling error.
//
// It is built to hold on a loaded machine and under the race detector:
//   - waits come from the queue's own times (enqueued; offered to the
//     navigator who took it, the model's start of service; ended, when
//     abandoned), not from the simulator's clock;
//   - a navigator's handle time runs from the offer, and a person's
//     patience from just before the request that queues them, so that
//     request times count neither as waiting nor against patience;
//   - what requests still add to a navigator's time with a contact (the
//     request that finishes it, tens of milliseconds on a loaded machine
//     under -race, against 0.8 s of handle time) is in the model: it is
//     given the mean handle time the queue measured, and the test checks
//     apart that the simulator drew handle times and patiences with the
//     means asked for;
//   - the tolerance is the sampling error alone: tQuantile standard
//     errors from 10 batch means.
//
// And it has power: the same figures must reject the model with twice
// the patience (a simulator that drew patience wrong by that much, or a
// queue that kept callers twice as long, fails).
//
// Contacts come through the queue API rather than the voice webhooks
// (TestSim_EveryChannel drives those): a call's six requests through
// the Twilio stand-in cost more CPU than the race detector leaves on a
// loaded machine, and while a call's connect request runs the caller
// can hang up on an offered navigator, which M/M/n+M does not model.
func TestSim_AgreesWithErlangA(t *testing.T) {
	if testing.Short() {
		t.Skip("two minutes of simulation")
	}
	tg := startNode(t, "east")
	// Ten navigators, 225 contacts an hour, 4 minutes' handle time and 2
	// minutes' patience: 15 erlangs offered to 10 navigators, a surge,
	// when the mean wait depends most on patience (the power below). At
	// scale 240 a handle time is a second, and 6 h 40 min (about 1,500
	// contacts) run in 100 s.
	cfg := Config{Targets: []Target{tg}, Token: "tok-east", Navigators: 10, Mix: map[string]float64{ChannelAPI: 1},
		PerHour: 225, Flat: true, Handle: 4 * time.Minute, Patience: 2 * time.Minute,
		Duration: 400 * time.Minute, Scale: 240, WarmUp: 0.1, Seed: 7}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	m := r.Model
	if m == nil {
		t.Fatal("no model figures for a flat rate")
	}
	t.Logf("simulated: waited %v, abandoned %v, mean wait %v s (%d contacts)", r.PWait, r.PAbandon, r.MeanWait, r.Arrivals)
	t.Logf("handle: %.1f s as the queue saw it, %.1f s drawn (mean asked %.0f s); patience drawn %.1f s (asked %.0f s)",
		r.HandleMean, r.HandleDrawn, cfg.Handle.Seconds(), r.PatienceDrawn, cfg.Patience.Seconds())
	t.Logf("Erlang-A:  waited %.3f, abandoned %.3f, mean wait %.1f s", m.PWait, m.PAbandon, m.MeanWait)
	if r.Arrivals < 1200 || r.Unknown > 0 {
		t.Fatalf("%d contacts after the warm-up (%d not found in the queue); want at least 1200, all found", r.Arrivals, r.Unknown)
	}
	// Exponential times: the standard error of a mean of n is mean/sqrt(n).
	for _, c := range []struct {
		name      string
		got, want float64
		n         int
	}{{"handle time", r.HandleDrawn, cfg.Handle.Seconds(), r.Answered}, {"patience", r.PatienceDrawn, cfg.Patience.Seconds(), r.Arrivals}} {
		if se := c.want / math.Sqrt(float64(c.n)); math.Abs(c.got-c.want) > tQuantile*se {
			t.Errorf("the simulator drew a mean %s of %.1f s over %d; want %.0f ± %.1f s", c.name, c.got, c.n, c.want, tQuantile*se)
		}
	}
	if bad := disagree(r, *m); len(bad) > 0 {
		t.Errorf("the simulation disagrees with Erlang-A: %v", bad)
	}
	wrong := cfg
	wrong.Surge, wrong.Patience = 1, 2*cfg.Patience
	wm, err := Model(wrong, r.HandleMean)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Erlang-A with twice the patience: waited %.3f, abandoned %.3f, mean wait %.1f s", wm.PWait, wm.PAbandon, wm.MeanWait)
	if len(disagree(r, wm)) == 0 {
		t.Errorf("the figures do not reject the model with twice the patience: the check has no power (sample too small)")
	}
	if len(r.Double) > 0 {
		t.Errorf("contacts given to two navigators: %v", r.Double)
	}
}

// disagree lists the figures of r more than tQuantile standard errors
// from the model's.
func disagree(r *Result, m ErlangAResult) []string {
	var bad []string
	for _, c := range []struct {
		name string
		got  Figure
		want float64
	}{{"waited", r.PWait, m.PWait}, {"abandoned", r.PAbandon, m.PAbandon}, {"mean wait", r.MeanWait, m.MeanWait}} {
		if d := math.Abs(c.got.Mean - c.want); d > tQuantile*c.got.SE {
			bad = append(bad, c.name+": simulated "+c.got.String()+", model "+ftoa(c.want))
		}
	}
	return bad
}

func ftoa(f float64) string { return Figure{Mean: f}.String() }
