package api_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/api"
)

// authed returns the header pairs of an authenticated JSON request.
func authed(extra ...string) []string {
	return append([]string{"Authorization", "Bearer " + testToken, "Content-Type", "application/json"}, extra...)
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestWrite_Auth(t *testing.T) {
	d := MustOpenDirectory(t)
	srv := MustStartServer(t, d)
	u := srv.URL() + "/api/v1/services/" + svcPantry
	for _, tc := range []struct {
		name, auth, challenge string
	}{
		{"ErrMissing", "", `Bearer realm="o211"`},
		{"ErrWrongScheme", "Basic " + testToken, `Bearer realm="o211"`},
		{"ErrWrongToken", "Bearer not-the-token", `Bearer realm="o211", error="invalid_token"`},
		{"ErrTokenPrefix", "Bearer " + testToken[:4], `Bearer realm="o211", error="invalid_token"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h []string
			if tc.auth != "" {
				h = []string{"Authorization", tc.auth}
			}
			for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
				r := do(t, method, u, strings.NewReader(`{}`), h...)
				p := r.problem(t, http.StatusUnauthorized)
				if got := r.Header.Get("WWW-Authenticate"); got != tc.challenge || p.Code != o211.EUNAUTHORIZED {
					t.Errorf("%s: WWW-Authenticate %q, code %q; want %q", method, got, p.Code, tc.challenge)
				}
			}
		})
	}
	t.Run("EveryTableIsProtected", func(t *testing.T) {
		for _, tb := range api.Tables() {
			do(t, http.MethodPost, srv.URL()+"/api/v1/"+tb.Path, strings.NewReader(`{}`)).problem(t, http.StatusUnauthorized)
		}
	})
	t.Run("Accepted", func(t *testing.T) {
		do(t, http.MethodGet, u, nil, "Authorization", "bearer "+testToken).mustStatus(t, http.StatusOK)
	})
}

func TestWrite_RoundTrip(t *testing.T) {
	d := MustOpenDirectory(t)
	srv := MustStartServer(t, d)
	base := srv.URL() + "/api/v1/organizations"

	r := do(t, http.MethodPost, base, strings.NewReader(`{"name":"Parkdale Food Centre","description":"Groceries and meals."}`), authed()...)
	r.mustStatus(t, http.StatusCreated)
	var created api.RecordResponse
	r.decode(t, &created)
	if !uuidPattern.MatchString(created.ID) || created.Version != 1 || created.Kind != o211.KindOrganization ||
		created.Region != "central" || created.LastModified == "" {
		t.Fatalf("created %+v", created)
	}
	if loc := r.Header.Get("Location"); loc != "/api/v1/organizations/"+created.ID {
		t.Errorf("Location %q", loc)
	}
	if r.Header.Get("ETag") != `"1"` {
		t.Errorf("ETag %q, want \"1\"", r.Header.Get("ETag"))
	}
	one := base + "/" + created.ID

	var got api.RecordResponse
	g := do(t, http.MethodGet, one, nil, authed()...).mustStatus(t, http.StatusOK)
	g.decode(t, &got)
	var org o211.Organization
	_ = json.Unmarshal(got.Data, &org)
	if org.Name != "Parkdale Food Centre" || org.ID != created.ID || g.Header.Get("ETag") != `"1"` {
		t.Errorf("got %+v (%s)", org, g.Header.Get("ETag"))
	}

	put := do(t, http.MethodPut, one, strings.NewReader(`{"name":"Parkdale Community Food Centre","description":"Groceries."}`),
		authed("If-Match", `"1"`)...).mustStatus(t, http.StatusOK)
	put.decode(t, &got)
	if got.Version != 2 || put.Header.Get("ETag") != `"2"` || !strings.Contains(string(got.Data), "Community Food Centre") {
		t.Errorf("after PUT: %+v", got)
	}
	t.Run("ErrStaleIfMatch", func(t *testing.T) {
		r := do(t, http.MethodPut, one, strings.NewReader(`{"name":"X","description":""}`), authed("If-Match", `"1"`)...)
		r.problem(t, http.StatusPreconditionFailed)
		if r.Header.Get("ETag") != `"2"` {
			t.Errorf("412 ETag %q, want the current \"2\"", r.Header.Get("ETag"))
		}
		do(t, http.MethodDelete, one, nil, authed("If-Match", `"1"`)...).problem(t, http.StatusPreconditionFailed)
	})
	t.Run("VisibleInHSDS", func(t *testing.T) {
		var o o211.Organization
		get(t, srv.URL()+"/hsds/organizations/"+created.ID).mustStatus(t, http.StatusOK).decode(t, &o)
		if o.Name != "Parkdale Community Food Centre" {
			t.Errorf("HSDS shows %q", o.Name)
		}
	})
	do(t, http.MethodDelete, one, nil, authed("If-Match", `"2"`)...).mustStatus(t, http.StatusNoContent)
	do(t, http.MethodGet, one, nil, authed()...).problem(t, http.StatusNotFound)
	do(t, http.MethodDelete, one, nil, authed()...).problem(t, http.StatusNotFound)
	get(t, srv.URL()+"/hsds/organizations/"+created.ID).problem(t, http.StatusNotFound)
}

func TestWrite_Create(t *testing.T) {
	d := MustOpenDirectory(t)
	srv := MustStartServer(t, d)
	base := srv.URL() + "/api/v1/organizations"
	t.Run("PutCreates", func(t *testing.T) {
		id := "b0000000-0000-4000-8000-0000000000aa"
		r := do(t, http.MethodPut, base+"/"+id, strings.NewReader(`{"name":"New","description":""}`), authed()...)
		r.mustStatus(t, http.StatusCreated)
		if r.Header.Get("Location") != "/api/v1/organizations/"+id {
			t.Errorf("Location %q", r.Header.Get("Location"))
		}
		do(t, http.MethodPut, base+"/b0000000-0000-4000-8000-0000000000ab", strings.NewReader(`{"name":"New","description":""}`),
			authed("If-Match", `"1"`)...).problem(t, http.StatusPreconditionFailed)
	})
	t.Run("CreateWithID", func(t *testing.T) {
		r := do(t, http.MethodPost, srv.URL()+"/api/v1/phones", strings.NewReader(`{"id":"ph-1","service_id":"`+svcMeals+`","number":"416-555-0100"}`), authed()...)
		r.mustStatus(t, http.StatusCreated)
		var svc o211.Service
		get(t, srv.URL()+"/hsds/services/"+svcMeals).mustStatus(t, 200).decode(t, &svc)
		if len(svc.Phones) != 1 || svc.Phones[0].ID != "ph-1" {
			t.Errorf("service phones %+v", svc.Phones)
		}
	})
	t.Run("Warnings", func(t *testing.T) {
		var rr api.RecordResponse
		do(t, http.MethodPost, srv.URL()+"/api/v1/phones", strings.NewReader(`{"service_id":"no-such-service","number":"1"}`), authed()...).
			mustStatus(t, http.StatusCreated).decode(t, &rr)
		if len(rr.Warnings) != 1 || rr.Warnings[0].Field != "service_id" {
			t.Errorf("warnings %+v", rr.Warnings)
		}
	})
}

func TestWrite_Problems(t *testing.T) {
	d := MustOpenDirectory(t)
	srv := MustStartServer(t, d, func(c *serverConfig) { c.MaxBodyBytes = 1024 })
	services := srv.URL() + "/api/v1/services"
	for _, tc := range []struct {
		name, method, url, body string
		status                  int
		field                   string
	}{
		{"ErrNameRequired", "POST", services, `{"status":"active","organization_id":"` + orgBread + `"}`, 422, "name"},
		{"ErrStatus", "POST", services, `{"name":"X","status":"open","organization_id":"` + orgBread + `"}`, 422, "status"},
		{"ErrNoOrganization", "POST", services, `{"name":"X","status":"active","organization_id":"nobody"}`, 422, "organization_id"},
		{"ErrNestedField", "POST", services, `{"name":"X","status":"active","phones":[{"number":"1"}]}`, 422, "phones"},
		{"ErrUnknownField", "POST", services, `{"name":"X","status":"active","colour":"red"}`, 422, "colour"},
		{"ErrWrongType", "POST", services, `{"name":"X","status":"active","minimum_age":"ten"}`, 422, "minimum_age"},
		{"ErrBadID", "POST", services, `{"id":"a b","name":"X","status":"active"}`, 422, "id"},
		{"ErrMalformed", "POST", services, `{"name":`, 400, ""},
		{"ErrNotObject", "POST", services, `["name"]`, 400, ""},
		{"ErrIDMismatch", "PUT", services + "/" + svcPantry, `{"id":"` + svcMeals + `","name":"X","status":"active"}`, 400, "id"},
		{"ErrExists", "POST", services, `{"id":"` + svcPantry + `","name":"X","status":"active","organization_id":"` + orgBread + `"}`, 409, ""},
		{"ErrInUse", "DELETE", srv.URL() + "/api/v1/organizations/" + orgBread, ``, 409, "id"},
		{"ErrTermInUse", "DELETE", srv.URL() + "/api/v1/taxonomy_terms/" + termPantry, ``, 409, "id"},
		{"ErrTooLarge", "POST", services, `{"name":"` + strings.Repeat("x", 2000) + `","status":"active"}`, 413, ""},
		{"ErrNoTable", "POST", srv.URL() + "/api/v1/widgets", `{}`, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := do(t, tc.method, tc.url, strings.NewReader(tc.body), authed()...).problem(t, tc.status)
			if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field || p.Errors[0].Reason == "") {
				t.Errorf("errors %+v, want one about %s", p.Errors, tc.field)
			}
		})
	}
	t.Run("DeleteServiceCascades", func(t *testing.T) {
		do(t, http.MethodDelete, services+"/"+svcPantry, nil, authed()...).mustStatus(t, http.StatusNoContent)
		do(t, http.MethodGet, srv.URL()+"/api/v1/phones/f2000000-0000-4000-8000-000000000001", nil, authed()...).problem(t, http.StatusNotFound)
		do(t, http.MethodGet, srv.URL()+"/api/v1/service_at_locations/"+salPantryDT, nil, authed()...).problem(t, http.StatusNotFound)
		if res := searchResults(t, srv, "q=pantry"); res.Total != 0 {
			t.Errorf("search still finds the deleted service: %+v", res.Results)
		}
	})
}

func TestWrite_ReadOnly(t *testing.T) {
	d := MustOpenDirectory(t)
	srv := MustStartServer(t, d, func(c *serverConfig) { c.Writer, c.Importer, c.Authenticator = nil, nil, nil })
	for _, u := range []string{"/api/v1/services", "/api/v1/services/" + svcPantry, "/api/v1/import?format=hsds-json"} {
		p := do(t, http.MethodPost, srv.URL()+u, strings.NewReader(`{}`), authed()...).problem(t, http.StatusNotImplemented)
		if p.Code != o211.ENOTIMPLEMENTED {
			t.Errorf("%s: code %q", u, p.Code)
		}
	}
	get(t, srv.URL()+"/hsds/services").mustStatus(t, http.StatusOK)
	get(t, srv.URL()+"/api/v1/search?q=food").mustStatus(t, http.StatusOK)
}
