package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
)

// tenResults answers every search with the same ten results, each with
// its hours: the console's own cost of a results page, without a search.
type tenResults struct{}

func (tenResults) Search(context.Context, o211.Query) (*o211.Results, error) {
	res := &o211.Results{Total: 57, Page: 1, PerPage: 10}
	km := 3.2
	for i := range 10 {
		open := i%2 == 0
		res.Results = append(res.Results, o211.Result{ServiceID: "svc-" + string(rune('a'+i)), ServiceName: "Community food bank and meal program",
			OrganizationName: "Eastside Community Services Society", Address: "221 Nelson Street, Ottawa, ON K1N 1C7",
			Phone: "613-555-0188", DistanceKm: &km, OpenNow: &open, Language: "en", Hours: weekdays{}})
	}
	return res, nil
}

type weekdays struct{}

func (weekdays) On(time.Time) ([]o211.OpenSpan, bool) {
	return []o211.OpenSpan{{Open: 9 * 60, Close: 17*60 + 30}}, true
}

type noServices struct{}

func (noServices) Service(context.Context, string) (*o211.Service, error) {
	return nil, o211.Errorf(o211.ENOTFOUND, "none")
}

// BenchmarkConsole_ResultsPage is the console's part of a results page of
// ten results, rendered into a recorder (no HTTP, no compression).
func BenchmarkConsole_ResultsPage(b *testing.B) {
	c, err := New(Config{Region: "east", Searcher: tenResults{}, Services: noServices{}})
	if err != nil {
		b.Fatal(err)
	}
	r := chi.NewRouter()
	c.Routes(r)
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/fr/search?q=banque+alimentaire&category=BD&open_now=true", nil)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}
