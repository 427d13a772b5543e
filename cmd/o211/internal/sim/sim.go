// Package sim is `o211 sim`: a simulator of a 211 centre's day that
// drives running nodes through their real HTTP APIs. Callers arrive as a
// Poisson process whose rate follows a daily curve (times a surge
// factor), wait with an exponential patience and hang up when it runs
// out; navigators sign in through the console, set themselves available,
// take the offers the node makes, handle each contact for an exponential
// time and finish it. All durations are divided by a time scale, so that
// a day runs in minutes. It reports the service level per region, as the
// callers saw it and as the node's /api/v1/queue/stats says, beside the
// Erlang-A model's figures for a flat curve.
//
// Contacts enter through the queue API (POST /api/v1/queue/items with
// the node's admin token), not yet through the channel gateway's
// webhooks.
package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Target is one node to drive.
type Target struct {
	Region string
	URL    string
}

// DailyCurve is a 211 centre's arrivals by hour of the day, relative to
// the day's mean (it averages 1): quiet at night, a peak late morning and
// another early evening.
var DailyCurve = [24]float64{0.25, 0.2, 0.15, 0.15, 0.15, 0.2, 0.4, 0.8, 1.3, 1.6, 1.7, 1.6,
	1.5, 1.5, 1.5, 1.4, 1.4, 1.5, 1.5, 1.3, 1.1, 0.9, 0.6, 0.35}

// Config configures a simulation. Durations are simulated time.
type Config struct {
	Targets []Target
	// Token is the nodes' admin (bootstrap) token.
	Token string
	// Navigators per region; FrenchEvery: every FrenchEvery-th navigator
	// also speaks French (0: none).
	Navigators  int
	FrenchEvery int
	// FrenchShare of contacts are in French.
	FrenchShare float64
	// PerHour is the mean arrivals an hour per region over a day (the
	// curve multiplies it); Surge multiplies it again.
	PerHour float64
	Surge   float64
	// Flat uses a constant rate instead of DailyCurve.
	Flat bool
	// StartHour is the hour of the day the simulation starts at.
	StartHour int
	// Handle and Patience are the means of the exponential handle times
	// and patiences.
	Handle, Patience time.Duration
	// Duration is how long arrivals go on.
	Duration time.Duration
	// Scale is simulated time per real time (60: an hour runs in a
	// minute).
	Scale float64
	// WarmUp is the share of the first arrivals left out of the figures
	// (the queue starts empty).
	WarmUp float64
	Seed   uint64
	// Retry is how long a request is retried while a node cannot be
	// reached (0: not at all).
	Retry time.Duration
	// OnStart, when set, is called with the region once its navigators
	// have signed in, as its calls begin.
	OnStart func(region string)
	// Password of the simulated navigators' accounts.
	Password string
	HTTP     *http.Client
	Log      io.Writer
}

