package queue_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/queue"
)

var ctx = context.Background()

func nav(id string, langs ...string) queue.Navigator {
	return queue.Navigator{ID: id, Name: id, Languages: langs}
}

func mustEnqueue(t testing.TB, q *queue.Queue, it queue.Item) queue.Item {
	t.Helper()
	got, err := q.Enqueue(ctx, it)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func mustPresence(t testing.TB, q *queue.Queue, n queue.Navigator, p queue.Presence) {
	t.Helper()
	if err := q.SetPresence(ctx, n, p); err != nil {
		t.Fatal(err)
	}
}

// offerOf returns the id of the item offered to navigator id, or "".
func offerOf(q *queue.Queue, id string) string {
	o, ok := q.OfferFor(id)
	if !ok {
		return ""
	}
	return o.Item.ID
}

func TestQueue_RoutesByLanguageAndSkills(t *testing.T) {
	q := MustOpenQueue(t, queue.Config{})
	fr := mustEnqueue(t, q, queue.Item{Channel: o211.ChannelPhone, Language: "fr"})
	crisis := mustEnqueue(t, q, queue.Item{Channel: o211.ChannelPhone, Language: "en", Skills: []string{"crisis"}})
	mustPresence(t, q, nav("ann", "en"), queue.Available)
	if got := offerOf(q, "ann"); got != "" {
		t.Fatalf("an English navigator without skills was offered %s; want nothing", got)
	}
	mustPresence(t, q, queue.Navigator{ID: "bob", Languages: []string{"en", "fr"}, Skills: []string{"crisis"}}, queue.Available)
	if got := offerOf(q, "bob"); got != fr.ID {
		t.Fatalf("bob was offered %q; want the French call %s (older)", got, fr.ID)
	}
	if _, err := q.Accept(ctx, "bob", fr.ID); err != nil {
		t.Fatal(err)
	}
	if got := offerOf(q, "bob"); got != "" {
		t.Fatalf("bob, on a call, was offered another call %s", got)
	}
	if err := q.Done(ctx, "bob", fr.ID, ""); err != nil {
		t.Fatal(err)
	}
	if s := q.Snapshot(); s.Navigators[1].Presence != queue.WrapUp {
		t.Fatalf("bob after his last contact: %s; want wrap-up", s.Navigators[1].Presence)
	}
	mustPresence(t, q, queue.Navigator{ID: "bob", Languages: []string{"en", "fr"}, Skills: []string{"crisis"}}, queue.Available)
	if got := offerOf(q, "bob"); got != crisis.ID {
		t.Fatalf("bob was offered %q; want the crisis call %s", got, crisis.ID)
	}
}

func TestQueue_PriorityThenOldest(t *testing.T) {
	q := MustOpenQueue(t, queue.Config{})
	a := mustEnqueue(t, q, queue.Item{Channel: o211.ChannelPhone})
	b := mustEnqueue(t, q, queue.Item{Channel: o211.ChannelPhone})
	c := mustEnqueue(t, q, queue.Item{Channel: o211.ChannelPhone, Priority: 5})
	var got []string
	for i := range 3 {
		mustPresence(t, q, nav(fmt.Sprint("n", i), "en"), queue.Available)
		id := offerOf(q, fmt.Sprint("n", i))
		got = append(got, id)
		if _, err := q.Accept(ctx, fmt.Sprint("n", i), id); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{c.ID, a.ID, b.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("answered in order %v; want %v (priority, then oldest)", got, want)
	}
}

func TestQueue_CapacityPerChannel(t *testing.T) {
	q := MustOpenQueue(t, queue.Config{})
	mustPresence(t, q, nav("ann", "en"), queue.Available)
	var chats []string
	for range 4 {
		chats = append(chats, mustEnqueue(t, q, queue.Item{Channel: o211.ChannelChat}).ID)
	}
	for i := range 3 {
		id := offerOf(q, "ann")
		if id != chats[i] {
			t.Fatalf("chat %d: offered %q; want %s", i+1, id, chats[i])
		}
		if _, err := q.Accept(ctx, "ann", id); err != nil {
			t.Fatal(err)
		}
	}
	if got := offerOf(q, "ann"); got != "" {
		t.Fatalf("a fourth chat %s was offered to a navigator with three", got)
	}
	call := mustEnqueue(t, q, queue.Item{Channel: o211.ChannelPhone})
	if got := offerOf(q, "ann"); got != call.ID {
		t.Fatalf("offered %q; want the call %s (a call is another channel)", got, call.ID)
	}
	if got := q.Snapshot().Navigators[0].Presence; got != queue.Busy {
		t.Fatalf("presence %s; want busy", got)
	}
}

func TestQueue_DeclineAndTimeout(t *testing.T) {
	// Long enough that the steps before the time-out are done on a loaded
	// machine, short enough for a test.
	q := MustOpenQueue(t, queue.Config{OfferTimeout: 2 * time.Second, Tick: 10 * time.Millisecond})
	mustPresence(t, q, nav("ann", "en"), queue.Available)
	it := mustEnqueue(t, q, queue.Item{Channel: o211.ChannelText})
	mustPresence(t, q, nav("bob", "en"), queue.Available)
	if got := offerOf(q, "ann"); got != it.ID {
		t.Fatalf("ann (free longest) was offered %q; want %s", got, it.ID)
	}
	if _, err := q.Accept(ctx, "bob", it.ID); o211.ErrorCode(err) != o211.ECONFLICT {
		t.Fatalf("bob accepting ann's offer: %v; want conflict", err)
	}
	if err := q.Decline(ctx, "ann", it.ID); err != nil {
		t.Fatal(err)
	}
	if got := offerOf(q, "bob"); got != it.ID {
		t.Fatalf("after ann declined bob was offered %q; want %s", got, it.ID)
	}
	testutil.CheckFor(t, 5*time.Second, func() error {
		if got := offerOf(q, "ann"); got != it.ID {
			return fmt.Errorf("ann is offered %q; want %s again after bob's offer timed out", got, it.ID)
		}
		return nil
	})
	for _, n := range q.Snapshot().Navigators {
		if n.ID == "bob" && n.Presence != queue.Away {
			t.Fatalf("bob missed an offer and is %s; want away", n.Presence)
		}
	}
	if _, err := q.Accept(ctx, "ann", it.ID); err != nil {
		t.Fatal(err)
	}
	if s := q.Stats(); s.Total.Answered != 1 || s.Total.AnsweredInTarget != 1 || s.Total.ServiceLevel != 1 {
		t.Fatalf("stats %+v; want one answered in target", s.Total)
	}
}

func TestQueue_Transfers(t *testing.T) {
	q := MustOpenQueue(t, queue.Config{PhoneOf: func(_ context.Context, id string) (string, error) {
		if id == "food-bank" {
			return "613-555-0142", nil
		}
		return "", o211.Errorf(o211.ENOTFOUND, "service %q not found", id)
	}})
	mustPresence(t, q, nav("ann", "en"), queue.Available)
	it := mustEnqueue(t, q, queue.Item{Channel: o211.ChannelPhone})
	if _, err := q.Accept(ctx, "ann", it.ID); err != nil {
		t.Fatal(err)
	}
	mustPresence(t, q, nav("bob", "en"), queue.Away)
	t.Run("WarmToNavigator", func(t *testing.T) {
		if err := q.TransferToNavigator(ctx, "ann", it.ID, "bob", true); err != nil {
			t.Fatal(err)
		}
		if got := offerOf(q, "bob"); got != "" {
			t.Fatalf("bob, away, was offered %s", got)
		}
		mustPresence(t, q, nav("bob", "en"), queue.Available)
		if got := offerOf(q, "bob"); got != it.ID {
			t.Fatalf("bob was offered %q; want the transfer %s", got, it.ID)
		}
		if got := q.Mine("ann"); len(got) != 1 {
			t.Fatalf("ann has %d contacts during a warm transfer; want 1 (she stays on)", len(got))
		}
		if _, err := q.Accept(ctx, "bob", it.ID); err != nil {
			t.Fatal(err)
		}
		if len(q.Mine("ann")) != 0 || len(q.Mine("bob")) != 1 {
			t.Fatalf("after bob accepted: ann %v, bob %v; want it bob's alone", q.Mine("ann"), q.Mine("bob"))
		}
	})
	t.Run("ColdToQueue", func(t *testing.T) {
		mustPresence(t, q, nav("ann", "en"), queue.Available)
		if err := q.TransferToQueue(ctx, "bob", it.ID); err != nil {
			t.Fatal(err)
		}
		if got := offerOf(q, "ann"); got != it.ID {
			t.Fatalf("ann was offered %q; want %s back from the queue", got, it.ID)
		}
		if _, err := q.Accept(ctx, "ann", it.ID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ToNumberWithoutTelephony", func(t *testing.T) {
		err := q.TransferToNumber(ctx, "ann", it.ID, "+1 (613) 555-0100")
		if o211.ErrorCode(err) != o211.ENOTIMPLEMENTED {
			t.Fatalf("transfer without a connector that transfers: %v; want not_implemented", err)
		}
	})
	t.Run("ToUnknownService", func(t *testing.T) {
		err := q.Transfer(ctx, "ann", it.ID, queue.TransferRequest{To: "number", Service: "nope"})
		if o211.ErrorCode(err) != o211.ENOTFOUND {
			t.Fatalf("transfer to an unknown service: %v; want not_found", err)
		}
	})
	t.Run("ToNumber", func(t *testing.T) {
		c := &dialer{}
		q.SetConnector(o211.ChannelPhone, c)
		if err := q.TransferToNumber(ctx, "ann", it.ID, "+1 (613) 555-0100"); err != nil {
			t.Fatal(err)
		}
		if c.number != "+16135550100" || c.navigator != "ann" || c.item != it.ID {
			t.Fatalf("the connector was asked %+v; want ann's call to +16135550100", c)
		}
		if len(q.Mine("ann")) != 0 {
			t.Fatal("the transferred call is still ann's")
		}
		// A second call, transferred to a program named by its
		// directory service: the queue asks PhoneOf for its number.
		two := mustEnqueue(t, q, queue.Item{Channel: o211.ChannelPhone})
		mustPresence(t, q, nav("ann", "en"), queue.Available)
		if _, err := q.Accept(ctx, "ann", two.ID); err != nil {
			t.Fatal(err)
		}
		if err := q.Transfer(ctx, "ann", two.ID, queue.TransferRequest{To: "number", Service: "food-bank"}); err != nil {
			t.Fatal(err)
		}
		if c.number != "+16135550142" || c.item != two.ID {
			t.Fatalf("the connector was asked %+v; want the food bank's number +16135550142", c)
		}
		if len(q.Mine("ann")) != 0 {
			t.Fatal("the transferred call is still ann's")
		}
	})
}

// dialer is a phone connector that records a transfer to a number; the
// gateway's real one speaks to the provider (node/gateway's tests).
type dialer struct{ item, navigator, number string }

func (d *dialer) Connect(context.Context, queue.Item, string) error { return nil }
func (d *dialer) TransferToNumber(_ context.Context, it queue.Item, nav, number string) error {
	d.item, d.navigator, d.number = it.ID, nav, number
	return nil
}

// TestQueue_ConcurrentNeverTwice runs many navigators, callers and
// hang-ups at once (run with -race): every item ends exactly once,
// answered by one navigator or abandoned, and no accept of an offer
// that stands for someone else succeeds.
func TestQueue_ConcurrentNeverTwice(t *testing.T) {
	q := MustOpenQueue(t, queue.Config{NoSync: true, OfferTimeout: 50 * time.Millisecond, Tick: 5 * time.Millisecond})
	const navs, items = 12, 400
	var (
		mu       sync.Mutex
		accepted = map[string]string{}
		ids      []string
		stolen   atomic.Int64
		done     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for i := range navs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := nav(fmt.Sprint("nav", i), "en", "fr")
			r := rand.New(rand.NewPCG(uint64(i), 1))
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := q.SetPresence(ctx, n, queue.Available); err != nil {
					t.Error(err)
					return
				}
				o, ok := q.OfferFor(n.ID)
				if !ok {
					mu.Lock()
					if len(ids) > 0 {
						id := ids[r.IntN(len(ids))]
						mu.Unlock()
						// Someone who holds no offer (a thief: never
						// present) cannot take any contact.
						if _, err := q.Accept(ctx, "thief-"+n.ID, id); err == nil {
							stolen.Add(1)
						}
					} else {
						mu.Unlock()
					}
					continue
				}
				if r.IntN(4) == 0 {
					q.Decline(ctx, n.ID, o.Item.ID)
					continue
				}
				if _, err := q.Accept(ctx, n.ID, o.Item.ID); err != nil {
					continue
				}
				mu.Lock()
				if prev, ok := accepted[o.Item.ID]; ok {
					t.Errorf("item %s accepted by %s and by %s", o.Item.ID, prev, n.ID)
				}
				accepted[o.Item.ID] = n.ID
				mu.Unlock()
				if err := q.CheckInvariants(); err != nil {
					t.Error(err)
				}
				if err := q.Done(ctx, n.ID, o.Item.ID, ""); err != nil && o211.ErrorCode(err) != o211.ENOTFOUND {
					t.Error(err)
				}
			}
		}()
	}
	var abandoned atomic.Int64
	var pwg sync.WaitGroup
	for p := range 4 {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			for i := range items / 4 {
				it := mustEnqueue(t, q, queue.Item{Channel: []o211.Channel{o211.ChannelPhone, o211.ChannelChat}[i%2], Language: []string{"en", "fr"}[p%2]})
				mu.Lock()
				ids = append(ids, it.ID)
				mu.Unlock()
				if i%5 == 0 {
					if _, ok := q.Waiting(ctx, it.ID); ok {
						if err := q.Abandon(ctx, it.ID, "hung up"); err != nil {
							t.Error(err)
						}
					}
				}
			}
		}()
	}
	pwg.Wait()
	testutil.CheckFor(t, 30*time.Second, func() error {
		s := q.Stats()
		if s.Waiting+s.Active > 0 {
			return fmt.Errorf("%d waiting and %d active", s.Waiting, s.Active)
		}
		return nil
	})
	close(done)
	wg.Wait()
	s := q.Stats()
	mu.Lock()
	defer mu.Unlock()
	if s.Total.Arrived != items || s.Total.Answered+s.Total.Abandoned != items || s.Total.Answered != len(accepted) {
		t.Fatalf("arrived %d, answered %d, abandoned %d, accepted %d; want %d arrived, each answered once or abandoned",
			s.Total.Arrived, s.Total.Answered, s.Total.Abandoned, len(accepted), items)
	}
	if n := stolen.Load(); n != 0 {
		t.Fatalf("%d accepts of offers made to someone else succeeded", n)
	}
	_ = abandoned.Load()
}
