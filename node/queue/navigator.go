package queue

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// Presence is what a navigator said about themselves, or what the queue
// made of it.
type Presence string

// The presences of a navigator. A navigator sets available, away or
// wrap-up; busy is shown while an available navigator has contacts.
const (
	Available Presence = "available"
	Busy      Presence = "busy"
	WrapUp    Presence = "wrap-up"
	Away      Presence = "away"
)

// ParsePresence returns the presence a navigator may set (available,
// wrap-up, away), or an EINVALID error.
func ParsePresence(s string) (Presence, error) {
	switch p := Presence(s); p {
	case Available, WrapUp, Away:
		return p, nil
	}
	return "", o211.FieldErrorf("state", "%q is not one of available, wrap-up, away", truncate(s, 20))
}

// Navigator is who sets a presence: a navigator's id (the actor's), the
// name shown, the languages they speak and the skills they hold.
type Navigator struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Languages []string `json:"languages"`
	Skills    []string `json:"skills,omitempty"`
}

// navigator is a navigator's state in memory.
type navigator struct {
	Navigator
	state  Presence
	since  time.Time // of state
	free   time.Time // last time they had room: longest free first
	offer  string    // the item offered to them, or ""
	active map[o211.Channel]int
}

// offer is a standing offer.
type offer struct {
	item, nav string
	at, until time.Time
}

// SetPresence sets a navigator's presence (available, wrap-up or away),
// languages and skills. Going away withdraws an offer they hold.
//
// Errors: EINVALID, EUNAVAILABLE.
func (q *Queue) SetPresence(ctx context.Context, n Navigator, p Presence) error {
	if _, err := ParsePresence(string(p)); err != nil {
		return err
	}
	if n.ID == "" {
		return o211.Errorf(o211.EINVALID, "a navigator id is required")
	}
	langs, skills, err := q.qualifications(ctx, n)
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errClosed
	}
	now := q.cfg.Now().UTC()
	nv := q.navigator(n.ID, now)
	nv.Name, nv.Languages, nv.Skills = truncate(n.Name, 100), langs, skills
	if nv.Name == "" {
		nv.Name = n.ID
	}
	if nv.state != p {
		nv.state, nv.since = p, now
		if p == Available {
			nv.free = now
		}
	}
	if p != Available && nv.offer != "" {
		q.withdraw(nv.offer)
	}
	q.bump()
	q.dispatch(now)
	return nil
}

// qualifications returns the languages and skills navigator n may take
// contacts in: what they asked for, each of which they must have been
// given when the queue knows what they were given (Config.Grants); all
// they were given when they ask for none (nil). Without grants, what
// they ask for (English when nothing).
func (q *Queue) qualifications(ctx context.Context, n Navigator) (langs, skills []string, err error) {
	if langs, err = o211.ParseQualifications("languages", n.Languages); err != nil {
		return nil, nil, err
	}
	if skills, err = o211.ParseQualifications("skills", n.Skills); err != nil {
		return nil, nil, err
	}
	if q.cfg.Grants != nil {
		gl, gs, err := q.cfg.Grants(ctx, n.ID)
		if err != nil {
			return nil, nil, err
		}
		if langs, err = narrow("languages", n.Languages == nil || len(langs) == 0, langs, gl); err != nil {
			return nil, nil, err
		}
		if skills, err = narrow("skills", n.Skills == nil, skills, gs); err != nil {
			return nil, nil, err
		}
	}
	if len(langs) == 0 {
		langs = []string{"en"}
	}
	return langs, skills, nil
}

// narrow returns asked (or all of given, when all), refusing with
// EFORBIDDEN any of asked that is not among given.
func narrow(field string, all bool, asked, given []string) ([]string, error) {
	if all {
		return slices.Clone(given), nil
	}
	for _, a := range asked {
		if !slices.Contains(given, a) {
			return nil, &o211.Error{Code: o211.EFORBIDDEN, Field: field, Message: fmt.Sprintf(
				"%s: you were not given %q: a supervisor or an administrator adds it to your account", field, a)}
		}
	}
	return asked, nil
}

// navigator returns the in-memory state of navigator id, made (away)
// with the contacts they have counted when first seen.
func (q *Queue) navigator(id string, now time.Time) *navigator {
	nv := q.navs[id]
	if nv != nil {
		return nv
	}
	nv = &navigator{Navigator: Navigator{ID: id, Name: id}, state: Away, since: now, free: now, active: map[o211.Channel]int{}}
	for _, r := range q.live {
		if r.State == StateActive && r.Navigator == id {
			nv.active[r.Item.Channel]++
		}
	}
	q.navs[id] = nv
	return nv
}

