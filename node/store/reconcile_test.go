package store_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/store"
)

// TestReconcile plays a node restored from an older backup against a hub
// that holds more: every side's work survives, the newer version wins, a
// record changed on both sides at the same version goes to the later
// change, and the outbox holds exactly the changes made, from the mark on.
func TestReconcile(t *testing.T) {
	s := testutil.MustOpenStore(t)
	mustWrite(t, s, smallDirectory(1)...)
	get := func(kind o211.Kind, id string) *o211.Record {
		t.Helper()
		r, err := s.Get(kind, id)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// What the hub holds: the backup's records, then changes the node made
	// after its backup and lost in the restore.
	var hub []*o211.Record
	for _, k := range []o211.Kind{o211.KindOrganization, o211.KindService, o211.KindLocation, o211.KindServiceAtLocation, o211.KindPhone, o211.KindSchedule} {
		err := s.View(func(tx *store.Tx) error {
			return tx.Scan(k, "", func(r *o211.Record) error { hub = append(hub, r); return nil })
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	renamed := func(r *o211.Record, field, value string, version uint64, at time.Time) *o211.Record {
		c := *r
		var m map[string]any
		json.Unmarshal(r.Data, &m)
		m[field] = value
		c.Data, _ = json.Marshal(m)
		c.Version, c.Modified, c.Seq = version, at, 0
		return &c
	}
	past := time.Now().Add(-time.Hour)
	for i, r := range hub {
		switch r.Kind {
		case o211.KindOrganization: // the hub's is newer
			hub[i] = renamed(r, "name", "Renamed at the hub", 2, past)
		case o211.KindPhone: // changed on both sides at version 2; the node's later
			hub[i] = renamed(r, "number", "613-555-0199", 2, past)
		}
	}
	hubOnly := &o211.Record{Kind: o211.KindOrganization, ID: "org-9", Region: "east", Version: 1, Modified: past,
		Data: json.RawMessage(`{"id":"org-9","name":"Only at the hub","description":"x"}`)}
	hub = append(hub, hubOnly)
	const mark = 20

	// The restored node's own writes while it was diverged.
	phone := get(o211.KindPhone, "phone-1")
	mustWrite(t, s, o211.Upsert(&o211.Phone{ID: "phone-1", ServiceID: "svc-1", Number: "613-555-0111"}))
	mustWrite(t, s, o211.Upsert(&o211.Organization{ID: "org-5", Name: "Only at the node", Description: "y"}))
	mustWrite(t, s, o211.Upsert(&o211.Service{ID: "svc-1", OrganizationID: "org-1", Name: "Emergency food, updated", Status: "active"}))
	if get(o211.KindPhone, "phone-1").Version != 2 || phone.Version != 1 {
		t.Fatal("the phone's versions are not as planned")
	}

	res, err := s.Reconcile(ctx, hub, mark)
	if err != nil {
		t.Fatal(err)
	}
	if res.Taken != 2 || res.Pushed != 3 || res.Same != 3 || res.Seq != mark+2+3 {
		t.Fatalf("reconcile: %+v, want 2 taken, 3 pushed, 3 alike, seq %d", res, mark+5)
	}
	if r := get(o211.KindOrganization, "org-1"); r.Version != 2 || !contains(r.Data, "Renamed at the hub") {
		t.Errorf("org-1 is %s v%d, want the hub's", r.Data, r.Version)
	}
	if r := get(o211.KindOrganization, "org-9"); r.Version != 1 {
		t.Errorf("org-9 v%d, want the hub's v1", r.Version)
	}
	if r := get(o211.KindPhone, "phone-1"); r.Version != 3 || !contains(r.Data, "613-555-0111") {
		t.Errorf("phone-1 is %s v%d, want the node's number at v3", r.Data, r.Version)
	}
	out, err := s.Outbox(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	for i, e := range out {
		if e.Seq != mark+1+uint64(i) {
			t.Errorf("outbox entry %d has seq %d, want %d", i, e.Seq, mark+1+uint64(i))
		}
		got[string(e.Kind)+"/"+e.ID] = e.Version
	}
	want := map[string]uint64{"phone/phone-1": 3, "organization/org-5": 1, "service/svc-1": 2,
		"organization/org-1": 2, "organization/org-9": 1}
	if len(got) != len(want) {
		t.Fatalf("outbox %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("outbox %s at v%d, want v%d", k, got[k], v)
		}
	}
	// Again: nothing left to do but the pushes still waiting.
	if res, err := s.Reconcile(ctx, hub, mark); err != nil || res.Taken != 0 || res.Pushed != 3 {
		t.Errorf("second reconcile: %+v %v", res, err)
	}
	t.Run("ErrOtherRegion", func(t *testing.T) {
		bad := *hubOnly
		bad.Region = "west"
		if _, err := s.Reconcile(ctx, []*o211.Record{&bad}, mark); o211.ErrorCode(err) != o211.EINVALID {
			t.Fatalf("got %v, want EINVALID", err)
		}
	})
	t.Run("ErrNoActor", func(t *testing.T) {
		if _, err := s.Reconcile(t.Context(), hub, mark); !errors.Is(err, store.ErrNoActor) {
			t.Fatalf("got %v, want ErrNoActor", err)
		}
	})
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }
