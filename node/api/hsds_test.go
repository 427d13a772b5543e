package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/o211/o211"
)

func TestHSDS_Paging(t *testing.T) {
	d := MustOpenDirectory(t)
	srv := MustStartServer(t, d)
	all := getPage(t, srv.URL()+"/hsds/services?per_page=1000")
	n := all.TotalItems
	if n != 5 || len(all.Contents) != n || all.TotalPages != 1 || !all.FirstPage || !all.LastPage || all.Empty {
		t.Fatalf("one page of everything: %+v", all)
	}
	for _, tc := range []struct {
		name                 string
		query                string
		size, pages, number  int
		first, last, isEmpty bool
	}{
		{"First", "per_page=2", 2, 3, 1, true, false, false},
		{"Middle", "per_page=2&page=2", 2, 3, 2, false, false, false},
		{"Last", "per_page=2&page=3", 1, 3, 3, false, true, false},
		{"PastTheEnd", "per_page=2&page=4", 0, 3, 4, false, true, true},
		{"Exact", "per_page=5", 5, 1, 1, true, true, false},
		{"FilteredLast", "per_page=1&page=2&organization_id=" + orgBread, 1, 2, 2, false, true, false},
		{"ScannedWithFilter", "per_page=2&page=3&modified_after=2000-01-01", 1, 3, 3, false, true, false},
		{"NoMatch", "organization_id=nobody", 0, 0, 1, true, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := getPage(t, srv.URL()+"/hsds/services?"+tc.query)
			got := fmt.Sprintf("size=%d pages=%d number=%d first=%v last=%v empty=%v contents=%d",
				p.Size, p.TotalPages, p.PageNumber, p.FirstPage, p.LastPage, p.Empty, len(p.Contents))
			want := fmt.Sprintf("size=%d pages=%d number=%d first=%v last=%v empty=%v contents=%d",
				tc.size, tc.pages, tc.number, tc.first, tc.last, tc.isEmpty, tc.size)
			if got != want {
				t.Errorf("got %s, want %s", got, want)
			}
			if p.Contents == nil {
				t.Error("contents is null, want []")
			}
		})
	}
	t.Run("PagesCoverEverythingOnce", func(t *testing.T) {
		var ids []string
		for page := 1; page <= 3; page++ {
			ids = append(ids, getPage(t, fmt.Sprintf("%s/hsds/services?per_page=2&page=%d", srv.URL(), page)).ids(t)...)
		}
		if want := all.ids(t); !sameIDs(ids, want) {
			t.Errorf("pages give %v, want %v", ids, want)
		}
		if !sort.StringsAreSorted(ids) {
			t.Errorf("plain listing not in id order: %v", ids)
		}
	})
}

