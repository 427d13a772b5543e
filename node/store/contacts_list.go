package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// Contacts returns a page of the contacts that q selects: by start time
// (oldest first), or with FollowUpDue by due day (earliest first), or with
// Navigator by that navigator's start times.
//
// Errors: EINVALID for a bad FollowUpDue or a cursor of another listing.
func (s *Store) Contacts(q o211.ContactQuery) (*o211.ContactPage, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, o211.MaxContactPage)
	ix, err := planContacts(&q)
	if err != nil {
		return nil, err
	}
	page := &o211.ContactPage{}
	err = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketContacts) == nil {
			return errReplicaContacts
		}
		c := tx.Bucket(ix.bucket).Cursor()
		k, _ := c.Seek(ix.from)
		if k != nil && bytes.Equal(k, ix.after) {
			k, _ = c.Next()
		}
		var last []byte
		for ; k != nil && bytes.HasPrefix(k, ix.prefix) && (ix.to == nil || bytes.Compare(k, ix.to) < 0); k, _ = c.Next() {
			id := k[bytes.LastIndexByte(k, sep)+1:]
			ct, err := findContact(tx, string(id))
			if err != nil {
				return err
			} else if ct == nil || !matchContact(&q, ct) {
				continue
			}
			if len(page.Contacts) == q.Limit {
				page.Next = ix.tag + base64.RawURLEncoding.EncodeToString(last)
				return nil
			}
			page.Contacts = append(page.Contacts, ct)
			last = append(last[:0], k...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// listPlan is the index range a query walks: keys from (after the cursor's
// key, when given) up to to, with prefix.
type listPlan struct {
	tag             string
	bucket          []byte
	prefix          []byte
	from, after, to []byte
}

func planContacts(q *o211.ContactQuery) (*listPlan, error) {
	var p listPlan
	switch {
	case q.FollowUpDue != "":
		if _, err := time.Parse(time.DateOnly, q.FollowUpDue); err != nil {
			return nil, o211.FieldErrorf("follow_up_due", "%q is not a date of the form YYYY-MM-DD", q.FollowUpDue)
		}
		p.tag, p.bucket = "d", bucketContactDue
		p.to = append([]byte(q.FollowUpDue), sep+1) // every id of the day
	case q.Navigator != "":
		p.tag, p.bucket = "n", bucketContactNav
		p.prefix = append([]byte(q.Navigator), sep)
		p.from = append(append([]byte(nil), p.prefix...), timeKey(q.From)...)
		if !q.To.IsZero() {
			p.to = append(append([]byte(nil), p.prefix...), timeKey(q.To)...)
		}
	default:
		p.tag, p.bucket = "s", bucketContactStart
		p.from = timeKey(q.From)
		if !q.To.IsZero() {
			p.to = timeKey(q.To)
		}
	}
	if p.from == nil {
		p.from = p.prefix
	}
	if q.Cursor != "" {
		k, err := base64.RawURLEncoding.DecodeString(q.Cursor[min(1, len(q.Cursor)):])
		if err != nil || q.Cursor[:1] != p.tag || !bytes.HasPrefix(k, p.prefix) {
			return nil, o211.FieldErrorf("cursor", "is not a cursor of this listing")
		}
		if bytes.Compare(k, p.from) >= 0 {
			p.from, p.after = k, k
		}
	}
	return &p, nil
}

// matchContact applies the filters the index walked does not.
func matchContact(q *o211.ContactQuery, c *o211.Contact) bool {
	switch {
	case q.Status != "" && c.Status != q.Status,
		q.Navigator != "" && c.Navigator != q.Navigator,
		!q.From.IsZero() && c.Start.Before(q.From),
		!q.To.IsZero() && !c.Start.Before(q.To):
		return false
	case q.FollowUpDue != "":
		return c.FollowUp != nil && c.FollowUp.Outcome == "" && c.Purged == nil && c.FollowUp.Due <= q.FollowUpDue
	}
	return true
}

// CountDue counts the contacts of navigator whose follow-up is due on day
// (YYYY-MM-DD) or before and has no outcome yet, up to limit: the count a
// console page shows in its navigation, without reading the contacts
// themselves (only each due contact's navigator is decoded).
// Errors: EINVALID for a day that is not a date.
func (s *Store) CountDue(navigator, day string, limit int) (int, error) {
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return 0, o211.FieldErrorf("follow_up_due", "%q is not a date of the form YYYY-MM-DD", day)
	}
	to := append([]byte(day), sep+1) // every id of the day
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketContacts) == nil {
			return errReplicaContacts
		}
		contacts, c := tx.Bucket(bucketContacts), tx.Bucket(bucketContactDue).Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, to) < 0 && n < limit; k, _ = c.Next() {
			id := k[bytes.LastIndexByte(k, sep)+1:]
			v := contacts.Get(id)
			if len(v) < 1 || v[0] != codecV1 {
				return fmt.Errorf("%w: contact %q", errCorrupt, id)
			}
			var who struct {
				Navigator string `json:"navigator"`
			}
			if err := json.Unmarshal(v[1:], &who); err != nil {
				return fmt.Errorf("%w: contact %q: %v", errCorrupt, id, err)
			}
			if who.Navigator == navigator {
				n++
			}
		}
		return nil
	})
	return n, err
}
