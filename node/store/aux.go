package store

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Aux is a write to a side table: a key of a named bucket of the store's
// file set to Value, or deleted when Value is nil. Side tables let a user of
// the store (the hub's state machine) keep its own state in the same file
// and transaction as the records.
type Aux struct {
	Bucket string
	Key    []byte
	Value  []byte
}

var bucketAux = []byte("aux")

// auxBucket returns the side table name (nil when it does not exist and
// create is false).
func auxBucket(tx *bolt.Tx, name string, create bool) (*bolt.Bucket, error) {
	root := tx.Bucket(bucketAux)
	if root == nil {
		if !create {
			return nil, nil
		}
		var err error
		if root, err = tx.CreateBucket(bucketAux); err != nil {
			return nil, err
		}
	}
	if !create {
		return root.Bucket([]byte(name)), nil
	}
	return root.CreateBucketIfNotExists([]byte(name))
}

func putAux(tx *bolt.Tx, aux []Aux) error {
	for _, a := range aux {
		if a.Bucket == "" || len(a.Key) == 0 {
			return fmt.Errorf("store: side table write needs a bucket and a key")
		}
		b, err := auxBucket(tx, a.Bucket, true)
		if err != nil {
			return err
		}
		if a.Value == nil {
			err = b.Delete(a.Key)
		} else {
			err = b.Put(a.Key, a.Value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// AuxGet returns a copy of the value of key in side table bucket, or nil.
func (t *Tx) AuxGet(bucket string, key []byte) []byte {
	b, _ := auxBucket(t.tx, bucket, false)
	if b == nil {
		return nil
	}
	if v := b.Get(key); v != nil {
		return append([]byte(nil), v...)
	}
	return nil
}

// AuxScan calls fn for every key of side table bucket that starts with
// prefix, in key order, with copies of key and value, until fn returns an
// error. ErrStop ends the scan without error.
func (t *Tx) AuxScan(bucket string, prefix []byte, fn func(key, value []byte) error) error {
	b, _ := auxBucket(t.tx, bucket, false)
	if b == nil {
		return nil
	}
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(append([]byte(nil), k...), append([]byte(nil), v...)); err != nil {
			if err == ErrStop {
				return nil
			}
			return err
		}
	}
	return nil
}
