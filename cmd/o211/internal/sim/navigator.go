package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
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
		nv.token, nv.tokenID, err = navigatorToken(ctx, r.t.URL, r.cfg.Token, nv.name, r.cfg.Password, r.cfg.HTTP)
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
		nv.c.do(ctx, "PUT", "/api/v1/queue/presence", map[string]any{"state": "away", "languages": nv.langs}, nil)
		if nv.tokenID != "" {
			nv.c.do(ctx, "DELETE", "/api/v1/tokens/"+nv.tokenID, nil, nil)
		}
	}
}

// offer is the part of the node's offer the navigator reads.
type offer struct {
	Item struct {
		ID string `json:"id"`
	} `json:"item"`
}

// run takes offers until ctx ends: accept, handle for a drawn time,
// finish, available again. After a failed request (the node restarting)
// it asks the node which contacts it has, and finishes those.
func (nv *navigator) run(ctx context.Context, r *region, rng *rand.Rand) {
	present := false
	for ctx.Err() == nil {
		if !present {
			if _, err := nv.c.do(ctx, "PUT", "/api/v1/queue/presence", map[string]any{"state": "available", "languages": nv.langs}, nil); err != nil {
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
			continue // the offer timed out or the caller hung up
		}
		ids := []string{o.Item.ID}
		if err != nil && !nv.mine(ctx, &ids) {
			present = false
			continue
		}
		for _, id := range ids {
			if !nv.handle(r, rng, id) {
				present = false
			}
		}
	}
}

// mine asks the node which contacts the navigator has (after a request
// whose answer was lost), into ids; false when it could not.
func (nv *navigator) mine(ctx context.Context, ids *[]string) bool {
	var m struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if _, err := nv.c.do(ctx, "GET", "/api/v1/queue/mine", nil, &m); err != nil {
		return false
	}
	*ids = (*ids)[:0]
	for _, it := range m.Items {
		*ids = append(*ids, it.ID)
	}
	return true
}

// handle is one contact: answered, handled for a drawn time, finished.
// It reports whether the navigator is still available (finished without
// wrap-up).
func (nv *navigator) handle(r *region, rng *rand.Rand, id string) bool {
	r.answer(id, nv.name)
	r.mu.Lock()
	r.busy++
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.busy--
		r.mu.Unlock()
	}()
	// The contact is handled to its end even when the run stops.
	time.Sleep(r.real(time.Duration(rng.ExpFloat64() * float64(r.cfg.Handle))))
	dctx, cancel := context.WithTimeout(context.Background(), r.cfg.Retry+10*time.Second)
	defer cancel()
	_, err := nv.c.do(dctx, "POST", "/api/v1/queue/items/"+id+"/done", map[string]any{"outcome": "simulated", "ready": true}, nil)
	if err != nil && statusOf(err) != http.StatusNotFound {
		fmt.Fprintf(r.cfg.Log, "%s: %s could not finish %s: %v\n", r.t.Region, nv.name, id, err)
	}
	return err == nil
}

func (nv *navigator) pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(50 * time.Millisecond):
	}
}
