package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node"
	"github.com/o211/o211/node/store"
)

// Record ids of testdata/portal.json used by the directory tests.
const (
	banqueOrgID     = "ecc6873a-aac3-5f66-a650-f0411d34bf27"
	banqueMondayID  = "ce8e5690-187a-5986-9e30-ef3c3a6065d4"
	tenantLegalID   = "eb597e29-d448-5dab-9d3d-83d171a26758"
	distressLineID  = "0409f30a-92f5-5b33-8f68-9210026a85ec"
	banqueServePath = "/console/directory/service/" + banqueID
)

// mustSignInAs adds a user of the role and signs them in.
func mustSignInAs(t *testing.T, n *node.Node, name string, role o211.Role) *staff {
	t.Helper()
	mustAddUser(t, n, name, role)
	s := newStaff(t, n)
	s.signIn(name)
	return s
}

func TestDirectory_RolesRefused(t *testing.T) {
	n := MustStartPortal(t)
	newStaff(t, n).get("/console/directory").mustRedirect(t, "/console/login")
	for _, role := range []o211.Role{o211.RoleNavigator, o211.RoleAnalyst, o211.RoleCoordinator} {
		s := mustSignInAs(t, n, "u-"+string(role), role)
		s.get("/console/directory").mustStatus(t, http.StatusForbidden).mustContain(t, "does not allow this page")
		s.get(banqueServePath).mustStatus(t, http.StatusForbidden)
		s.post(banqueServePath, "name", "Taken over").mustStatus(t, http.StatusForbidden)
		s.post(banqueServePath+"/verify").mustStatus(t, http.StatusForbidden)
	}
	for _, role := range []o211.Role{o211.RoleResourceSpecialist, o211.RoleSupervisor, o211.RoleAdmin} {
		s := mustSignInAs(t, n, "ok-"+string(role), role)
		s.get("/console/directory").mustStatus(t, http.StatusOK).mustContain(t, `href="/console/directory"`)
	}
	svc, err := node.FullService(n.Directory(), banqueID)
	if err != nil || svc.Name != "Banque alimentaire de la Côte-de-Sable" {
		t.Errorf("the refused posts changed the service: %v %v", svc, err)
	}
}

func TestDirectory_EditServiceValidation(t *testing.T) {
	n := MustStartPortal(t)
	s := mustSignInAs(t, n, "rita", o211.RoleResourceSpecialist)
	s.get("/console/directory?q=banque").mustStatus(t, http.StatusOK).mustContain(t, banqueServePath)
	p := s.get(banqueServePath).mustStatus(t, http.StatusOK).
		mustContain(t, `value="Banque alimentaire de la Côte-de-Sable"`, "Opening hours", "Add a phone number", "Last verified", "October 15, 2026")
	_ = p
	form := []string{"name", "Banque alimentaire", "status", "active", "email", "not an address", "minimum_age", "douze"}
	t.Run("ErrNumber", func(t *testing.T) {
		s.post(banqueServePath, form...).mustStatus(t, http.StatusBadRequest).
			mustContain(t, `href="#f-minimum_age"`, `id="f-minimum_age-error"`, "Enter a number", `value="douze"`, `href="#f-email"`)
	})
	t.Run("ErrHSDSEmail", func(t *testing.T) {
		form[7] = "12"
		s.post(banqueServePath, form...).mustStatus(t, http.StatusBadRequest).
			mustContain(t, `href="#f-email"`, `id="f-email-error"`, "Enter an email address", `value="not an address"`)
	})
	t.Run("ErrAgeOrder", func(t *testing.T) {
		s.post(banqueServePath, "name", "Banque", "status", "active", "minimum_age", "30", "maximum_age", "20").
			mustStatus(t, http.StatusBadRequest).mustContain(t, "The minimum age must not be above the maximum age")
	})
	form[5] = "info@banque.example"
	s.post(banqueServePath, form...).mustRedirect(t, banqueServePath+"?done=saved")
	s.get(banqueServePath+"?done=saved").mustContain(t, "Your changes have been saved", `value="Banque alimentaire"`, `value="12"`)
	svc, err := node.FullService(n.Directory(), banqueID)
	if err != nil {
		t.Fatal(err)
	}
	if svc.Name != "Banque alimentaire" || svc.Email != "info@banque.example" || svc.MinimumAge == nil || *svc.MinimumAge != 12 ||
		len(svc.Schedules) != 2 || svc.AssuredDate != "2026-10-15" || !strings.HasPrefix(svc.Description, "Paniers") {
		t.Errorf("stored %q %q %v, %d schedules, assured %q, description %q (a field not posted is kept)",
			svc.Name, svc.Email, svc.MinimumAge, len(svc.Schedules), svc.AssuredDate, svc.Description)
	}
	t.Run("History", func(t *testing.T) {
		s.get(banqueServePath+"/history").mustStatus(t, http.StatusOK).
			mustContain(t, "By rita (Resource specialist)", `>Name</h3>`, "Banque alimentaire de la Côte-de-Sable", "info@banque.example",
				"Created")
	})
	t.Run("ErrHSDSRequiredInFrench", func(t *testing.T) {
		s.post("/fr"+banqueServePath, "name", "", "status", "active").mustStatus(t, http.StatusBadRequest).
			mustContain(t, `href="#f-name"`, "il est obligatoire")
	})
}

