package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// ApplyResult says what Apply did.
type ApplyResult struct {
	// Applied counts records stored; Stale counts records skipped because
	// the store already held the same or a newer version.
	Applied, Stale int
	// Changed names every record stored, in the store's sequence order.
	Changed []ChangeRef
}

// Apply stores records replicated from the regions that own them, in one
// transaction. A record replaces the stored one only when its version is
// higher, so replays and reordered deliveries are harmless. Records keep
// their region, version and modification time; each gets this store's next
// change sequence number, and none enters the outbox.
//
// The side-table writes aux are made in the same transaction. Each record
// stored gets a history entry naming the actor ctx carries
// (o211.System("replication")); a ctx without one fails with ErrNoActor.
//
// Apply returns an EINVALID error, and stores nothing, if a record is
// malformed (unknown kind, bad id, no region, undecodable row).
func (s *Store) Apply(ctx context.Context, recs []*o211.Record, aux ...Aux) (*ApplyResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	objs := make([]o211.Object, len(recs)) // each row decoded once
	for i, r := range recs {
		obj, err := checkReplicated(r)
		if err != nil {
			return nil, fmt.Errorf("store: record %d: %w", i, err)
		}
		objs[i] = obj
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("store: closed")
	}
	res := &ApplyResult{}
	err = s.db.Update(func(tx *bolt.Tx) error {
		w := &writer{tx: tx, s: s, seq: getSeq(tx), res: &WriteResult{}, actor: actor}
		found := recBuckets{tx: tx}
		for i, r := range recs {
			old, err := found.find(r.Kind, r.ID)
			if err != nil {
				return err
			}
			if old != nil && old.Version >= r.Version {
				res.Stale++
				continue
			}
			c := *r
			op := o211.OpUpsert
			if c.Deleted {
				op = o211.OpDelete
			}
			if err := w.putReplicated(old, &c, op, objs[i]); err != nil {
				return err
			}
			res.Applied++
		}
		res.Changed = w.res.Changed
		if err := putAux(tx, aux); err != nil {
			return err
		}
		return putSeq(tx, w.seq)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// checkReplicated checks a replicated record and returns its row decoded
// (nil for a tombstone).
func checkReplicated(r *o211.Record) (o211.Object, error) {
	if r == nil {
		return nil, o211.Errorf(o211.EINVALID, "missing record")
	}
	if _, ok := o211.LookupKind(r.Kind); !ok {
		return nil, o211.Errorf(o211.EINVALID, "unknown record kind %q", r.Kind)
	}
	if err := o211.ValidID("id", r.ID); err != nil {
		return nil, err
	}
	if !o211.ValidRegionID(r.Region) {
		return nil, o211.Errorf(o211.EINVALID, "%s %q: region %q is not a valid region id", r.Kind, r.ID, r.Region)
	}
	if r.Version == 0 {
		return nil, o211.Errorf(o211.EINVALID, "%s %q: version 0", r.Kind, r.ID)
	}
	if r.Deleted {
		return nil, nil
	}
	return r.Decode()
}
