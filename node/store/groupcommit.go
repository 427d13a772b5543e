package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Group commit. Contact writes and audit entries come from many
// navigators at once, and each must be on disk before its call returns.
// One fsync per write would cap a node at the disk's fsync rate, so a
// committer goroutine takes every request queued while the previous
// commit was syncing and commits them together in one bbolt transaction:
// one pair of fsyncs for all of them.
//
// A request is two steps. prepare reads and checks (it may fail, and then
// fails that request alone, having written nothing); it returns apply,
// which writes. When apply fails (bbolt refuses a key or a value) the
// transaction is rolled back, that request fails, and the others are run
// again in a new transaction, so one bad request never fails the others.
// When the commit itself fails (the disk), every request of the batch
// fails: none of them is durable.

// ErrClosed is returned by the contact and audit calls of a closed store.
var ErrClosed = errors.New("store: closed")

// maxGroup bounds the requests of one group commit.
const maxGroup = 1024

// groupTx is the shared write transaction of a group commit.
type groupTx struct {
	tx   *bolt.Tx
	view *Tx
	now  time.Time
	// w writes report records: sequence numbers, change feed, outbox.
	w *writer
}

// commitReq is one caller's work in a group commit.
type commitReq struct {
	ctx     context.Context
	prepare func(*groupTx) (apply func() error, err error)
	err     error
	done    chan struct{}
}

// committer owns the goroutine that runs group commits.
type committer struct {
	s    *Store
	reqs chan *commitReq // unbuffered: a request is either taken or refused at Close
	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once

	commits, requests atomic.Uint64
}

// GroupCommitStats counts the group commits of a store since it opened.
type GroupCommitStats struct {
	// Commits is the number of transactions committed; Requests the
	// number of calls (contact writes, audit appends, purges) they held.
	Commits, Requests uint64
}

// GroupCommitStats returns the store's group commit counts.
func (s *Store) GroupCommitStats() GroupCommitStats {
	if s.commit == nil {
		return GroupCommitStats{}
	}
	return GroupCommitStats{Commits: s.commit.commits.Load(), Requests: s.commit.requests.Load()}
}

func newCommitter(s *Store) *committer {
	c := &committer{s: s, reqs: make(chan *commitReq), stop: make(chan struct{})}
	c.wg.Add(1)
	go c.loop()
	return c
}

// close stops the goroutine once the commit in progress is done; requests
// made after that get ErrClosed.
func (c *committer) close() {
	c.once.Do(func() { close(c.stop) })
	c.wg.Wait()
}

// do runs a request in the next group commit and returns its error once
// the commit is durable (or has failed). It waits for the commit even when
// ctx ends meanwhile, so that a caller never returns while its write may
// still land; a request whose ctx has ended before its turn is skipped.
func (c *committer) do(ctx context.Context, prepare func(*groupTx) (func() error, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &commitReq{ctx: ctx, prepare: prepare, done: make(chan struct{})}
	select {
	case c.reqs <- r:
	case <-c.stop:
		return ErrClosed
	}
	<-r.done
	return r.err
}

func (c *committer) loop() {
	defer c.wg.Done()
	batch := make([]*commitReq, 0, 64)
	for {
		select {
		case r := <-c.reqs:
			batch = append(batch[:0], r)
		case <-c.stop:
			return
		}
	gather: // everyone who queued while the last commit was syncing
		for len(batch) < maxGroup {
			select {
			case r := <-c.reqs:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		c.commit(batch)
		for _, r := range batch {
			close(r.done)
		}
		clear(batch)
	}
}

// commit runs the batch in one transaction, again without a request whose
// apply failed.
func (c *committer) commit(batch []*commitReq) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		for _, r := range batch {
			r.err = ErrClosed
		}
		return
	}
	for {
		var failed *commitReq
		err := s.db.Update(func(tx *bolt.Tx) error {
			now := s.opts.Now().UTC()
			g := &groupTx{tx: tx, view: newTx(tx), now: now,
				w: &writer{tx: tx, s: s, seq: getSeq(tx), now: now, res: &WriteResult{}}}
			for _, r := range batch {
				if r.err != nil {
					continue
				}
				if err := r.ctx.Err(); err != nil {
					r.err = err
					continue
				}
				apply, err := r.prepare(g)
				if err != nil {
					r.err = err
					continue
				}
				if err := apply(); err != nil {
					failed, r.err = r, fmt.Errorf("store: %w", err)
					return r.err
				}
			}
			if g.w.seq != getSeq(tx) {
				return putSeq(tx, g.w.seq)
			}
			return nil
		})
		switch {
		case err == nil:
			c.commits.Add(1)
			for _, r := range batch {
				if r.err == nil {
					c.requests.Add(1)
				}
			}
			return
		case failed != nil:
			for _, r := range batch { // the others are prepared again
				if r != failed {
					r.err = nil
				}
			}
			continue
		}
		for _, r := range batch {
			if r.err == nil {
				r.err = fmt.Errorf("store: commit: %w", err)
			}
		}
		return
	}
}
