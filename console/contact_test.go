package console_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node"
)

// locationOf is where a 303 sends the browser, without the node's address.
func locationOf(p page) string { return p.header.Get("Location") }

var contactIDRE = regexp.MustCompile(`action="/(?:fr/)?console/contacts/([0-9a-f-]{36})"`)

// newWorkspace opens /console/contacts/new and returns the id the form
// carries and its fields as a browser would post them.
func newWorkspace(t testing.TB, s *staff, query string) (string, url.Values) {
	t.Helper()
	pg := s.get("/console/contacts/new"+query).mustStatus(t, http.StatusOK)
	m := contactIDRE.FindStringSubmatch(pg.body)
	if m == nil {
		t.Fatalf("the workspace has no form to its contact: %.400s", pg.body)
	}
	return m[1], url.Values{"version": {"0"}, "channel": {"phone"}, "navigator": {"nadia"}}
}

// postForm posts a workspace form with the page's token.
func (s *staff) postForm(path string, form url.Values) page {
	form.Set("form_token", s.token)
	return s.postRaw(path, form.Encode())
}

// mustContact reads a contact from the node as the system would.
func mustContact(t *testing.T, n *node.Node, id string) *o211.Contact {
	t.Helper()
	c, err := n.Contacts().Get(o211.WithActor(context.Background(), o211.System("test")), id, true)
	if err != nil {
		t.Fatalf("contact %s: %v", id, err)
	}
	return c
}

