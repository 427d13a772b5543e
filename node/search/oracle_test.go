package search

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/geo"
)

// The oracle answers queries by checking every doc against the documented
// semantics, the slow and obvious way, to check the index against.

type oracleDoc struct {
	d     *Doc
	terms map[string]bool
}

type oracle struct {
	docs     []oracleDoc
	surfaces map[string]word // every surface word of the corpus
}

func newOracle(docs []Doc) *oracle {
	a := sharedAnalyzer()
	o := &oracle{surfaces: map[string]word{}}
	for i := range docs {
		d := &docs[i]
		od := oracleDoc{d: d, terms: map[string]bool{}}
		texts := append([]string{d.ServiceName, d.AlternateName, d.OrganizationName, d.LocationText,
			d.Description, d.OrganizationDescription}, d.TaxonomyNames...)
		for _, text := range texts {
			eachWord(text, func(raw string) {
				if w, ok := a.analyze(wordText(raw)); ok {
					od.terms[w.en], od.terms[w.fr] = true, w.fr != ""
					o.surfaces[w.surface] = w
				}
			})
		}
		delete(od.terms, "")
		o.docs = append(o.docs, od)
	}
	return o
}

// match returns the keys of the docs matching q.
func (o *oracle) match(q o211.Query) map[string]bool {
	a := sharedAnalyzer()
	var raws []string
	eachWord(q.Text, func(raw string) { raws = append(raws, raw) })
	var words []map[string]bool // per query word: the terms that satisfy it
	for i, raw := range raws {
		w, ok := a.analyze(wordText(raw))
		if !ok {
			continue
		}
		terms := map[string]bool{w.en: true}
		if w.fr != "" {
			terms[w.fr] = true
		}
		if i == len(raws)-1 && len(w.surface) >= 2 {
			for s, sw := range o.surfaces {
				if strings.HasPrefix(s, w.surface) {
					terms[sw.en] = true
					if sw.fr != "" {
						terms[sw.fr] = true
					}
				}
			}
		}
		words = append(words, terms)
	}
	out := map[string]bool{}
	for _, od := range o.docs {
		if o.matchDoc(od, q, words) {
			out[od.d.Key] = true
		}
	}
	return out
}

func (o *oracle) matchDoc(od oracleDoc, q o211.Query, words []map[string]bool) bool {
	d := od.d
	for _, terms := range words {
		found := false
		for t := range terms {
			found = found || od.terms[t]
		}
		if !found {
			return false
		}
	}
	for _, part := range o211.SplitTaxonomyCode(strings.ToUpper(q.Taxonomy)) {
		if !slices.ContainsFunc(d.Taxonomy, func(c string) bool { return o211.TaxonomyMatches(c, part) }) {
			return false
		}
	}
	switch {
	case !q.IncludeInactive && d.inactive(),
		q.OrganizationID != "" && d.OrganizationID != q.OrganizationID,
		q.Region != "" && d.Region != q.Region,
		q.Language != "" && !slices.Contains(d.Languages, NormalizeLanguage(q.Language)),
		q.TaxonomyTermID != "" && !slices.Contains(d.TaxonomyTermIDs, q.TaxonomyTermID),
		q.TaxonomyID != "" && !slices.Contains(d.TaxonomyIDs, q.TaxonomyID),
		q.Age != nil && ((d.MinAge != nil && *d.MinAge > *q.Age) || (d.MaxAge != nil && *d.MaxAge < *q.Age)),
		!q.ModifiedAfter.IsZero() && d.Modified.Unix() <= q.ModifiedAfter.Unix(),
		q.RadiusKm > 0 && (!d.HasGeo || geo.DistanceKm(q.Lat, q.Lon, d.Lat, d.Lon) > q.RadiusKm),
		!q.OpenAt.IsZero() && !compileHours(d.Schedules).openAt(clockAt(q.OpenAt, o211.Toronto())):
		return false
	}
	return true
}

