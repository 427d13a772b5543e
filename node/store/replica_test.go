package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/store"
)

func mustOpenReplica(tb testing.TB) *store.Store {
	tb.Helper()
	s, err := store.Open(filepath.Join(tb.TempDir(), "province.db"), store.Options{Replica: true, NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func record(tb testing.TB, region string, version uint64, obj o211.Object) *o211.Record {
	data, err := json.Marshal(obj)
	if err != nil {
		tb.Fatal(err)
	}
	return &o211.Record{Kind: obj.ObjectKind(), ID: obj.ObjectID(), Region: region, Version: version,
		Modified: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), Data: data}
}

func TestStore_Apply(t *testing.T) {
	s := mustOpenReplica(t)
	ctx := o211.WithActor(context.Background(), o211.System("replication"))
	v1 := record(t, "east", 1, &o211.Organization{ID: "org", Name: "Old", Description: "x"})
	v2 := record(t, "east", 2, &o211.Organization{ID: "org", Name: "New", Description: "x"})
	other := record(t, "north", 1, &o211.Organization{ID: "org-n", Name: "North", Description: "x"})
	res, err := s.Apply(ctx, []*o211.Record{v2, other})
	if err != nil || res.Applied != 2 {
		t.Fatalf("Apply = %+v, %v; want 2 applied", res, err)
	}
	t.Run("OlderVersionNeverOverwrites", func(t *testing.T) {
		res, err := s.Apply(ctx, []*o211.Record{v1, v2})
		if err != nil || res.Applied != 0 || res.Stale != 2 {
			t.Fatalf("Apply = %+v, %v; want 2 stale", res, err)
		}
		rec, _ := s.Get(o211.KindOrganization, "org")
		if rec.Version != 2 || rec.Region != "east" {
			t.Fatalf("stored %+v", rec)
		}
	})
	t.Run("Tombstone", func(t *testing.T) {
		tomb := *v2
		tomb.Version, tomb.Deleted = 3, true
		if _, err := s.Apply(ctx, []*o211.Record{&tomb}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(o211.KindOrganization, "org"); o211.ErrorCode(err) != o211.ENOTFOUND {
			t.Fatalf("got %v, want ENOTFOUND", err)
		}
		s.View(func(tx *store.Tx) error {
			if n, _ := tx.Count(o211.KindOrganization); n != 1 {
				t.Fatalf("count %d, want 1", n)
			}
			return nil
		})
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		bad := *other
		bad.Region = ""
		if _, err := s.Apply(ctx, []*o211.Record{&bad}); err == nil {
			t.Fatal("want an error for a record without region")
		}
	})
	t.Run("ErrWrite", func(t *testing.T) {
		_, err := s.Write(ctx, smallDirectory(1), o211.WriteOptions{})
		if o211.ErrorCode(err) != o211.EFORBIDDEN {
			t.Fatalf("got %v, want EFORBIDDEN", err)
		}
	})
	t.Run("ErrModeMismatch", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "x.db")
		s, _ := store.Open(path, store.Options{Region: "east"})
		s.Close()
		if _, err := store.Open(path, store.Options{Replica: true}); err == nil {
			t.Fatal("opened a regional store as a replica")
		}
	})
}

func TestStore_SnapshotRestore(t *testing.T) {
	src := mustOpenReplica(t)
	ctx := o211.WithActor(context.Background(), o211.System("replication"))
	org := record(t, "east", 1, &o211.Organization{ID: "org", Name: "Kept", Description: "x"})
	if _, err := src.Apply(ctx, []*o211.Record{org}, store.Aux{Bucket: "regions", Key: []byte("east"), Value: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	sn, err := src.BeginSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	// A write after the snapshot began is not in it.
	later := record(t, "east", 1, &o211.Organization{ID: "later", Name: "Later", Description: "x"})
	if _, err := src.Apply(ctx, []*o211.Record{later}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := sn.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	sn.Release()
	sn.Release()

	dst := mustOpenReplica(t)
	other := record(t, "north", 1, &o211.Organization{ID: "gone", Name: "Replaced", Description: "x"})
	dst.Apply(ctx, []*o211.Record{other})
	if err := dst.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Get(o211.KindOrganization, "org"); err != nil {
		t.Fatalf("restored store lacks org: %v", err)
	}
	for _, id := range []string{"later", "gone"} {
		if _, err := dst.Get(o211.KindOrganization, id); o211.ErrorCode(err) != o211.ENOTFOUND {
			t.Fatalf("%s: got %v, want ENOTFOUND", id, err)
		}
	}
	dst.View(func(tx *store.Tx) error {
		if v := tx.AuxGet("regions", []byte("east")); string(v) != "{}" {
			t.Fatalf("side table value %q", v)
		}
		return nil
	})
	t.Run("ErrGarbage", func(t *testing.T) {
		if err := dst.Restore(bytes.NewReader([]byte("not a bolt file"))); err == nil {
			t.Fatal("want an error restoring garbage")
		}
		if _, err := dst.Get(o211.KindOrganization, "org"); err != nil {
			t.Fatalf("store damaged by a failed restore: %v", err)
		}
	})
}
