package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/store"
)

// tester is the actor of the tests' writes.
var tester = o211.Actor{ID: "u-tess", Username: "tess", Role: o211.RoleResourceSpecialist, Region: "east"}

// ctx carries tester: every write names its actor.
var ctx = o211.WithActor(context.Background(), tester)

// newContact returns an open contact of navigator nav that started at
// start, with personal fields, a met and an unmet need, and a follow-up.
func newContact(nav string, start time.Time) *o211.Contact {
	return &o211.Contact{
		Channel: o211.ChannelPhone, Start: start, Navigator: nav,
		Caller: o211.Caller{FirstName: "Zebulon", Callback: "613-555-0199", PostalCode: "K1N 5T5",
			AgeBand: "25-34", Language: "fr"},
		Needs: []o211.Need{{Code: "BD-1800.2000", Status: o211.NeedMet},
			{Code: "BH-8600", Status: o211.NeedUnmet, Reason: o211.ReasonWaitlistFull}},
		Consent:  o211.Consent{FollowUp: true},
		FollowUp: &o211.FollowUp{Due: start.Add(7 * 24 * time.Hour).Format(time.DateOnly)},
		Notes:    "Lives with two children.",
	}
}

func closed(c *o211.Contact) *o211.Contact {
	x := *c
	end := c.Start.Add(10 * time.Minute)
	x.Status, x.End = o211.ContactClosed, &end
	return &x
}

func mustCreate(tb testing.TB, s *store.Store, c *o211.Contact) *store.ContactResult {
	tb.Helper()
	res, err := s.CreateContact(ctx, c, store.ContactOptions{})
	if err != nil {
		tb.Fatalf("CreateContact: %v", err)
	}
	return res
}

