package store

import (
	"context"
	"encoding/json"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// keyEmergencies holds, in meta/, the JSON list of the emergency tags a
// contact may carry: the emergencies an administrator keeps until the
// hub's emergency mode names them (issue 11.3). A contact's emergency tag
// comes only from this list, never from free text.
var keyEmergencies = []byte("emergencies")

// maxEmergencies bounds the list.
const maxEmergencies = 1000

func getEmergencies(tx *bolt.Tx) ([]string, error) {
	var tags []string
	v := tx.Bucket(bucketMeta).Get(keyEmergencies)
	if v == nil {
		return nil, nil
	}
	if err := json.Unmarshal(v, &tags); err != nil {
		return nil, o211.Errorf(o211.EINTERNAL, "store: the list of emergencies is corrupt: %v", err)
	}
	return tags, nil
}

// Emergencies returns the emergency tags contacts may carry, sorted.
func (s *Store) Emergencies() (tags []string, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		tags, err = getEmergencies(tx)
		return err
	})
	return tags, err
}

// SetEmergency adds tag to the emergencies contacts may carry (add) or
// removes it, and records the change in the audit log as actor a's.
//
// Errors: EINVALID for a tag that is not 1 to 63 lower-case letters,
// digits and hyphens, or a list already full.
func (s *Store) SetEmergency(_ context.Context, a o211.Actor, tag string, add bool) error {
	if !o211.ValidTag(tag) {
		return o211.FieldErrorf("id", "%q is not an emergency tag: use 1 to 63 lower-case letters, digits and hyphens", short(tag, 40))
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		tags, err := getEmergencies(tx)
		if err != nil {
			return err
		}
		i, found := slices.BinarySearch(tags, tag)
		action := "emergency_put"
		switch {
		case add && found, !add && !found:
			return nil
		case add:
			if len(tags) >= maxEmergencies {
				return o211.Errorf(o211.EINVALID, "the list holds %d emergencies already; remove ended ones first", len(tags))
			}
			tags = slices.Insert(tags, i, tag)
		default:
			tags = slices.Delete(tags, i, i+1)
			action = "emergency_delete"
		}
		b, err := json.Marshal(tags)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketMeta).Put(keyEmergencies, b); err != nil {
			return err
		}
		return s.accountAudit(tx, a, action, tag)
	})
}

// KnownEmergency reports whether contacts may carry emergency tag.
func (t *Tx) KnownEmergency(tag string) (bool, error) {
	tags, err := getEmergencies(t.tx)
	if err != nil {
		return false, err
	}
	_, found := slices.BinarySearch(tags, tag)
	return found, nil
}
