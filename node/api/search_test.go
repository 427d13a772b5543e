package api_test

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
)

// searchResults gets a search and returns its results.
func searchResults(tb testing.TB, srv *testServer, query string) *o211.Results {
	tb.Helper()
	var res o211.Results
	get(tb, srv.URL()+"/api/v1/search?"+escapeQuery(query)).mustStatus(tb, http.StatusOK).decode(tb, &res)
	return &res
}

// hits returns "service@location" of each result, sorted.
func hits(res *o211.Results) []string {
	var out []string
	for _, r := range res.Results {
		out = append(out, r.ServiceID+"@"+r.LocationID)
	}
	sort.Strings(out)
	return out
}

// provincialDirectory searches "the province" with the same real index,
// to show that scope=province reaches a ProvincialSearcher.
type provincialDirectory struct{ *testDirectory }

func (p provincialDirectory) SearchProvince(ctx context.Context, q o211.Query) (*o211.Results, error) {
	return p.ix.Search(ctx, q)
}

// wednesday11 is Wednesday 15 October 2025, 11:00 in Toronto.
var wednesday11 = time.Date(2025, 10, 15, 15, 0, 0, 0, time.UTC)

func TestSearch_Results(t *testing.T) {
	d := MustOpenDirectory(t)
	srv := MustStartServer(t, d)
	res := searchResults(t, srv, "q=food")
	if res.Total != 3 || len(res.Results) != 3 {
		t.Fatalf("q=food: total %d, %d results; want the pantry at two sites and the meals", res.Total, len(res.Results))
	}
	for _, r := range res.Results {
		if r.ServiceID == "" || r.ServiceName == "" || r.OrganizationName != "Daily Bread Food Bank" ||
			r.LocationID == "" || r.Region != "central" || r.Score <= 0 || r.DistanceKm != nil {
			t.Errorf("result %+v", r)
		}
	}
	if len(res.Facets.Taxonomy) == 0 {
		t.Error("no taxonomy facets")
	}
	for _, f := range res.Facets.Taxonomy {
		if f.Code == "B" && f.Count != 3 {
			t.Errorf("facet B counts %d, want 3", f.Count)
		}
	}
	t.Run("RawJSONFields", func(t *testing.T) {
		body := string(get(t, srv.URL()+"/api/v1/search?q=crisis&near=K1P").mustStatus(t, 200).body)
		for _, k := range []string{`"total":`, `"results":`, `"service_id":`, `"service_name":`, `"organization_name":`,
			`"location_id":`, `"distance_km":`, `"region":`, `"score":`, `"facets":`} {
			if !strings.Contains(body, k) {
				t.Errorf("response lacks %s: %s", k, body)
			}
		}
	})
	t.Run("NoMatchIsEmptyArray", func(t *testing.T) {
		body := string(get(t, srv.URL()+"/api/v1/search?q=xylophone").mustStatus(t, 200).body)
		if !strings.Contains(body, `"results":[]`) || !strings.Contains(body, `"total":0`) {
			t.Errorf("got %s", body)
		}
	})
}

