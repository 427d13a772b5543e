package report_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/report"
)

// fixedNow is 2026-11-01 09:00 in Toronto.
var fixedNow = time.Date(2026, 11, 1, 9, 0, 0, 0, o211.Toronto())

// mustServe mounts the report routes for cfg on a chi router, protecting
// counts by suppression alone: these tests check the suppression on exact
// counts; the perturbation has tests of its own.
func mustServe(tb testing.TB, cfg report.Config) http.Handler {
	tb.Helper()
	cfg.Protection = report.Suppressed
	return mustServeWith(tb, cfg)
}

// mustServeWith mounts the report routes for cfg as it is.
func mustServeWith(tb testing.TB, cfg report.Config) http.Handler {
	tb.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	if cfg.Scope == "" {
		cfg.Scope = "province"
	}
	if cfg.Authenticate == nil {
		cfg.Authenticate = func(*http.Request) (o211.Actor, bool, error) {
			return o211.Actor{ID: "test", Role: o211.RoleAnalyst}, true, nil
		}
	}
	r := chi.NewRouter()
	report.NewAPI(cfg).Routes(r)
	return r
}

// get answers GET url with an optional Accept header.
func get(tb testing.TB, h http.Handler, url, accept string) *httptest.ResponseRecorder {
	tb.Helper()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// getJSON answers url and decodes a 200 JSON answer into v.
func getJSON(tb testing.TB, h http.Handler, url string, v any) {
	tb.Helper()
	w := get(tb, h, url, "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		tb.Fatalf("GET %s: %d %s: %s", url, w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
}

// add counts n reports of one need each, like r but with code, met and
// reason set, on day.
func add(tb testing.TB, cube *report.Cube, n int, r o211.Report, code string, reason o211.UnmetReason) {
	tb.Helper()
	for i := 0; i < n; i++ {
		rr := r
		rr.ID = fmt.Sprintf("%s-%s-%d", r.Region, code, i)
		rr.Needs = []o211.ReportNeed{{Code: code, Met: reason == "", Reason: reason}}
		if rr.Day == "" {
			rr.Day = "2026-10-15"
		}
		if rr.Channel == "" {
			rr.Channel = o211.ChannelPhone
		}
		if err := cube.Add(&rr); err != nil {
			tb.Fatal(err)
		}
	}
}

// needsCube holds, on 2026-10-15:
//
//	          B                         R
//	central   BD-1800.2000 50, BH-1800.8500 30   RP-1400.8000 20
//	east      BD-1800.1000 40, BH-8600.6500*YS 25   RP-1400 3
//	north     BD 12, BH-1800 14                   RP 15
func needsCube(tb testing.TB) *report.Cube {
	cube := report.NewCube()
	for _, c := range []struct {
		region, fsa, code string
		n                 int
	}{
		{"central", "M5T", "BD-1800.2000", 50}, {"central", "M5T", "BH-1800.8500", 30}, {"central", "M5T", "RP-1400.8000", 20},
		{"east", "K1A", "BD-1800.1000", 40}, {"east", "K2P", "BH-8600.6500*YS-5000.5000", 25}, {"east", "K1A", "RP-1400", 3},
		{"north", "P7B", "BD", 12}, {"north", "P7B", "BH-1800", 14}, {"north", "", "RP", 15},
	} {
		add(tb, cube, c.n, o211.Report{Region: c.region, FSA: c.fsa}, c.code, "")
	}
	return cube
}

// needsJSON is the needs report as a client decodes it.
type needsJSON struct {
	report.NeedsReport
}

func cells(rows []report.TableRow) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r.Key.Key + ":")
		for _, c := range r.Cells {
			b.WriteString(c.String() + ",")
		}
		b.WriteString(r.Total.String() + " ")
	}
	return strings.TrimSpace(b.String())
}

