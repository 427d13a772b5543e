package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Outbox returns up to limit outbox entries with a sequence number above
// after, in order.
func (s *Store) Outbox(after uint64, limit int) ([]OutboxEntry, error) {
	var out []OutboxEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			e, err := decodeOutboxEntry(v)
			if err != nil {
				return fmt.Errorf("store: corrupt outbox entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			e.Seq, e.Region = binary.BigEndian.Uint64(k), s.Region()
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// OutboxStats returns the number of entries waiting and the lowest waiting
// sequence number (0 when empty).
func (s *Store) OutboxStats() (n int, first uint64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		n = b.Stats().KeyN
		if k, _ := b.Cursor().First(); k != nil {
			first = binary.BigEndian.Uint64(k)
		}
		return nil
	})
	return n, first, err
}

// Ack removes the outbox entries up to and including seq: the hub has
// applied them.
func (s *Store) Ack(seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= seq; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
}
