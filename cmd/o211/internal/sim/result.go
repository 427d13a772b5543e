package sim

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/o211/o211/node/queue"
)

// Figure is a measured mean with its standard error (batch means over
// Batches batches of consecutive arrivals).
type Figure struct {
	Mean, SE float64
}

func (f Figure) String() string { return fmt.Sprintf("%.3f ± %.3f", f.Mean, f.SE) }

// Result is a region's simulation, from the queue's own times of each
// contact (waits in simulated seconds), after the warm-up.
type Result struct {
	Region                        string
	Arrivals, Answered, Abandoned int
	// Unknown counts contacts the queue never showed (a text or e-mail
	// nobody took, whose id the person never learns).
	Unknown int
	// ByChannel counts the arrivals of each channel.
	ByChannel map[string]int
	// PWait is the share of contacts the queue could not give a navigator
	// at once (the model's "all agents busy"); PAbandon the share who
	// left before; MeanWait the mean wait of all (answered: until the
	// queue gave them a navigator; abandoned: until they left), seconds.
	PWait, PAbandon, MeanWait Figure
	// ServiceLevel is the share answered (accepted) within 90 s of those
	// who left the queue; WaitP90 the 90th percentile wait of the
	// answered, until accepted.
	ServiceLevel, WaitP90 float64
	// HandleMean is the mean time navigators had a contact, from the
	// offer to the end as the queue saw it (the model's service time: the
	// drawn time plus the requests'), seconds; HandleDrawn the mean of
	// the times the navigators drew for the same contacts, PatienceDrawn
	// that of the callers' patiences.
	HandleMean, HandleDrawn, PatienceDrawn float64
	// Double lists the contacts two navigators were given (must be none).
	Double []string
	// Node is the node's own /api/v1/queue/stats, its times in simulated
	// seconds.
	Node queue.Stats
	// Model is Erlang-A's prediction for a flat rate (nil otherwise), with
	// the handle time the queue measured (HandleMean): request times on a
	// loaded machine lengthen the navigators' time with a contact, and
	// the model is of the queue that was.
	Model *ErlangAResult
}

// result reads each contact's times from the queue and sums them up, and
// reads the node's figures.
func (r *region) result(ctx context.Context) (*Result, error) {
	r.mu.Lock()
	cs := append([]*caller(nil), r.callers...)
	res := &Result{Region: r.t.Region, Double: r.double, ByChannel: map[string]int{}}
	r.mu.Unlock()
	sort.Slice(cs, func(i, j int) bool { return cs[i].n < cs[j].n })
	cs = cs[int(float64(len(cs))*r.cfg.WarmUp):]
	sts, err := r.statuses(ctx, cs)
	if err != nil {
		return res, err
	}
	var busy, gone, wait, answered []float64
	var handle, drawn, patience float64
	in90 := 0
	for i, st := range sts {
		res.ByChannel[cs[i].channel]++
		if st == nil {
			res.Unknown++
			continue
		}
		w, ab := r.simulated(st.Offered.Sub(st.Item.Enqueued)), st.State == queue.StateAbandoned && st.Answered.IsZero()
		if ab {
			w = r.simulated(st.Ended.Sub(st.Item.Enqueued))
			res.Abandoned++
		} else if !st.Answered.IsZero() {
			res.Answered++
			a := r.simulated(st.Answered.Sub(st.Item.Enqueued))
			answered = append(answered, a)
			if a <= 90 {
				in90++
			}
			handle += r.simulated(st.Ended.Sub(st.Offered))
			drawn += cs[i].drawn.Seconds()
		} else {
			res.Unknown++ // still waiting when the run ended
			continue
		}
		patience += cs[i].patience.Seconds()
		busy, gone, wait = append(busy, b2f(w > 0)), append(gone, b2f(ab)), append(wait, w)
	}
	res.Arrivals = len(wait)
	res.PWait, res.PAbandon, res.MeanWait = batchMeans(busy), batchMeans(gone), batchMeans(wait)
	if res.Arrivals > 0 {
		res.ServiceLevel = float64(in90) / float64(res.Arrivals)
		res.PatienceDrawn = patience / float64(res.Arrivals)
	}
	if len(answered) > 0 {
		res.HandleMean, res.HandleDrawn = handle/float64(len(answered)), drawn/float64(len(answered))
		sort.Float64s(answered)
		res.WaitP90 = answered[int(math.Ceil(0.9*float64(len(answered))))-1]
	}
	if err := r.nodeStats(ctx, res); err != nil {
		return res, err
	}
	return res, nil
}

