package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// bucketReferrals counts, per service, the region's contacts that refer
// someone to it:
//
//	referrals/
//	  <service id>  -> uint64 BE, the number of contacts whose referrals
//	                   name the service (a contact counts once per
//	                   referral it holds)
//
// Every contact write moves the counts from the stored contact's
// referrals to the new one's, in its transaction; a file made before the
// bucket has it filled from its contacts when it is opened (schema
// version 1 still). The verification queue sorts by these counts.
var bucketReferrals = []byte("referrals")

// initReferrals creates referrals/ and, when it is new, counts the
// contacts already stored.
func initReferrals(tx *bolt.Tx) error {
	if tx.Bucket(bucketReferrals) != nil {
		return nil
	}
	if _, err := tx.CreateBucket(bucketReferrals); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return tx.Bucket(bucketContacts).ForEach(func(k, v []byte) error {
		c, err := decodeContact(string(k), v)
		if err != nil {
			return err
		}
		return countReferrals(tx, nil, c)
	})
}

// countReferrals moves the referral counts from old's referrals (nil for
// a new contact) to c's.
func countReferrals(tx *bolt.Tx, old, c *o211.Contact) error {
	delta := map[string]int64{}
	if old != nil {
		for _, r := range old.Referrals {
			delta[r.ServiceID]--
		}
	}
	for _, r := range c.Referrals {
		delta[r.ServiceID]++
	}
	b := tx.Bucket(bucketReferrals)
	for id, d := range delta {
		if d == 0 || id == "" {
			continue
		}
		var n int64
		if v := b.Get([]byte(id)); len(v) == 8 {
			n = int64(binary.BigEndian.Uint64(v))
		}
		if n += d; n <= 0 {
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
		} else if err := b.Put([]byte(id), u64(uint64(n))); err != nil {
			return err
		}
	}
	return nil
}

// ReferralCounts returns, per service id, the number of the region's
// contacts that refer someone to it (services never referred are absent).
func (s *Store) ReferralCounts() (map[string]int, error) {
	out := map[string]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReferrals)
		if b == nil {
			return nil // a replica store keeps no contacts
		}
		return b.ForEach(func(k, v []byte) error {
			if len(v) == 8 {
				out[string(k)] = int(binary.BigEndian.Uint64(v))
			}
			return nil
		})
	})
	return out, err
}