// oracleQueries returns n random queries over the fixture's vocabulary.
func oracleQueries(tb testing.TB, n int) []o211.Query {
	tb.Helper()
	r := rand.New(rand.NewPCG(uint64(n), 7))
	var fsas []geo.FSA
	for _, f := range geo.FSAs() {
		if f.Region == "central" {
			fsas = append(fsas, f)
		}
	}
	texts := []string{"food", "food bank", "banque alimentaire", "shelter", "refuge", "santé", "sante mentale",
		"counselling", "emploi", "employment youth", "ba", "se", "comm", "nourrit", "épicer", "children", "aînés",
		"legal", "the", "zzz", "hébergement", "l'hébergement d'urgence", "services", "free clinic"}
	taxes := []string{"B", "BD", "BD-1800", "BD-1800.2000", "BH", "L", "LD-1500", "YB", "YB-8000.1200", "R", "N", "ZZ"}
	langs := []string{"fr", "en", "es", "French", "Français", "eng", "zh"}
	var out []o211.Query
	for len(out) < n {
		var q o211.Query
		if r.IntN(3) > 0 {
			q.Text = texts[r.IntN(len(texts))]
		}
		if r.IntN(3) == 0 {
			q.Taxonomy = taxes[r.IntN(len(taxes))]
		}
		if r.IntN(3) == 0 {
			f := fsas[r.IntN(len(fsas))]
			q.HasNear, q.Lat, q.Lon = true, f.Lat, f.Lon
			if r.IntN(3) > 0 {
				q.RadiusKm = []float64{1, 2, 5, 10, 25}[r.IntN(5)]
			}
		}
		if r.IntN(4) == 0 {
			q.OpenAt = time.Date(2025, 1, 1, 0, 0, 0, 0, o211.Toronto()).Add(time.Duration(r.IntN(365*24*4)) * 15 * time.Minute)
		}
		if r.IntN(6) == 0 {
			q.Language = langs[r.IntN(len(langs))]
		}
		if r.IntN(6) == 0 {
			q.Age = ptr(float64(r.IntN(80)))
		}
		if r.IntN(10) == 0 {
			q.IncludeInactive = true
		}
		if r.IntN(10) == 0 {
			q.ModifiedAfter = time.Date(2025, time.Month(1+r.IntN(12)), 1, 0, 0, 0, 0, time.UTC)
		}
		if r.IntN(10) == 0 {
			q.OrganizationID = "org-" + strings.TrimLeft(string(rune('1'+r.IntN(9))), "")
		}
		out = append(out, q)
	}
	return out
}

func TestIndex_SearchOracle(t *testing.T) {
	docs := fixtureDocs(t, 4000)
	ix := MustBuildIndex(t, docs)
	o := newOracle(docs)
	for _, q := range oracleQueries(t, 400) {
		q.PerPage = 200
		want := o.match(q)
		res := mustSearch(t, ix, q)
		if res.Total != len(want) {
			t.Fatalf("query %+v: total %d, oracle %d", q, res.Total, len(want))
		}
		for _, r := range res.Results {
			if !want[r.ServiceID+"/"+r.LocationID] {
				t.Fatalf("query %+v: result %s/%s is not a match", q, r.ServiceID, r.LocationID)
			}
		}
		checkOrder(t, q, res)
	}
}

// checkOrder checks the documented order of a page of results.
func checkOrder(t *testing.T, q o211.Query, res *o211.Results) {
	t.Helper()
	rs := res.Results
	hasText := false
	eachWord(q.Text, func(raw string) {
		_, ok := sharedAnalyzer().analyze(wordText(raw))
		hasText = hasText || ok
	})
	switch {
	case hasText:
		ok := sort.SliceIsSorted(rs, func(i, j int) bool { return rs[i].Score > rs[j].Score })
		if !ok {
			t.Fatalf("query %+v: scores not descending", q)
		}
	case q.HasNear:
		for i := 1; i < len(rs); i++ {
			a, b := rs[i-1].DistanceKm, rs[i].DistanceKm
			if a != nil && b != nil && *a > *b+0.01 || a == nil && b != nil {
				t.Fatalf("query %+v: distances out of order at %d", q, i)
			}
		}
	}
}
