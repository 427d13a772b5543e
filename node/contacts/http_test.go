package contacts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/contacts"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/store"
)

const token = "t0ken"

// testNode is a contact service over a real store holding a small
// directory, served over real HTTP.
type testNode struct {
	st  *store.Store
	svc *contacts.Service
	url string

	mu      sync.Mutex
	reports []*o211.Report
	outbox  []uint64
}

func f64(v float64) *float64 { return &v }

// MustOpenNode opens a store with one service offered at one location
// (and a second location where it is not offered) and a local taxonomy
// term YZ-9999, and serves the contact routes.
func MustOpenNode(tb testing.TB, now func() time.Time) *testNode {
	tb.Helper()
	st := testutil.MustOpenStore(tb)
	_, err := st.Write(o211.WithActor(context.Background(), o211.System("test")), []o211.Change{
		o211.Upsert(&o211.Organization{ID: "org-1", Name: "Ottawa Food Bank", Description: "Feeds Ottawa"}),
		o211.Upsert(&o211.Service{ID: "svc-1", OrganizationID: "org-1", Name: "Emergency food", Status: "active"}),
		o211.Upsert(&o211.Location{ID: "loc-1", OrganizationID: "org-1", LocationType: "physical", Latitude: f64(45.4), Longitude: f64(-75.7)}),
		o211.Upsert(&o211.Location{ID: "loc-2", OrganizationID: "org-1", LocationType: "physical", Latitude: f64(45.5), Longitude: f64(-75.6)}),
		o211.Upsert(&o211.ServiceAtLocation{ID: "sal-1", ServiceID: "svc-1", LocationID: "loc-1"}),
		o211.Upsert(&o211.Taxonomy{ID: "tax-local", Name: "Local", Description: "Local terms"}),
		o211.Upsert(&o211.TaxonomyTerm{ID: "term-local", Code: "YZ-9999", Name: "Local need", Description: "x", TaxonomyID: "tax-local"}),
	}, o211.WriteOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	seq, _ := st.Seq()
	if err := st.Ack(seq); err != nil { // the outbox holds reports only
		tb.Fatal(err)
	}
	n := &testNode{st: st}
	n.svc = contacts.New(contacts.Config{Store: st, Now: now,
		OnReport: func(r *o211.Report) { n.mu.Lock(); n.reports = append(n.reports, r); n.mu.Unlock() },
		OnOutbox: func(seq uint64) { n.mu.Lock(); n.outbox = append(n.outbox, seq); n.mu.Unlock() }})
	r := chi.NewRouter()
	r.Use(httpx.Identify(httpx.NewTokenAuthenticator(token, "east"), nil))
	n.svc.Routes(r)
	srv := httptest.NewServer(r)
	tb.Cleanup(srv.Close)
	tb.Cleanup(func() { n.svc.Close() })
	n.url = srv.URL
	return n
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with the token, and a JSON body.
func (n *testNode) do(tb testing.TB, method, path string, body any, hdr ...string) *response {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, n.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (r *response) want(tb testing.TB, status int) *response {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("got status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

func (r *response) contact(tb testing.TB) *o211.Contact {
	tb.Helper()
	c := new(o211.Contact)
	if err := json.Unmarshal(r.body, c); err != nil {
		tb.Fatalf("%v: %s", err, r.body)
	}
	return c
}

func (r *response) problem(tb testing.TB, status int) *httpx.Problem {
	tb.Helper()
	r.want(tb, status)
	if ct := r.header.Get("Content-Type"); ct != httpx.ContentTypeProblem {
		tb.Fatalf("got content type %q, want %s", ct, httpx.ContentTypeProblem)
	}
	p := new(httpx.Problem)
	if err := json.Unmarshal(r.body, p); err != nil {
		tb.Fatal(err)
	}
	return p
}

// body returns a contact as the client sends it.
func body(start time.Time) map[string]any {
	return map[string]any{
		"channel": "phone", "start": start.Format(time.RFC3339), "navigator": "nav-7",
		"caller": map[string]any{"first_name": "Zebulon", "callback": "613-555-0199", "postal_code": "k1n5t5", "age_band": "25-34"},
		"needs": []map[string]any{{"code": "BD-1800.2000", "status": "met"},
			{"code": "YZ-9999", "status": "unmet", "reason": "waitlist-full"}},
		"referrals": []map[string]any{{"service_id": "svc-1", "location_id": "loc-1"}},
		"consent":   map[string]any{"follow_up": true},
		"follow_up": map[string]any{"due": start.AddDate(0, 0, 7).Format(time.DateOnly)},
		"notes":     "Lives with two children.",
	}
}

func (n *testNode) audit(tb testing.TB, query string) []o211.AuditEntry {
	tb.Helper()
	var l contacts.AuditList
	if err := json.Unmarshal(n.do(tb, "GET", "/api/v1/audit?"+query, nil).want(tb, 200).body, &l); err != nil {
		tb.Fatal(err)
	}
	return l.Entries
}

var start = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

func TestContacts_CreateGet(t *testing.T) {
	n := MustOpenNode(t, nil)
	r := n.do(t, "POST", "/api/v1/contacts", body(start)).want(t, http.StatusCreated)
	c := r.contact(t)
	if r.header.Get("Location") != "/api/v1/contacts/"+c.ID || r.header.Get("ETag") != `"1"` {
		t.Fatalf("Location %q, ETag %q", r.header.Get("Location"), r.header.Get("ETag"))
	}
	if c.Caller.PostalCode != "K1N 5T5" || c.Status != o211.ContactOpen || c.Region != "east" {
		t.Fatalf("created: %+v", c)
	}
	got := n.do(t, "GET", "/api/v1/contacts/"+c.ID, nil).want(t, 200).contact(t)
	if got.Caller.FirstName != "Zebulon" || got.Version != 1 {
		t.Fatalf("got %+v", got)
	}
	red := n.do(t, "GET", "/api/v1/contacts/"+c.ID+"?redacted=true", nil).want(t, 200).contact(t)
	if red.HasPersonal() || red.Caller.PostalCode != "K1N" {
		t.Fatalf("redacted: %+v", red)
	}
	// The create and the read returned personal fields; the redacted read did not.
	a := n.audit(t, "contact="+c.ID)
	if len(a) != 2 || a[0].Action != "create" || a[1].Action != "read" || !isTokenActor(a[0].Actor) || !isTokenActor(a[1].Actor) ||
		a[1].Path != "/api/v1/contacts/"+c.ID || !strings.Contains(strings.Join(a[1].Fields, ","), "caller.first_name") {
		t.Fatalf("audit: %+v", a)
	}
	n.do(t, "GET", "/api/v1/contacts/nobody", nil).problem(t, 404)

	t.Run("ErrToken", func(t *testing.T) {
		n.do(t, "GET", "/api/v1/contacts/"+c.ID, nil, "Authorization", "").problem(t, 401)
		n.do(t, "GET", "/api/v1/audit", nil, "Authorization", "Bearer wrong").problem(t, 401)
	})
	// A request that names someone else in a header is still the
	// credential's: the audit log names the token's actor.
	t.Run("ActorFromTheCredential", func(t *testing.T) {
		c := n.do(t, "POST", "/api/v1/contacts", body(start), "X-O211-Actor", "nav-7").want(t, 201).contact(t)
		n.do(t, "GET", "/api/v1/contacts/"+c.ID, nil, "X-O211-Actor", "mallory").want(t, 200)
		n.do(t, "POST", "/api/v1/contacts/"+c.ID+"/close", nil, "X-O211-Actor", "nav-7").want(t, 200)
		a := n.audit(t, "contact="+c.ID)
		if len(a) != 3 {
			t.Fatalf("got %d audit entries, want 3 (create, read, close): %+v", len(a), a)
		}
		for _, e := range a {
			if !isTokenActor(e.Actor) {
				t.Errorf("%s: got actor %+v, want the token's", e.Action, e.Actor)
			}
		}
	})
}

// isTokenActor reports whether a is the actor of the node's API token.
func isTokenActor(a o211.Actor) bool { return a.ID == "token:bootstrap" && a.Role == o211.RoleAdmin }

func TestContacts_Validation(t *testing.T) {
	n := MustOpenNode(t, nil)
	for _, tc := range []struct {
		name   string
		change func(b map[string]any)
		field  string
		detail string
		status int
	}{
		{"UnknownCode", func(b map[string]any) {
			b["needs"] = []map[string]any{{"code": "BD-1800.2000", "status": "met"}, {"code": "BD-9999.9999", "status": "met"}}
		}, "needs[1].code", `"BD-9999.9999"`, 422},
		{"UnknownTargetPopulation", func(b map[string]any) {
			b["needs"] = []map[string]any{{"code": "BD-1800.2000*YQ-9999", "status": "met"}}
		}, "needs[0].code", `"YQ-9999"`, 422},
		{"ReasonOnMetNeed", func(b map[string]any) {
			b["needs"] = []map[string]any{{"code": "BD-1800.2000", "status": "met", "reason": "cost"}}
		}, "needs[0].reason", "met need", 422},
		{"NoSuchService", func(b map[string]any) {
			b["referrals"] = []map[string]any{{"service_id": "svc-404"}}
		}, "referrals[0].service_id", `"svc-404"`, 422},
		{"NoSuchLocation", func(b map[string]any) {
			b["referrals"] = []map[string]any{{"service_id": "svc-1", "location_id": "loc-404"}}
		}, "referrals[0].location_id", `"loc-404"`, 422},
		{"NotOfferedThere", func(b map[string]any) {
			b["referrals"] = []map[string]any{{"service_id": "svc-1", "location_id": "loc-1"}, {"service_id": "svc-1", "location_id": "loc-2"}}
		}, "referrals[1].location_id", `not offered at location "loc-2"`, 422},
		{"UnknownField", func(b map[string]any) { b["nickname"] = "Zeb" }, "", "nickname", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := body(start)
			tc.change(b)
			p := n.do(t, "POST", "/api/v1/contacts", b).problem(t, tc.status)
			if !strings.Contains(p.Detail, tc.detail) || tc.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.field) {
				t.Fatalf("got %+v, want field %q and a detail with %s", p, tc.field, tc.detail)
			}
		})
	}
	var l contacts.ContactList
	json.Unmarshal(n.do(t, "GET", "/api/v1/contacts", nil).want(t, 200).body, &l)
	if len(l.Contacts) != 0 {
		t.Fatalf("refused contacts were stored: %d", len(l.Contacts))
	}
	n.do(t, "POST", "/api/v1/contacts", "{").problem(t, 400)
}

func TestContacts_UpdateClose(t *testing.T) {
	n := MustOpenNode(t, nil)
	c := n.do(t, "POST", "/api/v1/contacts", body(start)).want(t, 201).contact(t)
	path := "/api/v1/contacts/" + c.ID

	up := n.do(t, "PATCH", path, map[string]any{"notes": "Called from a shelter.", "caller": map[string]any{"gender": "m"}}, "If-Match", `"1"`).want(t, 200).contact(t)
	if up.Version != 2 || up.Notes != "Called from a shelter." || up.Caller.FirstName != "Zebulon" || up.Caller.Gender != "m" {
		t.Fatalf("after PATCH: %+v", up)
	}
	n.do(t, "PATCH", path, map[string]any{"notes": "x"}, "If-Match", `"1"`).problem(t, 409)
	p := n.do(t, "PATCH", path, map[string]any{"needs": []map[string]any{{"code": "QQ-1234", "status": "met"}}}).problem(t, 422)
	if p.Errors[0].Field != "needs[0].code" {
		t.Fatalf("got %+v", p)
	}

	put := body(start)
	put["notes"] = "Replaced."
	if got := n.do(t, "PUT", path, put).want(t, 200).contact(t); got.Notes != "Replaced." || got.Caller.Gender != "" || got.Version != 3 {
		t.Fatalf("after PUT: %+v", got)
	}

	closed := n.do(t, "POST", path+"/close", nil).want(t, 200).contact(t)
	if closed.Status != o211.ContactClosed || closed.End == nil || closed.ClosedAt == nil {
		t.Fatalf("after close: %+v", closed)
	}
	n.mu.Lock()
	reports, outbox := n.reports, n.outbox
	n.mu.Unlock()
	if len(reports) != 1 || len(outbox) != 1 || reports[0].FSA != "K1N" || reports[0].Needs[1].Code != "YZ-9999" || reports[0].Needs[1].Met {
		t.Fatalf("OnReport got %+v, OnOutbox %v", reports, outbox)
	}
	entries, _ := n.st.Outbox(0, 10)
	if len(entries) != 1 || entries[0].Seq != outbox[0] || entries[0].Kind != o211.KindReport {
		t.Fatalf("outbox: %+v", entries)
	}

	n.do(t, "POST", path+"/close", nil).problem(t, 409)
	n.do(t, "PATCH", path, map[string]any{"notes": "late"}).problem(t, 409)
	fu := n.do(t, "PATCH", path, map[string]any{"follow_up": map[string]any{"outcome": "Reached; housed."}}).want(t, 200).contact(t)
	if fu.FollowUp.Outcome != "Reached; housed." || fu.FollowUp.Due == "" {
		t.Fatalf("outcome on a closed contact: %+v", fu.FollowUp)
	}
	if n.st.GroupCommitStats().Requests == 0 {
		t.Fatal("no write went through the group commit")
	}
	a := n.audit(t, "contact="+c.ID)
	var actions []string
	for _, e := range a {
		actions = append(actions, e.Action)
	}
	if got, want := strings.Join(actions, ","), "create,update,update,close,update"; got != want {
		t.Fatalf("audit actions: got %s, want %s", got, want)
	}
}

func TestContacts_List(t *testing.T) {
	n := MustOpenNode(t, nil)
	var ids []string
	for i := 0; i < 9; i++ {
		b := body(start.Add(time.Duration(i) * time.Hour))
		b["navigator"] = fmt.Sprintf("nav-%d", i%2)
		b["follow_up"] = map[string]any{"due": start.AddDate(0, 0, i).Format(time.DateOnly)}
		ids = append(ids, n.do(t, "POST", "/api/v1/contacts", b).want(t, 201).contact(t).ID)
	}
	list := func(q string) (got []string) {
		for cursor := ""; ; {
			var l contacts.ContactList
			json.Unmarshal(n.do(t, "GET", "/api/v1/contacts?limit=2&"+q+"&cursor="+cursor, nil).want(t, 200).body, &l)
			for _, c := range l.Contacts {
				got = append(got, c.ID)
			}
			if cursor = l.NextCursor; cursor == "" {
				return got
			}
		}
	}
	for _, tc := range []struct {
		name, q string
		want    []string
	}{
		{"All", "", ids},
		{"Period", "from=" + start.Add(2*time.Hour).Format(time.RFC3339) + "&to=" + start.Add(5*time.Hour).Format(time.RFC3339), ids[2:5]},
		{"Day", "from=2026-11-02&to=2026-11-02", ids},
		{"Navigator", "navigator=nav-1", []string{ids[1], ids[3], ids[5], ids[7]}},
		{"FollowUpDue", "follow_up_due=" + start.AddDate(0, 0, 2).Format(time.DateOnly), ids[:3]},
		{"Closed", "status=closed", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := list(tc.q); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	before := len(n.audit(t, "limit=1000"))
	list("navigator=nav-1")
	if after := len(n.audit(t, "limit=1000")); after != before+4 {
		t.Fatalf("listing 4 contacts with their personal fields wrote %d audit entries, want 4", after-before)
	}
	before = len(n.audit(t, "limit=1000"))
	list("redacted=true")
	if after := len(n.audit(t, "limit=1000")); after != before {
		t.Fatalf("a redacted listing wrote %d audit entries", after-before)
	}
	n.do(t, "GET", "/api/v1/contacts?follow_up_due=tomorrow", nil).problem(t, 400)
	n.do(t, "GET", "/api/v1/contacts?from=yesterday", nil).problem(t, 400)
}

// The purge erases personal fields of contacts that ended before the
// retention period, leaves report records and the outbox alone, and is in
// the audit log.
func TestContacts_Purge(t *testing.T) {
	var mu sync.Mutex
	now := start.Add(time.Hour)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	n := MustOpenNode(t, clock)
	var ids []string
	for i := 0; i < 3; i++ {
		b := body(start)
		b["status"], b["end"] = "closed", start.Add(10*time.Minute).Format(time.RFC3339)
		ids = append(ids, n.do(t, "POST", "/api/v1/contacts", b).want(t, 201).contact(t).ID)
	}
	outbox, _, _ := n.st.OutboxStats()
	if k, err := n.svc.Purge(context.Background()); err != nil || k != 0 {
		t.Fatalf("purge within the retention period: %d, %v", k, err)
	}
	mu.Lock()
	now = start.Add(contacts.DefaultRetention + time.Hour)
	mu.Unlock()
	if k, err := n.svc.Purge(context.Background()); err != nil || k != 3 {
		t.Fatalf("purge after the retention period: %d, %v", k, err)
	}
	for _, id := range ids {
		c := n.do(t, "GET", "/api/v1/contacts/"+id, nil).want(t, 200).contact(t)
		if c.HasPersonal() || c.Purged == nil || len(c.Needs) != 2 {
			t.Fatalf("after purge: %+v", c)
		}
		a := n.audit(t, "contact="+id)
		if last := a[len(a)-1]; last.Actor != o211.System("retention") || last.Action != "purge" {
			t.Fatalf("audit after purge: %+v", a)
		}
	}
	reports := 0
	n.st.Reports(func(*o211.Report) error { reports++; return nil })
	if after, _, _ := n.st.OutboxStats(); after != outbox || reports != 3 {
		t.Fatalf("outbox %d -> %d, %d reports, want 3", outbox, after, reports)
	}
}

// Many navigators create and close contacts at once; every one is stored
// and gives one report.
func TestContacts_Concurrent(t *testing.T) {
	n := MustOpenNode(t, nil)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				c := n.do(t, "POST", "/api/v1/contacts", body(start)).want(t, 201).contact(t)
				n.do(t, "POST", "/api/v1/contacts/"+c.ID+"/close", map[string]any{"notes": "done"}).want(t, 200)
			}
		}()
	}
	wg.Wait()
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.reports) != 80 {
		t.Fatalf("got %d reports, want 80", len(n.reports))
	}
	if k, _, _ := n.st.OutboxStats(); k != 80 {
		t.Fatalf("outbox holds %d, want 80", k)
	}
}
