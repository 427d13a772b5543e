// Package boltfile opens the bbolt files of a node's own stores
// (gateway.db, queue.db) the one way: a timeout on the file's lock that
// says plainly when another process holds it, the buckets made, and the
// schema version in meta/version written on a new file and checked on an
// old one. Its Committer commits the writes of many goroutines in one
// fsync'd transaction (group commit) and acknowledges each only after that
// commit.
package boltfile

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

var (
	bucketMeta = []byte("meta")
	keyVersion = []byte("version")
)

// Schema describes a store's file.
type Schema struct {
	// Owner names the store in errors ("gateway", "queue").
	Owner string
	// Version is the schema version kept in meta/version.
	Version string
	// Buckets are the top-level buckets made besides meta.
	Buckets [][]byte
}

// Open opens (creating it if need be) the bbolt file at path for s. It
// returns an o211.EUNAVAILABLE error when another process holds the file
// (for two seconds), an o211.EINVALID one when the file has another
// schema version, and an internal error when the file cannot be opened or
// prepared. noSync skips fsync (tests and benchmarks only).
func Open(path string, s Schema, noSync bool) (*bolt.DB, error) {
	// The free list is not written at each commit (fewer pages to fsync);
	// bbolt rebuilds it when the file is opened.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, NoSync: noSync,
		NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, o211.Errorf(o211.EUNAVAILABLE, "%s: %s is held by another process (is a node running on this data folder?)", s.Owner, path)
	} else if err != nil {
		return nil, fmt.Errorf("%s: opening %s: %w", s.Owner, path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return prepare(tx, path, s) }); err != nil {
		db.Close()
		if o211.ErrorCode(err) != o211.EINTERNAL {
			return nil, err
		}
		return nil, fmt.Errorf("%s: preparing %s: %w", s.Owner, path, err)
	}
	return db, nil
}

// prepare checks or writes the version and makes the buckets.
func prepare(tx *bolt.Tx, path string, s Schema) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	switch v := meta.Get(keyVersion); {
	case v == nil:
		if err := meta.Put(keyVersion, []byte(s.Version)); err != nil {
			return err
		}
	case string(v) != s.Version:
		if len(v) > 10 {
			v = append(v[:10:10], "…"...)
		}
		return o211.Errorf(o211.EINVALID, "%s: %s has schema version %q; this o211 reads version %s", s.Owner, path, v, s.Version)
	}
	for _, b := range s.Buckets {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}
