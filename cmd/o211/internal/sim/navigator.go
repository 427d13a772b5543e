package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// navigator is one simulated navigator with their own token.
type navigator struct {
	name, token, tokenID string
	langs                []string
	c                    *client
}

// signIn makes the region's navigators and their tokens.
func (r *region) signIn(ctx context.Context) error {
	for i := range r.cfg.Navigators {
		nv := &navigator{name: fmt.Sprintf("sim-nav-%02d", i+1), langs: []string{"en"}}
		if r.cfg.FrenchEvery > 0 && i%r.cfg.FrenchEvery == 0 {
			nv.langs = append(nv.langs, "fr")
		}
		var err error
		nv.token, nv.tokenID, err = navigatorToken(ctx, r.t.URL, r.cfg.Token, nv.name, r.cfg.Password, nv.langs, r.cfg.HTTP)
		if err != nil {
			return err
		}
		nv.c = &client{base: r.t.URL, token: nv.token, hc: r.cfg.HTTP, retry: r.cfg.Retry}
		r.navs = append(r.navs, nv)
	}
	return nil
}

// signOut sets the navigators away and revokes their tokens.
func (r *region) signOut() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, nv := range r.navs {
		nv.c.do(ctx, "PUT", "/api/v1/queue/presence", map[string]any{"state": "away"}, nil)
		if nv.tokenID != "" {
			nv.c.do(ctx, "DELETE", "/api/v1/tokens/"+nv.tokenID, nil, nil)
		}
	}
}

// offer is the part of the node's offer the navigator reads.
type offer struct {
	Item item      `json:"item"`
	At   time.Time `json:"offered"`
}

// run takes offers until ctx ends: accept, and handle each contact for a
// drawn time beside the next offers (a navigator may have a call and
// chats at once: the node keeps to each channel's capacity). After a
// failed request (the node restarting) it asks the node which contacts
// it has, and finishes those.
func (nv *navigator) run(ctx context.Context, r *region, rng *rand.Rand) {
	var hwg sync.WaitGroup
	defer hwg.Wait()
	present := false
	for ctx.Err() == nil {
		if !present {
			if _, err := nv.c.do(ctx, "PUT", "/api/v1/queue/presence", map[string]any{"state": "available"}, nil); err != nil {
				nv.pause(ctx)
				continue
			}
			present = true
		}
		var o offer
		code, err := nv.c.do(ctx, "GET", "/api/v1/queue/offer?wait=2s", nil, &o)
		if err != nil || code == http.StatusNoContent {
			// After an error, or two seconds without an offer (the node
			// may have restarted and forgotten the presence), say it again.
			present = false
			if err != nil {
				nv.pause(ctx)
			}
			continue
		}
		_, err = nv.c.do(ctx, "POST", "/api/v1/queue/items/"+o.Item.ID+"/accept", nil, nil)
		if statusOf(err) != 0 {
			continue // the offer timed out or the person left
		}
		took := []offer{o}
		if err != nil {
			if took = nv.mine(ctx); took == nil {
				present = false
				continue
			}
		}
		for _, o := range took {
			d := time.Duration(rng.ExpFloat64() * float64(r.cfg.Handle))
			hwg.Add(1)
			go func() {
				defer hwg.Done()
				nv.handle(r, o, d)
			}()
		}
	}
}

// mine asks the node which contacts the navigator has (after a request
// whose answer was lost); nil when it could not.
func (nv *navigator) mine(ctx context.Context) []offer {
	var m struct {
		Items []item `json:"items"`
	}
	if _, err := nv.c.do(ctx, "GET", "/api/v1/queue/mine", nil, &m); err != nil {
		return nil
	}
	out := []offer{}
	for _, it := range m.Items {
		out = append(out, offer{Item: it, At: time.Now()})
	}
	return out
}

// handle is one contact: answered, handled for the drawn time d counted
// from the offer (from when the node gave the navigator the contact, so
// that the request to accept is part of the handle time, as it is of
// the navigator's time in the model), finished.
func (nv *navigator) handle(r *region, o offer, d time.Duration) {
	c := r.answer(o.Item, nv.name, d)
	left := time.Until(o.At.Add(r.real(d)))
	// The clocks of the simulator and a distant node may differ: never
	// less than nothing nor more than the whole drawn time.
	time.Sleep(min(max(left, 0), r.real(d)))
	dctx, cancel := context.WithTimeout(context.Background(), r.cfg.Retry+10*time.Second)
	defer cancel()
	_, err := nv.c.do(dctx, "POST", "/api/v1/queue/items/"+o.Item.ID+"/done", map[string]any{"outcome": "simulated", "ready": true}, nil)
	if err != nil && statusOf(err) != http.StatusNotFound {
		fmt.Fprintf(r.cfg.Log, "%s: %s could not finish %s: %v\n", r.t.Region, nv.name, o.Item.ID, err)
	}
	if c != nil {
		c.done()
	}
}

func (nv *navigator) pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(50 * time.Millisecond):
	}
}
