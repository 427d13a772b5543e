package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/o211/o211"
)

// PurgeResult says what a PurgeContacts call did.
type PurgeResult struct {
	// Purged counts the contacts whose personal fields were erased.
	Purged int
	// More is set when contacts due for the purge remain (the limit was
	// reached).
	More bool
}

// PurgeContacts erases the personal fields (o211.Contact.Redact) of up to
// limit contacts that ended before cutoff (or started before it, for a
// contact never ended), oldest first, sets their Purged time, and writes an
// audit entry with actor o211.System("retention") for each one that held personal
// fields, all in one durable transaction. Report records are not touched.
//
// The values are gone from the store's records; bbolt does not zero the
// pages it frees, so old bytes can stay in the file's free pages until
// they are reused or the file is compacted (bbolt compact).
func (s *Store) PurgeContacts(ctx context.Context, cutoff time.Time, limit int) (*PurgeResult, error) {
	if s.commit == nil {
		return nil, errReplicaContacts
	}
	if limit <= 0 {
		limit = 500
	}
	var res *PurgeResult
	err := s.commit.do(ctx, func(g *groupTx) (func() error, error) {
		res = &PurgeResult{}
		var due []*o211.Contact
		c := g.tx.Bucket(bucketContactKeep).Cursor()
		end := timeKey(cutoff)
		for k, _ := c.First(); k != nil && string(k[:8]) < string(end); k, _ = c.Next() {
			if len(due) == limit {
				res.More = true
				break
			}
			ct, err := findContact(g.tx, string(k[9:]))
			if err != nil {
				return nil, err
			} else if ct == nil {
				return nil, fmt.Errorf("%w: retention index names contact %q, which does not exist", errCorrupt, k[9:])
			}
			due = append(due, ct)
		}
		return func() error {
			for _, old := range due {
				held := old.PersonalHeld()
				c := old.Redact()
				at := g.now
				c.Purged, c.Version, c.Updated = &at, old.Version+1, g.now
				if err := g.writeContact(old, c); err != nil {
					return err
				}
				if len(held) > 0 {
					if err := g.putAudit(&o211.AuditEntry{Time: g.now, Actor: o211.System("retention"), Action: "purge",
						ContactID: c.ID, Fields: held}); err != nil {
						return err
					}
				}
				res.Purged++
			}
			return nil
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Reports calls fn with every report record of the region (the anonymised
// records of its closed contacts), in id order, in one consistent view,
// until fn returns an error (ErrStop ends the scan without one).
func (s *Store) Reports(fn func(*o211.Report) error) error {
	return s.View(func(tx *Tx) error { return tx.Reports(fn) })
}

// Reports calls fn with every report record in the view, in id order,
// until fn returns an error (ErrStop ends the scan without one). Tx.Seq
// gives the sequence number the view reflects: report records written
// later have higher ones.
func (t *Tx) Reports(fn func(*o211.Report) error) error {
	return t.Scan(o211.KindReport, "", func(r *o211.Record) error {
		rep := new(o211.Report)
		if err := json.Unmarshal(r.Data, rep); err != nil {
			return fmt.Errorf("%w: report %q: %v", errCorrupt, r.ID, err)
		}
		return fn(rep)
	})
}

// IsReport reports whether a change of the change feed is a report record
// rather than a directory record: readers of the directory's changes
// (the search index) skip them.
func (c ChangeRef) IsReport() bool { return c.Kind == o211.KindReport }
