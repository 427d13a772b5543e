package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// ReconcileResult says what Reconcile did.
type ReconcileResult struct {
	// Taken counts records the hub held newer (or only the hub held): they
	// are now stored here as the hub has them. They enter the outbox too
	// (the hub finds them stale), so that the outbox follows the mark
	// without a gap.
	Taken int `json:"taken"`
	// Pushed counts records this store held newer, or only here: they are
	// in the outbox again, after the hub's mark, to be pushed.
	Pushed int `json:"pushed"`
	// Same counts records both held alike.
	Same int `json:"same"`
	// Seq is the store's last change sequence number after: at least the
	// hub's mark, so that new changes follow what the hub already holds.
	Seq uint64 `json:"seq"`
}

// Reconcile brings a regional store that was restored from an older backup
// (the hub holds changes of the region past its last one: "diverged") back
// into agreement with the hub, losing neither side's work. hub is every
// record of the region the hub holds, read together with its mark (see
// hub.RegionRecords). In one transaction:
//   - a record the hub holds at a higher version, or that only the hub
//     holds, is stored as the hub has it;
//   - a record this store holds at a higher version, or only here, is
//     queued to be pushed again; at the same version with different
//     contents (both sides changed it from the same ancestor) the later
//     modification wins, and when it is this store's, its version becomes
//     the hub's plus one so that the hub takes it;
//   - report records are pushed again only if their outbox entry was
//     still waiting (the hub counts a report once, by its id);
//   - the outbox is rebuilt from those changes alone, numbered from
//     mark+1 (from the store's own last change+1 if that is later: the
//     pusher then closes the gap from the change feed), so that the hub
//     takes them; it finds the records it gave stale.
//
// The changes name the actor ctx carries; a ctx without one fails with
// ErrNoActor. A hub record of another region or that does not decode is an
// EINVALID error, and nothing is changed.
func (s *Store) Reconcile(ctx context.Context, hub []*o211.Record, mark uint64) (*ReconcileResult, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if s.region == replicaMark {
		return nil, fmt.Errorf("store: reconcile: %s is a replica store", s.path)
	}
	byKey := make(map[string]*o211.Record, len(hub))
	for i, r := range hub {
		if _, err := checkReplicated(r); err != nil {
			return nil, fmt.Errorf("store: reconcile: hub record %d: %w", i, err)
		}
		if r.Region != s.region {
			return nil, o211.Errorf(o211.EINVALID, "store: reconcile: hub record %d is of region %.20q, not %q", i, r.Region, s.region)
		}
		byKey[string(r.Kind)+"/"+r.ID] = r
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("store: closed")
	}
	res := &ReconcileResult{}
	err = s.db.Update(func(tx *bolt.Tx) error {
		w := &writer{tx: tx, s: s, seq: max(getSeq(tx), mark), res: &WriteResult{}, actor: actor}
		push, err := reconcilePlan(tx, w, hub, byKey, res)
		if err != nil {
			return err
		}
		for _, p := range push {
			op := o211.OpUpsert
			if p.rec.Deleted {
				op = o211.OpDelete
			}
			c := *p.rec
			c.Version = p.version
			if err := w.put(p.rec, &c, op, nil); err != nil {
				return err
			}
		}
		res.Pushed, res.Seq = len(push), w.seq
		return putSeq(tx, w.seq)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// pushOf is a local record to push again, at version.
type pushOf struct {
	rec     *o211.Record
	version uint64
}

// reconcilePlan stores the hub's newer records through w and returns the
// local records to push again, in their old sequence order.
func reconcilePlan(tx *bolt.Tx, w *writer, hub []*o211.Record, byKey map[string]*o211.Record, res *ReconcileResult) ([]pushOf, error) {
	waiting, err := emptyOutbox(tx)
	if err != nil {
		return nil, err
	}
	found := recBuckets{tx: tx}
	var push []pushOf
	for _, h := range hub {
		l, err := found.find(h.Kind, h.ID)
		if err != nil {
			return nil, err
		}
		switch {
		case l == nil || l.Version < h.Version || l.Version == h.Version && !sameRecord(l, h) && !l.Modified.After(h.Modified):
			c := *h
			op := o211.OpUpsert
			if c.Deleted {
				op = o211.OpDelete
			}
			if err := w.put(l, &c, op, nil); err != nil {
				return nil, err
			}
			res.Taken++
		case l.Version > h.Version:
			push = append(push, pushOf{l, l.Version})
		case sameRecord(l, h):
			res.Same++
		default: // the same version changed on both sides; this one is later
			push = append(push, pushOf{l, h.Version + 1})
		}
	}
	err = newTx(tx).ChangesSince(0, func(c ChangeRef) error {
		k := string(c.Kind) + "/" + c.ID
		if byKey[k] != nil || c.Kind == o211.KindReport && !waiting[k] {
			return nil
		}
		l, err := found.find(c.Kind, c.ID)
		if err != nil || l == nil {
			return err
		}
		push = append(push, pushOf{l, l.Version})
		return nil
	})
	sort.SliceStable(push, func(i, j int) bool { return push[i].rec.Seq < push[j].rec.Seq })
	return push, err
}

// emptyOutbox empties the outbox and returns the records its entries named.
func emptyOutbox(tx *bolt.Tx) (map[string]bool, error) {
	waiting := map[string]bool{}
	if err := tx.Bucket(bucketOutbox).ForEach(func(_, v []byte) error {
		e, err := decodeOutboxEntry(v)
		waiting[string(e.Kind)+"/"+e.ID] = true
		return err
	}); err != nil {
		return nil, err
	}
	if err := tx.DeleteBucket(bucketOutbox); err != nil {
		return nil, err
	}
	_, err := tx.CreateBucket(bucketOutbox)
	return waiting, err
}

// sameRecord reports whether two versions of a record hold the same thing.
func sameRecord(a, b *o211.Record) bool {
	if a.Deleted != b.Deleted {
		return false
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a.Data) != nil || json.Compact(&cb, b.Data) != nil {
		return bytes.Equal(a.Data, b.Data)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
