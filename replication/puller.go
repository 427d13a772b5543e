package replication

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// PullerConfig configures a Puller.
type PullerConfig struct {
	// Region is the node's region (its subjects); Replica the node's copy
	// of the provincial directory.
	Region  string
	Replica Replica
	// PageRecords bounds the records of a page asked for (default 2000).
	PageRecords int
	// Timeout bounds a request (default 15 s).
	Timeout time.Duration
	// Poll is how often the puller asks without being notified (default
	// 30 s): notifications are not stored, so one lost while the link was
	// down is made up for.
	Poll time.Duration
	// MinBackoff and MaxBackoff bound the wait after a failure (default
	// 100 ms and 5 s).
	MinBackoff, MaxBackoff time.Duration
	// Defer, when set and true, holds pulls back (for at most MaxDefer,
	// default 30 s): a node that is pushing a backlog would otherwise
	// pull its own changes back from the hub while the hub applies them.
	Defer    func() bool
	MaxDefer time.Duration
	// NewLeader, when set, is called when a notice comes from another hub
	// leader than the last one (a request in flight to the old leader will
	// get no answer).
	NewLeader func()
	Logger    *slog.Logger
	Now       func() time.Time
}

func (c *PullerConfig) defaults() {
	if c.PageRecords <= 0 {
		c.PageRecords = 2000
	}
	if c.Timeout <= 0 {
		c.Timeout = 15 * time.Second
	}
	if c.Poll <= 0 {
		c.Poll = 30 * time.Second
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Second
	}
	if c.MaxDefer <= 0 {
		c.MaxDefer = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Puller keeps a node's copy of the provincial directory up to date: it
// asks any hub replica for the records changed after the copy's position,
// page after page, whenever the hub leader says the directory changed, and
// every Poll. It is safe for concurrent use.
type Puller struct {
	cfg  PullerConfig
	conn *nats.Conn
	log  *slog.Logger
	wake chan struct{}

	req inflight // the request in flight

	mu     sync.Mutex // guards the fields below
	st     PullStatus
	leader string // the leader of the last notice
}

// PullStatus is the state of the provincial copy.
type PullStatus struct {
	// Position is the hub sequence number the copy has reached; Head the
	// hub's latest as last heard.
	Position uint64 `json:"position"`
	Head     uint64 `json:"head"`
	// Synced says the copy has received at least one page.
	Synced   bool      `json:"synced"`
	LastSync time.Time `json:"last_sync,omitzero"`
	// Behind is since when the copy has been behind the hub's head (zero
	// when it is not).
	Behind    time.Time `json:"behind_since,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	ErrorAt   time.Time `json:"last_error_at,omitzero"`
	Pages     uint64    `json:"pages"`
	Records   uint64    `json:"records"`
}

// NewPuller returns a puller over conn (an in-process connection to the
// node's embedded server, with the region's inbox prefix).
func NewPuller(cfg PullerConfig, conn *nats.Conn) *Puller {
	cfg.defaults()
	return &Puller{cfg: cfg, conn: conn, log: cfg.Logger, wake: make(chan struct{}, 1)}
}

// Status returns the copy's state.
func (p *Puller) Status() PullStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st
}

// Kick asks the puller to pull now (the link to the hub came back). It
// never blocks.
func (p *Puller) Kick() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// LinkDown abandons the request in flight: its reply cannot come over a
// link that dropped.
func (p *Puller) LinkDown() {
	p.req.abandon()
}

// Run subscribes to the region's notifications and pulls until ctx ends.
func (p *Puller) Run(ctx context.Context) {
	sub, err := p.conn.Subscribe(NotifySubject(p.cfg.Region), p.onNotice)
	if err != nil {
		p.log.Error("replication: subscribe to hub notifications", "error", err)
	} else {
		defer sub.Unsubscribe()
	}
	if pos, err := p.cfg.Replica.Position(); err == nil {
		p.mu.Lock()
		p.st.Position, p.st.Synced = pos, pos > 0
		p.mu.Unlock()
	}
	backoff := p.cfg.MinBackoff
	var deferred time.Time
	for ctx.Err() == nil {
		var more bool
		var err error
		held := p.cfg.Defer != nil && p.cfg.Defer()
		switch {
		case !held:
			deferred = time.Time{}
		case deferred.IsZero():
			deferred = p.cfg.Now()
		case p.cfg.Now().Sub(deferred) >= p.cfg.MaxDefer:
			held, deferred = false, time.Time{}
		}
		if !held {
			more, err = p.pull(ctx)
		}
		var wait time.Duration
		switch {
		case ctx.Err() != nil:
			return
		case held:
			wait = 250 * time.Millisecond
		case err == nil && more:
			backoff = p.cfg.MinBackoff
			continue
		case err == nil && p.behind():
			// A replica that lags answered: ask again shortly.
			backoff = p.cfg.MinBackoff
			wait = jitter(4 * p.cfg.MinBackoff)
		case err == nil:
			backoff = p.cfg.MinBackoff
			wait = p.cfg.Poll
		default:
			p.mu.Lock()
			p.st.LastError, p.st.ErrorAt = err.Error(), p.cfg.Now()
			p.mu.Unlock()
			wait = jitter(backoff)
			backoff = min(2*backoff, p.cfg.MaxBackoff)
			if r := (errRetry{}); errors.As(err, &r) && r.local {
				wait = jitter(localRetry)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-p.wake:
		}
		t.Stop()
	}
}

// behind reports whether the hub's head as last heard is past the copy.
func (p *Puller) behind() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st.Head > p.st.Position
}

// onNotice wakes the puller when the hub's head is past the copy.
func (p *Puller) onNotice(m *nats.Msg) {
	var n Notice
	if err := decode(m, envNotify, &n); err != nil {
		p.log.Warn("replication: bad notification from the hub", "error", err)
		return
	}
	p.mu.Lock()
	behind := n.Seq > p.st.Position
	p.noteHead(n.Seq)
	newLeader := n.Leader != "" && p.leader != "" && n.Leader != p.leader
	if n.Leader != "" {
		p.leader = n.Leader
	}
	p.mu.Unlock()
	if newLeader && p.cfg.NewLeader != nil {
		p.cfg.NewLeader()
	}
	if behind {
		p.Kick()
	}
}

// noteHead records the hub's head; p.mu is held.
func (p *Puller) noteHead(head uint64) {
	if head > p.st.Head {
		p.st.Head = head
	}
	if p.st.Head > p.st.Position && p.st.Behind.IsZero() {
		p.st.Behind = p.cfg.Now()
	}
}

// pull asks for and applies one page; it reports whether more follow.
func (p *Puller) pull(ctx context.Context) (bool, error) {
	pos, err := p.cfg.Replica.Position()
	if err != nil {
		return false, fmt.Errorf("replication: read the copy's position: %w", err)
	}
	req := newMsg(SyncSubject(p.cfg.Region), envSync, encodeJSON(SyncRequest{After: pos, Limit: p.cfg.PageRecords}))
	resp, err := p.req.request(ctx, p.conn, req, p.cfg.Timeout)
	if errors.Is(err, nats.ErrNoResponders) {
		return false, errRetry{fmt.Errorf("replication: pull after %d: no hub replica is reachable", pos), true}
	} else if err != nil {
		return false, fmt.Errorf("replication: pull after %d: %w", pos, err)
	}
	page := new(SyncPage)
	if err := decode(resp, envSyncPage, page); err != nil {
		return false, fmt.Errorf("replication: pull after %d: %w", pos, err)
	}
	if page.Error != nil {
		return false, fmt.Errorf("replication: pull after %d: %w", pos, page.Error)
	}
	reached := max(pos, page.Reached)
	if len(page.Records) > 0 || reached > pos {
		if err := p.cfg.Replica.Apply(ctx, page.Records, reached, page.More); err != nil {
			return false, fmt.Errorf("replication: apply page after %d: %w", pos, err)
		}
	}
	now := p.cfg.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.Position, p.st.Synced, p.st.LastSync, p.st.LastError = reached, true, now, ""
	p.st.Pages++
	p.st.Records += uint64(len(page.Records))
	p.noteHead(page.Head)
	if p.st.Head <= reached {
		p.st.Behind = time.Time{}
	}
	// A follower that lags may answer with less than the leader said;
	// more comes from the next notification or poll.
	return page.More && reached > pos, nil
}
