package store_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
	"github.com/o211/o211/node/store"
)

// oldFile copies a gzipped store of the previous release from testdata/v1
// into a temporary folder and returns its path.
func oldFile(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "v1", name+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestUpgrade_PreviousRelease opens the regional store and the hub state
// written by the previous release: each is upgraded in place to this
// schema version, a copy of the old file is kept first, and every record,
// change and outbox entry is there as before. A second open changes
// nothing.
func TestUpgrade_PreviousRelease(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    store.Options
		changes uint64
		outbox  int
	}{
		{"node.db", store.Options{}, 464, 464},
		{"state.db", store.Options{Replica: true}, 463, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := oldFile(t, tc.name)
			st, err := store.Open(path, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			ups, err := st.Upgrades()
			if err != nil || len(ups) != 1 || ups[0].From != 1 || ups[0].To != store.SchemaVersion || ups[0].Backup == "" {
				t.Fatalf("upgrades %+v %v", ups, err)
			}
			if seq, _ := st.Seq(); seq != tc.changes {
				t.Errorf("seq %d after the upgrade, want %d", seq, tc.changes)
			}
			if out, _ := st.Outbox(0, 1000); len(out) != tc.outbox {
				t.Errorf("%d outbox entries, want %d", len(out), tc.outbox)
			}
			n := 0
			err = st.View(func(tx *store.Tx) error {
				return tx.ChangesSince(0, func(c store.ChangeRef) error {
					r, err := tx.GetAny(c.Kind, c.ID)
					if err == nil && (r == nil || r.Region != "east") {
						t.Errorf("%s %s: %+v", c.Kind, c.ID, r)
					}
					n++
					return err
				})
			})
			if err != nil || uint64(n) != tc.changes {
				t.Fatalf("%d records read (%v), want %d", n, err, tc.changes)
			}
			if tc.name == "node.db" {
				if _, err := st.Get(o211.KindOrganization, "11111111-1111-4111-8111-111111111111"); err != nil {
					t.Error(err)
				}
			}
			st.Close()
			old, err := store.Open(ups[0].Backup, tc.opts)
			if err != nil {
				t.Fatalf("the copy kept before the upgrade does not open: %v", err)
			}
			old.Close() // (opening it upgraded the copy too; it was a v1 file)

			st, err = store.Open(path, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if again, _ := st.Upgrades(); len(again) != 1 {
				t.Errorf("a second open upgraded again: %+v", again)
			}
		})
	}
}

// TestUpgrade_NewerRefused: a file written by a newer o211 is refused with
// ErrNewerSchema, a message saying what to do, and is left untouched.
func TestUpgrade_NewerRefused(t *testing.T) {
	path := oldFile(t, "node.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("version"), []byte("99")) })
	db.Close()
	before, _ := os.ReadFile(path)
	_, err = store.Open(path, store.Options{})
	if !errors.Is(err, store.ErrNewerSchema) || !strings.Contains(err.Error(), "version 99") || !strings.Contains(err.Error(), "newer o211") {
		t.Fatalf("got %v, want ErrNewerSchema naming version 99", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("the refused file was changed")
	}
	if m, _ := filepath.Glob(path + ".v*.bak"); len(m) != 0 {
		t.Errorf("a refused file left copies: %v", m)
	}
}

// TestUpgrade_RestoreOldSnapshot: a replica store restored from a snapshot
// of the previous release (a hub of mixed releases) is upgraded, and no
// copy is kept (the snapshot is its own).
func TestUpgrade_RestoreOldSnapshot(t *testing.T) {
	old, err := os.ReadFile(oldFile(t, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := store.Open(path, store.Options{Replica: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Restore(bytes.NewReader(old)); err != nil {
		t.Fatal(err)
	}
	ups, err := st.Upgrades()
	if err != nil || len(ups) != 1 || ups[0].Backup != "" {
		t.Fatalf("upgrades %+v %v", ups, err)
	}
	if seq, _ := st.Seq(); seq != 463 {
		t.Fatalf("seq %d, want 463", seq)
	}
}
