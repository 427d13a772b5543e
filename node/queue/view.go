package queue

import (
	"net/url"
	"sort"
	"time"

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
