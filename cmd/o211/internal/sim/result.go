package sim

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/o211/o211/node/queue"
)

// Figure is a measured mean with its standard error (batch means over
// ten batches of consecutive arrivals).
type Figure struct {
	Mean, SE float64
}

func (f Figure) String() string { return fmt.Sprintf("%.3f ± %.3f", f.Mean, f.SE) }

// Result is a region's simulation as the callers saw it (waits in
// simulated seconds), after the warm-up.
type Result struct {
	Region                        string
	Arrivals, Answered, Abandoned int
	// PWait is the share of callers who found every navigator busy;
	// PAbandon the share who hung up; MeanWait the mean wait of all
	// callers (answered or not), seconds.
	PWait, PAbandon, MeanWait Figure
	// ServiceLevel is the share answered within 90 s of those who left
	// the queue; WaitP90 the 90th percentile wait of the answered.
	ServiceLevel, WaitP90 float64
	// Double lists the contacts two navigators were given (must be none).
	Double []string
	// Node is the node's own /api/v1/queue/stats, its times in simulated
	// seconds.
	Node queue.Stats
	// Model is Erlang-A's prediction for a flat rate (nil otherwise).
	Model *ErlangAResult
}

// result sums up the callers and reads the node's figures.
func (r *region) result(ctx context.Context) (*Result, error) {
	r.mu.Lock()
	cs := make([]*caller, 0, len(r.callers))
	for _, c := range r.callers {
		cs = append(cs, c)
	}
	res := &Result{Region: r.t.Region, Double: r.double}
	r.mu.Unlock()
	sort.Slice(cs, func(i, j int) bool { return cs[i].n < cs[j].n })
	cs = cs[int(float64(len(cs))*r.cfg.WarmUp):]
	var busy, gone, wait []float64
	var answered []float64
	in90 := 0
	for _, c := range cs {
		w := r.simulated(c.at.Sub(c.arrived))
		busy, gone, wait = append(busy, b2f(c.allBusy)), append(gone, b2f(c.gone)), append(wait, w)
		if c.gone {
			res.Abandoned++
		} else {
			res.Answered++
			answered = append(answered, w)
			if w <= 90 {
				in90++
			}
		}
	}
	res.Arrivals = len(cs)
	res.PWait, res.PAbandon, res.MeanWait = batchMeans(busy), batchMeans(gone), batchMeans(wait)
	if len(cs) > 0 {
		res.ServiceLevel = float64(in90) / float64(len(cs))
	}
	if len(answered) > 0 {
		sort.Float64s(answered)
		res.WaitP90 = answered[int(math.Ceil(0.9*float64(len(answered))))-1]
	}
	if _, err := r.admin.do(ctx, "GET", "/api/v1/queue/stats", nil, &res.Node); err != nil {
		return res, fmt.Errorf("reading the node's stats: %w", err)
	}
	scaleLevel(&res.Node.Total, r.cfg.Scale)
	for i := range res.Node.Levels {
		scaleLevel(&res.Node.Levels[i], r.cfg.Scale)
	}
	if r.cfg.Flat {
		m, err := r.model()
		if err == nil {
			res.Model = &m
		}
	}
	return res, nil
}

// model is Erlang-A for the run's parameters (one channel, capacity one).
func (r *region) model() (ErlangAResult, error) {
	return ErlangA{Lambda: r.cfg.PerHour * r.cfg.Surge / 3600, Mu: 1 / r.cfg.Handle.Seconds(),
		Theta: 1 / r.cfg.Patience.Seconds(), N: r.cfg.Navigators}.Solve()
}

func scaleLevel(l *queue.Level, s float64) {
	l.WaitAvg *= s
	l.WaitP90 *= s
	l.WaitAllAvg *= s
	l.HandleAvg *= s
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// batchMeans returns the mean of xs and its standard error from ten
// batches of consecutive values (which are correlated one by one).
func batchMeans(xs []float64) Figure {
	const k = 10
	if len(xs) < k {
		return Figure{Mean: mean(xs)}
	}
	size := len(xs) / k
	ms := make([]float64, k)
	for i := range k {
		ms[i] = mean(xs[i*size : (i+1)*size])
	}
	m := mean(ms)
	var ss float64
	for _, v := range ms {
		ss += (v - m) * (v - m)
	}
	return Figure{Mean: mean(xs), SE: math.Sqrt(ss / float64(k-1) / k)}
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// Print writes the results as a table per region.
func Print(w io.Writer, cfg Config, res []*Result) {
	day := cfg.Duration
	fmt.Fprintf(w, "Simulated %v (%v real at scale %g), %d navigators a region, surge %g.\n",
		day, time.Duration(float64(day)/max(cfg.Scale, 1e-9)).Round(time.Second), cfg.Scale, cfg.Navigators, cfg.Surge)
	for _, r := range res {
		if r == nil {
			continue
		}
		fmt.Fprintf(w, "\nRegion %s: %d callers, %d answered, %d abandoned\n", r.Region, r.Arrivals, r.Answered, r.Abandoned)
		fmt.Fprintf(w, "  callers:  answered within 90 s %.1f%%, abandoned %s, waited %s, mean wait %s s, p90 wait (answered) %.0f s\n",
			100*r.ServiceLevel, r.PAbandon, r.PWait, r.MeanWait, r.WaitP90)
		t := r.Node.Total
		// The node's service level counts answers within 90 s of its own
		// (real) clock: only meaningful at scale 1, so it is left out.
		fmt.Fprintf(w, "  node:     abandon rate %.3f, mean wait %.1f s (answered %.1f s, p90 %.0f s), handle %.0f s\n",
			t.AbandonRate, t.WaitAllAvg, t.WaitAvg, t.WaitP90, t.HandleAvg)
		for _, l := range r.Node.Levels {
			fmt.Fprintf(w, "    %-6s %-3s arrived %d, abandon %.3f, wait avg %.1f s p90 %.0f s, handle %.0f s\n",
				l.Channel, l.Language, l.Arrived, l.AbandonRate, l.WaitAvg, l.WaitP90, l.HandleAvg)
		}
		if m := r.Model; m != nil {
			fmt.Fprintf(w, "  Erlang-A: abandoned %.3f, waited %.3f, mean wait %.1f s\n", m.PAbandon, m.PWait, m.MeanWait)
		}
		if len(r.Double) > 0 {
			fmt.Fprintf(w, "  CONTACTS GIVEN TO TWO NAVIGATORS: %v\n", r.Double)
		}
	}
}
