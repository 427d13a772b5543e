package hub

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/o211/o211/hub/fsm"
)

// Group commit of the regions' batches on the leader. Every batch pushed
// while earlier groups are committing waits in the queue; when a slot is
// free the queue goes, whole, as one ingest_group log entry: one append and
// fsync on a majority and one state transaction on each replica
// acknowledge every batch in it, whatever the number of regions. Each
// batch is answered only after its entry is committed and applied on the
// leader, with its own result (or the entry's failure), so an acknowledged
// batch survives a crash and a leader change as before.
const (
	// groupSlots bounds the group entries proposed and not yet applied:
	// while one commits, the next gathers (and Raft pipelines them).
	groupSlots = 2
	// groupMaxBatches and groupMaxBytes bound one entry.
	groupMaxBatches = 512
	groupMaxBytes   = 8 << 20
	// groupQueue is how many batches may wait for a group; more wait to
	// be queued.
	groupQueue = 4096
)

// pendingBatch is a batch waiting for its group, and where its answer
// goes.
type pendingBatch struct {
	ctx  context.Context
	bin  []byte // the batch in the binary form of fsm.EncodeIngestBatch
	done chan groupAnswer
}

type groupAnswer struct {
	res   *fsm.IngestResult
	index uint64
	err   error
}

// grouper gathers batches into group entries (see above).
type grouper struct {
	r     *Replica
	queue chan *pendingBatch
	slots chan struct{}
	// waiting counts the batches queued or in a group not yet answered.
	waiting atomic.Int64
}

func newGrouper(r *Replica) *grouper {
	return &grouper{r: r, queue: make(chan *pendingBatch, groupQueue), slots: make(chan struct{}, groupSlots)}
}

// ingest queues bin for the next group and waits for its answer.
func (g *grouper) ingest(ctx context.Context, bin []byte) (*fsm.IngestResult, uint64, error) {
	pb := &pendingBatch{ctx: ctx, bin: bin, done: make(chan groupAnswer, 1)}
	g.waiting.Add(1)
	defer g.waiting.Add(-1)
	select {
	case g.queue <- pb:
	case <-ctx.Done():
		return nil, 0, fmt.Errorf("hub: %s: %w", fsm.CmdIngestGroup, ErrTimeout)
	case <-g.r.stopped:
		return nil, 0, fmt.Errorf("hub: %s: %w", fsm.CmdIngestGroup, ErrClosed)
	}
	select {
	case a := <-pb.done:
		return a.res, a.index, a.err
	case <-ctx.Done():
		// The group may still commit it: the batch is idempotent, the
		// sender may send it again.
		return nil, 0, fmt.Errorf("hub: %s: %w", fsm.CmdIngestGroup, ErrTimeout)
	case <-g.r.stopped:
		return nil, 0, fmt.Errorf("hub: %s: %w", fsm.CmdIngestGroup, ErrClosed)
	}
}

// run forms and proposes groups until ctx ends. Entries are proposed from
// this goroutine only, so they are in the log in the order the batches
// were queued.
func (g *grouper) run(ctx context.Context) {
	var carry *pendingBatch
	for {
		first := carry
		carry = nil
		if first == nil {
			select {
			case <-ctx.Done():
				return
			case first = <-g.queue:
			}
		}
		select {
		case g.slots <- struct{}{}:
		case <-ctx.Done():
			first.done <- groupAnswer{err: fmt.Errorf("hub: %s: %w", fsm.CmdIngestGroup, ErrClosed)}
			return
		}
		group, size := []*pendingBatch{first}, len(first.bin)
	gather:
		for len(group) < groupMaxBatches {
			select {
			case pb := <-g.queue:
				if size+len(pb.bin) > groupMaxBytes {
					carry = pb
					break gather
				}
				group, size = append(group, pb), size+len(pb.bin)
			default:
				break gather
			}
		}
		g.propose(group)
	}
}

// propose proposes group as one entry and answers its batches once it is
// applied, on a goroutine of its own, which then frees the slot.
func (g *grouper) propose(group []*pendingBatch) {
	live := group[:0]
	for _, pb := range group {
		if pb.ctx.Err() == nil { // its sender has given up: not proposed
			live = append(live, pb)
		}
	}
	if len(live) == 0 {
		<-g.slots
		return
	}
	r := g.r
	op := "hub: " + string(fsm.CmdIngestGroup)
	bins := make([][]byte, len(live))
	for i, pb := range live {
		bins[i] = pb.bin
	}
	var f raft.ApplyFuture
	var b []byte
	var err error
	switch v := r.commandVersion(); {
	case !r.IsLeader():
		err = fmt.Errorf("%s: %w", op, ErrNotLeader)
	case v < fsm.GroupCommandVersion:
		// A voter of an older release joined since the batches were
		// queued: they are sent again, and go one per entry.
		err = fmt.Errorf("%s: a voter does not read group entries: %w", op, ErrLeadershipLost)
	default:
		b, err = fsm.EncodeCommandVersion(v, fsm.CmdIngestGroup, r.cfg.Now(), fsm.EncodeIngestGroup(bins))
	}
	start := time.Now()
	if err == nil {
		f = r.raft.Apply(b, r.cfg.WriteTimeout)
	}
	r.wg.Add(1)
	go func() {
		defer func() { <-g.slots; r.wg.Done() }()
		if err == nil {
			// Not ctx: a group proposed is waited for until it commits or
			// Raft stops (r.wait), even while the replica closes.
			wctx, cancel := context.WithTimeout(context.Background(), r.cfg.WriteTimeout)
			err = translate(op, r.wait(wctx, f))
			cancel()
		}
		var resp *fsm.Response
		if err == nil {
			r.metrics.applySeconds.Observe(time.Since(start).Seconds())
			r.metrics.groupBatches.Observe(float64(len(live)))
			resp, _ = f.Response().(*fsm.Response)
		}
		answerGroup(live, resp, f, err, op)
	}()
}

// answerGroup gives each batch of a group its answer: the entry's failure,
// or its own response.
func answerGroup(group []*pendingBatch, resp *fsm.Response, f raft.ApplyFuture, err error, op string) {
	var gr *fsm.GroupResult
	if err == nil && resp == nil {
		err = fmt.Errorf("%s: no response from the state machine at index %d", op, f.Index())
	}
	if err == nil && resp.Err != nil {
		err = resp.Err // the whole entry was refused: every batch in it
	}
	if err == nil {
		gr, _ = resp.Value.(*fsm.GroupResult)
		if gr == nil || len(gr.Batches) != len(group) {
			err = fmt.Errorf("%s: the state machine answered for another group at index %d", op, f.Index())
		}
	}
	for i, pb := range group {
		a := groupAnswer{err: err}
		if err == nil {
			br := gr.Batches[i]
			a.index, a.err = f.Index(), br.Err
			a.res, _ = br.Value.(*fsm.IngestResult)
		}
		pb.done <- a
	}
}