func TestContact_Workspace(t *testing.T) {
	n := MustStartPortal(t)
	mustAddUser(t, n, "nadia", o211.RoleNavigator)
	s := newStaff(t, n)
	s.signIn("nadia")
	id, form := newWorkspace(t, s, "?channel=text&from=613-555-0100&queue_item=q-42")
	contactPath := "/console/contacts/" + id
	form.Set("channel", "text")

	t.Run("PrefilledFromQueue", func(t *testing.T) {
		pg := s.get("/console/contacts/new?channel=text&from=613-555-0100&queue_item=q-42")
		pg.mustContain(t, `<option value="text" selected>`, `value="613-555-0100"`, `name="queue_item" value="q-42"`)
	})
	t.Run("AddNeedByWords", func(t *testing.T) {
		form.Set("need_q", "food banks")
		form.Set("action", "add_need")
		pg := s.postForm(contactPath, form)
		if pg.status != http.StatusSeeOther || !strings.HasPrefix(locationOf(pg), contactPath) || !strings.HasSuffix(locationOf(pg), "#need_q") {
			t.Fatalf("adding a need: %d to %q; %s", pg.status, locationOf(pg), summary(pg.body))
		}
		c := mustContact(t, n, id)
		if len(c.Needs) != 1 || c.Needs[0].Code != "BD-1800.2000" || c.Channel != o211.ChannelText {
			t.Fatalf("stored %+v", c)
		}
	})
	t.Run("DuplicateCreateStoresOnce", func(t *testing.T) {
		// The same first post again (version 0): the contact exists, the
		// answer is the same contact, nothing new is stored.
		pg := s.postForm(contactPath, form)
		if pg.status != http.StatusSeeOther || !strings.HasPrefix(locationOf(pg), contactPath) {
			t.Fatalf("second post: %d to %q; %.300s", pg.status, locationOf(pg), pg.body)
		}
		list, err := n.Contacts().List(o211.WithActor(context.Background(), o211.System("test")), o211.ContactQuery{}, true)
		if err != nil || len(list.Contacts) != 1 {
			t.Fatalf("%d contacts stored (err %v), want 1", len(list.Contacts), err)
		}
	})
	t.Run("SeveralMatchesOffered", func(t *testing.T) {
		f := url.Values{"version": {"1"}, "channel": {"text"}, "need_code_0": {"BD-1800.2000"}, "need_q": {"food"}, "action": {"add_need"}}
		pg := s.postForm(contactPath, f).mustStatus(t, http.StatusOK)
		pg.mustContain(t, `name="add_need" value="BD"`, "Several needs match")
	})
	t.Run("ErrNoMatch", func(t *testing.T) {
		f := url.Values{"version": {"1"}, "channel": {"text"}, "need_q": {"zzzqqq"}, "action": {"add_need"}}
		s.postForm(contactPath, f).mustStatus(t, http.StatusBadRequest).mustContain(t, `href="#need_q"`, "No need matches")
	})
	t.Run("ErrFieldsBesideInputs", func(t *testing.T) {
		f := url.Values{"version": {"1"}, "channel": {"text"}, "email": {"not-an-address"}, "callback": {"abc"},
			"follow_up": {"2026-12-20"}, "action": {"save"}}
		pg := s.postForm(contactPath, f).mustStatus(t, http.StatusBadRequest)
		pg.mustContain(t, `href="#email"`, `id="email-error"`, `href="#callback"`, `href="#follow_up"`, "needs the person’s consent")
		if c := mustContact(t, n, id); c.Caller.Email != "" {
			t.Errorf("a form with problems was stored: %+v", c.Caller)
		}
	})
	t.Run("SearchAndAddReferral", func(t *testing.T) {
		pg := s.get(contactPath+"?s_q=banque+alimentaire&s_near=K1N+6N5").mustStatus(t, http.StatusOK)
		want := banqueID + "|"
		if !strings.Contains(pg.body, `name="add_referral" value="`+want) {
			t.Fatalf("no add-as-referral button for the food bank: %.500s", pg.body)
		}
		pg.mustContain(t, "verified October 15, 2026", " km")
		val := regexp.MustCompile(`name="add_referral" value="(` + banqueID + `\|[^"]*)"`).FindStringSubmatch(pg.body)[1]
		f := url.Values{"version": {"1"}, "channel": {"text"}, "need_code_0": {"BD-1800.2000"}, "add_referral": {val},
			"s_q": {"banque alimentaire"}, "s_near": {"K1N 6N5"}}
		pg = s.postForm(contactPath, f)
		if pg.status != http.StatusSeeOther || !strings.Contains(locationOf(pg), "s_q=banque+alimentaire") {
			t.Fatalf("adding a referral: %d to %q", pg.status, locationOf(pg))
		}
		if c := mustContact(t, n, id); len(c.Referrals) != 1 || c.Referrals[0].ServiceID != banqueID {
			t.Fatalf("referrals %+v", c.Referrals)
		}
		s.get(locationOf(pg)).mustContain(t, "Referral added", "Banque alimentaire de la Côte-de-Sable")
	})
	t.Run("CloseWithUnmetNeed", func(t *testing.T) {
		before := n.Reports().Contacts()
		c := mustContact(t, n, id)
		f := url.Values{"version": {strconv.FormatUint(c.Version, 10)}, "channel": {"text"}, "need_code_0": {"BD-1800.2000"}, "outcome_0": {"unmet:waitlist-full"},
			"referral": {c.Referrals[0].ServiceID + "|" + c.Referrals[0].LocationID}, "first_name": {"Ana"}, "action": {"close"}}
		pg := s.postForm(contactPath, f)
		if pg.status != http.StatusSeeOther || locationOf(pg) != contactPath+"?done=closed" {
			t.Fatalf("closing: %d to %q; %s", pg.status, locationOf(pg), summary(pg.body))
		}
		c = mustContact(t, n, id)
		if c.Status != o211.ContactClosed || c.Needs[0].Status != o211.NeedUnmet || c.Needs[0].Reason != o211.ReasonWaitlistFull {
			t.Fatalf("closed contact %+v", c)
		}
		if got := n.Reports().Contacts(); got != before+1 {
			t.Errorf("the region's reports count %d contacts, want %d", got, before+1)
		}
		s.get(contactPath).mustStatus(t, http.StatusOK).mustContain(t, "Not met: Waitlist full", "Ana", "recorded in the audit log")
		// A second click on "close" changes nothing and is not an error.
		pg = s.postForm(contactPath, f)
		if pg.status != http.StatusSeeOther {
			t.Errorf("second close: %d; %.300s", pg.status, pg.body)
		}
	})
}

