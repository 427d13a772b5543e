package replication

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/o211/o211"
)

// PusherConfig configures a Pusher.
type PusherConfig struct {
	// Region is the node's region; Outbox its outbox and store.
	Region string
	Outbox Outbox
	// BatchEntries bounds the outbox entries of a batch (default 2000);
	// BatchBytes its encoded size (default 2 MiB).
	BatchEntries int
	BatchBytes   int
	// Timeout bounds a request (default 15 s: a hub election and a Raft
	// commit fit in it).
	Timeout time.Duration
	// MinBackoff and MaxBackoff bound the wait after a failure (default
	// 50 ms and 5 s); each wait is drawn at random from its upper half.
	MinBackoff, MaxBackoff time.Duration
	// Idle is how long the pusher sleeps with an empty outbox before it
	// looks again without being woken (default 1 minute; Wake is the
	// normal way).
	Idle time.Duration
	// Observe, when set, is called with the delay from commit to the
	// hub's acknowledgement of each change acknowledged.
	Observe func(time.Duration)
	Logger  *slog.Logger
	Now     func() time.Time
}

func (c *PusherConfig) defaults() {
	if c.BatchEntries <= 0 {
		c.BatchEntries = 2000
	}
	if c.BatchBytes <= 0 {
		c.BatchBytes = 2 << 20
	}
	if c.Timeout <= 0 {
		c.Timeout = 15 * time.Second
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 50 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Second
	}
	if c.Idle <= 0 {
		c.Idle = time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Push states, as Status reports them.
const (
	StateIdle     = "idle"     // nothing to send
	StatePushing  = "pushing"  // sending a backlog
	StateOffline  = "offline"  // the hub leader cannot be reached; retrying
	StateBlocked  = "blocked"  // the hub refuses a batch; retrying slowly
	StateDiverged = "diverged" // the hub holds more of this region than the node: pushing stopped
)

// Pusher sends a node's outbox to the hub leader, batch after batch, each
// as a request on the region's ingest subject, and removes the entries the
// hub acknowledges. It is safe for concurrent use.
type Pusher struct {
	cfg  PusherConfig
	conn *nats.Conn
	log  *slog.Logger
	wake chan struct{} // new outbox entries
	kick chan struct{} // the link to the hub came back

	req inflight // the request in flight

	mu        sync.Mutex // guards the fields below
	st        PushStatus
	commits   []commit // commit times of outbox entries, oldest first
	refusal   string   // the last refusal logged, and when
	refusedAt time.Time
}

// commit is when the changes up to seq were committed (at the latest).
type commit struct {
	seq uint64
	at  time.Time
}

// maxCommits bounds the commit times kept; past it, times are kept at a
// coarser grain.
const maxCommits = 10000

// PushStatus is the pusher's state and counters.
type PushStatus struct {
	State string `json:"state"`
	// Mark is the region's high-water mark at the hub as last heard.
	Mark      uint64    `json:"mark"`
	LastAck   time.Time `json:"last_ack,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	ErrorAt   time.Time `json:"last_error_at,omitzero"`
	Batches   uint64    `json:"batches"`
	Records   uint64    `json:"records"`
	Retries   uint64    `json:"retries"`
	Repairs   uint64    `json:"repairs"`
	// Conflicts are the node's records the hub did not apply because
	// another region owns them (since the node started; the hub keeps
	// them for good).
	Conflicts Conflicts `json:"conflicts"`
}

// NewPusher returns a pusher sending over conn (an in-process connection
// to the node's embedded server, with the region's inbox prefix).
func NewPusher(cfg PusherConfig, conn *nats.Conn) *Pusher {
	cfg.defaults()
	return &Pusher{cfg: cfg, conn: conn, log: cfg.Logger, wake: make(chan struct{}, 1),
		kick: make(chan struct{}, 1), st: PushStatus{State: StateIdle, Conflicts: Conflicts{Latest: []Conflict{}}}}
}

// Wake tells the pusher that the outbox has new entries. It never blocks.
func (p *Pusher) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Committed records that the changes up to seq were committed at, and
// wakes the pusher. The commit times give the age of the oldest waiting
// change (the lag in seconds); a restarted node, which has none for the
// changes already waiting, falls back on the records' modification times.
func (p *Pusher) Committed(seq uint64, at time.Time) {
	p.mu.Lock()
	n := len(p.commits)
	switch {
	case n > 0 && p.commits[n-1].seq >= seq:
	case n > 0 && (at.Sub(p.commits[n-1].at) < 10*time.Millisecond ||
		n >= maxCommits && at.Sub(p.commits[n-1].at) < time.Second):
		// Close to the last: extend it (the times stay upper bounds of
		// the age).
		p.commits[n-1].seq = seq
	default:
		p.commits = append(p.commits, commit{seq, at})
	}
	p.mu.Unlock()
	p.Wake()
}

// OldestCommit returns when the change first (the first waiting) was
// committed, as recorded by Committed, and false when it is not known.
func (p *Pusher) OldestCommit(first uint64) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.commits {
		if c.seq >= first {
			return c.at, true
		}
	}
	return time.Time{}, false
}

// LinkDown abandons the request in flight: its reply cannot come over a
// link that dropped. The batch is sent again (it is safe to).
func (p *Pusher) LinkDown() {
	p.req.abandon()
}

// Kick tells the pusher that the link to the hub is back: a retry waiting
// out its backoff goes at once. It never blocks.
func (p *Pusher) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Status returns the pusher's state and counters.
func (p *Pusher) Status() PushStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st
}

// errDiverged stops pushing: the hub's mark is past the node's last change.
var errDiverged = errors.New("replication: diverged")

// errRetry is a failure to be retried after a backoff (no leader, time-out,
// link down). local says the node's own server answered (no responder is
// known: the link is down or no replica leads): retrying costs the hub
// nothing, so it is retried often.
type errRetry struct {
	err   error
	local bool
}

func (e errRetry) Error() string { return e.err.Error() }
func (e errRetry) Unwrap() error { return e.err }

// Run pushes until ctx ends.
func (p *Pusher) Run(ctx context.Context) {
	backoff := p.cfg.MinBackoff
	var rs run
	for ctx.Err() == nil {
		more, err := p.step(ctx, &rs)
		var retry errRetry
		if err != nil && !errors.As(err, &retry) {
			rs.next = nil // built before the failure: build it again
		}
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && more:
			backoff = p.cfg.MinBackoff
		case err == nil:
			backoff = p.cfg.MinBackoff
			p.setState(StateIdle, nil)
			p.sleep(ctx, p.cfg.Idle, true)
		case errors.Is(err, errDiverged):
			p.sleep(ctx, p.cfg.Idle, false)
		case errors.As(err, &retry) && retry.local:
			p.setState(StateOffline, err)
			p.sleep(ctx, jitter(localRetry), false)
		case errors.As(err, &retry):
			p.setState(StateOffline, err)
			p.sleep(ctx, jitter(backoff), false)
			backoff = min(2*backoff, p.cfg.MaxBackoff)
		default:
			p.setState(StateBlocked, err)
			p.sleep(ctx, jitter(p.cfg.MaxBackoff), false)
			backoff = p.cfg.MaxBackoff
		}
	}
}

// sleep waits for d, ctx's end, Kick, or (when wakeable) Wake. A write
// does not cut short a backoff: the hub is unreachable or refusing, and
// retrying at the pace of writes would not help.
func (p *Pusher) sleep(ctx context.Context, d time.Duration, wakeable bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			return
		case <-p.kick:
			return
		case <-p.wake:
			if wakeable {
				return
			}
		}
	}
}

// localRetry is the wait before sending again when the node's own server
// knew of no responder (a retry that does not reach the hub).
const localRetry = 200 * time.Millisecond

// jitter returns a duration drawn from [d/2, d).
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// run is the state of one Run: whether the hub was probed, the next batch
// (built while the previous one was in flight) and a mark acknowledged by
// the hub whose entries are still to be removed from the outbox.
type run struct {
	probed bool
	next   *batch
	ack    uint64
}

// step sends one batch. It reports whether more entries may be waiting.
// While the hub applies a batch, the node removes the entries the previous
// one acknowledged and builds the next one, so that it goes as soon as
// the reply comes.
func (p *Pusher) step(ctx context.Context, rs *run) (bool, error) {
	b := rs.next
	rs.next = nil
	if b == nil {
		if err := p.flushAck(rs); err != nil {
			return false, err
		}
		n, _, head, err := p.cfg.Outbox.Backlog()
		if err != nil {
			return false, fmt.Errorf("replication: read outbox: %w", err)
		}
		if n == 0 {
			if rs.probed || head == 0 {
				return false, nil
			}
			// Nothing waits, but the hub may lack changes the node
			// believes it acknowledged: send the last change again. It
			// is skipped if the hub holds it, and the reply says where
			// the hub stands.
			if err := p.probe(ctx, head); err != nil {
				return false, err
			}
			rs.probed = true
			return false, nil
		}
		if b, err = p.nextBatch(0); err != nil || b == nil {
			return false, err
		}
	}
	rs.probed = true
	p.setState(StatePushing, nil)
	type answer struct {
		rep *IngestReply
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		rep, err := p.send(ctx, b)
		ch <- answer{rep, err}
	}()
	ackErr := p.flushAck(rs)
	next, nextErr := p.nextBatch(b.to)
	a := <-ch
	var retry errRetry
	switch {
	case errors.As(a.err, &retry):
		// No answer (no leader, a time-out, the link down): the same
		// batch goes again, as built (sending it twice is safe), rather
		// than reading up to BatchEntries records from the outbox anew
		// at each retry of a backlog.
		rs.next = b
		return false, a.err
	case a.err != nil:
		return false, a.err
	case a.rep.Error != nil && a.rep.Error.Code == o211.ECONFLICT && a.rep.Mark != nil && *a.rep.Mark+1 < b.from:
		return true, p.repair(ctx, *a.rep.Mark, b.from)
	case a.rep.Error != nil:
		return false, p.refused(b, a.rep.Error)
	}
	mark, err := p.acked(b, a.rep)
	if err != nil {
		return false, err
	}
	rs.ack = mark
	if ackErr == nil && nextErr == nil && next != nil && next.from == mark+1 {
		rs.next = next // sent at once; the entries acknowledged go meanwhile
		return true, nil
	}
	return true, p.flushAck(rs)
}

// nextBatch builds the batch of the entries after seq (nil when none).
func (p *Pusher) nextBatch(after uint64) (*batch, error) {
	entries, err := p.cfg.Outbox.Pending(after, p.cfg.BatchEntries)
	if err != nil {
		return nil, fmt.Errorf("replication: read outbox: %w", err)
	}
	if len(entries) == 0 {
		return nil, nil
	}
	items := make([]item, len(entries))
	for i, e := range entries {
		items[i] = item{seq: e.Seq, ref: Ref{e.Kind, e.ID}, version: e.Version}
	}
	return p.build(items, 0)
}

// flushAck removes the entries the hub acknowledged from the outbox.
func (p *Pusher) flushAck(rs *run) error {
	if rs.ack == 0 {
		return nil
	}
	if err := p.cfg.Outbox.Ack(rs.ack); err != nil {
		return fmt.Errorf("replication: acknowledge %d: %w", rs.ack, err)
	}
	rs.ack = 0
	return nil
}

// item is a change to send: its sequence number and record, and the
// version the outbox entry names (0 when unknown).
type item struct {
	seq     uint64
	ref     Ref
	version uint64
}

// batch is an encoded ingest request.
type batch struct {
	from, to uint64
	// head is the store's last sequence number when the batch was built.
	head    uint64
	body    []byte
	records int
	// commits are the commit times of the changes sent whose record is
	// still at the version of the change (for Observe).
	commits []time.Time
}

// build encodes the records of items in order, each record once, until
// the byte budget is spent (at least one item goes in). The batch covers
// from items[0].seq to the last item included, or to upTo when every item
// fits and upTo is larger (a repair covering a gap).
func (p *Pusher) build(items []item, upTo uint64) (*batch, error) {
	refs := make([]Ref, 0, len(items))
	first := make(map[Ref]int, len(items))
	for _, it := range items {
		if _, ok := first[it.ref]; !ok {
			first[it.ref] = len(refs)
			refs = append(refs, it.ref)
		}
	}
	recs, err := p.cfg.Outbox.Records(refs)
	if err != nil {
		return nil, fmt.Errorf("replication: read records: %w", err)
	}
	head, err := p.cfg.Outbox.Head()
	if err != nil {
		return nil, fmt.Errorf("replication: read outbox: %w", err)
	}
	b := &batch{from: items[0].seq, to: items[0].seq, head: head}
	var recBuf []byte
	sent := make([]bool, len(refs))
	all := true
	for i, it := range items {
		k := first[it.ref]
		r := recs[k]
		if !sent[k] && r != nil {
			before := len(recBuf)
			if b.records > 0 {
				recBuf = append(recBuf, ',')
			}
			recBuf = appendRecord(recBuf, r)
			if i > 0 && len(recBuf) > p.cfg.BatchBytes {
				recBuf = recBuf[:before]
				all = false
				break
			}
			sent[k] = true
			b.records++
		}
		if r != nil && r.Version == it.version {
			b.commits = append(b.commits, r.Modified)
		}
		b.to = it.seq
	}
	if all && upTo > b.to {
		b.to = upTo
	}
	body := make([]byte, 0, len(recBuf)+128)
	body = appendBatchHead(body, p.cfg.Region, b.from, b.to)
	body = append(body, recBuf...)
	b.body = appendBatchTail(body)
	return b, nil
}

// send sends a batch and returns the hub's reply. Failures to get one are
// errRetry: the batch may or may not have been applied, and sending it
// again is safe.
func (p *Pusher) send(ctx context.Context, b *batch) (*IngestReply, error) {
	m := newMsg(IngestSubject(p.cfg.Region), envIngest, b.body)
	m.Header.Set(headerHead, strconv.FormatUint(b.head, 10))
	resp, err := p.req.request(ctx, p.conn, m, p.cfg.Timeout)
	if err != nil {
		p.count(func(s *PushStatus) { s.Retries++ })
		if errors.Is(err, nats.ErrNoResponders) {
			return nil, errRetry{fmt.Errorf("replication: push batch %d-%d: no hub leader is reachable", b.from, b.to), true}
		}
		return nil, errRetry{err: fmt.Errorf("replication: push batch %d-%d: %w", b.from, b.to, err)}
	}
	rep := new(IngestReply)
	if err := decode(resp, envIngestReply, rep); err != nil {
		return nil, fmt.Errorf("replication: push batch %d-%d: %w", b.from, b.to, err)
	}
	if rep.Error == nil && rep.Mark == nil {
		return nil, fmt.Errorf("replication: push batch %d-%d: the hub's reply has no mark", b.from, b.to)
	}
	if rep.Error != nil && (rep.Error.Code == CodeNotLeader || rep.Error.Code == o211.EUNAVAILABLE) {
		p.count(func(s *PushStatus) { s.Retries++ })
		return nil, errRetry{err: fmt.Errorf("replication: push batch %d-%d: %w", b.from, b.to, rep.Error)}
	}
	return rep, nil
}

// acked records what the hub acknowledged and returns its mark, whose
// entries the caller removes from the outbox.
func (p *Pusher) acked(b *batch, rep *IngestReply) (uint64, error) {
	mark := *rep.Mark
	head, err := p.cfg.Outbox.Head()
	if err != nil {
		return 0, fmt.Errorf("replication: read outbox: %w", err)
	}
	if mark > head {
		return 0, p.diverged(mark, head)
	}
	now := p.cfg.Now()
	if p.cfg.Observe != nil && !rep.Skipped {
		for _, t := range b.commits {
			p.cfg.Observe(now.Sub(t))
		}
	}
	conflicts := rep.conflicts(p.cfg.Region, now)
	if len(conflicts) > 0 {
		p.log.Warn("replication: the hub skipped records that another region owns",
			"count", len(conflicts), "first", string(conflicts[0].Table)+" "+conflicts[0].ID, "owner", conflicts[0].Owner)
	}
	p.mu.Lock()
	if len(conflicts) > 0 {
		p.st.Conflicts.Add(conflicts...)
	}
	p.st.Mark, p.st.LastAck = mark, now
	i := 0
	for i < len(p.commits) && p.commits[i].seq <= mark {
		i++
	}
	p.commits = p.commits[i:]
	p.st.Batches++
	p.st.Records += uint64(rep.Applied)
	p.st.LastError = ""
	p.mu.Unlock()
	return mark, nil
}

func (p *Pusher) setState(state string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.State = state
	if err != nil {
		p.st.LastError, p.st.ErrorAt = err.Error(), p.cfg.Now()
	}
}

func (p *Pusher) count(f func(*PushStatus)) {
	p.mu.Lock()
	f(&p.st)
	p.mu.Unlock()
}
