package store

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// OutboxEntry is a change waiting to be sent to the hub. It names the record
// and the version written; the pusher sends the record as it then stands.
type OutboxEntry struct {
	Seq     uint64    `json:"seq"`
	Region  string    `json:"region"`
	Kind    o211.Kind `json:"kind"`
	ID      string    `json:"id"`
	Op      o211.Op   `json:"op"`
	Version uint64    `json:"version"`
}

var kindOrder = func() map[o211.Kind]int {
	m := map[o211.Kind]int{}
	for i, ki := range o211.Kinds() {
		m[ki.Kind] = i
	}
	return m
}()

// apply writes the batch's valid changes: upserts first, in table and id
// order (sequential keys make bbolt fast), then deletions with their
// cascades.
func (b *batch) apply(ctx context.Context, actor o211.Actor, res *WriteResult, opt o211.WriteOptions) error {
	progress := opt.Progress
	var ups, dels []*pending
	for _, p := range b.items {
		if p.rej != nil || p.dupeOf >= 0 {
			continue
		}
		if p.op == o211.OpUpsert {
			ups = append(ups, p)
		} else {
			dels = append(dels, p)
		}
	}
	sort.Slice(ups, func(i, j int) bool {
		a, c := ups[i].key, ups[j].key
		if a.kind != c.kind {
			return kindOrder[a.kind] < kindOrder[c.kind]
		}
		return a.id < c.id
	})
	w := &writer{tx: b.tx, s: b.s, seq: getSeq(b.tx), now: b.s.opts.Now().UTC(), res: res,
		refPuts: map[string][][]byte{}, source: opt.Source, actor: actor}
	total := len(ups) + len(dels)
	for i, p := range ups {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if progress != nil {
				progress(i, total)
			}
		}
		if err := w.upsert(p.key, p.data, p.obj); err != nil {
			return err
		}
	}
	if err := w.flushRefs(); err != nil { // deletions read the index
		return err
	}
	for _, p := range dels {
		if err := w.delete(p.key); err != nil {
			return err
		}
	}
	if progress != nil {
		progress(total, total)
	}
	return putSeq(b.tx, w.seq)
}

// denseFill is the page fill at which bbolt splits the record and index
// buckets: writes put their keys in order, so pages filled well beyond
// bbolt's default half make a smaller file to write and to cache.
const denseFill = 0.9

// writer applies single record changes inside a write transaction.
type writer struct {
	tx  *bolt.Tx
	s   *Store
	seq uint64
	now time.Time
	res *WriteResult
	// actor makes the changes, for their history entries.
	actor o211.Actor
	// refPuts, when set, collects new foreign-key index keys by bucket for
	// flushRefs. bbolt splits nodes only at commit, so keys put out of order
	// into one bucket cost a memmove of the whole growing node each: a large
	// import would take quadratic time.
	refPuts map[string][][]byte
	// source is the import source of the records upserted ("" keeps theirs).
	source string
}

// flushRefs puts the collected index keys, each bucket's in key order.
func (w *writer) flushRefs() error {
	names := make([]string, 0, len(w.refPuts))
	for name := range w.refPuts {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		keys := w.refPuts[name]
		sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 })
		b, err := w.tx.Bucket(bucketRef).CreateBucketIfNotExists([]byte(name))
		if err != nil {
			return err
		}
		b.FillPercent = denseFill
		for _, k := range keys {
			if err := b.Put(k, nil); err != nil {
				return err
			}
		}
	}
	clear(w.refPuts)
	return nil
}

// upsert stores the row data (obj decoded) as kind/id, unless it is the
// stored row already.
func (w *writer) upsert(k key, data []byte, obj o211.Object) error {
	old, err := findRecord(w.tx, k.kind, k.id)
	if err != nil {
		return err
	}
	if err := setSource(w.tx, k.kind, k.id, w.source); err != nil {
		return err
	}
	if old != nil && !old.Deleted && bytes.Equal(old.Data, data) {
		w.res.Unchanged++
		return nil
	}
	rec := &o211.Record{Kind: k.kind, ID: k.id, Region: w.s.region, Version: 1, Modified: w.now, Data: data}
	if old != nil {
		rec.Version = old.Version + 1
		if !old.Deleted && old.Region != w.s.region {
			return o211.Errorf(o211.EFORBIDDEN, "%s %q belongs to region %q", k.kind, k.id, old.Region)
		}
	}
	if old == nil || old.Deleted {
		w.res.Created++
	} else {
		w.res.Updated++
	}
	return w.put(old, rec, o211.OpUpsert, obj)
}

