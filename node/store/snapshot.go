package store

import (
	"fmt"
	"io"
	"os"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211/internal/backupfile"
)

// Snapshot is a consistent point-in-time copy of the store in the making:
// it holds a read transaction until Release (backupfile.Snapshot: Size,
// WriteTo, Release).
type Snapshot struct {
	*backupfile.Snapshot
}

// BeginSnapshot starts a snapshot. It returns at once; the copying happens
// in WriteTo. Writes go on meanwhile and are not part of it.
func (s *Store) BeginSnapshot() (*Snapshot, error) {
	sn, err := backupfile.Begin(s.db)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &Snapshot{sn}, nil
}

// Restore replaces the whole store with a file written by Snapshot.WriteTo:
// the copy is written beside the store, checked, and renamed over it, so a
// crash leaves either the old or the new store. The store stays usable.
func (s *Store) Restore(r io.Reader) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("store: closed")
	}
	tmp := s.path + ".restore"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: restore: %w", err)
	}
	if err := checkFile(tmp, s.opts); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: restore: %w", err)
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	db, err := bolt.Open(s.path, 0o600, s.boltOptions())
	if err != nil {
		s.closed = true
		return fmt.Errorf("store: restore: reopen: %w", err)
	}
	s.db, s.sessionDB = db, sessionDB{db}
	// A snapshot of an older release (a hub of mixed releases) is
	// upgraded; it is its own copy, so none is kept.
	if err := s.upgrade(false); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	return db.Update(s.init)
}

// checkFile opens a candidate store file and checks its schema and mode.
func checkFile(path string, opts Options) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	probe := &Store{path: path, opts: opts}
	return db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return fmt.Errorf("not an o211 store")
		}
		if _, err := fileVersion(path, tx); err != nil {
			return err
		}
		r := string(meta.Get(keyRegion))
		if (r == replicaMark) != probe.opts.Replica {
			return fmt.Errorf("the snapshot is of another kind of store (region %q)", r)
		}
		return nil
	})
}

// View runs fn with a read-only view of the store as the snapshot holds it,
// so that what is read agrees exactly with what WriteTo writes.
func (sn *Snapshot) View(fn func(*Tx) error) error {
	tx := sn.Tx()
	if tx == nil {
		return fmt.Errorf("store: snapshot released")
	}
	return fn(newTx(tx))
}
