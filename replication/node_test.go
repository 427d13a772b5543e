package replication

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
)

func TestNode_PushAndPull(t *testing.T) {
	p := newPair(t, "east", nil)
	p.write(500, 200)
	testutil.CheckFor(t, 10*time.Second, p.converged)
	testutil.CheckFor(t, 10*time.Second, func() error {
		if n := p.copy.len(); n != 200 {
			return fmt.Errorf("the copy holds %d records", n)
		}
		return nil
	})
	var hubSeq uint64
	_ = p.mem.View(func(f Feed) error { hubSeq = f.Seq(); return nil })
	testutil.CheckFor(t, 10*time.Second, func() error {
		st, err := p.node.Status()
		if err != nil {
			return err
		}
		if !st.Linked || st.Backlog != 0 || st.PushLag != (Lag{}) || st.Push.Mark != 500 || st.Pull.Position != hubSeq {
			return fmt.Errorf("status = %+v, hub at %d", st, hubSeq)
		}
		return nil
	})
}

func TestPusher_RetriesUntilAcknowledged(t *testing.T) {
	p := newPair(t, "east", nil)
	var mu sync.Mutex
	refusals := 3
	p.mem.before = func(*IngestBatch) *IngestReply {
		mu.Lock()
		defer mu.Unlock()
		if refusals > 0 {
			refusals--
			return &IngestReply{Error: &WireError{Code: CodeNotLeader, Message: "not leader"}}
		}
		return nil
	}
	p.write(100, 100)
	testutil.CheckFor(t, 10*time.Second, p.converged)
	if st := p.node.push.Status(); st.Retries < 3 {
		t.Fatalf("retries = %d, want at least 3", st.Retries)
	}
}

// A batch that got no answer (here: no leader) is sent again as it was
// built, not rebuilt from the outbox: a backlog retried many times reads
// its records once. Changes written meanwhile go in the next batch.
func TestPusher_RetrySendsTheSameBatch(t *testing.T) {
	p := newPair(t, "east", nil)
	var mu sync.Mutex
	var seen [][2]uint64
	p.mem.before = func(b *IngestBatch) *IngestReply {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, [2]uint64{b.FromSeq, b.ToSeq})
		if len(seen) == 1 {
			for i := 0; i < 10; i++ { // more changes before the retry
				p.store.write(fmt.Sprintf("late-%d", i), "Late", false)
			}
		}
		if len(seen) <= 3 {
			return &IngestReply{Error: &WireError{Code: CodeNotLeader, Message: "not leader"}}
		}
		return nil
	}
	p.write(10, 10)
	p.node.Committed(20)
	testutil.CheckFor(t, 10*time.Second, p.converged)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 4 || seen[1] != seen[0] || seen[2] != seen[0] {
		t.Fatalf("batches sent %v: want the refused batch sent again as it was", seen)
	}
}

// A reply that comes after the request timed out: the batch was applied,
// the node sends it again, the hub skips it, and the node acknowledges.
func TestPusher_LateReply(t *testing.T) {
	p := newPair(t, "east", func(c *NodeConfig) { c.Push.Timeout = 200 * time.Millisecond })
	var mu sync.Mutex
	late := 1
	p.mem.lateReply = func(*IngestBatch) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		if late > 0 {
			late--
			return time.Second
		}
		return 0
	}
	p.write(50, 50)
	testutil.CheckFor(t, 10*time.Second, p.converged)
	if st := p.node.push.Status(); st.Retries == 0 {
		t.Fatalf("no retry recorded: %+v", st)
	}
}

func TestPusher_BatchBounds(t *testing.T) {
	var mu sync.Mutex
	var sizes, bytes []int
	p := newPair(t, "east", func(c *NodeConfig) { c.Push.BatchEntries, c.Push.BatchBytes = 100, 5000 })
	p.mem.before = func(b *IngestBatch) *IngestReply {
		mu.Lock()
		sizes = append(sizes, int(b.ToSeq-b.FromSeq+1))
		bytes = append(bytes, len(encodeJSON(b)))
		mu.Unlock()
		return nil
	}
	p.write(1000, 300)
	testutil.CheckFor(t, 20*time.Second, p.converged)
	mu.Lock()
	defer mu.Unlock()
	for i := range sizes {
		if sizes[i] > 100 || bytes[i] > 5000+500 {
			t.Fatalf("batch %d covers %d entries in %d bytes", i, sizes[i], bytes[i])
		}
	}
	if len(sizes) < 10 {
		t.Fatalf("%d batches for 1000 entries of at most 100", len(sizes))
	}
}

// Only the leader answers pushes, and it stops the moment it is told.
func TestHub_OnlyLeaderAnswersPushes(t *testing.T) {
	p := newPair(t, "east", nil)
	p.write(10, 10)
	testutil.CheckFor(t, 10*time.Second, p.converged)
	p.hub.SetLeader(false)
	conn, err := p.node.Server().Connect("probe", nats.CustomInboxPrefix(InboxPrefix("east")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	testutil.CheckFor(t, 10*time.Second, func() error {
		_, err := conn.RequestMsg(newMsg(IngestSubject("east"), envIngest, []byte("{}")), time.Second)
		if err != nats.ErrNoResponders {
			return fmt.Errorf("request to a hub that does not lead: %v", err)
		}
		return nil
	})
	p.write(10, 10)
	st, _ := p.node.Status()
	if st.Backlog == 0 {
		t.Fatal("pushed without a leader")
	}
	p.hub.SetLeader(true)
	p.node.push.Kick()
	testutil.CheckFor(t, 10*time.Second, p.converged)
}

func TestHub_RefusesUnknownEnvelope(t *testing.T) {
	p := newPair(t, "east", nil)
	conn, err := p.node.Server().Connect("probe", nats.CustomInboxPrefix(InboxPrefix("east")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var resp *nats.Msg
	testutil.CheckFor(t, 10*time.Second, func() (err error) {
		resp, err = conn.RequestMsg(newMsg(IngestSubject("east"), "ingest/99", []byte("{}")), time.Second)
		return err
	})
	var rep IngestReply
	if err := decode(resp, envIngestReply, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Error == nil || rep.Error.Code != o211.EINVALID {
		t.Fatalf("reply = %+v, want an invalid error", rep)
	}
}

func TestPuller_Pages(t *testing.T) {
	p := newPair(t, "east", func(c *NodeConfig) { c.Pull.PageRecords = 7 })
	p.write(100, 100)
	testutil.CheckFor(t, 10*time.Second, p.converged)
	p.hub.Notify()
	testutil.CheckFor(t, 10*time.Second, func() error {
		pos, _ := p.copy.Position()
		if n := p.copy.len(); n != 100 || pos != 100 {
			return fmt.Errorf("the copy holds %d records at %d", n, pos)
		}
		return nil
	})
	if st := p.node.pull.Status(); st.Pages < 100/7 {
		t.Fatalf("%d pages for 100 records of at most 7", st.Pages)
	}
}

var _ = context.Background
