package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/params"
)

// HSDS API (testdata/hsds/schema/openapi.json): list endpoints are paged
// (page, per_page) or streamed whole as NDJSON (format=ndjson); every
// filter given must hold. Plain listings walk the store in id order; text
// and place filters go through the search index, whose order they keep.

// Paging limits of the HSDS list endpoints. minimal=true service listings
// are meant to fit in one page, so they get larger pages.
const (
	DefaultPerPage        = 50
	MaxPerPage            = 1000
	DefaultMinimalPerPage = 10000
	MaxMinimalPerPage     = 100000
)

// streamBatch is how many records a streamed listing reads per view: the
// store's read transaction is not held while the client reads.
const streamBatch = 256

// ContentTypeNDJSON is the media type of streamed listings.
const ContentTypeNDJSON = "application/x-ndjson"

// Routes mounts the HSDS API under /hsds on r.
func (s *HSDS) Routes(r chi.Router) { r.Route("/hsds", s.routesHSDS) }

// routesHSDS mounts the HSDS API's routes on the /hsds router.
func (s *HSDS) routesHSDS(r chi.Router) {
	r.Get("/", s.hsdsMeta)
	r.Get("/services", s.listServices)
	r.Get("/services/{id}", s.getService)
	r.Get("/organizations", s.listOrganizations)
	r.Get("/organizations/{id}", s.getOrganization)
	r.Get("/service_at_locations", s.listServiceAtLocations)
	r.Get("/service_at_locations/{id}", s.getServiceAtLocation)
	r.Get("/taxonomies", s.listTaxonomies)
	r.Get("/taxonomies/{id}", s.getTaxonomy)
	r.Get("/taxonomy_terms", s.listTaxonomyTerms)
	r.Get("/taxonomy_terms/{id}", s.getTaxonomyTerm)
}

// Meta is the body of GET /hsds/: the HSDS version and profile of the API.
type Meta struct {
	Version    string `json:"version"`
	Profile    string `json:"profile"`
	OpenAPIURL string `json:"openapi_url"`
}

// hsdsMeta answers GET /hsds/: the HSDS version, profile and OpenAPI file.
func (s *HSDS) hsdsMeta(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, Meta{Version: "3.0", Profile: s.cfg.Profile, OpenAPIURL: s.cfg.OpenAPIURL})
}

// Page is one page of an HSDS listing (openapi.json #/components/schemas/Page).
type Page struct {
	TotalItems int   `json:"total_items"`
	TotalPages int   `json:"total_pages"`
	PageNumber int   `json:"page_number"`
	Size       int   `json:"size"`
	FirstPage  bool  `json:"first_page"`
	LastPage   bool  `json:"last_page"`
	Empty      bool  `json:"empty"`
	Contents   []any `json:"contents"`
}

// newPage computes the paging fields of page number n of perPage items,
// out of total, holding items.
func newPage(total, n, perPage int, items []any) *Page {
	if items == nil {
		items = []any{}
	}
	pages := (total + perPage - 1) / perPage
	return &Page{TotalItems: total, TotalPages: pages, PageNumber: n, Size: len(items),
		FirstPage: n == 1, LastPage: n >= pages, Empty: len(items) == 0, Contents: items}
}

// paging is how a listing is to be returned.
type paging struct {
	page, perPage int
	ndjson        bool
}

// pagingOf reads page, per_page and format.
func pagingOf(p *params.Reader, defPerPage, maxPerPage int) paging {
	return paging{
		page:    p.Int("page", 1, 1, 1<<30),
		perPage: p.Int("per_page", defPerPage, 1, maxPerPage),
		ndjson:  p.OneOf("format", "json", "json", "ndjson") == "ndjson",
	}
}

// listing says which records of a list request to show, in which order,
// and how each one is shown.
type listing struct {
	kind o211.Kind
	// ids are the candidates in order; nil means every record of kind, in
	// id order.
	ids []string
	// keep, when set, says whether a candidate is listed.
	keep func(tx hsds.Tx, rec *o211.Record) (bool, error)
	// render returns the item shown for a record.
	render func(tx hsds.Tx, rec *o211.Record) (any, error)
}

// errStop ends a scan early.
var errStop = errors.New("api: stop")

// scan calls fn with each candidate that keep accepts, in order, starting
// after the cursor (an id for whole-table listings, an index into ids
// otherwise), until fn returns errStop or an error. It returns the cursor
// of the last candidate looked at.
func (l *listing) scan(tx hsds.Tx, after string, next int, fn func(*o211.Record) error) (string, int, error) {
	visit := func(rec *o211.Record) error {
		if l.keep != nil {
			if ok, err := l.keep(tx, rec); err != nil || !ok {
				return err
			}
		}
		return fn(rec)
	}
	if l.ids == nil {
		err := tx.Scan(l.kind, after, func(rec *o211.Record) error {
			after = rec.ID
			return visit(rec)
		})
		return after, next, err
	}
	for ; next < len(l.ids); next++ {
		rec, err := tx.Get(l.kind, l.ids[next])
		if o211.ErrorCode(err) == o211.ENOTFOUND {
			continue // deleted since the search
		} else if err != nil {
			return after, next, err
		}
		if err := visit(rec); err != nil {
			return after, next + 1, err
		}
	}
	return after, next, nil
}

