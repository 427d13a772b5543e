package api

import (
	"context"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
)

// Filters shared by the HSDS list endpoints.

// searchPageSize is the page size used to read every result of a search;
// maxSearchPages bounds how many pages one listing reads.
const (
	searchPageSize = 200
	maxSearchPages = 500
)

// searchAll calls fn with every result of q, in the index's order, reading
// page after page (at most maxSearchPages).
func (s *HSDS) searchAll(ctx context.Context, q o211.Query, fn func(o211.Result)) error {
	q.PerPage = searchPageSize
	for page := 1; page <= maxSearchPages; page++ {
		q.Page = page
		res, err := s.search(ctx, o211.ScopeRegion, q)
		if err != nil {
			return err
		}
		for _, r := range res.Results {
			fn(r)
		}
		if len(res.Results) < searchPageSize || page*searchPageSize >= res.Total {
			return nil
		}
	}
	return nil
}

// searchServiceIDs returns the ids of the services matching q, best first,
// each once.
func (s *HSDS) searchServiceIDs(ctx context.Context, q o211.Query) ([]string, error) {
	seen := idSet{}
	var ids []string
	err := s.searchAll(ctx, q, func(r o211.Result) {
		if !seen[r.ServiceID] {
			seen[r.ServiceID] = true
			ids = append(ids, r.ServiceID)
		}
	})
	return ids, err
}

// serviceLocation is a search hit: a service at a location, and the
// service_at_location when the index knows it.
type serviceLocation struct{ service, location, sal string }

// searchServiceLocations returns the service and location of each result
// of q that has a location, in the index's order, each once.
func (s *HSDS) searchServiceLocations(ctx context.Context, q o211.Query) ([]serviceLocation, error) {
	seen := map[serviceLocation]bool{}
	var out []serviceLocation
	err := s.searchAll(ctx, q, func(r o211.Result) {
		sl := serviceLocation{r.ServiceID, r.LocationID, r.ServiceAtLocationID}
		if r.LocationID != "" && !seen[sl] {
			seen[sl] = true
			out = append(out, sl)
		}
	})
	return out, err
}

// referrerIDs returns the ids of the live records of kind whose field
// holds id.
func referrerIDs(tx hsds.Tx, kind o211.Kind, field, id string) (idSet, error) {
	recs, err := tx.Referrers(kind, field, id)
	if err != nil {
		return nil, err
	}
	set := make(idSet, len(recs))
	for _, rec := range recs {
		set[rec.ID] = true
	}
	return set, nil
}

// linkedToTerms returns the link_ids of the attributes that classify
// records with any of the terms: the ids of the records (services,
// service_at_locations, ...) that carry them.
func linkedToTerms(tx hsds.Tx, termIDs idSet) (idSet, error) {
	out := idSet{}
	for term := range termIDs {
		attrs, err := tx.Referrers(o211.KindAttribute, "taxonomy_term_id", term)
		if err != nil {
			return nil, err
		}
		for _, rec := range attrs {
			obj, err := rec.Decode()
			if err != nil {
				return nil, err
			}
			if a := obj.(*o211.Attribute); a.LinkID != "" {
				out[a.LinkID] = true
			}
		}
	}
	return out, nil
}

// taxonomyLinks returns the ids of the records classified with the term
// taxonomy_term_id and with a term of the taxonomy taxonomy_id (nil for a
// filter not given).
func taxonomyLinks(tx hsds.Tx, termID, taxonomyID string) (byTerm, byTaxonomy idSet, err error) {
	if termID != "" {
		if byTerm, err = linkedToTerms(tx, idSet{termID: true}); err != nil {
			return nil, nil, err
		}
	}
	if taxonomyID != "" {
		terms, err := referrerIDs(tx, o211.KindTaxonomyTerm, "taxonomy_id", taxonomyID)
		if err != nil {
			return nil, nil, err
		}
		if byTaxonomy, err = linkedToTerms(tx, terms); err != nil {
			return nil, nil, err
		}
	}
	return byTerm, byTaxonomy, nil
}

// sortedIDs returns the set's ids in order.
func sortedIDs(set idSet) []string {
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// modifiedSince reports whether rec changed at or after t (always, for
// the zero t).
func modifiedSince(rec *o211.Record, t time.Time) bool {
	return t.IsZero() || !rec.Modified.Before(t)
}

// textMatcher matches free text the simple way, for the tables the search
// index does not cover (organizations, taxonomies, terms): every word of
// the query must occur in one of the fields, ignoring case and accents.
type textMatcher []string

// newTextMatcher returns the matcher of query, or nil for an empty one.
func newTextMatcher(query string) textMatcher {
	words := strings.FieldsFunc(fold(query), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) == 0 {
		return nil
	}
	return textMatcher(words)
}

// match reports whether every word occurs in one of the fields.
func (m textMatcher) match(fields ...string) bool {
	text := fold(strings.Join(fields, " \x00 "))
	for _, w := range m {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

// accents maps the accented letters of French and other Latin scripts to
// their base letters.
var accents = strings.NewReplacer(
	"à", "a", "á", "a", "â", "a", "ä", "a", "ã", "a", "å", "a", "æ", "ae",
	"ç", "c", "è", "e", "é", "e", "ê", "e", "ë", "e",
	"ì", "i", "í", "i", "î", "i", "ï", "i", "ñ", "n",
	"ò", "o", "ó", "o", "ô", "o", "ö", "o", "õ", "o", "œ", "oe",
	"ù", "u", "ú", "u", "û", "u", "ü", "u", "ý", "y", "ÿ", "y",
	"’", "'",
)

// fold lower-cases s and removes accents.
func fold(s string) string { return accents.Replace(strings.ToLower(s)) }