// TestContact_OtherRegionCannotOpen: a contact of the east region is not
// found by a navigator of the central region: on their own node (where it
// is not) nor on the east node (where their session is not).
func TestContact_OtherRegionCannotOpen(t *testing.T) {
	east := MustStartPortal(t)
	mustAddUser(t, east, "nadia", o211.RoleNavigator)
	central := node.New(node.Config{Region: "central", DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", Token: "tok2",
		NoSync: true, Now: func() time.Time { return fixtureNow }, Hasher: testHasher})
	if err := central.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { central.Close() })
	mustAddUser(t, central, "carl", o211.RoleNavigator)

	s := newStaff(t, east)
	s.signIn("nadia")
	id, form := newWorkspace(t, s, "")
	form.Set("first_name", "Ana")
	form.Set("action", "save")
	if pg := s.postForm("/console/contacts/"+id, form); pg.status != http.StatusSeeOther {
		t.Fatalf("saving: %d %.300s", pg.status, pg.body)
	}
	other := newStaff(t, central)
	other.signIn("carl")
	other.get("/console/contacts/"+id).mustStatus(t, http.StatusNotFound).mustNotContain(t, "Ana")
	other.get("/console/").mustStatus(t, http.StatusOK) // a page whose forms carry carl's token
	other.postForm("/console/contacts/"+id, url.Values{"version": {"1"}, "channel": {"phone"}, "action": {"save"}}).mustStatus(t, http.StatusNotFound)
	// carl's session cookie means nothing on the east node.
	other.base = east.URL()
	if pg := other.get("/console/contacts/" + id); pg.status != http.StatusSeeOther || !strings.HasPrefix(locationOf(pg), "/console/login") {
		t.Errorf("carl's cookie on the east node: %d to %q, want the sign-in page", pg.status, locationOf(pg))
	}
}

// summary returns the error summary of a page, for failure messages.
func summary(body string) string {
	i := strings.Index(body, "govuk-error-summary__list")
	if i < 0 {
		return "(no error summary)"
	}
	return body[i:min(len(body), i+600)]
}

// TestContact_FollowUpsListsAndAudit: a contact with a follow-up due
// today shows in the navigator's and the team's follow-ups (and in the
// navigation's count), in "my contacts" and, for the supervisor, in the
// region's list and load; opening it is in the audit log, which the
// supervisor reads and the navigator may not.
func TestContact_FollowUpsListsAndAudit(t *testing.T) {
	n := MustStartPortal(t)
	mustAddUser(t, n, "nadia", o211.RoleNavigator)
	mustAddUser(t, n, "sam", o211.RoleSupervisor)
	s := newStaff(t, n)
	s.signIn("nadia")
	id, form := newWorkspace(t, s, "")
	form.Set("first_name", "Ana")
	form.Set("consent_follow_up", "yes")
	form.Set("follow_up", "2026-12-07")
	form.Set("need_code_0", "BD-1800.2000")
	form.Set("action", "save")
	if pg := s.postForm("/console/contacts/"+id, form); pg.status != http.StatusSeeOther {
		t.Fatalf("saving: %d %s", pg.status, summary(pg.body))
	}
	s.get("/console/contacts/"+id).mustStatus(t, http.StatusOK).mustContain(t, `value="Ana"`, "recorded in the audit log")
	s.get("/console/followups").mustStatus(t, http.StatusOK).
		mustContain(t, "/console/contacts/"+id, "Food Banks", `id="followup-count" data-src="/console/followups/count">1<`).mustNotContain(t, "Ana")
	if pg := s.get("/console/followups/count"); pg.body != "1" {
		t.Errorf("follow-up count %q, want 1", pg.body)
	}
	s.get("/console/contacts").mustStatus(t, http.StatusOK).mustContain(t, "/console/contacts/"+id)
	s.get("/console/audit").mustStatus(t, http.StatusForbidden)
	s.get("/console/region").mustStatus(t, http.StatusForbidden)

	sup := newStaff(t, n)
	sup.signIn("sam")
	sup.get("/console/region").mustStatus(t, http.StatusOK).
		mustContain(t, `<th scope="row" class="govuk-table__header">nadia</th>`, "/console/contacts/"+id)
	pg := sup.get("/console/audit?contact="+id).mustStatus(t, http.StatusOK)
	pg.mustContain(t, "nadia", "Viewed", "caller.first_name")
	if strings.Count(pg.body, ">Viewed<") < 1 {
		t.Errorf("the audit page shows no view: %.300s", pg.body)
	}
}

