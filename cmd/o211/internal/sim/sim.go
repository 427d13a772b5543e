// Package sim is `o211 sim`: a simulator of a 211 centre's day that
// drives running nodes through the same doors people and navigators use.
// People arrive as a Poisson process whose rate follows a daily curve
// (times a surge factor) and reach the node on a channel drawn from a
// mix: a phone call through the node's signed Twilio voice webhooks
// (greeting, language digit, postal code spoken; a hang-up's status
// callback when their patience runs out), a text through the SMS
// webhook, a web chat over the node's WebSocket (they leave when their
// patience runs out), or an e-mail over SMTP. Calls and texts go through
// a Twilio stand-in's phone network (node/gateway/twiliotest: the
// demo's, whose REST API the node also connects calls with). Navigators
// sign in through the console, are given their languages by an
// administrator on their account, set themselves available through the
// queue API, take the offers the node makes, handle each contact for an
// exponential time and finish it. All durations are divided by a time
// scale, so that a day runs in minutes.
//
// It reports the service level per region from the queue's own times
// of each contact (GET /api/v1/queue/items/{id}), beside the node's
// /api/v1/queue/stats and, for a flat rate, the Erlang-A model's
// figures.
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

	"github.com/o211/o211"
	"github.com/o211/o211/node/gateway/twiliotest"
)

// Target is one node to drive, and its channels' doors.
type Target struct {
	Region string
	URL    string
	// Phone is the Twilio stand-in's phone network that calls and texts
	// go through (nil: no calls or texts); Number the centre's number.
	Phone  *twiliotest.Phone
	Number string
	// SMTP is the node's e-mail listener (host:port) and Mailbox the
	// address it takes ("": no e-mail).
	SMTP, Mailbox string
}

// The channels a contact may come by: ChannelAPI is a contact another
// program enqueues through the queue API with the admin token (no
// gateway: what a test that kills the node uses, since every request is
// retried).
const ChannelAPI = "api"

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
	// Mix is the share of contacts by channel ("phone", "text", "chat",
	// "email", ChannelAPI); a channel a target has no door for goes to
	// chat. Default: phone 0.55, chat 0.25, text 0.15, email 0.05.
	Mix map[string]float64
	// PerHour is the mean arrivals an hour per region over a day (the
	// curve multiplies it); Surge multiplies it again.
	PerHour float64
	Surge   float64
	// Flat uses a constant rate instead of DailyCurve.
	Flat bool
	// StartHour is the hour of the day the simulation starts at.
	StartHour int
	// Handle and Patience are the means of the exponential handle times
	// and patiences. Callers and chatters give up; texts and e-mails wait.
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
	// Retry is how long a queue API request is retried while a node
	// cannot be reached (0: not at all).
	Retry time.Duration
	// OnStart, when set, is called with the region once its navigators
	// have signed in, as its contacts begin.
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
		// Every navigator and person talks to the same few hosts at
		// once: keep their connections (the default keeps two a host,
		// and a new connection a request costs more than the request).
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 512
		c.HTTP = &http.Client{Timeout: 60 * time.Second, Transport: tr}
	}
	if c.Password == "" {
		c.Password = "o211-sim-navigator-password"
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	if len(c.Mix) == 0 {
		c.Mix = map[string]float64{string(o211.ChannelPhone): 0.55, string(o211.ChannelChat): 0.25,
			string(o211.ChannelText): 0.15, string(o211.ChannelEmail): 0.05}
	}
}

// Run simulates every target at once and returns their results, in the
// order of cfg.Targets.
func Run(ctx context.Context, cfg Config) ([]*Result, error) {
	cfg.defaults()
	for ch := range cfg.Mix {
		if _, ok := doors[ch]; !ok {
			return nil, o211.Errorf(o211.EINVALID, "unknown channel %q in the mix: use phone, text, chat, email or api", ch)
		}
	}
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
	cfg     Config
	t       Target
	admin   *client
	start   time.Time
	navs    []*navigator
	postals []string // postal codes the region serves

	mu      sync.Mutex
	callers []*caller
	byKey   map[string]*caller // "id:<item id>" and "from:<from>"
	double  []string           // items accepted by two navigators (must stay empty)
	errs    []error            // of the contacts that went wrong
}

// real turns simulated time into real time.
func (r *region) real(d time.Duration) time.Duration { return time.Duration(float64(d) / r.cfg.Scale) }

// simulated turns real time into simulated seconds.
func (r *region) simulated(d time.Duration) float64 { return d.Seconds() * r.cfg.Scale }

func runRegion(ctx context.Context, cfg Config, t Target, seed uint64) (*Result, error) {
	r := &region{cfg: cfg, t: t, byKey: map[string]*caller{}, postals: postalCodes(t.Region),
		admin: &client{base: t.URL, token: cfg.Token, hc: cfg.HTTP, retry: cfg.Retry}}
	if len(r.postals) == 0 {
		return nil, o211.Errorf(o211.EINVALID, "region %q serves no postal code: is it an Ontario region?", t.Region)
	}
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
	if err == nil {
		err = r.contactErrors()
	}
	if err != nil {
		return nil, err
	}
	return r.result(ctx)
}

// arrivals makes people arrive as a Poisson process with the day's rate,
// by thinning one of the highest rate.
func (r *region) arrivals(ctx context.Context, rng *rand.Rand, wg *sync.WaitGroup) error {
	peak := r.cfg.PerHour * r.cfg.Surge / 3600
	if !r.cfg.Flat {
		peak *= maxOf(DailyCurve[:])
	}
	if peak <= 0 {
		return fmt.Errorf("no arrivals: give a rate per hour")
	}
	t, n := 0.0, 0
	run := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	for {
		t += rng.ExpFloat64() / peak
		if t > r.cfg.Duration.Seconds() {
			return nil
		}
		if rng.Float64()*peak > r.rate(t) {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(r.start.Add(r.real(time.Duration(t * float64(time.Second)))))):
		}
		c := r.newCaller(rng, run, n)
		n++
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.contact(ctx, c); err != nil {
				r.mu.Lock()
				r.errs = append(r.errs, err)
				r.mu.Unlock()
			}
		}()
	}
}

// contactErrors sums up the contacts that went wrong: the first three
// and how many.
func (r *region) contactErrors() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) == 0 {
		return nil
	}
	err := errors.Join(r.errs[:min(3, len(r.errs))]...)
	return fmt.Errorf("%d of %d contacts went wrong, the first: %w", len(r.errs), len(r.callers), err)
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