// page returns the total number of records listed and the items of page
// n of perPage.
func (l *listing) page(tx hsds.Tx, n, perPage int) (total int, items []any, err error) {
	from := (n - 1) * perPage
	to := from + perPage
	fill := func(rec *o211.Record) error {
		if total >= from && total < to {
			item, err := l.render(tx, rec)
			if err != nil {
				return err
			}
			items = append(items, item)
		}
		total++
		if total >= to && l.ids == nil && l.keep == nil {
			return errStop // the total is known from Count
		}
		return nil
	}
	_, _, err = l.scan(tx, "", 0, fill)
	if err != nil && err != errStop {
		return 0, nil, err
	}
	if l.ids == nil && l.keep == nil {
		if total, err = tx.Count(l.kind); err != nil {
			return 0, nil, err
		}
	}
	return total, items, nil
}

// serveList answers a list request: build works out the listing in a
// view of the directory; then one page is rendered, or everything is
// streamed as NDJSON.
func (s *HSDS) serveList(w http.ResponseWriter, r *http.Request, pg paging, build func(hsds.Tx) (*listing, error)) {
	var l *listing
	var pageOut *Page
	err := s.cfg.Viewer.View(func(tx hsds.Tx) error {
		var err error
		if l, err = build(tx); err != nil || pg.ndjson {
			return err
		}
		total, items, err := l.page(tx, pg.page, pg.perPage)
		pageOut = newPage(total, pg.page, pg.perPage, items)
		return err
	})
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	if pg.ndjson {
		s.stream(w, r, l)
		return
	}
	writeJSON(w, http.StatusOK, pageOut)
}

// stream writes every listed record as one JSON line, reading a batch per
// view and flushing after each batch. An error in the first batch is
// answered as a problem; a later one aborts the response so that the
// client sees it is incomplete.
func (s *HSDS) stream(w http.ResponseWriter, r *http.Request, l *listing) {
	rc := http.NewResponseController(w)
	started := false
	enc := json.NewEncoder(w)
	after, next := "", 0
	for {
		var batch []any
		done := true
		err := s.cfg.Viewer.View(func(tx hsds.Tx) error {
			var err error
			after, next, err = l.scan(tx, after, next, func(rec *o211.Record) error {
				item, err := l.render(tx, rec)
				if err != nil {
					return err
				}
				batch = append(batch, item)
				if len(batch) >= streamBatch {
					done = false
					return errStop
				}
				return nil
			})
			if err == errStop {
				err = nil
			}
			return err
		})
		if err == nil {
			err = r.Context().Err()
		}
		if err != nil && !started {
			s.writeProblem(w, r, err)
			return
		}
		if !started {
			w.Header().Set("Content-Type", ContentTypeNDJSON)
			w.WriteHeader(http.StatusOK)
			started = true
		}
		for _, item := range batch {
			if err != nil {
				break
			}
			err = enc.Encode(item)
		}
		if err == nil {
			err = rc.Flush()
		}
		if err != nil {
			s.log.Warn("api: stream aborted", "path", r.URL.Path, "request_id", httpx.RequestIDFrom(r.Context()), "err", err)
			panic(http.ErrAbortHandler)
		}
		if done {
			return
		}
	}
}

// pathID returns the {id} of the route, unescaped.
func pathID(r *http.Request) string {
	id := chi.URLParam(r, "id")
	if u, err := url.PathUnescape(id); err == nil {
		return u
	}
	return id
}

// serveOne answers a request for one record: get assembles it in a view.
func (s *HSDS) serveOne(w http.ResponseWriter, r *http.Request, get func(tx hsds.Tx, id string) (any, error)) {
	var out any
	err := s.cfg.Viewer.View(func(tx hsds.Tx) error {
		var err error
		out, err = get(tx, pathID(r))
		return err
	})
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// idSet is a set of record ids.
type idSet map[string]bool

// candidates returns the ids to list: ordered (the search's order) when
// searched, else the smallest set in id order; each kept only if it is in
// every set. It returns nil (every record) when there is neither.
func candidates(ordered []string, searched bool, sets ...idSet) []string {
	var base []string
	if searched {
		base = ordered
	} else {
		var smallest idSet
		for _, set := range sets {
			if set != nil && (smallest == nil || len(set) < len(smallest)) {
				smallest = set
			}
		}
		if smallest == nil {
			return nil
		}
		base = sortedIDs(smallest)
	}
	out := make([]string, 0, len(base))
next:
	for _, id := range base {
		for _, set := range sets {
			if set != nil && !set[id] {
				continue next
			}
		}
		out = append(out, id)
	}
	return out
}