// dispatch offers waiting items to free navigators, in routing order.
// Called with q.mu held after every change; it bumps the version.
func (q *Queue) dispatch(now time.Time) {
	defer q.bump()
	start := time.Now()
	free := make([]*navigator, 0, len(q.navs))
	for _, nv := range q.navs {
		if nv.state == Available && nv.offer == "" {
			free = append(free, nv)
		}
	}
	if len(free) == 0 || len(q.order) == 0 {
		return
	}
	// Contacts of one class (channel, language, skills, target) fit the
	// same navigators: once one finds nobody, the later ones of its class
	// are not looked at (the free navigators only get fewer), so a
	// decision costs classes x navigators, not contacts x navigators.
	blocked := map[class]bool{}
	for _, r := range q.order {
		if r.offered || blocked[r.cls] {
			continue
		}
		i := q.pick(r, free)
		if i < 0 {
			blocked[r.cls] = true
			continue
		}
		nv := free[i]
		q.offers[r.Item.ID] = &offer{item: r.Item.ID, nav: nv.ID, at: now, until: now.Add(q.cfg.OfferTimeout)}
		r.offered = true
		nv.offer = r.Item.ID
		free = append(free[:i], free[i+1:]...)
		if len(free) == 0 {
			break
		}
	}
	if q.cfg.OnRoute != nil {
		q.cfg.OnRoute(time.Since(start))
	}
}

// class is what decides which navigators may take a contact.
type class struct {
	channel                 o211.Channel
	language, skills        string
	target, exceptNavigator string
}

func classOf(r *record) class {
	k := class{channel: r.Item.Channel, language: r.Item.Language, target: r.Target}
	if len(r.Item.Skills) > 0 {
		k.skills = strings.Join(r.Item.Skills, ",")
	}
	if r.State == StateActive {
		k.exceptNavigator = r.Navigator
	}
	return k
}

// pick returns the index in free of the navigator to offer r to: one who
// may take it, free longest; -1 when none may.
func (q *Queue) pick(r *record, free []*navigator) int {
	best := -1
	for i, nv := range free {
		if !q.fits(r, nv) {
			continue
		}
		if best < 0 || nv.free.Before(free[best].free) || (nv.free.Equal(free[best].free) && nv.ID < free[best].ID) {
			best = i
		}
	}
	return best
}

// fits reports whether navigator nv may be offered r.
func (q *Queue) fits(r *record, nv *navigator) bool {
	if r.Target != "" && r.Target != nv.ID {
		return false
	}
	if r.State == StateActive && r.Navigator == nv.ID {
		return false
	}
	if nv.active[r.Item.Channel] >= q.capacity(r.Item.Channel) {
		return false
	}
	if !slices.Contains(nv.Languages, r.Item.Language) {
		return false
	}
	for _, s := range r.Item.Skills {
		if !slices.Contains(nv.Skills, s) {
			return false
		}
	}
	return true
}

func (q *Queue) capacity(ch o211.Channel) int {
	if c, ok := q.cfg.Capacity[ch]; ok {
		return c
	}
	return 1
}

// withdraw cancels the standing offer of item id, if any.
func (q *Queue) withdraw(id string) {
	o := q.offers[id]
	if o == nil {
		return
	}
	delete(q.offers, id)
	if r := q.live[id]; r != nil {
		r.offered = false
	}
	if nv := q.navs[o.nav]; nv != nil && nv.offer == id {
		nv.offer = ""
	}
}

// release frees a navigator's room on a channel.
func (q *Queue) release(id string, ch o211.Channel, now time.Time) {
	nv := q.navs[id]
	if nv == nil {
		return
	}
	if nv.active[ch] > 0 {
		nv.active[ch]--
	}
	nv.free = now
}

// Offer is an offer standing for a navigator.
type Offer struct {
	Item  Item      `json:"item"`
	At    time.Time `json:"offered"`
	Until time.Time `json:"until"`
	// Transfer names the navigator who transfers the contact, if any.
	Transfer string `json:"transfer_from,omitempty"`
}

