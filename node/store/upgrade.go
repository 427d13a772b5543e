package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Schema upgrades. Each step takes a file from version v to v+1 inside one
// transaction, so that a crash leaves the old version (and its copy) or the
// new one. meta/upgrades keeps a JSON list of Upgrade.
//
//	meta/
//	  upgrades -> JSON [Upgrade, ...]

var keyUpgrades = []byte("upgrades")

// ErrNewerSchema is returned by Open for a file written by a newer o211.
var ErrNewerSchema = errors.New("store: the file was written by a newer o211")

// Upgrade records one schema upgrade of a file.
type Upgrade struct {
	From int       `json:"from"`
	To   int       `json:"to"`
	At   time.Time `json:"at"`
	// Backup is the copy of the file kept before the upgrade ("" when the
	// file was a restored snapshot, its own copy).
	Backup string `json:"backup,omitempty"`
}

// upgrades are the steps from version i+1 to i+2.
var upgrades = []func(tx *bolt.Tx, region string) error{
	upgrade1to2,
}

// upgrade1to2 creates every bucket of the layout that a version 1 file made
// before the bucket existed lacks.
func upgrade1to2(tx *bolt.Tx, region string) error {
	for _, name := range layoutBuckets(region) {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return nil
}

// fileVersion returns the schema version of an open file: 0 for a new one.
func fileVersion(path string, tx *bolt.Tx) (int, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, nil
	}
	raw := meta.Get(keyVersion)
	if raw == nil {
		return 0, nil
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 1 {
		return 0, fmt.Errorf("store: %s has schema version %.10q, which no o211 writes", path, raw)
	}
	if v > SchemaVersion {
		return v, fmt.Errorf("%w: %s has schema version %d and this o211 reads up to version %d; "+
			"run the newer o211, or restore a backup taken before the upgrade", ErrNewerSchema, path, v, SchemaVersion)
	}
	return v, nil
}

// upgrade brings an older file to SchemaVersion, keeping a copy of it
// first when backup is set.
func (s *Store) upgrade(backup bool) error {
	var from int
	var region string
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		from, err = fileVersion(s.path, tx)
		if meta := tx.Bucket(bucketMeta); meta != nil {
			region = string(meta.Get(keyRegion))
		}
		return err
	})
	if err != nil || from == 0 || from == SchemaVersion {
		return err
	}
	rec := Upgrade{From: from, To: SchemaVersion, At: s.opts.Now().UTC()}
	if backup {
		rec.Backup = fmt.Sprintf("%s.v%d-%s.bak", s.path, from, rec.At.Format("20060102T150405Z"))
		if err := s.copyTo(rec.Backup); err != nil {
			return fmt.Errorf("store: upgrade %s: keeping a copy first: %w", s.path, err)
		}
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		for v := from; v < SchemaVersion; v++ {
			if err := upgrades[v-1](tx, region); err != nil {
				return fmt.Errorf("version %d to %d: %w", v, v+1, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		var done []Upgrade
		if b := meta.Get(keyUpgrades); b != nil {
			_ = json.Unmarshal(b, &done)
		}
		list, _ := json.Marshal(append(done, rec))
		if err := meta.Put(keyUpgrades, list); err != nil {
			return err
		}
		return meta.Put(keyVersion, []byte(strconv.Itoa(SchemaVersion)))
	})
	if err != nil {
		return fmt.Errorf("store: upgrade %s: %w", s.path, err)
	}
	s.opts.Logger.Warn("store: upgraded the file's schema", "path", s.path, "from", from, "to", SchemaVersion, "copy", rec.Backup)
	return nil
}

// copyTo writes a consistent copy of the file to path and syncs it.
func (s *Store) copyTo(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		_, err := tx.WriteTo(f)
		return err
	})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// Upgrades returns the schema upgrades the file went through, oldest first.
func (s *Store) Upgrades() ([]Upgrade, error) {
	var out []Upgrade
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketMeta).Get(keyUpgrades); b != nil {
			return json.Unmarshal(b, &out)
		}
		return nil
	})
	return out, err
}