// TestContact_AuditPages: the audit page shows the newest entries first,
// auditPageSize (100) at a time, and its "older entries" link continues
// where the page stopped, down to the contact's creation; a contact's
// page shows its newest views; a cursor that is not one starts again.
func TestContact_AuditPages(t *testing.T) {
	n := MustStartPortal(t)
	mustAddUser(t, n, "nadia", o211.RoleNavigator)
	mustAddUser(t, n, "sam", o211.RoleSupervisor)
	s := newStaff(t, n)
	s.signIn("nadia")
	id, form := newWorkspace(t, s, "")
	form.Set("first_name", "Ana")
	form.Set("action", "save")
	if pg := s.postForm("/console/contacts/"+id, form); pg.status != http.StatusSeeOther {
		t.Fatalf("saving: %d %s", pg.status, summary(pg.body))
	}
	for range 104 {
		s.get("/console/contacts/"+id).mustStatus(t, http.StatusOK)
	}
	sup := newStaff(t, n)
	sup.signIn("sam")
	first := sup.get("/console/audit?contact="+id).mustStatus(t, http.StatusOK)
	if got := strings.Count(first.body, ">Viewed<"); got != 100 {
		t.Errorf("the first page shows %d views, want the newest 100", got)
	}
	first.mustNotContain(t, ">Created<")
	m := regexp.MustCompile(`href="([^"]+)" id="audit-older"`).FindStringSubmatch(first.body)
	if m == nil {
		t.Fatalf("the first page has no link to older entries")
	}
	older := sup.get(html.UnescapeString(m[1])).mustStatus(t, http.StatusOK).mustContain(t, ">Created<").mustNotContain(t, `id="audit-older"`)
	if got := strings.Count(older.body, ">Viewed<"); got != 4 {
		t.Errorf("the older page shows %d views, want 4", got)
	}
	sup.get("/console/audit?contact="+id+"&cursor=nonsense").mustStatus(t, http.StatusOK).mustContain(t, `id="audit-older"`)
	if got := strings.Count(sup.get("/console/contacts/"+id).body, ">Viewed<"); got != 20 {
		t.Errorf("the contact's page shows %d views, want its newest 20", got)
	}
}

// TestContact_Suggest: the type-ahead finds needs by English and French
// words and by code, with their parent, and services by the start of a
// word.
func TestContact_Suggest(t *testing.T) {
	n := MustStartPortal(t)
	mustAddUser(t, n, "nadia", o211.RoleNavigator)
	s := newStaff(t, n)
	s.get("/console/suggest?q=food").mustStatus(t, http.StatusUnauthorized)
	s.signIn("nadia")
	s.get("/console/suggest?q=banq+alim").mustContain(t, `data-value="BD-1800.2000"`, "Food Banks", "Emergency Food")
	s.get("/fr/console/suggest?q=banq+alim").mustContain(t, `data-value="BD-1800.2000"`, "Banques alimentaires", "Aide alimentaire d&#39;urgence")
	s.get("/console/suggest?q=BD-1800.20").mustContain(t, `data-value="BD-1800.2000"`)
	s.get("/console/suggest?kind=service&q=banq").mustContain(t, `data-value="`+banqueID+`|`, "Banque alimentaire de la Côte-de-Sable")
}