func TestSearch_Filters(t *testing.T) {
	d := MustOpenDirectory(t)
	srv := MustStartServer(t, d, func(c *serverConfig) { c.Now = func() time.Time { return wednesday11 } })
	pantryDT, pantryEt, mealsDT := svcPantry+"@"+locDowntown, svcPantry+"@"+locEtobicoke, svcMeals+"@"+locDowntown
	crisis := svcCrisis + "@" + locOttawa
	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"NearPostalCode", "near=M5T 2L9&radius_km=3", []string{pantryDT, mealsDT}},
		{"NearFSA", "near=m8v&radius_km=5", []string{pantryEt}},
		{"NearLatLon", "near=45.42,-75.69&radius_km=10", []string{crisis}},
		{"TaxonomyDescendants", "taxonomy=BD", []string{pantryDT, pantryEt, mealsDT}},
		{"TaxonomyCode", "taxonomy=BD-1800.2000", []string{pantryDT, pantryEt}},
		{"OpenAt", "open_at=2025-10-15T10:00:00-04:00", []string{pantryDT}},
		{"OpenAtWeekend", "open_at=2025-10-18T12:00:00-04:00", []string{mealsDT}},
		{"OpenNow", "open_now=true", []string{pantryDT}},
		{"Language", "language=fr", []string{crisis}},
		{"Age", "q=food&age=10", []string{mealsDT}},
		{"TextAndNear", "q=food&near=M8V 2E7&radius_km=5", []string{pantryEt}},
		{"ScopeRegion", "q=crisis&scope=region", []string{crisis}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := searchResults(t, srv, tc.query)
			if got := hits(res); !sameIDs(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if strings.Contains(tc.query, "near=") {
				for _, r := range res.Results {
					if r.DistanceKm == nil {
						t.Errorf("%s has no distance_km", r.ServiceID)
					}
				}
			}
		})
	}
	t.Run("Paging", func(t *testing.T) {
		all := searchResults(t, srv, "q=food")
		p2 := searchResults(t, srv, "q=food&per_page=1&page=2")
		if p2.Total != all.Total || len(p2.Results) != 1 || p2.Results[0].ServiceID+p2.Results[0].LocationID != all.Results[1].ServiceID+all.Results[1].LocationID || p2.Page != 2 || p2.PerPage != 1 {
			t.Errorf("page 2 of 1: %+v; all: %+v", p2, all.Results)
		}
	})
}

func TestSearch_Scope(t *testing.T) {
	d := MustOpenDirectory(t)
	t.Run("ErrProvinceNotImplemented", func(t *testing.T) {
		srv := MustStartServer(t, d)
		p := get(t, srv.URL()+"/api/v1/search?q=food&scope=province").problem(t, http.StatusNotImplemented)
		if p.Code != o211.ENOTIMPLEMENTED {
			t.Errorf("code %q", p.Code)
		}
	})
	t.Run("ProvincialSearcher", func(t *testing.T) {
		srv := MustStartServer(t, d, func(c *serverConfig) { c.Directory = provincialDirectory{d} })
		if res := searchResults(t, srv, "q=food&scope=province"); res.Total != 3 {
			t.Errorf("province-wide total %d, want 3", res.Total)
		}
	})
}

func TestSearch_Problems(t *testing.T) {
	d := MustOpenDirectory(t)
	srv := MustStartServer(t, d)
	for _, tc := range []struct {
		name, query, param, says string
	}{
		{"ErrNear", "near=nowhere", "near", "postal code"},
		{"ErrNearOutsideOntario", "near=H2X 1Y4", "near", "not an Ontario"},
		{"ErrNearLatLon", "near=95,-79", "near", "latitude"},
		{"ErrRadiusNegative", "near=M5T&radius_km=-1", "radius_km", "number from"},
		{"ErrRadiusWithoutNear", "radius_km=5", "radius_km", "needs near"},
		{"ErrOpenAt", "open_at=tomorrow", "open_at", "RFC 3339"},
		{"ErrOpenNowAndOpenAt", "open_now=true&open_at=2025-10-15T10:00:00Z", "open_now", "cannot be combined"},
		{"ErrOpenNow", "open_now=perhaps", "open_now", "true or false"},
		{"ErrAge", "age=-3", "age", "number from"},
		{"ErrScope", "scope=world", "scope", "region, province"},
		{"ErrPage", "page=0", "page", "whole number"},
		{"ErrPerPage", "per_page=500", "per_page", "whole number from 1 to 200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := get(t, srv.URL()+"/api/v1/search?"+escapeQuery(tc.query)).problem(t, http.StatusBadRequest)
			if len(p.Errors) == 0 || p.Errors[0].Field != tc.param || !strings.Contains(p.Detail, tc.says) {
				t.Errorf("got %+v, want a problem about %s saying %q", p, tc.param, tc.says)
			}
		})
	}
	t.Run("ErrLanguageFromIndex", func(t *testing.T) {
		p := get(t, srv.URL()+"/api/v1/search?language=klingonese").problem(t, http.StatusBadRequest)
		if !strings.Contains(p.Detail, "language") {
			t.Errorf("detail %q does not name language", p.Detail)
		}
	})
}
