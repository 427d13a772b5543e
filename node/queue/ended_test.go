package queue_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/queue"
)

// TestQueue_Ended: the items that ended come back in the order they
// ended, a page at a time, with the queue's own times: when each was
// enqueued, offered to the navigator who took it, answered and ended.
func TestQueue_Ended(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	q := MustOpenQueue(t, queue.Config{Now: clock, OfferTimeout: time.Hour})
	start := now
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	a := mustEnqueue(t, q, queue.Item{Channel: o211.ChannelPhone, From: "+16135550101"})
	advance(10 * time.Second)
	mustPresence(t, q, nav("ann", "en"), queue.Available) // offered now, 10 s after it came
	advance(2 * time.Second)
	if _, err := q.Accept(ctx, "ann", a.ID); err != nil {
		t.Fatal(err)
	}
	b := mustEnqueue(t, q, queue.Item{Channel: o211.ChannelPhone, From: "+16135550102"})
	advance(30 * time.Second)
	if err := q.Abandon(ctx, b.ID, "hung up"); err != nil {
		t.Fatal(err)
	}
	advance(time.Minute)
	if err := q.DoneReady(ctx, "ann", a.ID, "referred"); err != nil {
		t.Fatal(err)
	}
	var got []queue.ItemStatus
	cursor := ""
	for pages := 0; ; pages++ {
		page, next, err := q.Ended(start, cursor, 1)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		if pages > 3 {
			t.Fatal("the pages do not end")
		}
		cursor = next
	}
	if len(got) != 2 || got[0].Item.ID != b.ID || got[1].Item.ID != a.ID {
		t.Fatalf("ended: %+v; want %s then %s", got, b.ID, a.ID)
	}
	ab, done := got[0], got[1]
	if ab.State != queue.StateAbandoned || ab.Wait != 30 || !ab.Offered.IsZero() || !ab.Answered.IsZero() {
		t.Errorf("abandoned: %+v; want abandoned after 30 s, never offered", ab)
	}
	if done.State != queue.StateDone || done.Navigator != "ann" || done.Offered.Sub(done.Item.Enqueued) != 10*time.Second ||
		done.Answered.Sub(done.Item.Enqueued) != 12*time.Second || done.Wait != 12 || done.Handle != 90 {
		t.Errorf("done: %+v; want offered after 10 s, answered after 12 s, handled 90 s", done)
	}
	if later, _, err := q.Ended(clock().Add(time.Second), "", 10); err != nil || len(later) != 0 {
		t.Errorf("ended since after the last: %v, %v; want none", later, err)
	}
	if _, _, err := q.Ended(start, "zz", 10); o211.ErrorCode(err) != o211.EINVALID {
		t.Errorf("a bad cursor: %v; want EINVALID", err)
	}
}

// TestQueue_Grants: with the grants of navigators' accounts, a presence
// takes all a navigator was given when it names none, may narrow them,
// and is refused (EFORBIDDEN, naming the field) for one not given.
func TestQueue_Grants(t *testing.T) {
	grants := map[string][2][]string{"ann": {{"en", "fr"}, {"crisis"}}}
	q := MustOpenQueue(t, queue.Config{Grants: func(_ context.Context, id string) ([]string, []string, error) {
		g, ok := grants[id]
		if !ok {
			return nil, nil, errors.New("no such account")
		}
		return g[0], g[1], nil
	}})
	ctx := context.Background()
	state := func() queue.NavigatorState {
		t.Helper()
		return q.Snapshot().Navigators[0]
	}
	mustPresence(t, q, queue.Navigator{ID: "ann"}, queue.Available)
	if nv := state(); !slices.Equal(nv.Languages, []string{"en", "fr"}) || !slices.Equal(nv.Skills, []string{"crisis"}) {
		t.Fatalf("naming none: %v %v; want all given", nv.Languages, nv.Skills)
	}
	mustPresence(t, q, queue.Navigator{ID: "ann", Languages: []string{"FR"}, Skills: []string{}}, queue.Available)
	if nv := state(); !slices.Equal(nv.Languages, []string{"fr"}) || len(nv.Skills) != 0 {
		t.Fatalf("narrowed: %v %v; want fr and no skill", nv.Languages, nv.Skills)
	}
	for _, n := range []queue.Navigator{{ID: "ann", Languages: []string{"de"}}, {ID: "ann", Skills: []string{"crisis", "legal"}}} {
		err := q.SetPresence(ctx, n, queue.Available)
		var e *o211.Error
		if !errors.As(err, &e) || e.Code != o211.EFORBIDDEN || e.Field == "" {
			t.Errorf("claiming %v %v: %v; want EFORBIDDEN naming the field", n.Languages, n.Skills, err)
		}
	}
	if err := q.SetPresence(ctx, queue.Navigator{ID: "bob"}, queue.Available); err == nil {
		t.Error("a navigator whose grants cannot be read was let in")
	}
}

// goneConnector says the person has gone, as the gateway does for a
// chat that ended while it was being accepted.
type goneConnector struct{}

func (goneConnector) Connect(context.Context, queue.Item, string) error {
	return fmt.Errorf("gateway: connect: %w", o211.Errorf(o211.ECONFLICT, "the conversation has ended"))
}

// TestQueue_AcceptPersonGone: when the connector says the person has
// gone, the accepted contact ends, abandoned, and the navigator is free;
// it is not offered again (before, it waited again and was offered and
// refused in a loop).
func TestQueue_AcceptPersonGone(t *testing.T) {
	ctx := context.Background()
	q := MustOpenQueue(t, queue.Config{})
	q.SetConnector(o211.ChannelChat, goneConnector{})
	it := mustEnqueue(t, q, queue.Item{Channel: o211.ChannelChat})
	mustPresence(t, q, nav("ann", "en"), queue.Available)
	if _, err := q.Accept(ctx, "ann", it.ID); o211.ErrorCode(err) != o211.ECONFLICT {
		t.Fatalf("accept: %v; want ECONFLICT (the person left)", err)
	}
	if _, ok := q.Waiting(ctx, it.ID); ok || offerOf(q, "ann") != "" {
		t.Fatalf("the contact of a person who left waits again (offered to ann: %q)", offerOf(q, "ann"))
	}
	ended, _, err := q.Ended(time.Time{}, "", 10)
	if err != nil || len(ended) != 1 || ended[0].State != queue.StateAbandoned || ended[0].Navigator != "ann" {
		t.Fatalf("ended: %+v, %v; want it abandoned", ended, err)
	}
	if nv := q.Snapshot().Navigators[0]; nv.Active[o211.ChannelChat] != 0 {
		t.Fatalf("ann still has %d chats", nv.Active[o211.ChannelChat])
	}
}
