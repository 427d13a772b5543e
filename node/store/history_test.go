package store_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/store"
)

// history returns the whole change history of kind/id, a page of one entry
// at a time (so that the cursor is used).
func history(tb testing.TB, s *store.Store, kind o211.Kind, id string) []o211.HistoryEntry {
	tb.Helper()
	var out []o211.HistoryEntry
	q := o211.HistoryQuery{Kind: kind, ID: id, Limit: 1}
	for {
		p, err := s.History(q)
		if err != nil {
			tb.Fatalf("History(%s %q): %v", kind, id, err)
		}
		out = append(out, p.Entries...)
		if p.Next == "" {
			return out
		}
		q.Cursor = p.Next
	}
}

func TestStore_History(t *testing.T) {
	s := testutil.MustOpenStore(t)
	alice := o211.Actor{ID: "u-alice", Username: "alice", Role: o211.RoleResourceSpecialist, Region: "east"}
	bob := o211.Actor{ID: "token:bootstrap", Role: o211.RoleAdmin, Region: "east"}
	mustWrite(t, s, smallDirectory(1)...) // as tester
	created, _ := s.Get(o211.KindService, "svc-1")
	upd := &o211.Service{ID: "svc-1", OrganizationID: "org-1", Name: "Emergency food hampers", Status: "active",
		Email: "food@example.org"}
	if _, err := s.Write(o211.WithActor(context.Background(), alice), []o211.Change{o211.Upsert(upd)}, o211.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	updated, _ := s.Get(o211.KindService, "svc-1")
	if _, err := s.Write(o211.WithActor(context.Background(), bob), []o211.Change{o211.Delete(o211.KindService, "svc-1")}, o211.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	h := history(t, s, o211.KindService, "svc-1")
	if len(h) != 3 {
		t.Fatalf("got %d history entries, want 3 (create, update, delete): %+v", len(h), h)
	}
	want := []struct {
		actor   o211.Actor
		action  string
		version uint64
	}{{tester, o211.HistoryCreate, 1}, {alice, o211.HistoryUpdate, 2}, {bob, o211.HistoryDelete, 3}}
	for i, w := range want {
		if e := h[i]; e.Actor != w.actor || e.Action != w.action || e.Version != w.version || e.Kind != o211.KindService || e.ID != "svc-1" {
			t.Errorf("entry %d: got %s by %v at version %d, want %s by %v at version %d", i, e.Action, e.Actor, e.Version, w.action, w.actor, w.version)
		}
	}
	if !h[0].Time.Equal(created.Modified) || !h[1].Time.Equal(updated.Modified) || h[0].Seq >= h[1].Seq {
		t.Errorf("times and sequence numbers: got %+v", h)
	}
	if len(h[0].Changes) != 0 || len(h[2].Changes) != 0 {
		t.Errorf("a create and a delete list no field changes: got %+v and %+v", h[0].Changes, h[2].Changes)
	}
	got, _ := json.Marshal(h[1].Changes)
	wantChanges := `[{"field":"email","new":"food@example.org"},{"field":"name","old":"Emergency food","new":"Emergency food hampers"}]`
	if string(got) != wantChanges {
		t.Errorf("update's changes:\n got %s\nwant %s", got, wantChanges)
	}
	t.Run("CascadedDeletionsNameTheActor", func(t *testing.T) {
		h := history(t, s, o211.KindPhone, "phone-1")
		if len(h) != 2 || h[1].Action != o211.HistoryDelete || h[1].Actor != bob {
			t.Fatalf("phone of the deleted service: got %+v", h)
		}
	})
	t.Run("UnchangedRowsHaveNoEntry", func(t *testing.T) {
		mustWrite(t, s, smallDirectory(1)[0])
		if h := history(t, s, o211.KindOrganization, "org-1"); len(h) != 1 {
			t.Fatalf("got %d entries for a row written twice the same, want 1", len(h))
		}
	})
	t.Run("NeverHeld", func(t *testing.T) {
		if h := history(t, s, o211.KindService, "nope"); len(h) != 0 {
			t.Fatalf("got %+v", h)
		}
	})
	t.Run("ErrBadQuery", func(t *testing.T) {
		for _, q := range []o211.HistoryQuery{{Kind: "spaceship", ID: "x"}, {Kind: o211.KindService, ID: ""},
			{Kind: o211.KindService, ID: "svc-1", Cursor: "nope"}} {
			if _, err := s.History(q); o211.ErrorCode(err) != o211.EINVALID {
				t.Errorf("History(%+v): got %v, want EINVALID", q, err)
			}
		}
	})
}

// A write whose context names nobody is refused, and nothing changes.
func TestStore_ErrNoActor(t *testing.T) {
	s := testutil.MustOpenStore(t)
	bg := context.Background()
	if _, err := s.Write(bg, smallDirectory(1), o211.WriteOptions{}); !errors.Is(err, store.ErrNoActor) {
		t.Fatalf("Write: got %v, want ErrNoActor", err)
	}
	if _, err := s.Get(o211.KindOrganization, "org-1"); o211.ErrorCode(err) != o211.ENOTFOUND {
		t.Fatalf("the refused write stored a record: %v", err)
	}
	if _, err := s.CreateContact(bg, newContact("nav-1", time.Now()), store.ContactOptions{}); !errors.Is(err, store.ErrNoActor) {
		t.Fatalf("CreateContact: got %v, want ErrNoActor", err)
	}
	r := mustOpenReplica(t)
	rec := record(t, "east", 1, &o211.Organization{ID: "org", Name: "Org", Description: "x"})
	if _, err := r.Apply(bg, []*o211.Record{rec}); !errors.Is(err, store.ErrNoActor) {
		t.Fatalf("Apply: got %v, want ErrNoActor", err)
	}
}

// A replicated change's entry names the system and keeps the time its
// region stamped.
func TestStore_ApplyHistory(t *testing.T) {
	r := mustOpenReplica(t)
	ctx := o211.WithActor(context.Background(), o211.System("replication"))
	v1 := record(t, "east", 1, &o211.Organization{ID: "org", Name: "Old", Description: "x"})
	v2 := record(t, "east", 2, &o211.Organization{ID: "org", Name: "New", Description: "x"})
	v2.Modified = v1.Modified.Add(time.Hour)
	for _, rec := range []*o211.Record{v1, v2, v1} { // the replay of v1 is stale: no entry
		if _, err := r.Apply(ctx, []*o211.Record{rec}); err != nil {
			t.Fatal(err)
		}
	}
	h := history(t, r, o211.KindOrganization, "org")
	if len(h) != 2 || h[1].Actor != o211.System("replication") || !h[1].Time.Equal(v2.Modified) ||
		h[1].Action != o211.HistoryUpdate || len(h[1].Changes) != 1 || h[1].Changes[0].Field != "name" {
		t.Fatalf("got %+v", h)
	}
}

// Closing a contact writes a report record, which has no history: its
// time would point to the contact.
func TestStore_ReportsHaveNoHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.db")
	s, err := store.Open(path, store.Options{Region: "east", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s, smallDirectory(1)...)
	res, err := s.CreateContact(ctx, closed(newContact("nav-1", time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))), store.ContactOptions{})
	s.Close()
	if err != nil || res.Report == nil {
		t.Fatalf("CreateContact: %+v, %v", res, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		h := tx.Bucket([]byte("history"))
		if h.Bucket([]byte(o211.KindService)) == nil || h.Bucket([]byte(o211.KindReport)) != nil {
			t.Errorf("want history of the service and none of the report")
		}
		return nil
	})
}

// Audit entries written before actors were o211.Actor values (codec 1, the
// actor a string) are read with the string as the actor's id.
func TestStore_AuditCodecV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.db")
	s, err := store.Open(path, store.Options{Region: "east", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	v1 := `{"time":"2026-01-05T09:00:00Z","actor":"nav-7","action":"read","contact_id":"c-1","fields":["notes"],"path":"/api/v1/contacts/c-1"}`
	err = db.Update(func(tx *bolt.Tx) error {
		key := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(t0.UnixNano())), 1)
		return tx.Bucket([]byte("audit")).Put(key, append([]byte{1}, v1...))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err = store.Open(path, store.Options{Region: "east", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.AppendAudit(ctx, o211.AuditEntry{Actor: tester, Action: "read", ContactID: "c-1", Fields: []string{"notes"}}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Audit(o211.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) != 2 || p.Entries[0].Actor != (o211.Actor{ID: "nav-7"}) || p.Entries[0].Path != "/api/v1/contacts/c-1" ||
		!p.Entries[0].Time.Equal(t0) || p.Entries[1].Actor != tester {
		t.Fatalf("got %+v", p.Entries)
	}
}
