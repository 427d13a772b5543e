package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/store"
)

func mustWrite(tb testing.TB, s *store.Store, changes ...o211.Change) *store.WriteResult {
	tb.Helper()
	res, err := s.Write(ctx, changes, o211.WriteOptions{})
	if err != nil {
		tb.Fatalf("Write: %v", err)
	}
	return res
}

func f64(v float64) *float64 { return &v }

// smallDirectory returns an organization with a service offered at one
// location, with a phone and a schedule.
func smallDirectory(n int) []o211.Change {
	id := func(kind string) string { return fmt.Sprintf("%s-%d", kind, n) }
	return []o211.Change{
		o211.Upsert(&o211.Organization{ID: id("org"), Name: "Ottawa Food Bank", Description: "Feeds Ottawa"}),
		o211.Upsert(&o211.Service{ID: id("svc"), OrganizationID: id("org"), Name: "Emergency food", Status: "active"}),
		o211.Upsert(&o211.Location{ID: id("loc"), OrganizationID: id("org"), LocationType: "physical",
			Latitude: f64(45.42), Longitude: f64(-75.69)}),
		o211.Upsert(&o211.ServiceAtLocation{ID: id("sal"), ServiceID: id("svc"), LocationID: id("loc")}),
		o211.Upsert(&o211.Phone{ID: id("phone"), ServiceID: id("svc"), Number: "613-555-0100"}),
		o211.Upsert(&o211.Schedule{ID: id("sched"), ServiceID: id("svc"), Freq: "WEEKLY", ByDay: "MO,TU", OpensAt: "09:00", ClosesAt: "17:00"}),
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "node.db")
	t.Run("ErrNewWithoutRegion", func(t *testing.T) {
		if _, err := store.Open(filepath.Join(dir, "other.db"), store.Options{}); err == nil {
			t.Fatal("want an error for a new file without a region")
		}
	})
	s, err := store.Open(path, store.Options{Region: "east"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ErrLocked", func(t *testing.T) {
		_, err := store.Open(path, store.Options{Region: "east", Timeout: 50 * time.Millisecond})
		if !errors.Is(err, store.ErrLocked) {
			t.Fatalf("got %v, want ErrLocked", err)
		}
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	t.Run("ErrOtherRegion", func(t *testing.T) {
		_, err := store.Open(path, store.Options{Region: "north"})
		if err == nil || !strings.Contains(err.Error(), `belongs to region "east"`) {
			t.Fatalf("got %v, want a region mismatch", err)
		}
	})
	t.Run("RemembersRegion", func(t *testing.T) {
		s, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if s.Region() != "east" {
			t.Fatalf("Region() = %q, want east", s.Region())
		}
	})
}

func TestStore_Write(t *testing.T) {
	s := testutil.MustOpenStore(t)
	res := mustWrite(t, s, smallDirectory(1)...)
	if res.Created != 6 || len(res.Changed) != 6 {
		t.Fatalf("created %d, changed %d; want 6, 6", res.Created, len(res.Changed))
	}
	rec, err := s.Get(o211.KindService, "svc-1")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Version != 1 || rec.Region != "east" || rec.Seq == 0 || rec.Modified.IsZero() {
		t.Fatalf("record envelope %+v", rec)
	}

	t.Run("RewriteChangesNothing", func(t *testing.T) {
		seq, _ := s.Seq()
		res := mustWrite(t, s, smallDirectory(1)...)
		if res.Unchanged != 6 || res.Created+res.Updated != 0 {
			t.Fatalf("got %+v, want 6 unchanged", res)
		}
		if seq2, _ := s.Seq(); seq2 != seq {
			t.Fatalf("seq moved from %d to %d on an identical write", seq, seq2)
		}
	})
	t.Run("UpdateBumpsVersion", func(t *testing.T) {
		mustWrite(t, s, o211.Upsert(&o211.Service{ID: "svc-1", OrganizationID: "org-1", Name: "Emergency food hampers", Status: "active"}))
		rec, _ := s.Get(o211.KindService, "svc-1")
		if rec.Version != 2 {
			t.Fatalf("version %d, want 2", rec.Version)
		}
		obj, _ := rec.Decode()
		if got := obj.(*o211.Service).Name; got != "Emergency food hampers" {
			t.Fatalf("name %q", got)
		}
	})
	t.Run("Outbox", func(t *testing.T) {
		entries, err := s.Outbox(0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 7 {
			t.Fatalf("%d outbox entries, want 7", len(entries))
		}
		for i, e := range entries {
			if e.Seq != uint64(i+1) || e.Region != "east" {
				t.Fatalf("entry %d = %+v", i, e)
			}
		}
		if err := s.Ack(5); err != nil {
			t.Fatal(err)
		}
		n, first, _ := s.OutboxStats()
		if n != 2 || first != 6 {
			t.Fatalf("after Ack(5): %d entries from %d, want 2 from 6", n, first)
		}
	})
	t.Run("ChangesSince", func(t *testing.T) {
		var got []string
		err := s.View(func(tx *store.Tx) error {
			return tx.ChangesSince(0, func(c store.ChangeRef) error {
				got = append(got, fmt.Sprintf("%d:%s", c.Seq, c.ID))
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		// svc-1 changed twice: it appears once, at its last change (7).
		if len(got) != 6 || got[len(got)-1] != "7:svc-1" {
			t.Fatalf("changes %q", got)
		}
	})
}

func TestStore_Write_Invalid(t *testing.T) {
	t.Run("AllOrNothing", func(t *testing.T) {
		s := testutil.MustOpenStore(t)
		changes := smallDirectory(1)
		changes = append(changes, o211.Upsert(&o211.Service{ID: "bad", OrganizationID: "org-1", Status: "active"}))
		res, err := s.Write(ctx, changes, o211.WriteOptions{})
		if o211.ErrorCode(err) != o211.EINVALID {
			t.Fatalf("got %v, want EINVALID", err)
		}
		if len(res.Rejected) != 1 || res.Rejected[0].Index != 6 || res.Rejected[0].Field != "name" {
			t.Fatalf("rejected %+v", res.Rejected)
		}
		if _, err := s.Get(o211.KindOrganization, "org-1"); o211.ErrorCode(err) != o211.ENOTFOUND {
			t.Fatalf("org-1 was written by a failed write: %v", err)
		}
	})
	t.Run("SkipInvalidCascades", func(t *testing.T) {
		s := testutil.MustOpenStore(t)
		changes := smallDirectory(1)
		changes[0] = o211.Upsert(&o211.Organization{ID: "org-1", Name: ""}) // invalid: no name
		res, err := s.Write(ctx, changes, o211.WriteOptions{SkipInvalid: true})
		if err != nil {
			t.Fatal(err)
		}
		// The organization is rejected, so is its service, so is the
		// service_at_location; the location, phone and schedule only warn.
		var rejected []string
		for _, r := range res.Rejected {
			rejected = append(rejected, r.ID+"/"+r.Field)
		}
		want := "org-1/name svc-1/organization_id sal-1/service_id"
		if strings.Join(rejected, " ") != want {
			t.Fatalf("rejected %q, want %q", rejected, want)
		}
		if res.Created != 3 {
			t.Fatalf("created %d, want 3", res.Created)
		}
		if len(res.Warnings) == 0 {
			t.Fatal("want warnings for dangling references")
		}
	})
	t.Run("DuplicateInBatch", func(t *testing.T) {
		s := testutil.MustOpenStore(t)
		changes := append(smallDirectory(1), o211.Upsert(&o211.Organization{ID: "org-1", Name: "Other", Description: "x"}))
		_, err := s.Write(ctx, changes, o211.WriteOptions{})
		if err == nil || !strings.Contains(err.Error(), "changed twice") {
			t.Fatalf("got %v, want a duplicate error", err)
		}
	})
}

func TestStore_Delete(t *testing.T) {
	s := testutil.MustOpenStore(t)
	mustWrite(t, s, smallDirectory(1)...)
	t.Run("ErrOrganizationInUse", func(t *testing.T) {
		_, err := s.Write(ctx, []o211.Change{o211.Delete(o211.KindOrganization, "org-1")}, o211.WriteOptions{})
		if o211.ErrorCode(err) != o211.ECONFLICT {
			t.Fatalf("got %v, want ECONFLICT", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.Write(ctx, []o211.Change{o211.Delete(o211.KindService, "nope")}, o211.WriteOptions{})
		if o211.ErrorCode(err) != o211.ENOTFOUND {
			t.Fatalf("got %v, want ENOTFOUND", err)
		}
	})
	t.Run("ServiceCascades", func(t *testing.T) {
		res := mustWrite(t, s, o211.Delete(o211.KindService, "svc-1"))
		if res.Deleted != 4 { // service, its SAL, phone and schedule
			t.Fatalf("deleted %d, want 4", res.Deleted)
		}
		for _, k := range []struct {
			kind o211.Kind
			id   string
		}{{o211.KindService, "svc-1"}, {o211.KindServiceAtLocation, "sal-1"}, {o211.KindPhone, "phone-1"}} {
			if _, err := s.Get(k.kind, k.id); o211.ErrorCode(err) != o211.ENOTFOUND {
				t.Fatalf("%s %s: got %v, want ENOTFOUND", k.kind, k.id, err)
			}
		}
		if _, err := s.Get(o211.KindLocation, "loc-1"); err != nil {
			t.Fatalf("the location must stay: %v", err)
		}
		s.View(func(tx *store.Tx) error {
			r, _ := tx.GetAny(o211.KindService, "svc-1")
			if r == nil || !r.Deleted || r.Version != 2 || len(r.Data) == 0 {
				t.Fatalf("tombstone %+v", r)
			}
			return nil
		})
	})
	t.Run("RecreateAfterDelete", func(t *testing.T) {
		mustWrite(t, s, smallDirectory(1)[1])
		rec, err := s.Get(o211.KindService, "svc-1")
		if err != nil || rec.Version != 3 {
			t.Fatalf("got %+v, %v; want version 3", rec, err)
		}
	})
}

func TestTx_Referrers(t *testing.T) {
	s := testutil.MustOpenStore(t)
	mustWrite(t, s, append(smallDirectory(1), smallDirectory(2)...)...)
	// Move svc-2 to org-1.
	mustWrite(t, s, o211.Upsert(&o211.Service{ID: "svc-2", OrganizationID: "org-1", Name: "Moved", Status: "active"}))
	s.View(func(tx *store.Tx) error {
		got, err := tx.Referrers(o211.KindService, "organization_id", "org-1")
		if err != nil || len(got) != 2 {
			t.Fatalf("org-1 services: %d, %v; want 2", len(got), err)
		}
		got, _ = tx.Referrers(o211.KindService, "organization_id", "org-2")
		if len(got) != 0 {
			t.Fatalf("org-2 still has %d services", len(got))
		}
		return nil
	})
}

// Readers never see half of a write: while a writer adds directories of six
// rows each, every view counts whole directories only.
func TestStore_ConcurrentReadersSeeWholeWrites(t *testing.T) {
	s := testutil.MustOpenStore(t)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				err := s.View(func(tx *store.Tx) error {
					svc, _ := tx.Count(o211.KindService)
					sal, _ := tx.Count(o211.KindServiceAtLocation)
					ph, _ := tx.Count(o211.KindPhone)
					if svc != sal || sal != ph || svc%50 != 0 {
						return fmt.Errorf("half-applied write seen: %d services, %d sals, %d phones", svc, sal, ph)
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for batch := 0; batch < 20; batch++ {
		var changes []o211.Change
		for i := 0; i < 50; i++ {
			changes = append(changes, smallDirectory(batch*50+i)...)
		}
		mustWrite(t, s, changes...)
	}
	cancel()
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

func TestTx_Count(t *testing.T) {
	s := testutil.MustOpenStore(t)
	mustWrite(t, s, append(smallDirectory(1), smallDirectory(2)...)...)
	mustWrite(t, s, o211.Delete(o211.KindService, "svc-1"))
	s.View(func(tx *store.Tx) error {
		for kind, want := range map[o211.Kind]int{o211.KindService: 1, o211.KindPhone: 1, o211.KindLocation: 2, o211.KindOrganization: 2} {
			if got, _ := tx.Count(kind); got != want {
				t.Errorf("Count(%s) = %d, want %d", kind, got, want)
			}
		}
		return nil
	})
}