func TestHSDS_FiltersCombineWithAND(t *testing.T) {
	d := MustOpenDirectory(t)
	srv := MustStartServer(t, d)
	for _, tc := range []struct {
		name, path, query string
		want              []string // in order
	}{
		{"ServicesOfOrganization", "services", "organization_id=" + orgBread, []string{svcPantry, svcMeals}},
		{"ServicesOfOrganizationAndTerm", "services", "organization_id=" + orgBread + "&taxonomy_term_id=" + termPantry, []string{svcPantry}},
		{"ServicesOfTaxonomyAndOrganization", "services", "taxonomy_id=" + taxHSIS + "&organization_id=" + orgDistress, []string{svcCrisis}},
		{"ServicesSearchAndOrganization", "services", "search=food&organization_id=" + orgDistress, nil},
		{"ServicesSearchAndTerm", "services", "search=pantry&taxonomy_id=" + taxHSIS, []string{svcPantry}},
		{"ServicesSearchIncludesInactive", "services", "search=tax clinic", []string{svcTax}},
		{"ServicesTermWithoutServices", "services", "taxonomy_term_id=a0000000-0000-4000-8000-000000009999", nil},
		{"SALsOfOrganizationAndTerm", "service_at_locations", "organization_id=" + orgBread + "&taxonomy_term_id=" + termPantry, []string{salPantryDT, salPantryEt}},
		{"SALsNearPostcode", "service_at_locations", "postcode=M5T 2L9&proximity=3000&organization_id=" + orgBread, []string{salPantryDT, salMealsDT}},
		{"SALsNearPostcodeAndTerm", "service_at_locations", "postcode=M5T2L9&proximity=3000&taxonomy_term_id=" + termPantry, []string{salPantryDT}},
		{"SALsSearchAndPostcode", "service_at_locations", "search=meals&postcode=K1P&proximity=50000", nil},
		{"TermsUnderParent", "taxonomy_terms", "parent_id=" + termFood, []string{termPantry}},
		{"TermsTopOnlyOfTaxonomy", "taxonomy_terms", "top_only=true&taxonomy_id=" + taxHSIS, []string{termFood, termCrisis}},
		{"TermsSearchAndTaxonomy", "taxonomy_terms", "search=food&taxonomy_id=" + taxHSIS, []string{termFood, termPantry}},
		{"OrganizationsSearchAccents", "organizations", "search=detresse ottawa", []string{orgDistress}},
		{"TaxonomiesSearch", "taxonomies", "search=211", []string{taxHSIS}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := getPage(t, srv.URL()+"/hsds/"+tc.path+"?"+escapeQuery(tc.query))
			got := p.ids(t)
			if strings.Contains(tc.query, "postcode") { // equal distances come in any order
				sort.Strings(got)
			}
			if !sameIDs(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if p.TotalItems != len(tc.want) {
				t.Errorf("total_items %d, want %d", p.TotalItems, len(tc.want))
			}
		})
	}
	t.Run("SALsNearestFirst", func(t *testing.T) {
		p := getPage(t, srv.URL()+"/hsds/service_at_locations?"+escapeQuery("postcode=M8V 2E7&proximity=20000&organization_id="+orgBread))
		got := p.ids(t)
		if len(got) != 3 || got[0] != salPantryEt {
			t.Errorf("got %v, want the New Toronto site first, then the two downtown", got)
		}
	})
}

func TestHSDS_Forms(t *testing.T) {
	d := MustOpenDirectory(t)
	srv := MustStartServer(t, d)
	t.Run("Minimal", func(t *testing.T) {
		p := getPage(t, srv.URL()+"/hsds/services?minimal=true")
		for _, c := range p.Contents {
			var m map[string]any
			_ = json.Unmarshal(c, &m)
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if strings.Join(keys, ",") != "id,last_modified,name,status" {
				t.Errorf("minimal service has %v", keys)
			}
		}
	})
	t.Run("ListFormHasOrganization", func(t *testing.T) {
		var svc o211.Service
		p := getPage(t, srv.URL()+"/hsds/services?organization_id="+orgBread+"&per_page=1")
		_ = json.Unmarshal(p.Contents[0], &svc)
		if svc.Organization == nil || svc.Organization.ID != orgBread || len(svc.Phones) != 0 || svc.LastModified == "" {
			t.Errorf("list form: %+v", svc)
		}
	})
	t.Run("FullHasNestedRecords", func(t *testing.T) {
		var svc o211.Service
		p := getPage(t, srv.URL()+"/hsds/services?full=true&taxonomy_term_id="+termPantry)
		_ = json.Unmarshal(p.Contents[0], &svc)
		if len(svc.Phones) != 1 || len(svc.ServiceAtLocations) != 2 || len(svc.Attributes) != 1 ||
			svc.ServiceAtLocations[0].Location == nil || svc.Attributes[0].TaxonomyTerm == nil {
			t.Errorf("full form: %+v", svc)
		}
	})
	t.Run("OrganizationFullService", func(t *testing.T) {
		var org o211.Organization
		get(t, srv.URL()+"/hsds/organizations/"+orgBread+"?full_service=true").mustStatus(t, 200).decode(t, &org)
		if len(org.Services) != 2 || len(org.Locations) != 2 || len(org.Services[0].ServiceAtLocations) == 0 {
			t.Errorf("organization with full services: %d services, %d locations", len(org.Services), len(org.Locations))
		}
		var basic o211.Organization
		get(t, srv.URL()+"/hsds/organizations/"+orgBread).mustStatus(t, 200).decode(t, &basic)
		if len(basic.Services) != 2 || len(basic.Services[0].ServiceAtLocations) != 0 {
			t.Errorf("organization without full_service nests full services")
		}
	})
	t.Run("ServiceAtLocationListForm", func(t *testing.T) {
		var sal o211.ServiceAtLocation
		p := getPage(t, srv.URL()+"/hsds/service_at_locations?per_page=1&organization_id="+orgDistress)
		_ = json.Unmarshal(p.Contents[0], &sal)
		if sal.Location == nil || sal.Service == nil || sal.Service.Organization == nil || len(sal.Location.Addresses) != 0 {
			t.Errorf("list form: %+v", sal)
		}
	})
}

