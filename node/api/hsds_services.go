package api

import (
	"net/http"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/params"
)

// MinimalService is a service as minimal=true lists it: its id and when it
// last changed, with the name and status that the HSDS service_list schema
// requires of every listed service.
type MinimalService struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Status       string `json:"status"`
	LastModified string `json:"last_modified"`
}

// serviceFilters are the filters of GET /hsds/services.
type serviceFilters struct {
	search         string
	taxonomyTermID string
	taxonomyID     string
	organizationID string
	modifiedAfter  time.Time
	minimal, full  bool
}

// listServices answers GET /hsds/services: services in list form (with
// their organization and program), full=true in full, minimal=true as
// MinimalService.
func (s *HSDS) listServices(w http.ResponseWriter, r *http.Request) {
	p := params.New(r)
	f := serviceFilters{
		search:         p.Str("search", 500),
		taxonomyTermID: p.ID("taxonomy_term_id"),
		taxonomyID:     p.ID("taxonomy_id"),
		organizationID: p.ID("organization_id"),
		modifiedAfter:  p.Instant("modified_after"),
		minimal:        p.Bool("minimal", false),
		full:           p.Bool("full", false),
	}
	def, max := DefaultPerPage, MaxPerPage
	if f.minimal {
		def, max = DefaultMinimalPerPage, MaxMinimalPerPage
	}
	pg := pagingOf(p, def, max)
	if f.minimal && f.full {
		p.Fail("minimal", "cannot be combined with full=true")
	}
	if err := p.Err(); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	var searched []string
	if f.search != "" {
		var err error
		searched, err = s.searchServiceIDs(r.Context(), o211.Query{Text: f.search,
			OrganizationID: f.organizationID, IncludeInactive: true, Distinct: true})
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
	}
	s.serveList(w, r, pg, func(tx hsds.Tx) (*listing, error) {
		byTerm, byTaxonomy, err := taxonomyLinks(tx, f.taxonomyTermID, f.taxonomyID)
		if err != nil {
			return nil, err
		}
		var byOrg idSet
		if f.organizationID != "" {
			if byOrg, err = referrerIDs(tx, o211.KindService, "organization_id", f.organizationID); err != nil {
				return nil, err
			}
		}
		l := &listing{kind: o211.KindService, ids: candidates(searched, f.search != "", byTerm, byTaxonomy, byOrg),
			render: f.render}
		if !f.modifiedAfter.IsZero() {
			l.keep = func(_ hsds.Tx, rec *o211.Record) (bool, error) { return modifiedSince(rec, f.modifiedAfter), nil }
		}
		return l, nil
	})
}

// render shows a service as the filters ask.
func (f *serviceFilters) render(tx hsds.Tx, rec *o211.Record) (any, error) {
	switch {
	case f.minimal:
		obj, err := rec.Decode()
		if err != nil {
			return nil, err
		}
		svc := obj.(*o211.Service)
		return MinimalService{ID: svc.ID, Name: svc.Name, Status: svc.Status, LastModified: hsds.Timestamp(rec.Modified)}, nil
	case f.full:
		return hsds.FullServiceFromRecord(tx, rec)
	}
	return hsds.ServiceFromRecord(tx, rec)
}

// getService answers GET /hsds/services/{id}: the service in full.
func (s *HSDS) getService(w http.ResponseWriter, r *http.Request) {
	s.serveOne(w, r, func(tx hsds.Tx, id string) (any, error) {
		return hsds.FullService(tx, id)
	})
}
