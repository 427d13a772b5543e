package store

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// Where a region's records came from. An import names its source (the
// feed it reads, such as "211ontario"); every record it writes is entered
// under that source, so that importing the source again can remove what
// vanished from it while leaving records entered by hand, or from another
// source, alone. A write that names no source (the HSDS write API, the
// console) keeps the source a record already has: a record imported and
// then corrected by hand still belongs to its feed, and a record created by
// hand has none.
//
//	source_of/
//	  <kind>|<id> -> <source>, for every live record that has one
//
// Finding a source's records reads the whole bucket: a few hundred
// milliseconds for millions of records, once per import, against a second
// index that every imported record would pay for.
var bucketSourceOf = []byte("source_of")

// ValidSource returns an EINVALID error unless name can name an import
// source: 1 to 64 letters, digits, '.', '_' or '-'.
func ValidSource(name string) error {
	if name == "" || len(name) > 64 {
		return o211.Errorf(o211.EINVALID, "a source name has 1 to 64 characters")
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return o211.Errorf(o211.EINVALID, "a source name holds only letters, digits, '.', '_' and '-'")
		}
	}
	return nil
}

// setSource enters kind/id under source (no-op for "").
func setSource(tx *bolt.Tx, kind o211.Kind, id, source string) error {
	of := tx.Bucket(bucketSourceOf)
	if source == "" || of == nil { // a replica store keeps no sources
		return nil
	}
	key := join(string(kind), id)
	if string(of.Get(key)) == source {
		return nil
	}
	of.FillPercent = denseFill
	return of.Put(key, []byte(source))
}

// dropSource removes a deleted record from its source.
func dropSource(tx *bolt.Tx, kind o211.Kind, id string) error {
	if of := tx.Bucket(bucketSourceOf); of != nil {
		return of.Delete(join(string(kind), id))
	}
	return nil
}

// Source returns the source of the record kind/id: "" for one entered by
// hand, or not held.
func (t *Tx) Source(kind o211.Kind, id string) string {
	if of := t.tx.Bucket(bucketSourceOf); of != nil {
		return string(of.Get(join(string(kind), id)))
	}
	return ""
}

// EachFromSource calls fn for every live record of the source, in kind
// name and id order, until fn returns an error.
func (t *Tx) EachFromSource(source string, fn func(kind o211.Kind, id string) error) error {
	of := t.tx.Bucket(bucketSourceOf)
	if of == nil || source == "" {
		return nil
	}
	c := of.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if string(v) != source {
			continue
		}
		kind, id, ok := bytes.Cut(k, []byte{sep})
		if !ok {
			return fmt.Errorf("store: corrupt source entry %q", k)
		}
		if err := fn(o211.Kind(kind), string(id)); err != nil {
			return err
		}
	}
	return nil
}
