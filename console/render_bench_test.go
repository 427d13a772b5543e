package console

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
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

// TestRender_WaitsForReady: a page whose ready fails (the audit entry of
// the personal fields it shows did not reach the disk) is not sent: the
// reader gets the internal-error page, and the page's body never leaves;
// ready is called before anything is written.
func TestRender_WaitsForReady(t *testing.T) {
	c, err := New(Config{Region: "east", Searcher: tenResults{}, Services: noServices{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, fail := range []bool{false, true} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		w := httptest.NewRecorder()
		p := c.view(req, "home.title")
		p.Body = errorBody{Message: "contact.crisis"} // a page's own words, shown only when sent
		p.ready = func() error {
			if w.Code != http.StatusOK || w.Body.Len() > 0 || len(w.Header()) > 0 {
				t.Errorf("something was written before ready returned: %d %q", w.Code, w.Body.String())
			}
			if fail {
				return errors.New("disk full")
			}
			return nil
		}
		c.render(w, req, http.StatusOK, "error", p)
		shown := strings.Contains(w.Body.String(), c.msg.MustT(English, "contact.crisis"))
		switch {
		case fail && (w.Code != http.StatusInternalServerError || shown):
			t.Errorf("ready failed: status %d, page shown %v", w.Code, shown)
		case !fail && (w.Code != http.StatusOK || !shown):
			t.Errorf("ready succeeded: status %d, page shown %v", w.Code, shown)
		}
	}
}
