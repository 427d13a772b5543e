package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// ErrNoActor is returned by a write whose context names no actor
// (o211.WithActor): every change of the directory and of contacts says who
// made it. It is a fault of the caller's wiring, never of the request.
var ErrNoActor = errors.New("store: the write names no actor (o211.WithActor)")

// actorOf returns the actor ctx carries, or ErrNoActor.
func actorOf(ctx context.Context) (o211.Actor, error) {
	a, ok := o211.ActorFrom(ctx)
	if !ok {
		return o211.Actor{}, ErrNoActor
	}
	return a, nil
}

// putHistory writes the change history entry of rec, which replaces old
// (nil if new), made by w's actor. Report records have none.
func (w *writer) putHistory(old, rec *o211.Record) error {
	if rec.Kind == o211.KindReport {
		return nil
	}
	e := o211.HistoryEntry{Seq: rec.Seq, Version: rec.Version, Time: rec.Modified, Actor: w.actor}
	switch {
	case rec.Deleted:
		e.Action = o211.HistoryDelete
	case old == nil || old.Deleted:
		e.Action = o211.HistoryCreate
	default:
		e.Action = o211.HistoryUpdate
	}
	if old != nil && !rec.Deleted {
		changes, err := diffRows(old.Data, rec.Data)
		if err != nil {
			return fmt.Errorf("store: history of %s %q: %w", rec.Kind, rec.ID, err)
		}
		e.Changes = changes
	}
	data, err := json.Marshal(&e)
	if err != nil {
		return err
	}
	b, err := w.tx.Bucket(bucketHistory).CreateBucketIfNotExists([]byte(rec.Kind))
	if err != nil {
		return err
	}
	b.FillPercent = denseFill
	return b.Put(historyKey(rec.ID, rec.Seq), append([]byte{codecV1}, data...))
}

// historyKey is the key of a history entry: id, separator, sequence BE.
func historyKey(id string, seq uint64) []byte {
	k := make([]byte, 0, len(id)+9)
	k = append(append(k, id...), sep)
	return append(k, u64(seq)...)
}

// diffRows returns the fields of two flat JSON rows whose values differ.
func diffRows(oldData, newData []byte) ([]o211.FieldChange, error) {
	var a, b map[string]json.RawMessage
	if err := json.Unmarshal(oldData, &a); err != nil && len(oldData) > 0 {
		return nil, err
	}
	if err := json.Unmarshal(newData, &b); err != nil {
		return nil, err
	}
	var out []o211.FieldChange
	for f, v := range a {
		if nv, ok := b[f]; !ok || !bytes.Equal(v, nv) {
			out = append(out, o211.FieldChange{Field: f, Old: v, New: nv})
		}
	}
	for f, v := range b {
		if _, ok := a[f]; !ok {
			out = append(out, o211.FieldChange{Field: f, New: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out, nil
}

// History returns a page of the change history of the record q names,
// oldest change first. A record the store never held has an empty history.
//
// Errors: EINVALID for an unknown kind, a bad id or a cursor of another
// listing.
func (s *Store) History(q o211.HistoryQuery) (*o211.HistoryPage, error) {
	if _, ok := o211.LookupKind(q.Kind); !ok {
		return nil, o211.FieldErrorf("kind", "unknown record kind %q", short(string(q.Kind), 40))
	}
	if err := o211.ValidID("id", q.ID); err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, 1000)
	prefix := append([]byte(q.ID), sep)
	from := prefix
	if q.Cursor != "" {
		k, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 {
			return nil, o211.FieldErrorf("cursor", "is not a cursor of this listing")
		}
		from = k
	}
	page := &o211.HistoryPage{Entries: []o211.HistoryEntry{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHistory).Bucket([]byte(q.Kind))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		k, v := c.Seek(from)
		if k != nil && q.Cursor != "" && bytes.Equal(k, from) {
			k, v = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(page.Entries) == q.Limit {
				page.Next = base64.RawURLEncoding.EncodeToString(prevCopy(c))
				return nil
			}
			e, err := decodeHistory(v)
			if err != nil {
				return fmt.Errorf("%w: history of %s %q: %v", errCorrupt, q.Kind, q.ID, err)
			}
			e.Kind, e.ID = q.Kind, q.ID
			page.Entries = append(page.Entries, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// decodeHistory is the decoding half of the history entry codec (the
// encoding half is in putHistory): a codec byte and the JSON of
// o211.HistoryEntry.
func decodeHistory(v []byte) (o211.HistoryEntry, error) {
	var e o211.HistoryEntry
	if len(v) < 1 || v[0] != codecV1 {
		return e, errors.New("unknown codec")
	}
	err := json.Unmarshal(v[1:], &e)
	return e, err
}