// OfferFor returns the offer standing for navigator id, if any.
func (q *Queue) OfferFor(id string) (Offer, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	nv := q.navs[id]
	if nv == nil || nv.offer == "" {
		return Offer{}, false
	}
	o, r := q.offers[nv.offer], q.live[nv.offer]
	if o == nil || r == nil {
		return Offer{}, false
	}
	of := Offer{Item: r.Item, At: o.at, Until: o.until}
	if r.State == StateActive {
		of.Transfer = r.NavigatorName
	}
	return of, true
}

// Accept accepts the offer of item id standing for navigator nav: the
// item is the navigator's (written and fsync'd), then the channel's
// connector, if any, brings them together. When the connector fails, the
// item waits again and the error is returned; when it says the person
// has gone (ECONFLICT), the item ends, abandoned.
//
// Errors: ECONFLICT (no such offer stands for nav: it timed out, was
// withdrawn, or was never made; or the person has gone), EUNAVAILABLE.
func (q *Queue) Accept(ctx context.Context, nav, id string) (Item, error) {
	r, prev, err := q.accept(nav, id)
	if err != nil {
		return Item{}, err
	}
	if c := q.connector(r.Item.Channel); c != nil {
		if err := c.Connect(ctx, r.Item, nav); o211.ErrorCode(err) == o211.ECONFLICT && prev == "" {
			q.log.Info("queue: the person left as their contact was accepted; it ends", "item", id, "channel", r.Item.Channel, "err", err)
			if err := q.abandonGone(r, nav); err != nil {
				return Item{}, err
			}
			return Item{}, o211.Errorf(o211.ECONFLICT, "The person left before you were connected.")
		} else if err != nil {
			q.log.Warn("queue: connecting an accepted contact failed; it waits again", "item", id, "channel", r.Item.Channel, "err", err)
			q.requeue(r, nav, prev)
			return Item{}, o211.Errorf(o211.EUNAVAILABLE, "The contact could not be connected; it is back in the queue.")
		}
	}
	return r.Item, nil
}

// accept makes the item nav's; prev is the navigator who had it (warm
// transfer) or "".
func (q *Queue) accept(nav, id string) (*record, string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil, "", errClosed
	}
	o, r, nv := q.offers[id], q.live[id], q.navs[nav]
	if o == nil || o.nav != nav || r == nil || nv == nil {
		return nil, "", o211.Errorf(o211.ECONFLICT, "no offer of %q stands for you (it timed out, was withdrawn or taken)", truncate(id, 40))
	}
	now := q.cfg.Now().UTC()
	old := *r
	prev := ""
	if r.State == StateActive {
		prev = r.Navigator
		r.Handle += now.Sub(r.Accepted)
	}
	r.State, r.Navigator, r.NavigatorName, r.Accepted, r.Target, r.Warm = StateActive, nav, nv.Name, now, "", false
	first := r.Answered.IsZero()
	if first {
		r.Answered, r.Wait, r.Offered = now, now.Sub(r.Item.Enqueued), o.at
	}
	if err := q.db.Update(func(tx *bolt.Tx) error { return putLive(tx, r) }); err != nil {
		*r = old
		return nil, "", q.storeError("accept", err)
	}
	q.withdraw(id)
	q.dropOrder(r)
	nv.active[r.Item.Channel]++
	if prev != "" {
		q.release(prev, r.Item.Channel, now)
		q.wrapUp(prev, now)
	}
	if first {
		q.addEvent(event{at: now, key: keyOf(r.Item), kind: evAnswered, wait: r.Wait})
	}
	q.dispatch(now)
	return r, prev, nil
}

// requeue puts back an item whose connection failed after nav accepted
// it: waiting again, or with prev again after a warm transfer.
func (q *Queue) requeue(r *record, nav, prev string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.live[r.Item.ID] != r || r.Navigator != nav {
		return
	}
	now := q.cfg.Now().UTC()
	q.release(nav, r.Item.Channel, now)
	if prev != "" {
		r.Navigator, r.Accepted = prev, now
		if nv := q.navs[prev]; nv != nil {
			r.NavigatorName = nv.Name
			nv.active[r.Item.Channel]++
		}
	} else {
		r.State, r.Navigator, r.NavigatorName = StateWaiting, "", ""
		q.needOffer(r)
	}
	if err := q.db.Update(func(tx *bolt.Tx) error { return putLive(tx, r) }); err != nil {
		q.log.Error("queue: writing a contact back to the queue", "item", r.Item.ID, "err", err)
	}
	q.dispatch(now)
}

