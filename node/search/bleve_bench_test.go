package search

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/o211/o211"
)

// The same directory and query in bleve (scorch, on disk in a temporary
// folder), to compare with this package's index:
//
//	go test -run '^$' -bench 'Bleve|Search_TextTaxonomyNearOpen|Build' -benchmem ./node/search
//
// Text fields are indexed twice, with an English and a French analyzer
// built from the same bleve filters as ours (ASCII folding, elision,
// possessive, stop words, Porter and French light stemmers). The taxonomy
// field holds every code with its ancestors (a term query finds
// descendants), coordinates are a geopoint, and the hours a doc is open
// are indexed as weekday-hour terms ("3-11": Wednesday 11:00-12:00), a
// coarser version of our quarter-hour check. The query is a conjunction
// of, per word, a disjunction of match queries on every text field in both
// languages (and a prefix query for the last word), a term query on the
// taxonomy, a geo-distance query and a term query on the open hour, with a
// facet on the top-level category and the display fields loaded for a page
// of 20, sorted by score.

// bleveDoc is a doc as bleve indexes it.
type bleveDoc struct {
	Name     string    `json:"name"`
	TaxNames string    `json:"taxn"`
	Org      string    `json:"org"`
	Body     string    `json:"body"`
	Tax      []string  `json:"tax"`
	Cat      []string  `json:"cat"`
	Geo      *bleveGeo `json:"geo,omitempty"`
	Open     []string  `json:"open"`
	Status   string    `json:"status"`
	Service  string    `json:"sid"`
	Location string    `json:"lid"`
}

type bleveGeo struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

var bleveTextFields = []struct {
	name  string
	boost float64
}{{"name", 4}, {"taxn", 2.5}, {"org", 2}, {"body", 1}}