func TestHSDS_NDJSON(t *testing.T) {
	d := MustOpenDirectory(t)
	srv := MustStartServer(t, d)
	// More services than one streamed batch (256) holds.
	var changes []o211.Change
	for i := range 600 {
		changes = append(changes, o211.Upsert(&o211.Service{ID: fmt.Sprintf("c1000000-0000-4000-8000-%012d", i),
			OrganizationID: orgBread, Name: fmt.Sprintf("Zumba class %d", i), Status: o211.StatusActive}))
	}
	if _, err := d.Write(o211.WithActor(context.Background(), o211.System("test")), changes, o211.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, query string
		want        int
	}{
		{"Everything", "", 605},
		{"Filtered", "organization_id=" + orgBread, 602},
		{"Scanned", "modified_after=2000-01-01&minimal=true", 605},
		{"Searched", "search=zumba", 600},
		{"IgnoresPaging", "per_page=1&page=3", 605},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, srv.URL()+"/hsds/services?format=ndjson&"+escapeQuery(tc.query)).mustStatus(t, http.StatusOK)
			lines := ndjsonLines(t, r.body)
			seen := map[string]bool{}
			for _, l := range lines {
				var v struct{ ID string }
				_ = json.Unmarshal(l, &v)
				if seen[v.ID] {
					t.Fatalf("%s listed twice", v.ID)
				}
				seen[v.ID] = true
			}
			if len(lines) != tc.want {
				t.Errorf("%d lines, want %d", len(lines), tc.want)
			}
		})
	}
	t.Run("NoMatch", func(t *testing.T) {
		r := get(t, srv.URL()+"/hsds/services?format=ndjson&organization_id=nobody").mustStatus(t, http.StatusOK)
		if len(r.body) != 0 || r.Header.Get("Content-Type") != "application/x-ndjson" {
			t.Errorf("got %q (%s), want an empty stream", r.body, r.Header.Get("Content-Type"))
		}
	})
}

