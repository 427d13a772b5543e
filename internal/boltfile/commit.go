package boltfile

import (
	"errors"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// ErrClosed is the error of a write given to a Committer after Close.
var ErrClosed = errors.New("boltfile: the store is closed")

// Committer commits the writes of many goroutines together: one goroutine
// takes every write that arrived while the previous commit ran and
// applies them all in one read-write transaction, so that they share its
// fsyncs, and each Do returns only once that transaction is on disk. A
// write that arrives while the file is idle is committed at once (no
// waiting for company, unlike bbolt's DB.Batch with its fixed delay,
// whose timed batches queue one behind the other when fsyncs are slow).
//
// It is safe for concurrent use. Writes through DB.Update elsewhere still
// work; they take turns with the Committer's transactions.
type Committer struct {
	db   *bolt.DB
	max  int
	wake chan struct{}
	quit chan struct{}
	done chan struct{}

	mu     sync.Mutex
	queue  []*write
	closed bool

	commits, writes atomic.Uint64
	// fail, when set (tests), is called with the batch's size before each
	// commit; its error rolls the transaction back as a failed commit
	// would.
	fail func(n int) error
}

type write struct {
	fn  func(*bolt.Tx) error
	err chan error
}

// NewCommitter starts a Committer on db that puts at most max writes in
// one transaction (default 1,000). Close stops it.
func NewCommitter(db *bolt.DB, max int) *Committer {
	if max <= 0 {
		max = 1000
	}
	c := &Committer{db: db, max: max, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// Do runs fn in a read-write transaction shared with other writers' and
// returns once it is committed. fn may run more than once (when another
// write of its transaction fails, the others run again without it), so it
// must not change anything outside the transaction (a failed write's
// changes are rolled back with its transaction). The error is fn's own, or the
// commit's, which every write of the transaction gets; ErrClosed after
// Close.
func (c *Committer) Do(fn func(*bolt.Tx) error) error {
	w := &write{fn: fn, err: make(chan error, 1)}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.queue = append(c.queue, w)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return <-w.err
}

// Stats returns how many transactions were committed (each two fsyncs)
// and how many writes they carried.
func (c *Committer) Stats() (commits, writes uint64) {
	return c.commits.Load(), c.writes.Load()
}

// pending returns how many writes wait for a transaction.
func (c *Committer) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}

// Close commits the writes it has taken and stops; writes that come later
// get ErrClosed. It is safe to call more than once.
func (c *Committer) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.quit)
	}
	c.mu.Unlock()
	<-c.done
}

func (c *Committer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.wake:
		case <-c.quit:
			for c.commitQueued() {
			}
			return
		}
		for c.commitQueued() {
		}
	}
}

// commitQueued commits up to max queued writes and reports whether it
// found any.
func (c *Committer) commitQueued() bool {
	c.mu.Lock()
	n := min(len(c.queue), c.max)
	batch := c.queue[:n:n]
	c.queue = c.queue[n:]
	if len(c.queue) == 0 {
		c.queue = nil
	}
	c.mu.Unlock()
	if n == 0 {
		return false
	}
	c.commit(batch)
	return true
}

// fnError is the error of one write of a batch.
type fnError struct {
	i   int
	err error
}

func (e *fnError) Error() string { return e.err.Error() }

// commit applies a batch in one transaction. A write whose fn fails gets
// its error and the others are committed again without it; a failed
// commit fails every write in it.
func (c *Committer) commit(batch []*write) {
	for len(batch) > 0 {
		err := c.db.Update(func(tx *bolt.Tx) error {
			for i, w := range batch {
				if err := w.fn(tx); err != nil {
					return &fnError{i, err}
				}
			}
			if c.fail != nil {
				return c.fail(len(batch))
			}
			return nil
		})
		var fe *fnError
		if errors.As(err, &fe) {
			batch[fe.i].err <- fe.err
			batch = append(batch[:fe.i:fe.i], batch[fe.i+1:]...)
			continue
		}
		if err == nil {
			c.commits.Add(1)
			c.writes.Add(uint64(len(batch)))
		}
		for _, w := range batch {
			w.err <- err
		}
		return
	}
}
