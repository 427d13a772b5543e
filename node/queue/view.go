package queue

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// Snapshot is the whole state of the queue at one moment: what the live
// console page draws on connecting, and again at each change.
type Snapshot struct {
	Region  string    `json:"region"`
	At      time.Time `json:"at"`
	Version uint64    `json:"version"`
	// Waiting are the items waiting for a navigator (and calls being
	// transferred warm), in routing order.
	Waiting []Waiting `json:"waiting"`
	// Navigators are the navigators who set a presence, by name.
	Navigators []NavigatorState `json:"navigators"`
}

// Waiting is an item in the queue, without the person's details.
type Waiting struct {
	ID       string       `json:"id"`
	Channel  o211.Channel `json:"channel"`
	Language string       `json:"language"`
	Skills   []string     `json:"skills,omitempty"`
	Priority int          `json:"priority,omitempty"`
	Enqueued time.Time    `json:"enqueued"`
	// Wait is how long it has waited, in whole seconds.
	Wait int `json:"wait_seconds"`
	// OfferedTo is the navigator an offer stands for, or "".
	OfferedTo string `json:"offered_to,omitempty"`
	// Transfer is the navigator transferring it warm, or "".
	Transfer string `json:"transfer_from,omitempty"`
}

// NavigatorState is a navigator's presence and work.
type NavigatorState struct {
	Navigator
	Presence Presence  `json:"presence"`
	Since    time.Time `json:"since"`
	// Active counts the contacts they have, by channel.
	Active map[o211.Channel]int `json:"active"`
	// Offer is the item offered to them, or "".
	Offer string `json:"offer,omitempty"`
}

// Snapshot returns the queue's state now.
func (q *Queue) Snapshot() Snapshot {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.cfg.Now().UTC()
	s := Snapshot{Region: q.cfg.Region, At: now, Version: q.version, Waiting: []Waiting{}, Navigators: []NavigatorState{}}
	for _, r := range q.order {
		w := Waiting{ID: r.Item.ID, Channel: r.Item.Channel, Language: r.Item.Language, Skills: r.Item.Skills,
			Priority: r.Item.Priority, Enqueued: r.Item.Enqueued, Wait: int(now.Sub(r.Item.Enqueued).Seconds())}
		if o := q.offers[r.Item.ID]; o != nil {
			w.OfferedTo = o.nav
		}
		if r.State == StateActive {
			w.Transfer = r.Navigator
		}
		s.Waiting = append(s.Waiting, w)
	}
	for _, nv := range q.navs {
		ns := NavigatorState{Navigator: nv.Navigator, Presence: nv.presence(), Since: nv.since, Active: map[o211.Channel]int{}, Offer: nv.offer}
		for ch, n := range nv.active {
			if n > 0 {
				ns.Active[ch] = n
			}
		}
		s.Navigators = append(s.Navigators, ns)
	}
	sort.Slice(s.Navigators, func(i, j int) bool {
		a, b := s.Navigators[i], s.Navigators[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	return s
}

// Mine returns the items navigator nav has, oldest accepted first.
func (q *Queue) Mine(nav string) []Item {
	q.mu.Lock()
	defer q.mu.Unlock()
	var rs []*record
	for _, r := range q.live {
		if r.State == StateActive && r.Navigator == nav {
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Accepted.Before(rs[j].Accepted) })
	its := make([]Item, len(rs))
	for i, r := range rs {
		its[i] = r.Item
	}
	return its
}

// WorkspaceURL is where the console opens an accepted contact: the
// contact workspace's new-contact form, filled in with its channel, who
// it is from and the queue item.
func WorkspaceURL(it Item) string {
	v := url.Values{}
	v.Set("channel", string(it.Channel))
	if it.From != "" {
		v.Set("from", it.From)
	}
	v.Set("queue_item", it.ID)
	if it.Language != "" {
		v.Set("language", it.Language)
	}
	return "/console/contacts/new?" + v.Encode()
}

// ItemStatus is where an item is or how it ended, with the queue's own
// times: what `o211 sim` measures waits from.
type ItemStatus struct {
	Item  Item  `json:"item"`
	State State `json:"state"`
	// Navigator is the navigator who has (or last had) it.
	Navigator string `json:"navigator,omitempty"`
	// Offered is when the queue gave it the navigator who first took it
	// (the offer); Answered when that navigator accepted.
	Offered  time.Time `json:"offered,omitzero"`
	Answered time.Time `json:"answered,omitzero"`
	// Wait is the wait before it was answered or abandoned, seconds.
	Wait float64 `json:"wait_seconds"`
	// Handle is how long navigators had it, seconds.
	Handle  float64   `json:"handle_seconds"`
	Ended   time.Time `json:"ended,omitzero"`
	Outcome string    `json:"outcome,omitempty"`
}

func statusOf(r *record) ItemStatus {
	return ItemStatus{Item: r.Item, State: r.State, Navigator: r.Navigator, Offered: r.Offered, Answered: r.Answered,
		Wait: r.Wait.Seconds(), Handle: r.Handle.Seconds(), Ended: r.Ended, Outcome: r.Outcome}
}

// Ended returns up to limit items that ended at or after since, in the
// order they ended, from after the cursor a previous call returned
// (empty at first); next is the cursor of the following page, or "" at
// the end.
//
// Errors: EINVALID (cursor), EUNAVAILABLE.
func (q *Queue) Ended(since time.Time, cursor string, limit int) (items []ItemStatus, next string, err error) {
	var from []byte // the first: since is zero, or before 1970
	if since.After(time.Unix(0, 0)) {
		from = timeKey(since)
	}
	if cursor != "" {
		if from, err = hex.DecodeString(cursor); err != nil || len(from) < 9 {
			return nil, "", o211.FieldErrorf("cursor", "%q is not a cursor this endpoint returned", truncate(cursor, 40))
		}
		from = append(from, 0) // just after it
	}
	items = []ItemStatus{}
	err = q.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEnded).Cursor()
		var last []byte
		for k, v := c.Seek(from); k != nil; k, v = c.Next() {
			if len(items) == limit {
				next = hex.EncodeToString(last)
				return nil
			}
			last = append(last[:0], k...)
			r, err := decode(v)
			if err != nil {
				return fmt.Errorf("queue: ended item %q: %w", k[9:], err)
			}
			items = append(items, statusOf(r))
		}
		return nil
	})
	if err != nil {
		q.log.Error("queue: reading the queue file", "err", err)
		return nil, "", o211.Errorf(o211.EINTERNAL, "The queue could not be read.")
	}
	return items, next, nil
}