func (c *Config) defaults() {
	if c.Navigators <= 0 {
		c.Navigators = 5
	}
	if c.Surge <= 0 {
		c.Surge = 1
	}
	if c.Scale <= 0 {
		c.Scale = 1
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	if c.Password == "" {
		c.Password = "o211-sim-navigator-password"
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// Run simulates every target at once and returns their results, in the
// order of cfg.Targets.
func Run(ctx context.Context, cfg Config) ([]*Result, error) {
	cfg.defaults()
	res := make([]*Result, len(cfg.Targets))
	errs := make([]error, len(cfg.Targets))
	var wg sync.WaitGroup
	for i, t := range cfg.Targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = runRegion(ctx, cfg, t, cfg.Seed+uint64(i))
			if errs[i] != nil {
				errs[i] = fmt.Errorf("region %s: %w", t.Region, errs[i])
			}
		}()
	}
	wg.Wait()
	return res, errors.Join(errs...)
}

// region is the simulation of one node.
type region struct {
	cfg   Config
	t     Target
	admin *client
	start time.Time
	navs  []*navigator

	mu      sync.Mutex
	callers map[string]*caller
	busy    int
	double  []string // items accepted by two navigators (must stay empty)
}

// caller is one simulated person.
type caller struct {
	id       string
	n        int // arrival number
	language string
	arrived  time.Time
	allBusy  bool
	answered chan struct{}
	once     sync.Once
	by       string
	at       time.Time
	gone     bool // abandoned
}

// real turns simulated time into real time.
func (r *region) real(d time.Duration) time.Duration { return time.Duration(float64(d) / r.cfg.Scale) }

// simulated turns real time into simulated seconds.
func (r *region) simulated(d time.Duration) float64 { return d.Seconds() * r.cfg.Scale }

func runRegion(ctx context.Context, cfg Config, t Target, seed uint64) (*Result, error) {
	r := &region{cfg: cfg, t: t, callers: map[string]*caller{},
		admin: &client{base: t.URL, token: cfg.Token, hc: cfg.HTTP, retry: cfg.Retry}}
	if err := r.signIn(ctx); err != nil {
		return nil, err
	}
	defer r.signOut()
	nctx, stopNavs := context.WithCancel(ctx)
	defer stopNavs()
	var nwg sync.WaitGroup
	for i, nv := range r.navs {
		nwg.Add(1)
		go func() {
			defer nwg.Done()
			nv.run(nctx, r, rand.New(rand.NewPCG(seed, uint64(1000+i))))
		}()
	}
	if cfg.OnStart != nil {
		cfg.OnStart(t.Region)
	}
	r.start = time.Now()
	var cwg sync.WaitGroup
	err := r.arrivals(ctx, rand.New(rand.NewPCG(seed, 1)), &cwg)
	cwg.Wait()
	stopNavs()
	nwg.Wait()
	if err != nil {
		return nil, err
	}
	return r.result(ctx)
}

// arrivals makes callers arrive as a Poisson process with the day's
// rate, by thinning one of the highest rate.
func (r *region) arrivals(ctx context.Context, rng *rand.Rand, wg *sync.WaitGroup) error {
	peak := r.cfg.PerHour * r.cfg.Surge / 3600
	if !r.cfg.Flat {
		peak *= maxOf(DailyCurve[:])
	}
	if peak <= 0 {
		return fmt.Errorf("no arrivals: give a rate per hour")
	}
	var errOnce sync.Once
	var firstErr error
	t, n := 0.0, 0
	for {
		t += rng.ExpFloat64() / peak
		if t > r.cfg.Duration.Seconds() {
			return firstErr
		}
		if rng.Float64()*peak > r.rate(t) {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(r.start.Add(r.real(time.Duration(t * float64(time.Second)))))):
		}
		c := &caller{id: fmt.Sprintf("sim-%s-%d-%d", r.t.Region, r.start.UnixNano()%1e9, n), n: n, language: "en", answered: make(chan struct{})}
		if rng.Float64() < r.cfg.FrenchShare {
			c.language = "fr"
		}
		patience := time.Duration(rng.ExpFloat64() * float64(r.cfg.Patience))
		n++
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.call(ctx, c, patience); err != nil {
				errOnce.Do(func() { firstErr = err })
			}
		}()
	}
}

// rate is the arrival rate (per simulated second) t seconds in.
func (r *region) rate(t float64) float64 {
	base := r.cfg.PerHour * r.cfg.Surge / 3600
	if r.cfg.Flat {
		return base
	}
	hour := (r.cfg.StartHour + int(t/3600)) % 24
	return base * DailyCurve[hour]
}

// call is one caller: enqueued, then answered or gone when patience runs
// out.
func (r *region) call(ctx context.Context, c *caller, patience time.Duration) error {
	r.mu.Lock()
	c.allBusy = r.busy >= len(r.navs)
	c.arrived = time.Now()
	r.callers[c.id] = c
	r.mu.Unlock()
	it := map[string]any{"id": c.id, "channel": "phone", "language": c.language, "from": "+1613555" + fmt.Sprintf("%04d", c.n%10000)}
	if _, err := r.admin.do(ctx, "POST", "/api/v1/queue/items", it, nil); err != nil && statusOf(err) != http.StatusConflict {
		return fmt.Errorf("enqueue: %w", err)
	}
	select {
	case <-c.answered:
		return nil
	case <-time.After(r.real(patience)):
	case <-ctx.Done():
		return ctx.Err()
	}
	_, err := r.admin.do(ctx, "POST", "/api/v1/queue/items/"+c.id+"/abandon", map[string]any{"reason": "hung up", "if_waiting": true}, nil)
	if statusOf(err) == http.StatusConflict {
		<-c.answered // a navigator has it: the conversation goes on
		return nil
	}
	if err != nil {
		return fmt.Errorf("abandon: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.by == "" {
		c.gone, c.at = true, time.Now()
	}
	return nil
}

// answer records that navigator nav has caller id.
func (r *region) answer(id, nav string) {
	r.mu.Lock()
	c := r.callers[id]
	if c == nil {
		r.mu.Unlock()
		return
	}
	if c.by != "" && c.by != nav {
		r.double = append(r.double, id)
	}
	if c.by == "" {
		c.by, c.at = nav, time.Now()
	}
	r.mu.Unlock()
	c.once.Do(func() { close(c.answered) })
}