func TestNeeds(t *testing.T) {
	h := mustServe(t, report.Config{Cube: needsCube(t)})
	t.Run("RegionByCategory", func(t *testing.T) {
		var got needsJSON
		getJSON(t, h, "/api/v1/reports/needs?by=region,category&from=2026-10-01&to=2026-10-31", &got)
		// R in east is 3: its row partner (east B), then north R for the
		// column, then north B for north's row.
		if want := "central:80,20,100 east:x,x,68 north:x,x,41"; cells(got.Rows) != want {
			t.Errorf("rows %s, want %s", cells(got.Rows), want)
		}
		if fmt.Sprint(got.ColumnTotals) != "[171 38]" || got.Total.Value != 209 {
			t.Errorf("column totals %v, total %v; want 171, 38 and 209", got.ColumnTotals, got.Total)
		}
		if got.Columns[0].Key != "B" || got.Columns[0].Label != "Basic Needs" || got.Rows[1].Label != "East" {
			t.Errorf("columns %v, row %v: want named keys", got.Columns, got.Rows[1].Key)
		}
		s := got.Suppression
		if !s.Applied || s.Threshold != 10 || s.Cells != 4 || s.Primary != 1 || s.Secondary != 3 {
			t.Errorf("suppression %+v, want 4 cells, 1 primary", s)
		}
		if got.Scope != "province" || got.From != "2026-10-01" || got.To != "2026-10-31" || got.Report != "needs" ||
			!got.GeneratedAt.Equal(fixedNow.Truncate(time.Second)) || fmt.Sprint(got.By) != "[region category]" || got.Level != 1 {
			t.Errorf("meta %+v", got.Meta)
		}
	})
	t.Run("SuppressedJSONShape", func(t *testing.T) {
		w := get(t, h, "/api/v1/reports/needs?by=region,category", "")
		if !strings.Contains(w.Body.String(), `"cells":[{"value":null,"suppressed":true},{"value":null,"suppressed":true}],"total":{"value":68}`) {
			t.Errorf("suppressed cells not shown as null: %s", w.Body)
		}
	})
	t.Run("Level2FilteredFrench", func(t *testing.T) {
		var got needsJSON
		getJSON(t, h, "/api/v1/reports/needs?by=taxonomy&level=2&region=central&lang=fr", &got)
		if want := "BD:50 BH:30 RP:20"; cells(got.Rows) != want || got.Total.Value != 100 {
			t.Errorf("rows %s total %v, want %s and 100", cells(got.Rows), got.Total, want)
		}
		if got.Rows[0].Label != "Alimentation" {
			t.Errorf("BD in French is %q, want Alimentation", got.Rows[0].Label)
		}
		if fmt.Sprint(got.Filters) != "map[region:[central]]" {
			t.Errorf("filters %v, want region central", got.Filters)
		}
	})
	t.Run("TaxonomyFilterMatchesDescendants", func(t *testing.T) {
		var got needsJSON
		getJSON(t, h, "/api/v1/reports/needs?by=region&taxonomy=BH", &got)
		if want := "central:30 east:25 north:14"; cells(got.Rows) != want {
			t.Errorf("rows %s, want %s", cells(got.Rows), want)
		}
	})
	t.Run("ShallowCodeAtDeeperLevel", func(t *testing.T) {
		// North's "BD" has no level-3 code: it counts under its own.
		var got needsJSON
		getJSON(t, h, "/api/v1/reports/needs?by=taxonomy&level=3&region=north", &got)
		if want := "BD:12 BH-1800:14 RP:15"; cells(got.Rows) != want {
			t.Errorf("rows %s, want %s", cells(got.Rows), want)
		}
	})
	t.Run("Contacts", func(t *testing.T) {
		var got needsJSON
		getJSON(t, h, "/api/v1/reports/needs?measure=contacts", &got)
		if want := "central:100 east:68 north:41"; cells(got.Rows) != want || got.Measure != "contacts" {
			t.Errorf("rows %s (%s), want %s", cells(got.Rows), got.Measure, want)
		}
	})
	t.Run("OneSmallRowIn1D", func(t *testing.T) {
		var got needsJSON
		getJSON(t, h, "/api/v1/reports/needs?by=region&taxonomy=RP", &got)
		// east's 3 could be worked out from the total: north's 15 goes too.
		if want := "central:20 east:x north:x"; cells(got.Rows) != want || got.Total.Value != 38 {
			t.Errorf("rows %s total %v, want %s and 38", cells(got.Rows), got.Total, want)
		}
	})
	t.Run("CSV", func(t *testing.T) {
		for _, url := range []string{"/api/v1/reports/needs?by=region,category&format=csv", "/api/v1/reports/needs?by=region,category"} {
			w := get(t, h, url, "text/csv")
			want := "region,region_name,B,R,total\n" +
				"central,Central,80,20,100\n" +
				"east,East,x,x,68\n" +
				"north,North,x,x,41\n" +
				"total,,171,38,209\n"
			if w.Code != 200 || w.Body.String() != want || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
				t.Errorf("GET %s: %d %s\n%s\nwant\n%s", url, w.Code, w.Header().Get("Content-Type"), w.Body, want)
			}
			if cd := w.Header().Get("Content-Disposition"); !strings.Contains(cd, `filename="needs-2025-11-02-2026-11-01.csv"`) {
				t.Errorf("Content-Disposition %q", cd)
			}
		}
	})
	t.Run("DefaultPeriodIsTheLastTwelveMonths", func(t *testing.T) {
		var got needsJSON
		getJSON(t, h, "/api/v1/reports/needs", &got)
		if got.From != "2025-11-02" || got.To != "2026-11-01" || got.Total.Value != 209 {
			t.Errorf("period %s..%s total %v, want 2025-11-02..2026-11-01 and 209", got.From, got.To, got.Total)
		}
		getJSON(t, h, "/api/v1/reports/needs?from=2026-10-16", &got)
		if got.Total.Value != 0 {
			t.Errorf("needs after the day counted: %v", got.Total)
		}
	})
	t.Run("Unsuppressed", func(t *testing.T) {
		w := get(t, h, "/api/v1/reports/needs?by=region,category&suppress=false", "")
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"param":"suppress"`) {
			t.Fatalf("suppress=false on a public server: %d %s", w.Code, w.Body)
		}
		h := mustServe(t, report.Config{Cube: needsCube(t), Scope: "east", AllowUnsuppressed: true})
		var got needsJSON
		getJSON(t, h, "/api/v1/reports/needs?by=region,category&suppress=false", &got)
		if want := "central:80,20,100 east:65,3,68 north:26,15,41"; cells(got.Rows) != want || got.Suppression.Applied || got.Scope != "east" {
			t.Errorf("rows %s (%+v), want %s", cells(got.Rows), got.Suppression, want)
		}
	})
}

func TestParams(t *testing.T) {
	h := mustServe(t, report.Config{Cube: needsCube(t),
		Services: func(context.Context, string, string, float64) (int, error) { return 0, nil }})
	for _, tc := range []struct {
		name, url, param string
	}{
		{"BadFrom", "needs?from=2026-13-01", "from"},
		{"BadTo", "needs?to=tomorrow", "to"},
		{"FromAfterTo", "needs?from=2026-10-02&to=2026-10-01", "from"},
		{"TooLong", "needs?from=2000-01-01&to=2026-01-01", "from"},
		{"UnknownDimension", "needs?by=colour", "by"},
		{"ThreeDimensions", "needs?by=region,fsa,channel", "by"},
		{"SameDimensionTwice", "needs?by=category,taxonomy", "by"},
		{"Level", "needs?by=taxonomy&level=9", "level"},
		{"Measure", "needs?measure=calls", "measure"},
		{"ContactsByTaxonomy", "needs?measure=contacts&by=taxonomy", "by"},
		{"ContactsByMet", "needs?measure=contacts&met=true", "met"},
		{"Met", "needs?met=maybe", "met"},
		{"Reason", "needs?reason=bored", "reason"},
		{"Channel", "needs?channel=fax", "channel"},
		{"AgeBand", "needs?age_band=12", "age_band"},
		{"Region", "needs?region=East!", "region"},
		{"FSA", "needs?fsa=12345", "fsa"},
		{"CombinedTaxonomy", "needs?taxonomy=BD*YS-5000", "taxonomy"},
		{"Language", "needs?language=english", "language"},
		{"Emergency", "needs?emergency=Big%20Flood", "emergency"},
		{"Format", "needs?format=xml", "format"},
		{"Lang", "needs?lang=de", "lang"},
		{"Suppress", "needs?suppress=perhaps", "suppress"},
		{"UnknownParameter", "needs?regoin=east", "regoin"},
		{"UnmetMet", "unmet?met=false", "met"},
		{"UnmetByReason", "unmet?by=reason", "by"},
		{"UnmetTwoDims", "unmet?by=region,fsa", "by"},
		{"TopN", "top?n=0", "n"},
		{"EmergingWeek", "emerging?week=last", "week"},
		{"EmergingBaseline", "emerging?baseline=0", "baseline"},
		{"EmergingAlpha", "emerging?alpha=2", "alpha"},
		{"EmergingPeriod", "emerging?from=2026-01-01", "from"},
		{"GapsRadius", "gaps?radius_km=-1", "radius_km"},
		{"GapsRate", "gaps?min_rate=1.5", "min_rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := get(t, h, "/api/v1/reports/"+tc.url, "")
			var p httpx.Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if w.Code != http.StatusBadRequest || w.Header().Get("Content-Type") != "application/problem+json" ||
				p.Status != 400 || p.Title != "Bad Request" || p.Type == "" || p.Param != tc.param || p.Detail == "" {
				t.Fatalf("GET %s: %d %s %+v, want 400 about %s", tc.url, w.Code, w.Header().Get("Content-Type"), p, tc.param)
			}
		})
	}
	t.Run("ListsAccepted", func(t *testing.T) {
		var got needsJSON
		getJSON(t, h, "/api/v1/reports/needs?by=region&region=east&region=north,central&fsa=k1a,unknown&channel=phone", &got)
		if want := "east:43 north:15"; cells(got.Rows) != want {
			t.Errorf("rows %s, want %s", cells(got.Rows), want)
		}
	})
}

func TestIndex(t *testing.T) {
	h := mustServe(t, report.Config{Cube: report.NewCube()})
	var got struct {
		Reports []struct{ Name, Path string }
	}
	getJSON(t, h, "/api/v1/reports", &got)
	if len(got.Reports) != 5 || got.Reports[4].Path != "/api/v1/reports/gaps" {
		t.Fatalf("index %+v", got)
	}
}

// unmetCube: central BD-1800 40 met, 12 not available, 15 waitlist full;
// east BD-1800 30 met, 2 cost.
func unmetCube(tb testing.TB) *report.Cube {
	cube := report.NewCube()
	central, east := o211.Report{Region: "central", FSA: "M5T"}, o211.Report{Region: "east", FSA: "K1A"}
	add(tb, cube, 40, central, "BD-1800.2000", "")
	add(tb, cube, 12, central, "BD-1800.2000", o211.ReasonNotAvailable)
	add(tb, cube, 15, central, "BD-1800.1000", o211.ReasonWaitlistFull)
	add(tb, cube, 30, east, "BD-1800.2000", "")
	add(tb, cube, 2, east, "BD-1800.2000", o211.ReasonCost)
	return cube
}

func TestUnmet(t *testing.T) {
	h := mustServe(t, report.Config{Cube: unmetCube(t), AllowUnsuppressed: true})
	t.Run("ByRegion", func(t *testing.T) {
		var got report.UnmetReport
		getJSON(t, h, "/api/v1/reports/unmet?by=region", &got)
		if len(got.Reasons) != 8 || got.Reasons[0].Key != "not-eligible" || got.Reasons[2].Label != "Waitlist full" {
			t.Fatalf("reasons %v, want the eight in order", got.Reasons)
		}
		row := func(r report.UnmetRow) string {
			s := fmt.Sprintf("%s needs=%s unmet=%s rate=%s:", r.Key.Key, r.Needs, r.Unmet, fmtRate(r.UnmetRate))
			for _, c := range r.Reasons {
				s += " " + c.String()
			}
			return s
		}
		// East's 2 (cost) and its unmet total 2 are small; the totals of
		// the unmet column then take central's unmet total and the total
		// of "not available", whose column takes central's 12.
		want := []string{
			"central needs=67 unmet=x rate=x: 0 x 15 0 0 0 0 0",
			"east needs=32 unmet=x rate=x: 0 0 0 x 0 0 0 0",
			"total needs=99 unmet=29 rate=0.2929: 0 x 15 x 0 0 0 0",
		}
		got3 := []string{row(got.Rows[0]), row(got.Rows[1]), row(got.Total)}
		if fmt.Sprint(got3) != fmt.Sprint(want) {
			t.Errorf("got\n%s\nwant\n%s", strings.Join(got3, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("Unsuppressed", func(t *testing.T) {
		var got report.UnmetReport
		getJSON(t, h, "/api/v1/reports/unmet?by=region&suppress=false", &got)
		if got.Rows[0].Unmet.Value != 27 || *got.Rows[0].UnmetRate != 0.403 || got.Rows[1].Reasons[3].Value != 2 {
			t.Errorf("rows %+v", got.Rows)
		}
	})
	t.Run("MetRevealedByDifference", func(t *testing.T) {
		// 12 unmet of 17 needs: both shown would give 5 met.
		cube := report.NewCube()
		add(t, cube, 5, o211.Report{Region: "north"}, "BH-1800", "")
		add(t, cube, 12, o211.Report{Region: "north"}, "BH-1800", o211.ReasonNotAvailable)
		add(t, cube, 50, o211.Report{Region: "east"}, "BH-1800", "")
		add(t, cube, 20, o211.Report{Region: "east"}, "BH-1800", o211.ReasonNotAvailable)
		var got report.UnmetReport
		getJSON(t, mustServe(t, report.Config{Cube: cube}), "/api/v1/reports/unmet?by=region", &got)
		for _, r := range append(got.Rows, got.Total) {
			if !r.Needs.Suppressed && !r.Unmet.Suppressed && r.Needs.Value-r.Unmet.Value < 10 && r.Needs.Value != r.Unmet.Value {
				t.Errorf("%s: needs %s and unmet %s give %d met", r.Key.Key, r.Needs, r.Unmet, r.Needs.Value-r.Unmet.Value)
			}
		}
		if !got.Rows[1].Needs.Suppressed {
			t.Errorf("north's needs shown: %+v", got.Rows[1])
		}
	})
	t.Run("CSV", func(t *testing.T) {
		w := get(t, h, "/api/v1/reports/unmet?by=region&format=csv", "")
		lines := strings.Split(strings.TrimSpace(w.Body.String()), "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "region,region_name,needs,unmet,unmet_rate,unmet_not-eligible,unmet_not-available") ||
			lines[3] != "total,,99,29,0.2929,0,x,15,x,0,0,0,0" {
			t.Errorf("CSV:\n%s", w.Body)
		}
	})
}

func fmtRate(r *float64) string {
	if r == nil {
		return "x"
	}
	return fmt.Sprint(*r)
}

func TestTop(t *testing.T) {
	h := mustServe(t, report.Config{Cube: needsCube(t)})
	var got report.TopReport
	getJSON(t, h, "/api/v1/reports/top?n=2&level=3", &got)
	if len(got.Rows) != 2 || got.Rows[0].Key.Key != "BD-1800" || got.Rows[0].Count.Value != 90 || got.Rows[0].Rank != 1 ||
		got.Rows[1].Key.Key != "BH-1800" || got.Rows[1].Count.Value != 44 {
		t.Fatalf("rows %+v, want BD-1800 90 and BH-1800 44", got.Rows)
	}
	if *got.Rows[0].Share != 0.4306 || *got.Rows[0].UnmetRate != 0 || got.Rows[0].Label != "Emergency Food" {
		t.Errorf("row %+v, want share 0.4306 and no unmet", got.Rows[0])
	}
	if got.Other == nil || got.Other.Count.Value != 75 || got.Total.Count.Value != 209 {
		t.Errorf("other %+v total %+v, want 75 and 209", got.Other, got.Total)
	}
	w := get(t, h, "/api/v1/reports/top?n=1&level=1&format=csv&lang=fr", "")
	want := "rank,taxonomy,taxonomy_name,count,share,unmet,unmet_rate\n" +
		"1,B,Besoins essentiels,171,0.8182,0,0\n" +
		",other,Tous les autres besoins,38,0.1818,0,0\n" +
		",total,,209,1,0,0\n"
	if w.Body.String() != want {
		t.Errorf("CSV\n%s\nwant\n%s", w.Body, want)
	}
	t.Run("SmallUnmetProtected", func(t *testing.T) {
		cube := unmetCube(t)
		var got report.TopReport
		getJSON(t, mustServe(t, report.Config{Cube: cube}), "/api/v1/reports/top?level=4&region=east", &got)
		for _, r := range got.Rows {
			if !r.Unmet.Suppressed && r.Unmet.Value > 0 && r.Unmet.Value < 10 {
				t.Errorf("%s shows %d unmet", r.Key.Key, r.Unmet.Value)
			}
		}
		if got.Suppression.Cells == 0 {
			t.Errorf("nothing suppressed: %+v", got.Rows)
		}
	})
}

func TestProblem_Internal(t *testing.T) {
	h := mustServe(t, report.Config{Cube: unmetCube(t),
		Services: func(context.Context, string, string, float64) (int, error) { return 0, errors.New("bolt: secret path") }})
	w := get(t, h, "/api/v1/reports/gaps?min_rate=0", "")
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "secret") {
		t.Fatalf("%d %s: want 500 without the error's text", w.Code, w.Body)
	}
}

func TestEmptyCube(t *testing.T) {
	h := mustServe(t, report.Config{Cube: report.NewCube(),
		Services: func(context.Context, string, string, float64) (int, error) { return 0, nil }})
	for _, url := range []string{"needs", "needs?by=taxonomy,day&level=4", "needs?by=fsa,emergency&format=csv", "needs?measure=contacts&by=weekday",
		"unmet", "unmet?by=taxonomy", "top", "emerging", "gaps", "needs?region=east&taxonomy=BD"} {
		if w := get(t, h, "/api/v1/reports/"+url, ""); w.Code != http.StatusOK {
			t.Errorf("GET %s on an empty cube: %d %s", url, w.Code, w.Body)
		}
	}
}
