package report_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/report"
)

// TestAccess checks who may ask what (issue 11.2): flexible reports need a
// credential and a role that may query, and every query is audited; the
// published tables answer anyone.
func TestAccess(t *testing.T) {
	audit := &report.QueryLog{}
	admin := o211.Actor{ID: "token:bootstrap", Role: o211.RoleAdmin, Region: o211.ProvinceRegion}
	h := mustServeWith(t, report.Config{Cube: needsCube(t), Audit: audit.Audit,
		Authenticate: httpx.NewTokenAuthenticator("tok", o211.ProvinceRegion).Authenticate})
	ask := func(url, auth string, ctx context.Context) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, url, nil).WithContext(ctx)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	bg := context.Background()
	for _, name := range []string{"needs", "unmet", "top", "emerging", "gaps"} {
		if w := ask("/api/v1/reports/"+name+"?by=region", "", bg); w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s without a credential: %d, want 401 with a challenge", name, w.Code)
		}
	}
	if w := ask("/api/v1/reports/needs", "Bearer nope", bg); w.Code != http.StatusUnauthorized {
		t.Errorf("a bad token: %d, want 401", w.Code)
	}
	if n := len(audit.Entries()); n != 0 {
		t.Fatalf("%d queries audited before any was answered", n)
	}
	if w := ask("/api/v1/reports/needs?by=region&region=east", "Bearer tok", bg); w.Code != http.StatusOK ||
		!strings.Contains(w.Body.String(), `"filters":{"region":["east"]}`) {
		t.Fatalf("with the token: %d %s", w.Code, w.Body)
	}
	if e := audit.Entries(); len(e) != 1 || e[0].Actor != admin || e[0].Action != report.AuditAction ||
		e[0].Path != "/api/v1/reports/needs?by=region&region=east" {
		t.Fatalf("audit %+v, want the query by %s", e, admin.ID)
	}
	t.Run("Roles", func(t *testing.T) {
		nav := o211.WithActor(bg, o211.Actor{ID: "u1", Role: o211.RoleNavigator, Region: "east"})
		if w := ask("/api/v1/reports/needs", "", nav); w.Code != http.StatusForbidden {
			t.Errorf("a navigator: %d, want 403", w.Code)
		}
		sup := o211.WithActor(bg, o211.Actor{ID: "u2", Role: o211.RoleSupervisor, Region: "east"})
		if w := ask("/api/v1/reports/needs", "", sup); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"param":"region"`) {
			t.Errorf("a supervisor over the province: %d %s, want 403 about region", w.Code, w.Body)
		}
		if w := ask("/api/v1/reports/needs?region=east", "", sup); w.Code != http.StatusOK {
			t.Errorf("a supervisor over the region: %d, want 200", w.Code)
		}
	})
	t.Run("PublishedTablesForAnyone", func(t *testing.T) {
		var idx struct {
			From, To string
			Tables   []struct{ Name, Path string }
		}
		getJSON(t, h, "/api/v1/reports/published", &idx)
		if len(idx.Tables) != 4 || idx.From != "2025-11-01" || idx.To != "2026-10-31" {
			t.Fatalf("published index %+v", idx)
		}
		for _, tb := range idx.Tables {
			if w := ask(tb.Path, "", bg); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"method":"perturbed"`) {
				t.Errorf("%s: %d %s", tb.Path, w.Code, w.Body)
			}
		}
		if w := ask("/api/v1/reports/published/needs-by-region?region=east", "", bg); w.Code != http.StatusBadRequest {
			t.Errorf("a published table with a filter: %d, want 400", w.Code)
		}
		if w := ask("/api/v1/reports/published/everything", "", bg); w.Code != http.StatusNotFound {
			t.Errorf("an unknown table: %d, want 404", w.Code)
		}
	})
}

