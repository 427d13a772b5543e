package hub

import (
	"errors"
	"log/slog"
	"sync"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// errStableClosed answers a read of the stable store after it closed.
var errStableClosed = errors.New("hub: the raft stable store is closed")

// stableStore is the replica's Raft log and stable store (raft.db), closed
// safely while a heartbeat may still be running.
//
// hashicorp/raft answers heartbeats on the transport's own goroutines, and
// one that passed its shutdown check can reach setCurrentTerm after
// Raft.Shutdown returned; a failed term write there panics the process
// (hashicorp/raft#717: "failed to save current term: database not open").
// So close waits for writes in progress, and a write that arrives after it
// is dropped and logged instead of failing. Such a write comes from a
// heartbeat to a replica that has stopped: a heartbeat carries no entries
// and no vote, and a restarted replica learns the term from the leader
// again.
type stableStore struct {
	*raftboltdb.BoltStore
	logger *slog.Logger

	mu     sync.RWMutex
	closed bool
}

func newStableStore(b *raftboltdb.BoltStore, logger *slog.Logger) *stableStore {
	return &stableStore{BoltStore: b, logger: logger}
}

// Set writes key unless the store has closed.
func (s *stableStore) Set(key, val []byte) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		s.dropped(key)
		return nil
	}
	return s.BoltStore.Set(key, val)
}

// SetUint64 writes key unless the store has closed.
func (s *stableStore) SetUint64(key []byte, val uint64) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		s.dropped(key)
		return nil
	}
	return s.BoltStore.SetUint64(key, val)
}

// Get reads key, or errStableClosed once the store has closed.
func (s *stableStore) Get(key []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errStableClosed
	}
	return s.BoltStore.Get(key)
}

// GetUint64 reads key, or errStableClosed once the store has closed.
func (s *stableStore) GetUint64(key []byte) (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, errStableClosed
	}
	return s.BoltStore.GetUint64(key)
}

// Close waits for the writes in progress, then closes the file; later
// writes are dropped.
func (s *stableStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.BoltStore.Close()
}

func (s *stableStore) dropped(key []byte) {
	if s.logger != nil {
		s.logger.Warn("hub: a raft state write after shutdown was dropped (a late heartbeat)", "key", string(key))
	}
}

var _ raft.StableStore = (*stableStore)(nil)