// delete turns kind/id into a tombstone, after the rows that belong to it.
func (w *writer) delete(k key) error {
	for _, child := range childRefs[k.kind] {
		var ids []string
		err := newTx(w.tx).EachReferrer(child.kind, child.field, k.id, func(r *o211.Record) error {
			ids = append(ids, r.ID)
			return nil
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := w.delete(key{child.kind, id}); err != nil {
				return err
			}
		}
	}
	old, err := findRecord(w.tx, k.kind, k.id)
	if err != nil || old == nil || old.Deleted {
		return err // already gone (reached twice through a cascade)
	}
	rec := &o211.Record{Kind: k.kind, ID: k.id, Region: old.Region, Version: old.Version + 1,
		Modified: w.now, Deleted: true, Data: old.Data}
	w.res.Deleted++
	if err := dropSource(w.tx, k.kind, k.id); err != nil {
		return err
	}
	return w.put(old, rec, o211.OpDelete, nil)
}

// put stores rec, replacing old (nil if new): the record, its foreign-key
// index entries, its change-feed entry, its history entry and an outbox
// entry. obj is rec's
// row decoded, or nil (it is decoded when needed).
func (w *writer) put(old, rec *o211.Record, op o211.Op, obj o211.Object) error {
	if err := w.putReplicated(old, rec, op, obj); err != nil {
		return err
	}
	entry := encodeOutboxEntry(OutboxEntry{Kind: rec.Kind, ID: rec.ID, Op: op, Version: rec.Version})
	outbox := w.tx.Bucket(bucketOutbox)
	outbox.FillPercent = 1 // keys only ever grow
	return outbox.Put(u64(rec.Seq), entry)
}

// putReplicated stores rec as put does, without an outbox entry. The
// history entry names w's actor and, for its time, rec's modification
// time (a replicated record keeps its region's).
func (w *writer) putReplicated(old, rec *o211.Record, op o211.Op, obj o211.Object) error {
	w.seq++
	rec.Seq = w.seq
	v := encodeRecord(rec)
	recs, err := w.tx.Bucket(bucketRec).CreateBucketIfNotExists([]byte(rec.Kind))
	if err != nil {
		return err
	}
	recs.FillPercent = denseFill
	if err := recs.Put([]byte(rec.ID), v); err != nil {
		return err
	}
	if err := w.putRefs(old, rec, obj); err != nil {
		return err
	}
	wasLive, isLive := old != nil && !old.Deleted, !rec.Deleted
	if wasLive != isLive {
		delta := 1
		if wasLive {
			delta = -1
		}
		if err := addCount(w.tx, rec.Kind, delta); err != nil {
			return err
		}
	}
	changes := w.tx.Bucket(bucketChanges)
	changes.FillPercent = 1 // new keys are always the highest
	if old != nil && old.Seq != 0 {
		if err := changes.Delete(u64(old.Seq)); err != nil {
			return err
		}
	}
	if err := changes.Put(u64(rec.Seq), join(string(rec.Kind), rec.ID)); err != nil {
		return err
	}
	w.res.Changed = append(w.res.Changed, ChangeRef{Seq: rec.Seq, Kind: rec.Kind, ID: rec.ID})
	return w.putHistory(old, rec)
}

// putRefs updates the foreign-key index: entries of the old row that the new
// one no longer has are removed, new ones added. Tombstones have none.
func (w *writer) putRefs(old, rec *o211.Record, obj o211.Object) error {
	oldRefs, err := refsOf(old, nil)
	if err != nil {
		return err
	}
	newRefs, err := refsOf(rec, obj)
	if err != nil {
		return err
	}
	for f, id := range oldRefs {
		if newRefs[f] == id {
			continue
		}
		if b := refBucket(w.tx, rec.Kind, f); b != nil {
			if err := b.Delete(join(id, rec.ID)); err != nil {
				return err
			}
		}
	}
	for f, id := range newRefs {
		if oldRefs[f] == id {
			continue
		}
		if w.refPuts != nil {
			name := string(rec.Kind) + "." + f
			w.refPuts[name] = append(w.refPuts[name], join(id, rec.ID))
			continue
		}
		b, err := w.tx.Bucket(bucketRef).CreateBucketIfNotExists([]byte(string(rec.Kind) + "." + f))
		if err != nil {
			return err
		}
		if err := b.Put(join(id, rec.ID), nil); err != nil {
			return err
		}
	}
	return nil
}

// refsOf returns the set foreign keys of a live record by field; obj is
// its row decoded, or nil.
func refsOf(r *o211.Record, obj o211.Object) (map[string]string, error) {
	if r == nil || r.Deleted {
		return nil, nil
	}
	if obj == nil {
		var err error
		if obj, err = r.Decode(); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	m := map[string]string{}
	for _, ref := range obj.Refs() {
		if ref.ID != "" {
			m[ref.Field] = ref.ID
		}
	}
	return m, nil
}

type childRef struct {
	kind  o211.Kind
	field string
}

// childRefs maps a kind to the references of rows that belong to it and go
// when it goes: every foreign key pointing at the kind, attribute.link_id and
// metadata.resource_id, except the protected ones.
var childRefs = func() map[o211.Kind][]childRef {
	m := map[o211.Kind][]childRef{}
	isProtected := func(parent, kind o211.Kind, field string) bool {
		for _, p := range protected[parent] {
			if p.kind == kind && p.field == field {
				return true
			}
		}
		return false
	}
	for _, parent := range o211.Kinds() {
		for _, child := range o211.Kinds() {
			for _, r := range child.New().Refs() {
				if (r.Kind == parent.Kind || r.Kind == "") && !isProtected(parent.Kind, child.Kind, r.Field) {
					m[parent.Kind] = append(m[parent.Kind], childRef{child.Kind, r.Field})
				}
			}
		}
	}
	return m
}()
