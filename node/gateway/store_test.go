package gateway_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/gateway"
)

// clock is a settable time for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func MustOpenStore(tb testing.TB, now func() time.Time) *gateway.Store {
	tb.Helper()
	s, err := gateway.OpenStore(filepath.Join(tb.TempDir(), "gateway.db"), true, now)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestStore_Conversation(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	s := MustOpenStore(t, clk.Now)
	c := &gateway.Conversation{Channel: o211.ChannelText, Key: "+16135550100", Region: "east", State: "postal"}
	if err := s.Create(c); err != nil {
		t.Fatal(err)
	}
	open, err := s.Open(o211.ChannelText, "+16135550100")
	if err != nil || open.ID != c.ID {
		t.Fatalf("Open = %v, %v; want %s", open, err, c.ID)
	}
	m1, err := s.Append(c.ID, gateway.Message{From: "person", Body: "K1N 6N5", CID: "c1"})
	if err != nil || m1.Seq != 1 {
		t.Fatalf("Append = %+v, %v; want seq 1", m1, err)
	}
	again, err := s.Append(c.ID, gateway.Message{From: "person", Body: "K1N 6N5", CID: "c1"})
	if err != nil || again.Seq != 1 {
		t.Fatalf("Append of the same client id = %+v, %v; want the stored seq 1", again, err)
	}
	if _, err := s.Append(c.ID, gateway.Message{From: "navigator", Body: "Bonjour"}); err != nil {
		t.Fatal(err)
	}
	msgs, err := s.Messages(c.ID, 1, 10)
	if err != nil || len(msgs) != 1 || msgs[0].Body != "Bonjour" || msgs[0].Seq != 2 {
		t.Fatalf("Messages after 1 = %+v, %v; want [2 Bonjour]", msgs, err)
	}
	if _, err := s.Update(c.ID, func(c *gateway.Conversation) error { c.State = "ended"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(o211.ChannelText, "+16135550100"); !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("Open after the end = %v, want ErrNotFound", err)
	}
	if _, err := s.Append("cv_nope", gateway.Message{Body: "x"}); !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("Append to no conversation = %v, want ErrNotFound", err)
	}
}

func TestStore_Purge(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	s := MustOpenStore(t, clk.Now)
	old := &gateway.Conversation{Channel: o211.ChannelChat, Key: "s1", Region: "east"}
	if err := s.Create(old); err != nil {
		t.Fatal(err)
	}
	s.Append(old.ID, gateway.Message{From: "person", Body: "my name is Ana"})
	clk.Add(48 * time.Hour)
	recent := &gateway.Conversation{Channel: o211.ChannelChat, Key: "s2", Region: "east"}
	if err := s.Create(recent); err != nil {
		t.Fatal(err)
	}
	n, err := s.Purge(clk.Now().Add(-24*time.Hour), 100)
	if err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
	if _, err := s.Get(old.ID); !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("the purged conversation: %v, want ErrNotFound", err)
	}
	if msgs, _ := s.Messages(old.ID, 0, 10); len(msgs) != 0 {
		t.Fatalf("the purged transcript still has %d messages", len(msgs))
	}
	if _, err := s.Get(recent.ID); err != nil {
		t.Fatalf("the recent conversation: %v", err)
	}
}

// TestStore_ConcurrentAppends: messages appended at once by many
// conversations (each returned only after its commit) are all in the file
// after it is reopened, and they shared commits; one for a conversation
// that does not exist fails alone.
func TestStore_ConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gateway.db")
	s, err := gateway.OpenStore(path, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	const convs, each = 50, 6
	ids := make([]string, convs)
	for i := range ids {
		c := &gateway.Conversation{Channel: o211.ChannelChat, Key: fmt.Sprint("k", i), Region: "east", State: "waiting"}
		if err := s.Create(c); err != nil {
			t.Fatal(err)
		}
		ids[i] = c.ID
	}
	c0, w0 := s.CommitStats()
	var wg sync.WaitGroup
	errs := make(chan error, convs*each+1)
	for i := range convs * each {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Append(ids[i%convs], gateway.Message{From: "person", Body: fmt.Sprint("m", i), CID: fmt.Sprint("c", i)})
			errs <- err
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := s.Append("cv_none", gateway.Message{From: "person", Body: "x"}); !errors.Is(err, gateway.ErrNotFound) {
			errs <- fmt.Errorf("append to no conversation: %v, want ErrNotFound", err)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	c1, w1 := s.CommitStats()
	t.Logf("%d messages in %d commits", w1-w0, c1-c0)
	if w1-w0 != convs*each {
		t.Fatalf("%d writes committed, want %d", w1-w0, convs*each)
	}
	s.Close()
	s, err = gateway.OpenStore(path, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range ids {
		msgs, err := s.Messages(id, 0, 100)
		if err != nil || len(msgs) != each {
			t.Fatalf("%s after reopen: %d messages (%v), want %d", id, len(msgs), err, each)
		}
		for i, m := range msgs {
			if m.Seq != uint64(i+1) {
				t.Fatalf("%s: message %d has seq %d", id, i, m.Seq)
			}
		}
	}
}
