package backupfile_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/backupfile"
)

// spec accepts a manifest "summed" or "old" and entries a.db and b.db.
var spec = backupfile.Spec{Kind: "test",
	Manifest: func(b []byte) (bool, error) {
		switch string(b) {
		case "summed":
			return true, nil
		case "old":
			return false, nil
		}
		return false, o211.Errorf(o211.EINVALID, "not a test manifest")
	},
	MaxSize: func(name string) int64 {
		if name == "a.db" || name == "b.db" {
			return 1 << 20
		}
		return 0
	}}

// backup writes a backup of a bbolt file (a.db, a hot copy) and b.db.
func backup(t *testing.T) []byte {
	t.Helper()
	// Room to grow without a new mmap, which waits for the read transaction.
	db, err := bolt.Open(filepath.Join(t.TempDir(), "a.db"), 0o600, &bolt.Options{InitialMmapSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	put := func(v string) {
		if err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err == nil {
				err = b.Put([]byte("k"), []byte(v))
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	put("before")
	sn, err := backupfile.Begin(db)
	if err != nil {
		t.Fatal(err)
	}
	put("after") // not in the copy
	var buf bytes.Buffer
	w := backupfile.NewWriter(&buf, time.Unix(0, 0))
	if err := w.WriteBytes(backupfile.ManifestName, []byte("summed")); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrom("a.db", sn.Size(), sn); err != nil {
		t.Fatal(err)
	}
	sn.Release()
	sn.Release()
	if err := w.WriteBytes("b.db", []byte("bee")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRead_RoundTrip(t *testing.T) {
	dir := t.TempDir()
	staged, err := backupfile.Read(dir, bytes.NewReader(backup(t)), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer backupfile.Discard(staged)
	db, err := bolt.Open(staged["a.db"], 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if got := string(tx.Bucket([]byte("b")).Get([]byte("k"))); got != "before" {
			t.Errorf("the copy holds %q, want the value when it began, %q", got, "before")
		}
		return nil
	})
	if b, _ := os.ReadFile(staged["b.db"]); string(b) != "bee" {
		t.Errorf("b.db: %q", b)
	}
	for _, path := range staged {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
		}
	}
}

// entries returns the tar's entries in order, rewritten by edit.
func rewrite(t *testing.T, b []byte, edit func(name string, body []byte) (string, []byte)) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		var body bytes.Buffer
		body.ReadFrom(tr)
		name, data := edit(h.Name, body.Bytes())
		if name == "" {
			continue
		}
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(data))})
		tw.Write(data)
	}
	tw.Close()
	return out.Bytes()
}

func TestRead_Refuses(t *testing.T) {
	whole := backup(t)
	flip := func(target string) func(string, []byte) (string, []byte) {
		return func(name string, body []byte) (string, []byte) {
			if name == target {
				body = append([]byte(nil), body...)
				body[len(body)/2] ^= 1
			}
			return name, body
		}
	}
	drop := func(target string) func(string, []byte) (string, []byte) {
		return func(name string, body []byte) (string, []byte) {
			if name == target {
				return "", nil
			}
			return name, body
		}
	}
	for _, tc := range []struct {
		name, want string
		backup     []byte
	}{
		{"DamagedStore", "a.db does not match its SHA-256", rewrite(t, whole, flip("a.db"))},
		{"EditedManifest", "not a test manifest", rewrite(t, whole, func(n string, b []byte) (string, []byte) {
			if n == backupfile.ManifestName {
				return n, []byte("summer")
			}
			return n, b
		})},
		{"ManifestNotMatchingSums", "backup.json does not match its SHA-256", rewrite(t, whole, func(n string, b []byte) (string, []byte) {
			if n == backupfile.ManifestName {
				return n, []byte("old")
			}
			return n, b
		})},
		{"WithoutSums", "ends before its SHA256SUMS", rewrite(t, whole, drop(backupfile.SumsName))},
		{"FileMissing", `lists "b.db", which it does not hold`, rewrite(t, whole, drop("b.db"))},
		{"ManifestNotFirst", "does not start with its backup.json", rewrite(t, whole, drop(backupfile.ManifestName))},
		{"UnknownEntry", `holds "c.db", which no test backup has`, rewrite(t, whole, func(n string, b []byte) (string, []byte) {
			if n == "b.db" {
				return "c.db", b
			}
			return n, b
		})},
		{"CutShort", "cut short", whole[:len(whole)/2]},
		{"NoTar", "not a readable tar stream", bytes.Repeat([]byte("not a tar "), 100)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			staged, err := backupfile.Read(dir, bytes.NewReader(tc.backup), spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) || o211.ErrorCode(err) != o211.EINVALID {
				t.Fatalf("Read: %v (staged %v), want an EINVALID error saying %q", err, staged, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("Read left %d files in %s", len(entries), dir)
			}
		})
	}
}

// A backup of the format before the sums reads without them.
func TestRead_OldFormat(t *testing.T) {
	old := rewrite(t, backup(t), func(n string, b []byte) (string, []byte) {
		switch n {
		case backupfile.ManifestName:
			return n, []byte("old")
		case backupfile.SumsName:
			return "", nil
		}
		return n, b
	})
	staged, err := backupfile.Read(t.TempDir(), bytes.NewReader(old), spec)
	if err != nil {
		t.Fatal(err)
	}
	backupfile.Discard(staged)
	if len(staged) != 2 {
		t.Errorf("staged %v, want a.db and b.db", staged)
	}
}

func TestSnapshot_Closed(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "a.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := backupfile.Begin(db); !errors.Is(err, bolt.ErrDatabaseNotOpen) {
		t.Errorf("Begin on a closed file: %v", err)
	}
}