// abandonGone ends an item nav accepted whose person had gone before
// they were connected.
func (q *Queue) abandonGone(r *record, nav string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.live[r.Item.ID] != r || r.Navigator != nav {
		return nil
	}
	now := q.cfg.Now().UTC()
	r.Handle += now.Sub(r.Accepted)
	return q.finish(r, StateAbandoned, "left before being connected", now, func() {
		q.addEvent(event{at: now, key: keyOf(r.Item), kind: evHandled, handle: r.Handle})
	})
}

// Decline declines the offer of item id standing for navigator nav: it
// goes to the next navigator (a transfer offered to nav alone goes back
// to whoever transferred it, or to anyone).
//
// Errors: ECONFLICT (no such offer), EUNAVAILABLE.
func (q *Queue) Decline(ctx context.Context, nav, id string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errClosed
	}
	o := q.offers[id]
	if o == nil || o.nav != nav {
		return o211.Errorf(o211.ECONFLICT, "no offer of %q stands for you", truncate(id, 40))
	}
	now := q.cfg.Now().UTC()
	q.unoffer(o, now)
	q.dispatch(now)
	return nil
}

// unoffer withdraws offer o (declined or timed out) so that the next
// navigator gets it; a navigator is not offered the same item twice in a
// row while another may take it (they are free last).
func (q *Queue) unoffer(o *offer, now time.Time) {
	q.withdraw(o.item)
	if nv := q.navs[o.nav]; nv != nil {
		nv.free = now
	}
	r := q.live[o.item]
	if r != nil && r.Target == o.nav {
		r.Target, r.Warm = "", false
		r.cls = classOf(r)
		if r.State == StateActive {
			q.dropOrder(r)
		}
		if err := q.db.Update(func(tx *bolt.Tx) error { return putLive(tx, r) }); err != nil {
			q.log.Error("queue: writing a declined transfer", "item", r.Item.ID, "err", err)
		}
	}
}

// timer expires offers not answered in time: the navigator who missed
// one is set away.
func (q *Queue) timer(ctx context.Context) {
	defer q.wg.Done()
	t := time.NewTicker(q.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			q.expire()
		}
	}
}

func (q *Queue) expire() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	now := q.cfg.Now().UTC()
	n := 0
	for _, o := range q.offers {
		if now.Before(o.until) {
			continue
		}
		n++
		q.unoffer(o, now)
		if nv := q.navs[o.nav]; nv != nil {
			nv.state, nv.since = Away, now
			q.log.Info("queue: an offer timed out; the navigator is set away", "item", o.item, "navigator", o.nav)
		}
	}
	if n > 0 {
		q.dispatch(now)
	}
}

// wrapUp puts navigator id in wrap-up when they have no contact left.
func (q *Queue) wrapUp(id string, now time.Time) {
	nv := q.navs[id]
	if nv == nil || nv.state != Available {
		return
	}
	for _, n := range nv.active {
		if n > 0 {
			return
		}
	}
	nv.state, nv.since = WrapUp, now
}

// Done records that navigator nav finished with item id (its handle time
// counts) and puts them in wrap-up when it was their last contact; they
// set themselves available again.
//
// Errors: ENOTFOUND, EFORBIDDEN (not theirs), EUNAVAILABLE.
func (q *Queue) Done(ctx context.Context, nav, id, outcome string) error {
	return q.done(nav, id, outcome, false)
}

// DoneReady is Done for a navigator who needs no wrap-up: they stay
// available and may be offered the next contact at once.
func (q *Queue) DoneReady(ctx context.Context, nav, id, outcome string) error {
	return q.done(nav, id, outcome, true)
}

func (q *Queue) done(nav, id, outcome string, ready bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errClosed
	}
	r, err := q.mine(nav, id)
	if err != nil {
		return err
	}
	now := q.cfg.Now().UTC()
	r.Handle += now.Sub(r.Accepted)
	return q.finish(r, StateDone, truncate(outcome, 200), now, func() {
		q.addEvent(event{at: now, key: keyOf(r.Item), kind: evHandled, handle: r.Handle})
		if !ready {
			q.wrapUp(nav, now)
		}
	})
}

// mine returns the live item id that navigator nav has.
func (q *Queue) mine(nav, id string) (*record, error) {
	r := q.live[id]
	if r == nil {
		return nil, o211.Errorf(o211.ENOTFOUND, "queue item %q is not in the queue", truncate(id, 40))
	}
	if r.State != StateActive || r.Navigator != nav {
		return nil, o211.Errorf(o211.EFORBIDDEN, "queue item %q is not yours", truncate(id, 40))
	}
	return r, nil
}