// statuses reads the queue's record of each contact (nil for one not
// found), from the items that ended since the run began.
func (r *region) statuses(ctx context.Context, cs []*caller) ([]*queue.ItemStatus, error) {
	var page struct {
		Items []queue.ItemStatus `json:"items"`
		Next  string             `json:"next"`
	}
	since := r.start.Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	byKey := map[string]*queue.ItemStatus{}
	for cursor := ""; ; cursor = page.Next {
		page.Items, page.Next = nil, ""
		q := url.Values{"since": {since}, "cursor": {cursor}}
		if _, err := r.admin.do(ctx, "GET", "/api/v1/queue/ended?"+q.Encode(), nil, &page); err != nil {
			return nil, fmt.Errorf("reading the contacts that ended from the queue: %w", err)
		}
		for i := range page.Items {
			st := &page.Items[i]
			for _, k := range []string{"id:" + st.Item.ID, "ref:" + st.Item.Ref, "from:" + strings.ToLower(st.Item.From)} {
				if byKey[k] == nil {
					byKey[k] = st
				}
			}
		}
		if page.Next == "" {
			break
		}
	}
	out := make([]*queue.ItemStatus, len(cs))
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, c := range cs {
		out[i] = byKey[c.key]
	}
	return out, nil
}

// nodeStats reads the node's service level and, for a flat rate, the
// model's.
func (r *region) nodeStats(ctx context.Context, res *Result) error {
	if _, err := r.admin.do(ctx, "GET", "/api/v1/queue/stats", nil, &res.Node); err != nil {
		return fmt.Errorf("reading the node's stats: %w", err)
	}
	scaleLevel(&res.Node.Total, r.cfg.Scale)
	for i := range res.Node.Levels {
		scaleLevel(&res.Node.Levels[i], r.cfg.Scale)
	}
	if r.cfg.Flat && res.HandleMean > 0 {
		if m, err := Model(r.cfg, res.HandleMean); err == nil {
			res.Model = &m
		}
	}
	return nil
}

// Model is Erlang-A for a run's arrival rate and patience and a mean
// handle time in seconds (one channel, capacity one).
func Model(cfg Config, handle float64) (ErlangAResult, error) {
	return ErlangA{Lambda: cfg.PerHour * cfg.Surge / 3600, Mu: 1 / handle,
		Theta: 1 / cfg.Patience.Seconds(), N: cfg.Navigators}.Solve()
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

// Batches is how many batches of consecutive contacts a Figure's
// standard error comes from (batch means: one contact's figures are
// correlated with the next's, batches far apart much less); the error's
// Student t has Batches-1 degrees of freedom.
const Batches = 10

// batchMeans returns the mean of xs and its standard error from Batches
// batches of consecutive values.
func batchMeans(xs []float64) Figure {
	const k = Batches
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
		fmt.Fprintf(w, "\nRegion %s: %d contacts (%s), %d answered, %d abandoned", r.Region, r.Arrivals, channels(r.ByChannel), r.Answered, r.Abandoned)
		if r.Unknown > 0 {
			fmt.Fprintf(w, ", %d not seen in the queue", r.Unknown)
		}
		fmt.Fprintf(w, "\n  contacts: answered within 90 s %.1f%%, abandoned %s, waited %s, mean wait %s s, p90 wait (answered) %.0f s, handle %.0f s\n",
			100*r.ServiceLevel, r.PAbandon, r.PWait, r.MeanWait, r.WaitP90, r.HandleMean)
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
			fmt.Fprintf(w, "  Erlang-A: abandoned %.3f, waited %.3f, mean wait %.1f s (for the handle time the queue saw, %.0f s; drawn %.0f s)\n",
				m.PAbandon, m.PWait, m.MeanWait, r.HandleMean, r.HandleDrawn)
		}
		if len(r.Double) > 0 {
			fmt.Fprintf(w, "  CONTACTS GIVEN TO TWO NAVIGATORS: %v\n", r.Double)
		}
	}
}

// channels writes counts by channel: "phone 12, chat 5".
func channels(by map[string]int) string {
	names := make([]string, 0, len(by))
	for ch := range by {
		names = append(names, ch)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, ch := range names {
		parts[i] = fmt.Sprintf("%s %d", ch, by[ch])
	}
	return strings.Join(parts, ", ")
}
