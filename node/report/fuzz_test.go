package report_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/o211/o211"
	"github.com/o211/o211/node/report"
)

// FuzzReportParams sends arbitrary query strings to each report over a cube
// of contacts. Whatever is sent, the answer is a report (200, JSON or CSV)
// or a problem (400, or 403 for suppress=false where it is refused) that
// quotes at most a short prefix of it: never a panic, never a 5xx. Its seed
// corpus runs in the normal test suite.
func FuzzReportParams(f *testing.F) {
	names := []string{"", "/needs", "/unmet", "/top", "/emerging", "/gaps"}
	for i, q := range []string{
		"", "by=region,fsa&level=2&measure=contacts", "by=channel", "level=3&n=5", "week=2026-10-26&baseline=8&alpha=0.01",
		"radius_km=5&min_unmet=3&min_rate=0.2&max_services=2&limit=10", "format=csv&lang=fr", "suppress=false",
		"from=2026-01-01&to=2025-01-01", "region=east&fsa=K1A&channel=phone&taxonomy=BD-1800", "level=0", "n=-1",
		"alpha=NaN", "week=2026-W43", "lang=xx", "by=" + strings.Repeat("fsa,", 200), "taxonomy=BD*", "%zz",
	} {
		f.Add(uint8(i), q)
	}
	cube := report.NewCube()
	for _, fsa := range []string{"K1A", "K2P", "M5T"} {
		add(f, cube, 12, o211.Report{Region: "east", FSA: fsa, Day: "2026-10-15"}, "BD-1800.2000", "")
		add(f, cube, 7, o211.Report{Region: "east", FSA: fsa, Day: "2026-10-28", Channel: o211.ChannelText}, "BD-1800.1000", o211.ReasonNotAvailable)
	}
	services := func(_ context.Context, code, fsa string, _ float64) (int, error) { return len(code+fsa) % 3, nil }
	handlers := []http.Handler{
		mustServe(f, report.Config{Cube: cube, Services: services}),
		mustServe(f, report.Config{Cube: cube, Services: services, Scope: "east", AllowUnsuppressed: true}),
	}
	f.Fuzz(func(t *testing.T, which uint8, rawQuery string) {
		url := "/api/v1/reports" + names[int(which)%len(names)]
		req := httptest.NewRequest(http.MethodGet, url, nil)
		req.URL.RawQuery = rawQuery
		w := httptest.NewRecorder()
		handlers[int(which/8)%len(handlers)].ServeHTTP(w, req)
		switch {
		case w.Code == http.StatusOK && strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv"):
			if !utf8.Valid(w.Body.Bytes()) {
				t.Fatalf("%s?%s: a CSV that is not UTF-8", url, rawQuery)
			}
		case w.Code == http.StatusOK:
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("%s?%s: 200 with a body that is not JSON: %.200q", url, rawQuery, w.Body)
			}
		case w.Code == http.StatusBadRequest || w.Code == http.StatusForbidden:
			var p struct {
				Code   string              `json:"code"`
				Detail string              `json:"detail"`
				Errors []o211.InputProblem `json:"errors"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Code == "" {
				t.Fatalf("%s?%s: %d with %v / %.200q", url, rawQuery, w.Code, err, w.Body)
			}
			msgs := []string{p.Detail}
			for _, e := range p.Errors {
				msgs = append(msgs, e.String())
			}
			for _, m := range msgs {
				if len(m) > 400 || !utf8.ValidString(m) {
					t.Fatalf("%s?%.80s: a problem of %d bytes: %.200q", url, rawQuery, len(m), m)
				}
			}
		default:
			t.Fatalf("%s?%s: status %d: %.300s", url, rawQuery, w.Code, w.Body)
		}
	})
}
