package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/o211/o211"
	"github.com/o211/o211/node/geo"
)

// caller is one simulated person.
type caller struct {
	n        int // arrival number
	channel  string
	language string
	postal   string
	from     string // their number or address, unique to them
	patience time.Duration
	// key finds the queue item: "id:<item id>" (chat, api), "ref:<CallSid>"
	// (phone) or "from:<from>" (text, e-mail); id is the item's id once
	// a navigator took it (or from the start, for chat and api).
	key, id  string
	answered chan struct{}
	once     sync.Once
	by       string // the navigator who took them
	finished chan struct{}
	fonce    sync.Once
	gone     bool            // hung up or left before an answer
	ws       *websocket.Conn // a chat's connection
	// since is when their patience began: as they sent what queued them
	// (so that the request's time counts neither in the queue's wait nor
	// against their patience: it is on both sides).
	since time.Time
	drawn time.Duration // the handle time the navigator drew
}

// newCaller draws the n-th person of the run: channel, language, postal
// code, patience.
func (r *region) newCaller(rng *rand.Rand, run string, n int) *caller {
	c := &caller{n: n, channel: r.drawChannel(rng), language: "en", answered: make(chan struct{}), finished: make(chan struct{}),
		postal:   r.postals[rng.IntN(len(r.postals))],
		patience: time.Duration(rng.ExpFloat64() * float64(r.cfg.Patience))}
	if rng.Float64() < r.cfg.FrenchShare {
		c.language = "fr"
	}
	// 555 numbers are no Ontario area code: the postal code routes them.
	c.from = fmt.Sprintf("+1555%07d", (int(r.start.UnixNano()/1e6)+n*7919)%1e7)
	if c.channel == string(o211.ChannelEmail) {
		c.from = fmt.Sprintf("sim-%s-%s-%d@example.org", r.t.Region, run, n)
	}
	c.key = "from:" + strings.ToLower(c.from)
	if c.channel == ChannelAPI {
		c.id = fmt.Sprintf("sim-%s-%s-%d", r.t.Region, run, n)
		c.key = "id:" + c.id
	}
	return c
}

// drawChannel draws a channel from the mix, among those the target has a
// door for (the others' share goes to chat).
func (r *region) drawChannel(rng *rand.Rand) string {
	names := make([]string, 0, len(r.cfg.Mix))
	total := 0.0
	for ch, w := range r.cfg.Mix {
		names = append(names, ch)
		total += w
	}
	sort.Strings(names)
	x := rng.Float64() * total
	for _, ch := range names {
		if x -= r.cfg.Mix[ch]; x < 0 {
			if !r.hasDoor(ch) {
				return string(o211.ChannelChat)
			}
			return ch
		}
	}
	return string(o211.ChannelChat)
}

func (r *region) hasDoor(ch string) bool {
	switch o211.Channel(ch) {
	case o211.ChannelPhone, o211.ChannelText:
		return r.t.Phone != nil && r.t.Number != ""
	case o211.ChannelEmail:
		return r.t.SMTP != "" && r.t.Mailbox != ""
	}
	return true
}

// postalCodes returns postal codes in the FSAs a region serves.
func postalCodes(region string) []string {
	var out []string
	for _, f := range geo.FSAs() {
		if f.Region == region && !f.Rural() {
			out = append(out, f.Code+" 1A1")
		}
	}
	return out
}

// register makes the caller findable by its key.
func (r *region) register(c *caller) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.callers = append(r.callers, c)
	r.byKey[c.key] = c
}

// setKey records the key the caller's channel gave them ("id:<item>",
// "ref:<CallSid>").
func (r *region) setKey(c *caller, key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c.key = key
	r.byKey[key] = c
}

// contact is one person on their channel: they come in, wait until a
// navigator answers or their patience runs out, and leave when the
// navigator is done.
func (r *region) contact(ctx context.Context, c *caller) error {
	d := doors[c.channel]
	r.register(c)
	if err := d.come(ctx, r, c); err != nil {
		return fmt.Errorf("%s contact %d: %w", c.channel, c.n, err)
	}
	var out <-chan time.Time
	if d.gives {
		out = time.After(time.Until(c.since.Add(r.real(c.patience))))
	}
	select {
	case <-c.answered:
	case <-out:
		r.mu.Lock()
		c.gone = c.by == ""
		r.mu.Unlock()
		if !c.gone {
			break
		}
		stay, err := d.leave(ctx, r, c)
		if err != nil {
			return fmt.Errorf("%s contact %d leaving: %w", c.channel, c.n, err)
		}
		if !stay {
			return nil
		}
		r.mu.Lock()
		c.gone = false
		r.mu.Unlock()
		// A navigator took them as they left: the conversation goes on.
		select {
		case <-c.answered:
		case <-ctx.Done():
			return ctx.Err()
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-c.finished:
	case <-ctx.Done():
		return ctx.Err()
	}
	return d.end(ctx, r, c)
}

// answer records that navigator nav has the item it and returns its
// caller, or nil.
func (r *region) answer(it item, nav string, drawn time.Duration) *caller {
	r.mu.Lock()
	c := r.find(it)
	if c == nil {
		r.mu.Unlock()
		return nil
	}
	if c.by != "" && c.by != nav {
		r.double = append(r.double, it.ID)
	}
	if c.by == "" {
		c.by, c.drawn = nav, drawn
	}
	r.mu.Unlock()
	c.once.Do(func() { close(c.answered) })
	return c
}

// done tells the caller the navigator finished with them.
func (c *caller) done() { c.fonce.Do(func() { close(c.finished) }) }

// item is what the simulator reads of a queue item.
type item struct {
	ID   string `json:"id"`
	Ref  string `json:"ref"`
	From string `json:"from"`
}

// find returns the caller of it, or nil; r.mu is held.
func (r *region) find(it item) *caller {
	for _, k := range []string{"id:" + it.ID, "ref:" + it.Ref, "from:" + strings.ToLower(it.From)} {
		if c := r.byKey[k]; c != nil && !strings.HasSuffix(k, ":") {
			return c
		}
	}
	return nil
}