func outboxLen(tb testing.TB, s *store.Store) int {
	tb.Helper()
	n, _, err := s.OutboxStats()
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestStore_CreateContact(t *testing.T) {
	s := testutil.MustOpenStore(t)
	start := time.Date(2026, 11, 2, 15, 0, 0, 0, time.FixedZone("EST", -5*3600))
	res := mustCreate(t, s, newContact("nav-1", start))
	c := res.Contact
	if len(c.ID) != 36 || c.Region != "east" || c.Version != 1 || c.Created.IsZero() || c.Status != o211.ContactOpen {
		t.Fatalf("store fields not set: %+v", c)
	}
	if res.Report != nil || outboxLen(t, s) != 0 {
		t.Fatalf("an open contact made a report: %+v", res.Report)
	}
	got, err := s.Contact(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Caller.FirstName != "Zebulon" || !got.Start.Equal(start) || len(got.Needs) != 2 {
		t.Fatalf("got %+v, want what was created", got)
	}

	t.Run("ClientID", func(t *testing.T) {
		c := newContact("nav-1", start)
		c.ID = "call-42"
		if got := mustCreate(t, s, c).Contact.ID; got != "call-42" {
			t.Fatalf("got id %q, want call-42", got)
		}
		_, err := s.CreateContact(ctx, c, store.ContactOptions{})
		if o211.ErrorCode(err) != o211.ECONFLICT {
			t.Fatalf("second create with the same id: got %v, want ECONFLICT", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		c := newContact("nav-1", start)
		c.Needs[0].Reason = o211.ReasonCost
		_, err := s.CreateContact(ctx, c, store.ContactOptions{})
		if e, ok := err.(*o211.Error); !ok || e.Field != "needs[0].reason" {
			t.Fatalf("got %v, want an error on needs[0].reason", err)
		}
		c = newContact("nav-1", start)
		c.ID = "bad id"
		if _, err := s.CreateContact(ctx, c, store.ContactOptions{}); o211.ErrorCode(err) != o211.EINVALID {
			t.Fatalf("bad id: got %v, want EINVALID", err)
		}
	})
	t.Run("CheckFails", func(t *testing.T) {
		c := newContact("nav-1", start)
		c.ID = "checked"
		_, err := s.CreateContact(ctx, c, store.ContactOptions{Check: func(tx *store.Tx, old, c *o211.Contact) error {
			return o211.FieldErrorf("needs[1].code", "unknown taxonomy code %q", c.Needs[1].Code)
		}})
		if err == nil || !strings.Contains(err.Error(), "BH-8600") {
			t.Fatalf("got %v, want the check's error", err)
		}
		if _, err := s.Contact("checked"); o211.ErrorCode(err) != o211.ENOTFOUND {
			t.Fatalf("a refused contact was stored: %v", err)
		}
	})
	t.Run("CreatedClosed", func(t *testing.T) {
		seq, _ := s.Seq()
		res := mustCreate(t, s, closed(newContact("nav-2", start)))
		if res.Report == nil || res.Seq != seq+1 || res.Contact.ClosedAt == nil {
			t.Fatalf("closed at creation: report %+v seq %d (store was at %d)", res.Report, res.Seq, seq)
		}
	})
}

func TestStore_UpdateContact(t *testing.T) {
	s := testutil.MustOpenStore(t)
	start := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
	c := mustCreate(t, s, newContact("nav-1", start)).Contact

	c.Notes = "Called from a shelter."
	res, err := s.UpdateContact(ctx, c, store.ContactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Contact.Version != 2 || res.Contact.Notes != "Called from a shelter." || !res.Contact.Created.Equal(c.Created) {
		t.Fatalf("after update: %+v", res.Contact)
	}
	t.Run("ErrVersion", func(t *testing.T) {
		stale := *c // version 1
		if _, err := s.UpdateContact(ctx, &stale, store.ContactOptions{}); o211.ErrorCode(err) != o211.ECONFLICT {
			t.Fatalf("got %v, want ECONFLICT", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		x := *c
		x.ID, x.Version = "nobody", 0
		if _, err := s.UpdateContact(ctx, &x, store.ContactOptions{}); o211.ErrorCode(err) != o211.ENOTFOUND {
			t.Fatalf("got %v, want ENOTFOUND", err)
		}
	})

	// Closing writes the report record, its change and outbox entry.
	seq, _ := s.Seq()
	res, err = s.UpdateContact(ctx, closed(res.Contact), store.ContactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep := res.Report
	if rep == nil || res.Seq != seq+1 || rep.ID == c.ID || rep.FSA != "K1N" || rep.Day != "2026-11-02" || len(rep.Needs) != 2 {
		t.Fatalf("report of the closed contact: %+v (seq %d, store was at %d)", rep, res.Seq, seq)
	}
	entries, err := s.Outbox(0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Kind != o211.KindReport || entries[0].ID != rep.ID || entries[0].Seq != res.Seq || entries[0].Version != 1 {
		t.Fatalf("outbox: got %+v, want the one report", entries)
	}
	rec, err := s.Get(o211.KindReport, rep.ID)
	if err != nil || rec.Region != "east" || bytes.Contains(rec.Data, []byte("Zebulon")) {
		t.Fatalf("report record: %+v, %v", rec, err)
	}
	closedC := res.Contact

	t.Run("ClosedRefusesChanges", func(t *testing.T) {
		x := *closedC
		x.Notes = "more"
		if _, err := s.UpdateContact(ctx, &x, store.ContactOptions{}); o211.ErrorCode(err) != o211.ECONFLICT {
			t.Fatalf("got %v, want ECONFLICT", err)
		}
		x = *closedC
		x.Status, x.End = o211.ContactOpen, nil
		if _, err := s.UpdateContact(ctx, &x, store.ContactOptions{}); o211.ErrorCode(err) != o211.ECONFLICT {
			t.Fatalf("reopen: got %v, want ECONFLICT", err)
		}
	})
	t.Run("ClosedTakesOutcome", func(t *testing.T) {
		x := *closedC
		x.FollowUp = &o211.FollowUp{Due: closedC.FollowUp.Due, Outcome: "Housed."}
		res, err := s.UpdateContact(ctx, &x, store.ContactOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Report != nil || !res.Contact.ClosedAt.Equal(*closedC.ClosedAt) || outboxLen(t, s) != 1 {
			t.Fatalf("the outcome made another report or moved the close: %+v", res)
		}
	})
}

func TestStore_Contacts(t *testing.T) {
	s := testutil.MustOpenStore(t)
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := 0; i < 30; i++ {
		c := newContact(fmt.Sprintf("nav-%d", i%3), day.Add(time.Duration(i)*time.Hour))
		c.FollowUp.Due = day.AddDate(0, 0, i%5).Format(time.DateOnly)
		if i%10 == 0 {
			c = closed(c)
		}
		ids = append(ids, mustCreate(t, s, c).Contact.ID)
	}
	all := func(t *testing.T, q o211.ContactQuery) []string {
		t.Helper()
		var out []string
		for pages := 0; ; pages++ {
			p, err := s.Contacts(q)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Contacts) > q.Limit || pages > 100 {
				t.Fatalf("page of %d, limit %d", len(p.Contacts), q.Limit)
			}
			for _, c := range p.Contacts {
				out = append(out, c.ID)
			}
			if p.Next == "" {
				return out
			}
			q.Cursor = p.Next
		}
	}
	pick := func(f func(i int) bool) []string {
		var out []string
		for i, id := range ids {
			if f(i) {
				out = append(out, id)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    o211.ContactQuery
		want []string
	}{
		{"All", o211.ContactQuery{Limit: 7}, ids},
		{"Period", o211.ContactQuery{From: day.Add(5 * time.Hour), To: day.Add(12 * time.Hour), Limit: 3},
			pick(func(i int) bool { return i >= 5 && i < 12 })},
		{"Navigator", o211.ContactQuery{Navigator: "nav-1", Limit: 4}, pick(func(i int) bool { return i%3 == 1 })},
		{"NavigatorPeriod", o211.ContactQuery{Navigator: "nav-1", From: day.Add(10 * time.Hour), Limit: 2},
			pick(func(i int) bool { return i%3 == 1 && i >= 10 })},
		{"Closed", o211.ContactQuery{Status: o211.ContactClosed, Limit: 1}, pick(func(i int) bool { return i%10 == 0 })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := all(t, tc.q); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %d contacts %v\nwant %d %v", len(got), got, len(tc.want), tc.want)
			}
		})
	}
	t.Run("FollowUpDue", func(t *testing.T) {
		got := all(t, o211.ContactQuery{FollowUpDue: day.AddDate(0, 0, 1).Format(time.DateOnly), Limit: 5})
		want := pick(func(i int) bool { return i%5 <= 1 })
		if len(got) != len(want) {
			t.Fatalf("got %d due, want %d", len(got), len(want))
		}
		// An outcome takes a contact off the list.
		c, _ := s.Contact(want[0])
		c.FollowUp.Outcome = "Reached."
		if _, err := s.UpdateContact(ctx, c, store.ContactOptions{}); err != nil {
			t.Fatal(err)
		}
		if got := all(t, o211.ContactQuery{FollowUpDue: day.AddDate(0, 0, 1).Format(time.DateOnly), Limit: 5}); len(got) != len(want)-1 {
			t.Fatalf("after an outcome: got %d due, want %d", len(got), len(want)-1)
		}
		// CountDue agrees with the list of each navigator, up to its limit.
		due := day.AddDate(0, 0, 1).Format(time.DateOnly)
		for _, nav := range []string{"nav-0", "nav-1", "nav-2", "nobody"} {
			listed := len(all(t, o211.ContactQuery{FollowUpDue: due, Navigator: nav, Limit: 3}))
			for _, limit := range []int{100, 2} {
				if n, err := s.CountDue(nav, due, limit); err != nil || n != min(listed, limit) {
					t.Errorf("CountDue(%s, limit %d) = %d, %v; the list has %d", nav, limit, n, err, listed)
				}
			}
		}
		if n, _ := s.CountDue("nav-1", day.AddDate(0, 0, -30).Format(time.DateOnly), 100); n != 0 {
			t.Errorf("%d follow-ups due a month before any", n)
		}
		if _, err := s.CountDue("nav-1", "tomorrow", 100); o211.ErrorCode(err) != o211.EINVALID {
			t.Errorf("a day that is not a date: %v", err)
		}
	})
	t.Run("ErrCursor", func(t *testing.T) {
		p, _ := s.Contacts(o211.ContactQuery{Limit: 2})
		_, err := s.Contacts(o211.ContactQuery{Navigator: "nav-1", Cursor: p.Next})
		if e, ok := err.(*o211.Error); !ok || e.Field != "cursor" {
			t.Fatalf("got %v, want a cursor error", err)
		}
	})
}

// Concurrent writers share commits, and each one's writes are there when
// its call returns. With fsync.
func TestStore_GroupCommit(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "node.db"), store.Options{Region: "east"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const clients, each = 16, 20
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for g := 0; g < clients; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				c := closed(newContact(fmt.Sprintf("nav-%d", g), start))
				c.ID = fmt.Sprintf("c-%d-%d", g, i)
				if i == 7 { // a bad one among them fails alone
					c.Needs[0].Status = "maybe"
				}
				res, err := s.CreateContact(ctx, c, store.ContactOptions{})
				if i == 7 {
					if err == nil {
						errs <- fmt.Errorf("%s: invalid contact accepted", c.ID)
					}
					continue
				}
				if err != nil {
					errs <- err
					continue
				}
				if _, err := s.Contact(res.Contact.ID); err != nil {
					errs <- fmt.Errorf("%s not readable after its create returned: %v", c.ID, err)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := s.GroupCommitStats()
	if want := uint64(clients * (each - 1)); st.Requests != want {
		t.Fatalf("got %d requests, want %d", st.Requests, want)
	}
	if st.Commits >= st.Requests {
		t.Fatalf("%d requests took %d commits: none were shared", st.Requests, st.Commits)
	}
	if n, want := outboxLen(t, s), clients*(each-1); n != want {
		t.Fatalf("outbox holds %d reports, want %d", n, want)
	}
	t.Logf("%d requests in %d commits", st.Requests, st.Commits)
}

func TestStore_Audit(t *testing.T) {
	s := testutil.MustOpenStore(t)
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 12; i++ {
		err := s.AppendAudit(ctx, o211.AuditEntry{Time: t0.Add(time.Duration(i) * time.Minute), Actor: o211.Actor{ID: "nav-1"},
			Action: "read", ContactID: fmt.Sprintf("c-%d", i%3), Fields: []string{"notes"}, Path: "/api/v1/contacts/x"})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The create's audit entry is written with it, naming ctx's actor.
	res, err := s.CreateContact(ctx, newContact("nav-1", t0), store.ContactOptions{Path: "/api/v1/contacts"})
	if err != nil {
		t.Fatal(err)
	}
	all := func(q o211.AuditQuery) []o211.AuditEntry {
		var out []o211.AuditEntry
		for {
			p, err := s.Audit(q)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p.Entries...)
			if p.Next == "" {
				return out
			}
			q.Cursor = p.Next
		}
	}
	if got := all(o211.AuditQuery{Limit: 5}); len(got) != 13 {
		t.Fatalf("got %d entries, want 13", len(got))
	}
	if got := all(o211.AuditQuery{ContactID: "c-1", Limit: 2}); len(got) != 4 || got[0].ContactID != "c-1" || !got[1].Time.After(got[0].Time) {
		t.Fatalf("by contact: got %+v", got)
	}
	if got := all(o211.AuditQuery{ContactID: "c-1", From: t0.Add(4 * time.Minute), To: t0.Add(10 * time.Minute)}); len(got) != 2 {
		t.Fatalf("by contact and period: got %d, want 2 (minutes 4 and 7)", len(got))
	}
	got := all(o211.AuditQuery{ContactID: res.Contact.ID})
	if len(got) != 1 || got[0].Actor != tester || got[0].Action != "create" || got[0].Path != "/api/v1/contacts" || strings.Join(got[0].Fields, ",") != strings.Join(res.Contact.PersonalHeld(), ",") {
		t.Fatalf("create's audit entry: got %+v", got)
	}
	// Newest first: the same entries in the other order, a page at a
	// time, for the whole log, one contact (c-1 sorts between c-0 and
	// c-2, so its range has keys on both sides) and a period.
	minutes := func(es []o211.AuditEntry) []int {
		var out []int
		for _, e := range es {
			if e.ContactID != res.Contact.ID {
				out = append(out, int(e.Time.Sub(t0)/time.Minute))
			}
		}
		return out
	}
	for _, tc := range []struct {
		q    o211.AuditQuery
		want []int
	}{
		{o211.AuditQuery{Newest: true, Limit: 5}, []int{11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{o211.AuditQuery{Newest: true, ContactID: "c-1", Limit: 3}, []int{10, 7, 4, 1}},
		{o211.AuditQuery{Newest: true, ContactID: "c-1", From: t0.Add(4 * time.Minute), To: t0.Add(10 * time.Minute)}, []int{7, 4}},
		{o211.AuditQuery{Newest: true, From: t0.Add(9 * time.Minute), Limit: 1}, []int{11, 10, 9}},
		{o211.AuditQuery{Newest: true, ContactID: "c-9"}, nil},
	} {
		if got := minutes(all(tc.q)); !slices.Equal(got, tc.want) {
			t.Errorf("newest first %+v: minutes %v, want %v", tc.q, got, tc.want)
		}
	}
}

// The purge erases personal fields and leaves the report records, the
// outbox and the counts as they were.
func TestStore_PurgeContacts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.db")
	s, err := store.Open(path, store.Options{Region: "east"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old := time.Date(2023, 3, 1, 9, 0, 0, 0, time.UTC)
	recent := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	var oldIDs []string
	for i := 0; i < 7; i++ {
		oldIDs = append(oldIDs, mustCreate(t, s, closed(newContact("nav-1", old.Add(time.Duration(i)*time.Hour)))).Contact.ID)
	}
	keep := mustCreate(t, s, closed(newContact("nav-1", recent))).Contact
	seq, _ := s.Seq()
	outbox := outboxLen(t, s)
	var before []*o211.Report
	s.Reports(func(r *o211.Report) error { before = append(before, r); return nil })

	cutoff := time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)
	var purged int
	for more := true; more; {
		res, err := s.PurgeContacts(ctx, cutoff, 3)
		if err != nil {
			t.Fatal(err)
		}
		purged += res.Purged
		more = res.More
	}
	if purged != len(oldIDs) {
		t.Fatalf("purged %d, want %d", purged, len(oldIDs))
	}
	for _, id := range oldIDs {
		c, err := s.Contact(id)
		if err != nil {
			t.Fatal(err)
		}
		if c.HasPersonal() || c.Purged == nil || c.Caller.PostalCode != "K1N" || len(c.Needs) != 2 {
			t.Fatalf("purged contact: %+v", c)
		}
		if _, err := s.UpdateContact(ctx, c, store.ContactOptions{}); o211.ErrorCode(err) != o211.ECONFLICT {
			t.Fatalf("update of a purged contact: got %v, want ECONFLICT", err)
		}
		a, err := s.Audit(o211.AuditQuery{ContactID: id})
		if err != nil || len(a.Entries) == 0 {
			t.Fatalf("audit of %s: %v, %+v", id, err, a)
		}
		last := a.Entries[len(a.Entries)-1]
		if last.Actor != o211.System("retention") || last.Action != "purge" || len(last.Fields) == 0 {
			t.Fatalf("purge audit of %s: %+v", id, a.Entries)
		}
	}
	if c, _ := s.Contact(keep.ID); c.Purged != nil || c.Caller.FirstName != "Zebulon" {
		t.Fatalf("a recent contact was purged: %+v", c)
	}
	if res, _ := s.PurgeContacts(ctx, cutoff, 3); res.Purged != 0 {
		t.Fatalf("a second purge purged %d", res.Purged)
	}
	after, _ := s.Seq()
	var reports []*o211.Report
	s.Reports(func(r *o211.Report) error { reports = append(reports, r); return nil })
	if after != seq || outboxLen(t, s) != outbox || len(reports) != len(before) || jsonOf(reports) != jsonOf(before) {
		t.Fatalf("purge touched the reports: seq %d -> %d, outbox %d -> %d, reports %d -> %d", seq, after, outbox, outboxLen(t, s), len(before), len(reports))
	}
	s.Close()

	// No live value in the file holds the name any more but the kept
	// contact's. (bbolt does not zero freed pages, so the raw file may
	// still hold old bytes until they are reused or the file compacted;
	// that is not tested.)
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var holders []string
	db.View(func(tx *bolt.Tx) error {
		var walk func(name string, b *bolt.Bucket)
		walk = func(name string, b *bolt.Bucket) {
			b.ForEach(func(k, v []byte) error {
				if v == nil {
					walk(name+"/"+string(k), b.Bucket(k))
				} else if bytes.Contains(v, []byte("Zebulon")) || bytes.Contains(v, []byte("613-555-0199")) {
					holders = append(holders, name+"/"+string(k))
				}
				return nil
			})
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { walk(string(name), b); return nil })
	})
	if len(holders) != 1 || holders[0] != "contacts/"+keep.ID {
		t.Fatalf("values holding personal data after the purge: %v (want only contacts/%s)", holders, keep.ID)
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// BenchmarkStore_CreateContact creates and closes contacts from parallel
// goroutines with fsync (-cpu sets GOMAXPROCS; RunParallel uses that many
// goroutines, times -parallelism).
func BenchmarkStore_CreateContact(b *testing.B) {
	s, err := store.Open(filepath.Join(b.TempDir(), "node.db"), store.Options{Region: "east", NoSync: os.Getenv("NOSYNC") != ""})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.CreateContact(ctx, closed(newContact("nav", start)), store.ContactOptions{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	st := s.GroupCommitStats()
	b.ReportMetric(float64(st.Requests)/float64(max(st.Commits, 1)), "writes/commit")
}
