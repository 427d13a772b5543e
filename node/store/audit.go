package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// AppendAudit appends entries to the audit log durably, in the next group
// commit (shared with the contact writes and the other readers' entries).
// Entries without a time get the commit's.
//
// Errors: EINVALID for an entry without actor, or without contact id
// (other than an account change or a sign-in), ErrClosed.
func (s *Store) AppendAudit(ctx context.Context, entries ...o211.AuditEntry) error {
	if s.commit == nil {
		return errReplicaContacts
	}
	for i := range entries {
		if (entries[i].ContactID == "" && !accountActions[entries[i].Action]) || entries[i].Actor.IsZero() {
			return o211.Errorf(o211.EINVALID, "an audit entry needs its contact id and actor")
		}
	}
	if len(entries) == 0 {
		return nil
	}
	return s.commit.do(ctx, func(g *groupTx) (func() error, error) {
		return func() error {
			for i := range entries {
				e := entries[i]
				if e.Time.IsZero() {
					e.Time = g.now
				}
				if err := g.putAudit(&e); err != nil {
					return err
				}
			}
			return nil
		}, nil
	})
}

// putAudit writes e and its entry in the by-contact index.
func (g *groupTx) putAudit(e *o211.AuditEntry) error {
	b := g.tx.Bucket(bucketAudit)
	n, err := b.NextSequence()
	if err != nil {
		return err
	}
	key := binary.BigEndian.AppendUint64(timeKey(e.Time), n)
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := b.Put(key, append([]byte{codecAuditV2}, data...)); err != nil {
		return err
	}
	if e.ContactID == "" {
		return nil // an account change or a sign-in
	}
	return g.tx.Bucket(bucketAuditContact).Put(append(append([]byte(e.ContactID), sep), key...), nil)
}

// Audit returns a page of the audit log: oldest first, or newest first
// with q.Newest (reading only the entries of the page).
//
// Errors: EINVALID for a cursor of another listing.
func (s *Store) Audit(q o211.AuditQuery) (*o211.AuditPage, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, 1000)
	r, err := auditRangeOf(q)
	if err != nil {
		return nil, err
	}
	page := &o211.AuditPage{}
	err = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketAudit) == nil {
			return errReplicaContacts
		}
		if q.Newest {
			return r.walkBack(tx, q.Limit, page)
		}
		return r.walk(tx, q.Limit, page)
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// auditRange is the keys an audit query reads: in bucket, with prefix,
// from from (inclusive) to to (exclusive, nil: the end); after is the
// cursor's key, itself excluded.
type auditRange struct {
	bucket, prefix, from, to, after []byte
}

func auditRangeOf(q o211.AuditQuery) (*auditRange, error) {
	r := &auditRange{bucket: bucketAudit}
	if q.ContactID != "" {
		r.bucket, r.prefix = bucketAuditContact, append([]byte(q.ContactID), sep)
	}
	r.from = append(append([]byte(nil), r.prefix...), timeKey(q.From)...)
	if !q.To.IsZero() {
		r.to = append(append([]byte(nil), r.prefix...), timeKey(q.To)...)
	}
	if q.Cursor != "" {
		k, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || !bytes.HasPrefix(k, r.prefix) || len(k) != len(r.prefix)+16 {
			return nil, o211.FieldErrorf("cursor", "is not a cursor of this listing")
		}
		switch {
		case q.Newest && (r.to == nil || bytes.Compare(k, r.to) < 0):
			r.to, r.after = k, k
		case !q.Newest && bytes.Compare(k, r.from) >= 0:
			r.from, r.after = k, k
		}
	}
	return r, nil
}

// entry decodes the audit entry at k, v of r's bucket.
func (r *auditRange) entry(log *bolt.Bucket, k, v []byte) (o211.AuditEntry, error) {
	if len(r.prefix) > 0 {
		v = log.Get(k[len(r.prefix):])
	}
	e, err := decodeAudit(v)
	if err != nil {
		return e, fmt.Errorf("%w: audit entry %x: %v", errCorrupt, k, err)
	}
	return e, nil
}

// walk reads up to limit entries of r, oldest first.
func (r *auditRange) walk(tx *bolt.Tx, limit int, page *o211.AuditPage) error {
	log, c := tx.Bucket(bucketAudit), tx.Bucket(r.bucket).Cursor()
	k, v := c.Seek(r.from)
	if k != nil && bytes.Equal(k, r.after) {
		k, v = c.Next()
	}
	for ; k != nil && bytes.HasPrefix(k, r.prefix) && (r.to == nil || bytes.Compare(k, r.to) < 0); k, v = c.Next() {
		if len(page.Entries) == limit {
			page.Next = base64.RawURLEncoding.EncodeToString(prevCopy(c))
			return nil
		}
		e, err := r.entry(log, k, v)
		if err != nil {
			return err
		}
		page.Entries = append(page.Entries, e)
	}
	return nil
}

// walkBack reads up to limit entries of r, newest first: from the last
// key below to (or the cursor) down to from.
func (r *auditRange) walkBack(tx *bolt.Tx, limit int, page *o211.AuditPage) error {
	log, c := tx.Bucket(bucketAudit), tx.Bucket(r.bucket).Cursor()
	end := r.to
	if end == nil && len(r.prefix) > 0 {
		end = append(append([]byte(nil), r.prefix[:len(r.prefix)-1]...), sep+1) // past every key of the prefix
	}
	var k, v []byte
	if end != nil {
		k, v = c.Seek(end)
	}
	if k == nil {
		k, v = c.Last()
		if k != nil && end != nil && bytes.Compare(k, end) >= 0 {
			k, v = c.Prev()
		}
	} else {
		k, v = c.Prev()
	}
	var last []byte
	for ; k != nil && bytes.HasPrefix(k, r.prefix) && bytes.Compare(k, r.from) >= 0; k, v = c.Prev() {
		if len(page.Entries) == limit {
			page.Next = base64.RawURLEncoding.EncodeToString(last)
			return nil
		}
		e, err := r.entry(log, k, v)
		if err != nil {
			return err
		}
		page.Entries = append(page.Entries, e)
		last = append(last[:0], k...)
	}
	return nil
}

// codecAuditV2 marks audit entries whose actor is an o211.Actor; those of
// codec 1, written before, name it by a string.
const codecAuditV2 = 2

// auditV1 is an audit entry of codec 1: its actor is a string (a
// navigator id sent in a request header, "api-token", "retention").
type auditV1 struct {
	o211.AuditEntry
	Actor string `json:"actor"`
}

// decodeAudit is the decoding half of the audit entry codec (the encoding
// half is in putAudit): a codec byte and the JSON of o211.AuditEntry.
func decodeAudit(v []byte) (o211.AuditEntry, error) {
	switch {
	case len(v) > 0 && v[0] == codecAuditV2:
		var e o211.AuditEntry
		err := json.Unmarshal(v[1:], &e)
		return e, err
	case len(v) > 0 && v[0] == codecV1:
		var old auditV1
		err := json.Unmarshal(v[1:], &old)
		e := old.AuditEntry
		e.Actor = o211.Actor{ID: old.Actor}
		return e, err
	}
	return o211.AuditEntry{}, errors.New("unknown codec")
}

// prevCopy moves c back one key and returns a copy of it.
func prevCopy(c *bolt.Cursor) []byte {
	k, _ := c.Prev()
	return append([]byte(nil), k...)
}