func TestDirectory_AddAndEditChildren(t *testing.T) {
	n := MustStartPortal(t)
	s := mustSignInAs(t, n, "rita", o211.RoleResourceSpecialist)
	s.get("/console/directory/phone/new?service_id="+banqueID).mustStatus(t, http.StatusOK).mustContain(t, `name="service_id" value="`+banqueID)
	s.post("/console/directory/phone/new", "service_id", banqueID, "number", "613-555-0199", "type", "fax").
		mustRedirect(t, banqueServePath+"?done=saved")
	s.get(banqueServePath).mustContain(t, "613-555-0199")
	t.Run("ErrParentOfNoRecord", func(t *testing.T) {
		s.post("/console/directory/phone/new", "service_id", "no-such-service", "number", "613-555-0100").
			mustStatus(t, http.StatusBadRequest).mustContain(t, "does not exist in the region")
	})
	t.Run("ErrScheduleTime", func(t *testing.T) {
		s.post("/console/directory/schedule/"+banqueMondayID, "freq", "WEEKLY", "byday", "MO", "opens_at", "9h", "closes_at", "12:00").
			mustStatus(t, http.StatusBadRequest).mustContain(t, `href="#f-opens_at"`, "Enter a time as HH:MM")
	})
	req, _ := http.NewRequest(http.MethodPost, s.base+"/console/directory/schedule/"+banqueMondayID,
		strings.NewReader("form_token="+s.token+"&service_id="+banqueID+"&freq=WEEKLY&byday=TU&byday=TH&opens_at=08:00&closes_at=12:00"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	s.do(req).mustRedirect(t, banqueServePath+"?done=saved")
	svc, err := node.FullService(n.Directory(), banqueID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, sc := range svc.Schedules {
		found = found || (sc.ID == banqueMondayID && sc.ByDay == "TU,TH" && sc.OpensAt == "08:00" && sc.ClosesAt == "12:00")
	}
	if !found {
		t.Errorf("schedules after the edit: %+v", svc.Schedules)
	}
	s.post("/console/directory/organization/new", "name", "Nouvel organisme", "email", "").mustStatus(t, http.StatusSeeOther)
	s.post("/console/directory/organization/new", "name", "").mustStatus(t, http.StatusBadRequest).mustContain(t, `href="#f-name"`)
	s.get("/console/directory/nonsense/x").mustStatus(t, http.StatusNotFound)
	s.get("/console/directory/service/no-such-id").mustStatus(t, http.StatusNotFound)
}

func TestDirectory_VerificationQueue(t *testing.T) {
	n := MustStartPortal(t)
	s := mustSignInAs(t, n, "rita", o211.RoleResourceSpecialist)
	q := s.get("/console/directory/verify").mustStatus(t, http.StatusOK).
		mustContain(t, "Tenant Legal Advice", "Distress and Crisis Line", "more than 12 months ago").
		mustNotContain(t, "Banque alimentaire", cupboardID)
	if strings.Index(q.body, "Distress and Crisis Line") > strings.Index(q.body, "Tenant Legal Advice") {
		t.Error("without referrals the queue is not by name")
	}
	// Two contacts refer callers to the legal clinic: it goes first.
	ctx := o211.WithActor(context.Background(), o211.Actor{ID: "u1", Username: "nadia", Role: o211.RoleNavigator, Region: "east"})
	for range 2 {
		c := &o211.Contact{Channel: o211.ChannelPhone, Start: fixtureNow, Status: o211.ContactOpen,
			Referrals: []o211.Referral{{ServiceID: tenantLegalID}}}
		if _, err := n.Directory().Store().CreateContact(ctx, c, store.ContactOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	q = s.get("/console/directory/verify").mustContain(t, "Tenant Legal Advice")
	if strings.Index(q.body, "Distress and Crisis Line") < strings.Index(q.body, "Tenant Legal Advice") {
		t.Error("the most referred service is not first")
	}
	s.post("/console/directory/service/"+tenantLegalID+"/verify", "from", "queue").
		mustRedirect(t, "/console/directory/verify?done=verified&name=Tenant+Legal+Advice")
	s.get("/console/directory/verify?done=verified&name=Tenant+Legal+Advice").
		mustContain(t, "Tenant Legal Advice has been verified today", "Distress and Crisis Line").
		mustNotContain(t, `href="/console/directory/service/`+tenantLegalID)
	svc, err := node.FullService(n.Directory(), tenantLegalID)
	if err != nil || svc.AssuredDate != "2026-12-07" {
		t.Errorf("assured_date %q, %v", svc.AssuredDate, err)
	}
	s.get("/console/directory/service/"+tenantLegalID+"/history").mustContain(t, `>Last verified</h3>`, "By rita")
	// The queue follows the change feed: an organization renamed shows its new name.
	org := "/console/directory/organization/a37c31bb-8449-582b-8dbe-ce4c6a2571e7"
	s.get(org)
	s.post(org, "name", "Sandy Hill Health").mustRedirect(t, org+"?done=saved")
	s.get("/console/directory/verify").mustContain(t, "Sandy Hill Health", "Distress and Crisis Line").
		mustNotContain(t, "Sandy Hill Community Health Centre")
}

func TestDirectory_TemporaryClosure(t *testing.T) {
	n := MustStartPortal(t)
	s := mustSignInAs(t, n, "rita", o211.RoleResourceSpecialist)
	path := banqueServePath + "/closure"
	s.get(path).mustStatus(t, http.StatusOK).mustContain(t, `name="until"`, `name="message_fr"`).mustNotContain(t, `id="reopen"`)
	t.Run("ErrPastDay", func(t *testing.T) {
		s.post(path, "until", "2026-12-06", "message_en", "Renovations").mustStatus(t, http.StatusBadRequest).
			mustContain(t, `href="#closure-until"`, "must be today or later", "Renovations")
	})
	t.Run("ErrNotADate", func(t *testing.T) {
		s.post(path, "until", "15/01/2027", "message_en", "Renovations").mustStatus(t, http.StatusBadRequest).
			mustContain(t, `href="#closure-until"`, "Enter a date as YYYY-MM-DD")
	})
	t.Run("ErrNoMessage", func(t *testing.T) {
		s.post(path, "until", "2027-01-15").mustStatus(t, http.StatusBadRequest).mustContain(t, `href="#closure-message_en"`)
	})
	s.post(path, "until", "2027-01-15", "message_en", "Closed for renovations.", "message_fr", "Fermé pour rénovations.").
		mustRedirect(t, banqueServePath+"?done=saved")
	s.get(banqueServePath).mustContain(t, "Closed until January 15, 2027")

	get(t, nil, n.URL()+"/fr/services/"+banqueID).mustStatus(t, http.StatusOK).
		mustContain(t, "Fermé temporairement jusqu’au 15 janvier 2027", "Fermé pour rénovations.").mustNotContain(t, "Closed for renovations")
	get(t, nil, n.URL()+"/services/"+banqueID).mustContain(t, "Temporarily closed until January 15, 2027", "Closed for renovations.").
		mustNotContain(t, "This service is not running")
	get(t, nil, n.URL()+"/fr/search?q=banque+alimentaire").
		mustContain(t, `o211-result__closure`, "Fermé temporairement jusqu’au 15 janvier 2027", "Fermé pour rénovations.")
	api := get(t, nil, n.URL()+"/api/v1/search?q=banque", "Authorization", "Bearer tok").mustStatus(t, http.StatusOK)
	api.mustContain(t, `"status":"temporarily closed"`, `"closure":{"until":"2027-01-15","message_en":"Closed for renovations.","message_fr":"Fermé pour rénovations."}`)

	s.get(path).mustContain(t, `id="reopen"`, `value="2027-01-15"`)
	s.post(path, "reopen", "1").mustRedirect(t, banqueServePath+"?done=saved")
	get(t, nil, n.URL()+"/services/"+banqueID).mustNotContain(t, "Temporarily closed")
	get(t, nil, n.URL()+"/api/v1/search?q=banque", "Authorization", "Bearer tok").mustNotContain(t, `"closure"`, "temporarily closed")
}