func TestHSDS_ModifiedAfter(t *testing.T) {
	var now atomic.Pointer[time.Time]
	t0 := time.Date(2024, 1, 10, 12, 0, 0, 0, time.UTC)
	now.Store(&t0)
	d := MustOpenDirectory(t, func() time.Time { return *now.Load() })
	srv := MustStartServer(t, d)
	t1 := time.Date(2024, 6, 1, 9, 30, 0, 0, time.UTC)
	now.Store(&t1)
	upd := &o211.Service{ID: svcMeals, OrganizationID: orgBread, Name: "Community Meals", Description: "Now also dinner.", Status: o211.StatusActive}
	if _, err := d.Write(o211.WithActor(context.Background(), o211.System("test")), []o211.Change{o211.Upsert(upd)}, o211.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, after string
		want              []string
	}{
		{"Date", "services", "2024-03-01", []string{svcMeals}},
		{"DateTimeWithOffset", "services", "2024-06-01T05:30:00-04:00", []string{svcMeals}},
		{"OnOrAfter", "services", "2024-06-01T09:30:00Z", []string{svcMeals}},
		{"AfterEverything", "services", "2024-06-01T09:30:00.001Z", nil},
		{"BeforeEverything", "services", "2024-01-10", []string{"ac148810-d857-441c-9679-408f346de14b", svcPantry, svcMeals, svcCrisis, svcTax}},
		{"ServiceAtLocationsOfChangedService", "service_at_locations", "2024-03-01", []string{salMealsDT}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := getPage(t, srv.URL()+"/hsds/"+tc.path+"?modified_after="+url.QueryEscape(tc.after))
			if got := p.ids(t); !sameIDs(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("LastModifiedShown", func(t *testing.T) {
		var svc o211.Service
		get(t, srv.URL()+"/hsds/services/"+svcMeals).mustStatus(t, 200).decode(t, &svc)
		if svc.LastModified != "2024-06-01T09:30:00.000Z" {
			t.Errorf("last_modified %q, want 2024-06-01T09:30:00.000Z", svc.LastModified)
		}
	})
}

func TestHSDS_Problems(t *testing.T) {
	d := MustOpenDirectory(t)
	srv := MustStartServer(t, d)
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, path := range []string{"services", "organizations", "service_at_locations", "taxonomies", "taxonomy_terms"} {
			p := get(t, srv.URL()+"/hsds/"+path+"/00000000-0000-4000-8000-00000000dead").problem(t, http.StatusNotFound)
			if p.Code != o211.ENOTFOUND || !strings.Contains(p.Detail, "not found") || p.Instance == "" {
				t.Errorf("%s: %+v", path, p)
			}
		}
	})
	for _, tc := range []struct {
		name, path, query, param string
	}{
		{"ErrPerPageZero", "services", "per_page=0", "per_page"},
		{"ErrPerPageTooLarge", "services", "per_page=5000", "per_page"},
		{"ErrPageNotNumber", "organizations", "page=two", "page"},
		{"ErrFullNotBool", "services", "full=maybe", "full"},
		{"ErrMinimalAndFull", "services", "minimal=true&full=true", "minimal"},
		{"ErrFormat", "taxonomies", "format=xml", "format"},
		{"ErrModifiedAfter", "services", "modified_after=yesterday", "modified_after"},
		{"ErrTermID", "services", "taxonomy_term_id=a b", "taxonomy_term_id"},
		{"ErrTopOnly", "taxonomy_terms", "top_only=yes please", "top_only"},
		{"ErrPostcode", "service_at_locations", "postcode=90210", "postcode"},
		{"ErrPostcodeOutsideOntario", "service_at_locations", "postcode=H2X 1Y4", "postcode"},
		{"ErrProximityWithoutPostcode", "service_at_locations", "proximity=500", "proximity"},
		{"ErrProximityNotNumber", "service_at_locations", "postcode=M5T&proximity=far", "proximity"},
		{"ErrFullServiceOnOne", "organizations/" + orgBread, "full_service=sure", "full_service"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := get(t, srv.URL()+"/hsds/"+tc.path+"?"+escapeQuery(tc.query)).problem(t, http.StatusBadRequest)
			if p.Code != o211.EINVALID || len(p.Errors) == 0 || p.Errors[0].Field != tc.param ||
				!strings.HasPrefix(p.Detail, tc.param+":") {
				t.Errorf("got %+v, want a problem about %s", p, tc.param)
			}
		})
	}
	t.Run("ErrSeveralParameters", func(t *testing.T) {
		p := get(t, srv.URL()+"/hsds/services?page=0&per_page=x&format=csv").problem(t, http.StatusBadRequest)
		var fields []string
		for _, e := range p.Errors {
			fields = append(fields, e.Field)
		}
		if strings.Join(fields, ",") != "page,per_page,format" {
			t.Errorf("errors name %v, want page, per_page, format", fields)
		}
	})
	t.Run("ErrMethodNotAllowed", func(t *testing.T) {
		r := do(t, http.MethodPost, srv.URL()+"/hsds/services", nil)
		r.problem(t, http.StatusMethodNotAllowed)
		if r.Header.Get("Allow") != "GET" {
			t.Errorf("Allow %q, want GET", r.Header.Get("Allow"))
		}
	})
	t.Run("ErrNoSuchPath", func(t *testing.T) {
		get(t, srv.URL()+"/hsds/programs").problem(t, http.StatusNotFound)
	})
}
