package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// ContactCheck checks a contact against the directory, inside the
// transaction that writes it (node/contacts checks taxonomy codes and
// referrals). old is the stored contact, nil on create. An error fails the
// write and nothing changes.
type ContactCheck func(tx *Tx, old, c *o211.Contact) error

// ContactOptions control CreateContact and UpdateContact.
type ContactOptions struct {
	// Check, when set, runs before anything is written; it is skipped
	// for a contact that was closed already (only its follow-up outcome
	// changes).
	Check ContactCheck
	// Action names the write in its audit entry (default "create" or
	// "update"; the contact service says "close" for a close).
	Action string
	// Path is the request path of the write, for its audit entry ("" for
	// a write from inside the process).
	Path string
}

// ContactResult is what a contact write did.
type ContactResult struct {
	// Contact is the contact as stored.
	Contact *o211.Contact
	// Report is the anonymised report record written because this change
	// closed the contact, or nil.
	Report *o211.Report
	// Seq is Report's change sequence number (0 without a report): the
	// outbox holds it from then on.
	Seq uint64
}

// Earliest and latest contact times the store keeps (its keys hold Unix
// nanoseconds).
var (
	minContactTime = time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC)
	maxContactTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// CreateContact stores a new contact. Without an id it gets a random
// time-ordered UUID (version 7);
// a given id must be valid (o211.ValidID) and new. The store sets Region,
// Version (1), Created, Updated and, for a contact created closed,
// ClosedAt; creating a closed contact also writes its report record, as
// closing it would. The audit entry of the write, in the same transaction,
// names the actor ctx carries (o211.ActorFrom) and the personal fields the
// contact holds. The call returns once the contact is durable, having
// shared its fsync with the concurrent writes of other callers.
//
// Errors: EINVALID (*o211.Error naming the field) when the contact or the
// Check fails, ECONFLICT when the id is taken, ErrClosed, ErrNoActor.
func (s *Store) CreateContact(ctx context.Context, c *o211.Contact, opt ContactOptions) (*ContactResult, error) {
	if s.commit == nil {
		return nil, errReplicaContacts
	}
	audit, err := contactAudit(ctx, opt, "create")
	if err != nil {
		return nil, err
	}
	in := copyContact(c)
	if in.ID == "" {
		in.ID = newContactID()
	}
	if err := checkContact(in); err != nil {
		return nil, err
	}
	var res *ContactResult
	err = s.commit.do(ctx, func(g *groupTx) (func() error, error) {
		res = nil
		if old, err := findContact(g.tx, in.ID); err != nil {
			return nil, err
		} else if old != nil {
			return nil, o211.Errorf(o211.ECONFLICT, "contact %q exists already", in.ID)
		}
		if opt.Check != nil {
			if err := opt.Check(g.view, nil, in); err != nil {
				return nil, err
			}
		}
		c := copyContact(in)
		c.Region, c.Version, c.Created, c.Updated = s.region, 1, g.now, g.now
		c.ClosedAt, c.Purged = nil, nil
		return func() error {
			r, err := g.putContact(nil, c, audit)
			res = r
			return err
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// UpdateContact replaces the stored contact c.ID by c. When c.Version is
// not 0 it must be the stored version (the version the change was made
// from). A closed contact refuses every change but its follow-up outcome;
// a purged one refuses all. Changing the status to closed stamps ClosedAt
// and writes the report record in the same transaction. The store keeps
// Region, Created and Purged, and sets Version and Updated. The audit
// entry is written as CreateContact's.
//
// Errors: ENOTFOUND, ECONFLICT (another version; closed; purged), EINVALID
// from the contact or the Check, ErrClosed, ErrNoActor.
func (s *Store) UpdateContact(ctx context.Context, c *o211.Contact, opt ContactOptions) (*ContactResult, error) {
	if s.commit == nil {
		return nil, errReplicaContacts
	}
	audit, err := contactAudit(ctx, opt, "update")
	if err != nil {
		return nil, err
	}
	in := copyContact(c)
	if err := checkContact(in); err != nil {
		return nil, err
	}
	var res *ContactResult
	err = s.commit.do(ctx, func(g *groupTx) (func() error, error) {
		res = nil
		old, err := findContact(g.tx, in.ID)
		if err != nil {
			return nil, err
		} else if old == nil {
			return nil, o211.Errorf(o211.ENOTFOUND, "contact %q not found", in.ID)
		}
		if err := changeAllowed(old, in); err != nil {
			return nil, err
		}
		if opt.Check != nil && old.Status != o211.ContactClosed {
			if err := opt.Check(g.view, old, in); err != nil {
				return nil, err
			}
		}
		c := copyContact(in)
		c.Region, c.Created, c.Purged, c.ClosedAt = old.Region, old.Created, old.Purged, old.ClosedAt
		c.Version, c.Updated = old.Version+1, g.now
		return func() error {
			r, err := g.putContact(old, c, audit)
			res = r
			return err
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// contactAudit returns the audit entry of a contact write made by ctx's
// actor, or ErrNoActor.
func contactAudit(ctx context.Context, opt ContactOptions, action string) (*o211.AuditEntry, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if opt.Action != "" {
		action = opt.Action
	}
	return &o211.AuditEntry{Actor: a, Action: action, Path: opt.Path}, nil
}

// newContactID returns a UUID of version 7: random, and ordered by time of
// creation, so that new contacts go to the end of the contacts bucket (one
// page written per commit, not one per contact). Report ids stay version 4,
// all random: a report must not tell when its contact was written.
func newContactID() string {
	if id, err := uuid.NewV7(); err == nil {
		return id.String()
	}
	return uuid.NewString()
}

var errReplicaContacts = o211.Errorf(o211.EFORBIDDEN, "this is a replica store; contacts are kept by the regional node")

// checkContact validates c on its own and brings its times to UTC.
func checkContact(c *o211.Contact) error {
	if c.Status == "" {
		c.Status = o211.ContactOpen
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Start.Before(minContactTime) || c.Start.After(maxContactTime) {
		return o211.FieldErrorf("start", "%s is out of range", c.Start.Format(time.RFC3339))
	}
	if c.End != nil && c.End.After(maxContactTime) {
		return o211.FieldErrorf("end", "%s is out of range", c.End.Format(time.RFC3339))
	}
	c.Start = c.Start.UTC()
	if c.End != nil {
		e := c.End.UTC()
		c.End = &e
	}
	return nil
}

// changeAllowed refuses changes the stored contact old does not take: any
// to a purged contact, another version than the one given, and on a closed
// contact anything but the follow-up outcome.
func changeAllowed(old, c *o211.Contact) error {
	switch {
	case old.Purged != nil:
		return o211.Errorf(o211.ECONFLICT, "contact %q was purged under the retention policy on %s; it no longer changes",
			old.ID, old.Purged.Format(time.DateOnly))
	case c.Version != 0 && c.Version != old.Version:
		return o211.Errorf(o211.ECONFLICT, "contact %q is at version %d, not %d: read it again", old.ID, old.Version, c.Version)
	case old.Status != o211.ContactClosed:
		return nil
	}
	a, b := clientFields(old), clientFields(c)
	if a.FollowUp != nil && b.FollowUp != nil {
		fu := *b.FollowUp
		fu.Outcome = a.FollowUp.Outcome
		b.FollowUp = &fu
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		return o211.Errorf(o211.ECONFLICT, "contact %q is closed: only its follow-up outcome can change", old.ID)
	}
	return nil
}

// clientFields returns a copy of c without the fields the store sets.
func clientFields(c *o211.Contact) *o211.Contact {
	x := copyContact(c)
	x.Region, x.Version, x.Created, x.Updated, x.ClosedAt, x.Purged = "", 0, time.Time{}, time.Time{}, nil, nil
	return x
}

// putContact stores c over old (nil if new) with its index entries, the
// report record when c closes, and the audit entry (audit's actor, action
// and path; the time, the contact and the personal fields c holds).
func (g *groupTx) putContact(old, c *o211.Contact, audit *o211.AuditEntry) (*ContactResult, error) {
	res := &ContactResult{Contact: c}
	if c.Status == o211.ContactClosed && (old == nil || old.Status != o211.ContactClosed) {
		at := g.now
		c.ClosedAt = &at
		rep, seq, err := g.putReport(c)
		if err != nil {
			return nil, err
		}
		res.Report, res.Seq = rep, seq
	}
	if err := g.writeContact(old, c); err != nil {
		return nil, err
	}
	e := *audit
	e.Time, e.ContactID, e.Fields = g.now, c.ID, c.PersonalHeld()
	if e.Fields == nil {
		e.Fields = []string{}
	}
	if err := g.putAudit(&e); err != nil {
		return nil, err
	}
	res.Contact = copyContact(c)
	return res, nil
}

// putReport writes the anonymised report of c as a new record, with a
// change sequence number, change-feed entry and outbox entry, as a
// directory record is written: the pusher sends it to the hub unchanged.
func (g *groupTx) putReport(c *o211.Contact) (*o211.Report, uint64, error) {
	rep := o211.Anonymise(c, uuid.NewString())
	if err := rep.Validate(); err != nil {
		return nil, 0, fmt.Errorf("store: the report of contact %q: %w", c.ID, err)
	}
	data, err := json.Marshal(rep)
	if err != nil {
		return nil, 0, err
	}
	// The record's time is the report's day, not the moment the contact
	// closed: that moment, beside a phone log, could point to the call.
	day, err := time.Parse(time.DateOnly, rep.Day)
	if err != nil {
		return nil, 0, fmt.Errorf("store: the report of contact %q: day %q: %w", c.ID, rep.Day, err)
	}
	rec := &o211.Record{Kind: o211.KindReport, ID: rep.ID, Region: g.w.s.region, Version: 1, Modified: day, Data: data}
	if err := g.w.put(nil, rec, o211.OpUpsert, rep); err != nil {
		return nil, 0, err
	}
	return rep, rec.Seq, nil
}

// writeContact puts c and brings its index entries from old's to its own.
func (g *groupTx) writeContact(old, c *o211.Contact) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := g.tx.Bucket(bucketContacts).Put([]byte(c.ID), append([]byte{codecV1}, data...)); err != nil {
		return err
	}
	if err := countReferrals(g.tx, old, c); err != nil {
		return err
	}
	oldKeys, newKeys := contactIndexKeys(old), contactIndexKeys(c)
	for i, b := range contactIndexes {
		if bytes.Equal(oldKeys[i], newKeys[i]) {
			continue
		}
		bk := g.tx.Bucket(b)
		if oldKeys[i] != nil {
			if err := bk.Delete(oldKeys[i]); err != nil {
				return err
			}
		}
		if newKeys[i] != nil {
			if err := bk.Put(newKeys[i], nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// contactIndexes are the index buckets of contacts, in the order of
// contactIndexKeys.
var contactIndexes = [][]byte{bucketContactStart, bucketContactNav, bucketContactDue, bucketContactKeep}

// contactIndexKeys returns c's key in each index (nil where it has none).
func contactIndexKeys(c *o211.Contact) [4][]byte {
	var k [4][]byte
	if c == nil {
		return k
	}
	start := timeKey(c.Start)
	k[0] = append(append(start, sep), c.ID...)
	if c.Navigator != "" {
		k[1] = join(c.Navigator, string(start), c.ID)
	}
	if c.FollowUp != nil && c.FollowUp.Outcome == "" && c.Purged == nil {
		k[2] = join(c.FollowUp.Due, c.ID)
	}
	if c.Purged == nil {
		k[3] = append(append(timeKey(retainFrom(c)), sep), c.ID...)
	}
	return k
}

// retainFrom is when a contact's retention period starts: its end, or its
// start for a contact never ended.
func retainFrom(c *o211.Contact) time.Time {
	if c.End != nil {
		return *c.End
	}
	return c.Start
}

// timeKey is t as a key: Unix nanoseconds, uint64 BE (0 before 1970).
func timeKey(t time.Time) []byte {
	if t.Before(time.Unix(0, 0)) {
		return u64(0)
	}
	return u64(uint64(t.UnixNano()))
}

// Contact returns the stored contact id, or an ENOTFOUND error.
func (s *Store) Contact(id string) (c *o211.Contact, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketContacts) == nil {
			return errReplicaContacts
		}
		c, err = findContact(tx, id)
		if err == nil && c == nil {
			err = o211.Errorf(o211.ENOTFOUND, "contact %q not found", id)
		}
		return err
	})
	return c, err
}

func findContact(tx *bolt.Tx, id string) (*o211.Contact, error) {
	v := tx.Bucket(bucketContacts).Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	return decodeContact(id, v)
}

// decodeContact is the decoding half of the contact codec (the encoding
// half is in writeContact): a codec byte and the JSON of o211.Contact.
func decodeContact(id string, v []byte) (*o211.Contact, error) {
	if len(v) < 1 || v[0] != codecV1 {
		return nil, fmt.Errorf("%w: contact %q", errCorrupt, id)
	}
	c := new(o211.Contact)
	if err := json.Unmarshal(v[1:], c); err != nil {
		return nil, fmt.Errorf("%w: contact %q: %v", errCorrupt, id, err)
	}
	return c, nil
}

// copyContact returns a copy of c that shares nothing with it.
func copyContact(c *o211.Contact) *o211.Contact {
	x := *c
	x.Needs = append([]o211.Need(nil), c.Needs...)
	x.Referrals = append([]o211.Referral(nil), c.Referrals...)
	for _, p := range []**time.Time{&x.End, &x.ClosedAt, &x.Purged} {
		if *p != nil {
			t := **p
			*p = &t
		}
	}
	if c.FollowUp != nil {
		fu := *c.FollowUp
		x.FollowUp = &fu
	}
	return &x
}
