package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/o211/o211"
	"github.com/o211/o211/node/api"
	"github.com/o211/o211/node/httpx"
)

// FuzzSearchParams sends arbitrary query strings to GET /api/v1/search on
// a real index. Whatever is sent, the answer is a page of results (200) or
// a problem (400) that quotes at most a short prefix of it: never a panic,
// never a 500. Its seed corpus runs in the normal test suite.
func FuzzSearchParams(f *testing.F) {
	for _, q := range []string{
		"q=food", "q=food&near=M5T+2L9&radius_km=5", "near=43.65,-79.38&radius_km=2000", "taxonomy=BD-1800.2000",
		"open_at=2025-10-15T11:00:00-04:00", "open_now=true&open_at=2025-10-15T11:00:00Z", "language=fr&age=17",
		"scope=province&page=2&per_page=200", "per_page=0", "page=-1", "radius_km=NaN&near=K1N", "age=1e309",
		"q=%ff%fe", "near=91,181", "q=" + strings.Repeat("x", 600), "unknown=1", "q=a&q=b", "%zz",
	} {
		f.Add(q)
	}
	d := MustOpenDirectory(f)
	srv := MustStartServer(f, d, func(c *serverConfig) { c.Directory = provincialDirectory{d} })
	h := srv.Handler()
	f.Fuzz(func(t *testing.T, rawQuery string) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/search", nil)
		req.URL.RawQuery = rawQuery
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK:
			var res o211.Results
			if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
				t.Fatalf("?%s: 200 with a body that is not results: %v", rawQuery, err)
			}
			if res.PerPage < 1 || res.PerPage > api.MaxSearchPerPage || len(res.Results) > res.PerPage {
				t.Fatalf("?%s: %d results on a page of %d", rawQuery, len(res.Results), res.PerPage)
			}
		case http.StatusBadRequest:
			var p httpx.Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Code != o211.EINVALID {
				t.Fatalf("?%s: 400 with %v / %q", rawQuery, err, w.Body)
			}
			checkShortEcho(t, rawQuery, p)
		default:
			t.Fatalf("?%s: status %d: %s", rawQuery, w.Code, w.Body)
		}
	})
}

// checkShortEcho fails when a problem is long or not UTF-8: messages quote
// a short prefix of each value sent, never the request.
func checkShortEcho(t *testing.T, sent string, p httpx.Problem) {
	t.Helper()
	msgs := []string{p.Detail}
	for _, e := range p.Errors {
		msgs = append(msgs, e.String())
	}
	for _, m := range msgs {
		if len(m) > 400 || !utf8.ValidString(m) {
			t.Fatalf("?%.80s: a problem of %d bytes: %.200q", sent, len(m), m)
		}
	}
}
