package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
)

// Tx is a consistent read-only view of the store. Records it returns are
// copies and stay valid after the view ends.
type Tx struct {
	tx   *bolt.Tx
	recs recBuckets
}

// View runs fn with a read-only view. Concurrent writes are not visible in
// it: a view sees a whole Write or none of it.
func (s *Store) View(fn func(*Tx) error) error {
	return s.db.View(func(tx *bolt.Tx) error { return fn(newTx(tx)) })
}

// Get returns the live record kind/id, or an ENOTFOUND error (also for
// deleted records).
func (s *Store) Get(kind o211.Kind, id string) (rec *o211.Record, err error) {
	err = s.View(func(tx *Tx) error {
		rec, err = tx.Get(kind, id)
		return err
	})
	return rec, err
}

// Seq returns the last change sequence number assigned.
func (t *Tx) Seq() uint64 { return getSeq(t.tx) }

// Get returns the live record kind/id, or an ENOTFOUND error (also for
// deleted records).
func (t *Tx) Get(kind o211.Kind, id string) (*o211.Record, error) {
	r, err := t.GetAny(kind, id)
	if err != nil {
		return nil, err
	} else if r == nil || r.Deleted {
		return nil, o211.Errorf(o211.ENOTFOUND, "%s %q not found", kind, id)
	}
	return r, nil
}

// GetAny returns the record kind/id, tombstones included, or nil if the
// store has never held it.
func (t *Tx) GetAny(kind o211.Kind, id string) (*o211.Record, error) {
	return t.recs.find(kind, id)
}

// Object returns the live row kind/id decoded, or an ENOTFOUND error.
func (t *Tx) Object(kind o211.Kind, id string) (o211.Object, error) {
	r, err := t.Get(kind, id)
	if err != nil {
		return nil, err
	}
	return r.Decode()
}

// Referrers returns the live records of kind whose foreign key field holds
// id, in id order.
func (t *Tx) Referrers(kind o211.Kind, field, id string) ([]*o211.Record, error) {
	var out []*o211.Record
	err := t.EachReferrer(kind, field, id, func(r *o211.Record) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// EachReferrer calls fn for each live record of kind whose foreign key field
// holds id, in id order.
func (t *Tx) EachReferrer(kind o211.Kind, field, id string, fn func(*o211.Record) error) error {
	b := refBucket(t.tx, kind, field)
	if b == nil {
		return nil
	}
	prefix := append([]byte(id), sep)
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		r, err := t.recs.find(kind, string(k[len(prefix):]))
		if err != nil {
			return err
		}
		if r == nil || r.Deleted {
			continue
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// Scan calls fn for every live record of kind with an id after the given
// one ("" for all), in id order, until fn returns an error. ErrStop ends the
// scan without error.
func (t *Tx) Scan(kind o211.Kind, after string, fn func(*o211.Record) error) error {
	b := recBucket(t.tx, kind)
	if b == nil {
		return nil
	}
	c := b.Cursor()
	k, v := c.First()
	if after != "" {
		k, v = c.Seek([]byte(after))
		if k != nil && string(k) == after {
			k, v = c.Next()
		}
	}
	for ; k != nil; k, v = c.Next() {
		r, err := decodeRecord(kind, string(k), v)
		if err != nil {
			return err
		}
		if r.Deleted {
			continue
		}
		if err := fn(r); err != nil {
			if err == ErrStop {
				return nil
			}
			return err
		}
	}
	return nil
}

// Count returns the number of live records of kind.
func (t *Tx) Count(kind o211.Kind) (int, error) {
	return int(getCount(t.tx, kind)), nil
}

func getCount(tx *bolt.Tx, kind o211.Kind) uint64 {
	if v := tx.Bucket(bucketCounts).Get([]byte(kind)); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func addCount(tx *bolt.Tx, kind o211.Kind, delta int) error {
	if delta == 0 {
		return nil
	}
	n := int64(getCount(tx, kind)) + int64(delta)
	if n < 0 {
		return fmt.Errorf("store: live count of %s would be negative", kind)
	}
	return tx.Bucket(bucketCounts).Put([]byte(kind), u64(uint64(n)))
}

// ChangeRef names a changed record in the change feed.
type ChangeRef struct {
	Seq  uint64
	Kind o211.Kind
	ID   string
}

// ChangesSince calls fn for the latest change of every record changed after
// seq, in sequence order. A record changed several times appears once, at
// its last change.
func (t *Tx) ChangesSince(seq uint64, fn func(ChangeRef) error) error {
	c := t.tx.Bucket(bucketChanges).Cursor()
	for k, v := c.Seek(u64(seq + 1)); k != nil; k, v = c.Next() {
		kind, id, ok := bytes.Cut(v, []byte{sep})
		if !ok {
			return fmt.Errorf("store: corrupt change entry %x", k)
		}
		if err := fn(ChangeRef{Seq: binary.BigEndian.Uint64(k), Kind: o211.Kind(kind), ID: string(id)}); err != nil {
			return err
		}
	}
	return nil
}

// ErrStop ends a Scan early without an error.
var ErrStop = fmt.Errorf("store: stop")

func recBucket(tx *bolt.Tx, kind o211.Kind) *bolt.Bucket {
	return tx.Bucket(bucketRec).Bucket([]byte(kind))
}

func refBucket(tx *bolt.Tx, kind o211.Kind, field string) *bolt.Bucket {
	return tx.Bucket(bucketRef).Bucket([]byte(string(kind) + "." + field))
}

func newTx(tx *bolt.Tx) *Tx { return &Tx{tx: tx, recs: recBuckets{tx: tx}} }

// recBuckets finds records in one transaction, looking each table's bucket
// up once.
type recBuckets struct {
	tx *bolt.Tx
	m  map[o211.Kind]*bolt.Bucket
}

func (r *recBuckets) bucket(kind o211.Kind) *bolt.Bucket {
	if b, ok := r.m[kind]; ok {
		return b
	}
	b := recBucket(r.tx, kind)
	if b != nil { // a table created later in this transaction is looked up again
		if r.m == nil {
			r.m = map[o211.Kind]*bolt.Bucket{}
		}
		r.m[kind] = b
	}
	return b
}

// find returns the record kind/id, tombstones included, or nil.
func (r *recBuckets) find(kind o211.Kind, id string) (*o211.Record, error) {
	b := r.bucket(kind)
	if b == nil {
		return nil, nil
	}
	v := b.Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	return decodeRecord(kind, id, v)
}

func findRecord(tx *bolt.Tx, kind o211.Kind, id string) (*o211.Record, error) {
	b := recBucket(tx, kind)
	if b == nil {
		return nil, nil
	}
	v := b.Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	return decodeRecord(kind, id, v)
}

var _ hsds.Tx = (*Tx)(nil)