// TestAdversary_PublishedTables plants a few contacts with a rare need (a
// category no one else needs) in one region, and works out their number
// from the published tables together, every way they relate.
func TestAdversary_PublishedTables(t *testing.T) {
	const trials = 60
	attackPublished := func(p report.Protection) (map[string]float64, float64) {
		rng := rand.New(rand.NewPCG(12, uint64(p)))
		hits, vote := map[string]int{}, 0
		for trial := 0; trial < trials; trial++ {
			k := 1 + rng.IntN(5)
			cube := report.NewCube()
			add := func(region, code string) {
				r := o211.Report{ID: fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()), Region: region,
					Day: fmt.Sprintf("2026-%02d-%02d", 1+rng.IntN(10), 1+rng.IntN(28)), Channel: o211.ChannelPhone,
					Needs: []o211.ReportNeed{{Code: code, Met: rng.IntN(4) > 0}}}
				if !r.Needs[0].Met {
					r.Needs[0].Reason = o211.ReasonWaitlistFull
				}
				if err := cube.Add(&r); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < 3000; i++ {
				add(advRegions[rng.IntN(len(advRegions))], []string{"BD-1800.2000", "RP-1400.8000"}[rng.IntN(2)])
			}
			for i := 0; i < k; i++ {
				add("central", "NL-6000.2000")
			}
			var byRegion report.NeedsReport
			var un report.UnmetReport
			var tp report.TopReport
			if p == report.Exact {
				// The control: the same tables exact, through the functions.
				from, to := report.PublishedPeriod(fixedNow)
				q := report.Query{From: from, To: to, Protection: report.Exact}
				n, err1 := report.Needs(cube, report.NeedsQuery{Query: q, By: []report.Group{{Dim: report.DimRegion}, {Dim: report.DimTaxonomy, Level: 1}}})
				u, err2 := report.Unmet(cube, report.UnmetQuery{Query: q, By: report.Group{Dim: report.DimRegion}})
				tt, err3 := report.Top(cube, report.TopQuery{Query: q, Level: 2, N: 10})
				if err1 != nil || err2 != nil || err3 != nil {
					t.Fatal(err1, err2, err3)
				}
				byRegion, un, tp = *n, *u, *tt
			} else {
				h := mustServeWith(t, report.Config{Cube: cube, Protection: p})
				var nj needsJSON
				getJSON(t, h, "/api/v1/reports/published/needs-by-region", &nj)
				byRegion = nj.NeedsReport
				getJSON(t, h, "/api/v1/reports/published/unmet-by-region", &un)
				getJSON(t, h, "/api/v1/reports/published/top-needs", &tp)
			}
			// central's cells, each worked out from its column when
			// withheld.
			central, cells := byRegion.Rows[0], map[string]int64{}
			for j, c := range byRegion.Columns {
				cells[c.Key] = central.Cells[j].Value
				if central.Cells[j].Suppressed {
					cells[c.Key] = byRegion.ColumnTotals[j].Value
					for _, r := range byRegion.Rows[1:] {
						cells[c.Key] -= r.Cells[j].Value
					}
				}
			}
			colTotal := func(key string) int64 {
				for j, c := range byRegion.Columns {
					if c.Key == key {
						return byRegion.ColumnTotals[j].Value
					}
				}
				return 0
			}
			var topOthers int64
			for _, r := range tp.Rows {
				if r.Key.Key != "NL" {
					topOthers += r.Count.Value
				}
			}
			est := map[string]int64{
				"RowTotalLessCells":         central.Total.Value - cells["B"] - cells["R"],
				"UnmetTableLessRegionCells": un.Rows[0].Needs.Value - cells["B"] - cells["R"],
				"GrandTotalLessColumns":     byRegion.Total.Value - colTotal("B") - colTotal("R"),
				"TopTotalLessTopRows":       tp.Total.Count.Value - topOthers,
			}
			var all []int64
			for name, e := range est {
				if e == int64(k) {
					hits[name]++
				}
				all = append(all, e)
			}
			if mode(all) == int64(k) {
				vote++
			}
		}
		rates := map[string]float64{}
		for name, n := range hits {
			rates[name] = float64(n) / trials
		}
		return rates, float64(vote) / trials
	}
	exact, exactVote := attackPublished(report.Exact)
	t.Logf("the same tables exact: exact recoveries %v, vote %.2f", exact, exactVote)
	for _, name := range []string{"RowTotalLessCells", "UnmetTableLessRegionCells", "GrandTotalLessColumns", "TopTotalLessTopRows"} {
		if exact[name] < 0.99 {
			t.Errorf("%s on exact tables recovered the count in %.0f%% of worlds; the adversary should win always", name, 100*exact[name])
		}
	}
	rates, vote := attackPublished(report.Perturbed)
	t.Logf("published tables, perturbed: exact recoveries %v, vote %.2f", rates, vote)
	for name, r := range rates {
		if r > 0.4 {
			t.Errorf("%s recovered the planted count in %.0f%% of worlds; want at most 40%%", name, 100*r)
		}
	}
	if vote > 0.5 {
		t.Errorf("the vote recovered the planted count in %.0f%% of worlds; want at most 50%%", 100*vote)
	}
}
