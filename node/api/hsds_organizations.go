package api

import (
	"net/http"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/params"
)

// listOrganizations answers GET /hsds/organizations: organizations in list
// form; full=true nests everything with their services in list form, and
// full_service=true (which implies full) nests the services in full.
// search matches the words of the organization's names and description.
func (s *HSDS) listOrganizations(w http.ResponseWriter, r *http.Request) {
	p := params.New(r)
	match := newTextMatcher(p.Str("search", 500))
	fullService := p.Bool("full_service", false)
	full := p.Bool("full", false) || fullService
	pg := pagingOf(p, DefaultPerPage, MaxPerPage)
	if err := p.Err(); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.serveList(w, r, pg, func(tx hsds.Tx) (*listing, error) {
		l := &listing{kind: o211.KindOrganization}
		if match != nil {
			l.keep = func(_ hsds.Tx, rec *o211.Record) (bool, error) {
				obj, err := rec.Decode()
				if err != nil {
					return false, err
				}
				o := obj.(*o211.Organization)
				return match.match(o.Name, o.AlternateName, o.Description), nil
			}
		}
		l.render = func(tx hsds.Tx, rec *o211.Record) (any, error) {
			if !full {
				return rec.Decode()
			}
			return hsds.Organization(tx, rec.ID, true, fullService)
		}
		return l, nil
	})
}

// getOrganization answers GET /hsds/organizations/{id}: the organization
// in full, its services in list form or, with full_service=true, in full.
func (s *HSDS) getOrganization(w http.ResponseWriter, r *http.Request) {
	p := params.New(r)
	fullService := p.Bool("full_service", false)
	if err := p.Err(); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.serveOne(w, r, func(tx hsds.Tx, id string) (any, error) {
		return hsds.Organization(tx, id, true, fullService)
	})
}
