package api

import (
	"net/http"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/params"
)

// listTaxonomies answers GET /hsds/taxonomies; search matches the words of
// a taxonomy's name and description.
func (s *HSDS) listTaxonomies(w http.ResponseWriter, r *http.Request) {
	p := params.New(r)
	match := newTextMatcher(p.Str("search", 500))
	pg := pagingOf(p, DefaultPerPage, MaxPerPage)
	if err := p.Err(); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.serveList(w, r, pg, func(tx hsds.Tx) (*listing, error) {
		l := &listing{kind: o211.KindTaxonomy, render: func(_ hsds.Tx, rec *o211.Record) (any, error) { return rec.Decode() }}
		if match != nil {
			l.keep = func(_ hsds.Tx, rec *o211.Record) (bool, error) {
				obj, err := rec.Decode()
				if err != nil {
					return false, err
				}
				t := obj.(*o211.Taxonomy)
				return match.match(t.Name, t.Description), nil
			}
		}
		return l, nil
	})
}

// getTaxonomy answers GET /hsds/taxonomies/{id}.
func (s *HSDS) getTaxonomy(w http.ResponseWriter, r *http.Request) {
	s.serveOne(w, r, func(tx hsds.Tx, id string) (any, error) {
		rec, err := tx.Get(o211.KindTaxonomy, id)
		if err != nil {
			return nil, err
		}
		return rec.Decode()
	})
}

// listTaxonomyTerms answers GET /hsds/taxonomy_terms: terms with their
// taxonomy nested. taxonomy_id and parent_id keep the terms of a taxonomy
// or under a parent; top_only keeps the terms without a parent; search
// matches the words of a term's code, name and description.
func (s *HSDS) listTaxonomyTerms(w http.ResponseWriter, r *http.Request) {
	p := params.New(r)
	match := newTextMatcher(p.Str("search", 500))
	taxonomyID := p.ID("taxonomy_id")
	parentID := p.ID("parent_id")
	topOnly := p.Bool("top_only", false)
	pg := pagingOf(p, DefaultPerPage, MaxPerPage)
	if err := p.Err(); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.serveList(w, r, pg, func(tx hsds.Tx) (*listing, error) {
		var byTaxonomy, byParent idSet
		var err error
		if taxonomyID != "" {
			if byTaxonomy, err = referrerIDs(tx, o211.KindTaxonomyTerm, "taxonomy_id", taxonomyID); err != nil {
				return nil, err
			}
		}
		if parentID != "" {
			if byParent, err = referrerIDs(tx, o211.KindTaxonomyTerm, "parent_id", parentID); err != nil {
				return nil, err
			}
		}
		l := &listing{kind: o211.KindTaxonomyTerm, ids: candidates(nil, false, byTaxonomy, byParent),
			render: func(tx hsds.Tx, rec *o211.Record) (any, error) { return hsds.TaxonomyTerm(tx, rec.ID) }}
		if match != nil || topOnly {
			l.keep = func(_ hsds.Tx, rec *o211.Record) (bool, error) {
				obj, err := rec.Decode()
				if err != nil {
					return false, err
				}
				t := obj.(*o211.TaxonomyTerm)
				return (!topOnly || t.ParentID == "") && (match == nil || match.match(t.Code, t.Name, t.Description)), nil
			}
		}
		return l, nil
	})
}

// getTaxonomyTerm answers GET /hsds/taxonomy_terms/{id}: the term with its
// taxonomy nested.
func (s *HSDS) getTaxonomyTerm(w http.ResponseWriter, r *http.Request) {
	s.serveOne(w, r, func(tx hsds.Tx, id string) (any, error) {
		return hsds.TaxonomyTerm(tx, id)
	})
}