func bleveMapping(tb testing.TB) mapping.IndexMapping {
	m := bleve.NewIndexMapping()
	for name, filters := range map[string][]string{
		"en_fold": {en.PossessiveName, lowercase.Name, en.StopName, porter.Name},
		"fr_fold": {lowercase.Name, fr.ElisionName, fr.StopName, fr.LightStemmerName},
	} {
		err := m.AddCustomAnalyzer(name, map[string]any{
			"type": custom.Name, "char_filters": []string{asciifolding.Name},
			"tokenizer": unicode.Name, "token_filters": filters,
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	dm := bleve.NewDocumentStaticMapping()
	for _, f := range bleveTextFields {
		var fms []*mapping.FieldMapping
		for _, lang := range []string{"en", "fr"} {
			fm := bleve.NewTextFieldMapping()
			fm.Name, fm.Analyzer, fm.Store = f.name+"_"+lang, lang+"_fold", f.name == "name" && lang == "en"
			fm.IncludeTermVectors, fm.IncludeInAll = false, false
			fms = append(fms, fm)
		}
		dm.AddFieldMappingsAt(f.name, fms...)
	}
	for _, name := range []string{"tax", "cat", "open", "status", "sid", "lid"} {
		fm := bleve.NewKeywordFieldMapping()
		fm.Store = name == "sid" || name == "lid"
		fm.IncludeTermVectors, fm.IncludeInAll = false, false
		dm.AddFieldMappingsAt(name, fm)
	}
	gm := bleve.NewGeoPointFieldMapping()
	gm.IncludeInAll = false
	dm.AddFieldMappingsAt("geo", gm)
	m.DefaultMapping = dm
	m.DefaultAnalyzer = "en_fold"
	return m
}

// toBleve converts a doc; its open hours are evaluated over the week of
// fixtureNow.
func toBleve(d *Doc) bleveDoc {
	b := bleveDoc{Name: d.ServiceName, TaxNames: strings.Join(d.TaxonomyNames, " "), Org: d.OrganizationName,
		Body:   d.AlternateName + " " + d.LocationText + " " + d.Description + " " + d.OrganizationDescription,
		Status: strings.ToLower(d.Status), Service: d.ServiceID, Location: d.LocationID}
	for _, c := range d.Taxonomy {
		b.Tax = append(b.Tax, o211.TaxonomyAncestors(c)...)
		b.Cat = append(b.Cat, c[:1])
	}
	if d.HasGeo {
		b.Geo = &bleveGeo{d.Lat, d.Lon}
	}
	h := compileHours(d.Schedules)
	tor := o211.Toronto()
	now := fixtureNow.In(tor)
	sunday := time.Date(now.Year(), now.Month(), now.Day()-int(now.Weekday()), 0, 30, 0, 0, tor)
	for wd := 0; wd < 7; wd++ {
		for hr := 0; hr < 24; hr++ {
			if h.openAt(clockAt(sunday.AddDate(0, 0, wd).Add(time.Duration(hr)*time.Hour), tor)) {
				b.Open = append(b.Open, fmt.Sprintf("%d-%d", wd, hr))
			}
		}
	}
	return b
}

// buildBleve indexes docs in a new scorch index under dir.
func buildBleve(tb testing.TB, dir string, docs []Doc) bleve.Index {
	tb.Helper()
	idx, err := bleve.New(filepath.Join(dir, "bleve"), bleveMapping(tb))
	if err != nil {
		tb.Fatal(err)
	}
	batch := idx.NewBatch()
	for i := range docs {
		if err := batch.Index(docs[i].Key, toBleve(&docs[i])); err != nil {
			tb.Fatal(err)
		}
		if batch.Size() == 1000 || i == len(docs)-1 {
			if err := idx.Batch(batch); err != nil {
				tb.Fatal(err)
			}
			batch.Reset()
		}
	}
	return idx
}

// bleveQuery is benchQuery in bleve's terms.
func bleveQuery(q o211.Query) *bleve.SearchRequest {
	var conj []query.Query
	words := strings.Fields(q.Text)
	for i, w := range words {
		var dis []query.Query
		for _, f := range bleveTextFields {
			for _, lang := range []string{"en", "fr"} {
				mq := bleve.NewMatchQuery(w)
				mq.SetField(f.name + "_" + lang)
				mq.SetBoost(f.boost)
				dis = append(dis, mq)
				if i == len(words)-1 {
					pq := bleve.NewPrefixQuery(strings.ToLower(w))
					pq.SetField(f.name + "_" + lang)
					pq.SetBoost(f.boost * prefixWeight)
					dis = append(dis, pq)
				}
			}
		}
		conj = append(conj, bleve.NewDisjunctionQuery(dis...))
	}
	tq := bleve.NewTermQuery(q.Taxonomy)
	tq.SetField("tax")
	gq := bleve.NewGeoDistanceQuery(q.Lon, q.Lat, fmt.Sprintf("%gkm", q.RadiusKm))
	gq.SetField("geo")
	at := q.OpenAt.In(o211.Toronto())
	oq := bleve.NewTermQuery(fmt.Sprintf("%d-%d", int(at.Weekday()), at.Hour()))
	oq.SetField("open")
	active := bleve.NewTermQuery("active")
	active.SetField("status")
	conj = append(conj, tq, gq, oq, active)
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(conj...), 20, 0, false)
	req.Fields = []string{"name_en", "sid", "lid"}
	req.AddFacet("cat", bleve.NewFacetRequest("cat", len(o211.Categories)))
	return req
}

func BenchmarkBleve_Build(b *testing.B) {
	docs := fixtureDocs(b, benchSize)
	before := heapMB(nil)
	for b.Loop() {
		dir := b.TempDir()
		idx := buildBleve(b, dir, docs)
		b.StopTimer()
		b.ReportMetric(heapMB(idx)-before, "index-MB")
		b.ReportMetric(float64(dirSize(b, dir))/(1<<20), "disk-MB")
		idx.Close()
		b.StartTimer()
	}
}

func dirSize(tb testing.TB, dir string) int64 {
	var n int64
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func BenchmarkBleve_Search_TextTaxonomyNearOpen(b *testing.B) {
	idx := buildBleve(b, b.TempDir(), fixtureDocs(b, benchSize))
	defer idx.Close()
	req := bleveQuery(benchQuery(b))
	res, err := idx.SearchInContext(context.Background(), req)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(res.Total), "matches")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := idx.SearchInContext(context.Background(), req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
