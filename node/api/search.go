package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/node/geo"
	"github.com/o211/o211/node/params"
)

// Limits of GET /api/v1/search.
const (
	DefaultSearchPerPage = 20
	MaxSearchPerPage     = 200
	MaxRadiusKm          = 2000
)

// Routes mounts GET /api/v1/search on r.
func (s *Search) Routes(r chi.Router) {
	r.Get("/api/v1/search", s.searchHandler)
}

// searchRequest is a parsed search: the query and its scope.
type searchRequest struct {
	q     o211.Query
	scope string
}

// parseSearch reads the parameters of GET /api/v1/search (DESIGN.md).
func (s *Search) parseSearch(p *params.Reader) searchRequest {
	var sr searchRequest
	q := &sr.q
	q.Text = p.Str("q", 500)
	if near := p.Str("near", 64); near != "" {
		pt, err := geo.ParseNear(near)
		if err != nil {
			p.Fail("near", strings.TrimPrefix(o211.ErrorMessage(err), "near "))
		} else {
			q.HasNear, q.Lat, q.Lon = true, pt.Lat, pt.Lon
		}
	}
	if km, ok := p.Number("radius_km", 0, MaxRadiusKm); ok {
		switch {
		case km <= 0:
			p.Fail("radius_km", "must be a distance in kilometres above 0")
		case p.Get("near") == "":
			p.Fail("radius_km", "needs near (a postal code, FSA or latitude,longitude) to measure from")
		default:
			q.RadiusKm = km
		}
	}
	q.Taxonomy = p.Str("taxonomy", 128)
	q.OpenAt = p.Instant("open_at")
	if p.Bool("open_now", false) {
		if !q.OpenAt.IsZero() {
			p.Fail("open_now", "cannot be combined with open_at")
		}
		q.OpenAt = s.cfg.Now().In(o211.Toronto())
	}
	q.Language = p.Str("language", 64)
	if age, ok := p.Number("age", 0, 150); ok {
		q.Age = &age
	}
	sr.scope = p.OneOf("scope", o211.ScopeRegion, o211.ScopeRegion, o211.ScopeProvince)
	q.Page = p.Int("page", 1, 1, 1<<20)
	q.PerPage = p.Int("per_page", DefaultSearchPerPage, 1, MaxSearchPerPage)
	return sr
}

// searchHandler answers GET /api/v1/search with a page of o211.Results.
func (s *Search) searchHandler(w http.ResponseWriter, r *http.Request) {
	p := params.New(r)
	sr := s.parseSearch(p)
	if err := p.Err(); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	res, err := s.search(r.Context(), sr.scope, sr.q)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	if res.Results == nil {
		res.Results = []o211.Result{}
	}
	if res.Facets.Taxonomy == nil {
		res.Facets.Taxonomy = []o211.FacetCount{}
	}
	if !sr.q.HasNear {
		for i := range res.Results {
			res.Results[i].DistanceKm = nil
		}
	}
	writeResults(w, res)
}

// search runs q on the directory of the scope, timing it.
func (s *group) search(ctx context.Context, scope string, q o211.Query) (*o211.Results, error) {
	searcher := s.cfg.Searcher.Search
	if scope == o211.ScopeProvince {
		ps, ok := s.cfg.Searcher.(ProvincialSearcher)
		if !ok {
			return nil, o211.Errorf(o211.ENOTIMPLEMENTED, "Province-wide search is not available on this server yet; search with scope=region.")
		}
		searcher = ps.SearchProvince
	}
	start := time.Now()
	res, err := searcher(ctx, q)
	outcome := "ok"
	if err != nil {
		outcome = o211.ErrorCode(err)
	}
	s.searchDuration.WithLabelValues(scope, outcome).Observe(time.Since(start).Seconds())
	if err == nil && res == nil {
		res = &o211.Results{Page: q.Page, PerPage: q.PerPage}
	}
	return res, err
}
