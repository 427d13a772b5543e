package search

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
)

// Points around downtown Toronto (M5T) and elsewhere.
const (
	downLat, downLon = 43.6530, -79.3980
	kmLat            = 1 / 111.195 // degrees of latitude per km
)

var (
	fixtureTor  = o211.Toronto()
	wednesday10 = time.Date(2025, 10, 15, 10, 0, 0, 0, fixtureTor)
	saturday11  = time.Date(2025, 10, 11, 11, 0, 0, 0, fixtureTor) // second Saturday
)

// testDocs is a small hand-made directory.
func testDocs() []Doc {
	weekdays := []o211.Schedule{weekly("MO,TU,WE,TH,FR", "09:00", "17:00")}
	always := []o211.Schedule{weekly("MO,TU,WE,TH,FR,SA,SU", "00:00", "24:00")}
	at := func(km float64) (bool, float64, float64) { return true, downLat + km*kmLat, downLon }
	mk := func(key, name, tax, desc string, km float64, scheds []o211.Schedule, langs ...string) Doc {
		sid, lid, _ := strings.Cut(key, "/")
		d := Doc{Key: key, ServiceID: sid, LocationID: lid, OrganizationID: "org-" + sid, Region: "central",
			ServiceName: name, OrganizationName: "Org of " + name, Description: desc, Status: o211.StatusActive,
			Taxonomy: o211.SplitTaxonomyCode(tax), Schedules: scheds, Languages: langs,
			TaxonomyTermIDs: []string{"term-" + tax}, TaxonomyIDs: []string{"airs"},
			Modified: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
		if km >= 0 {
			d.HasGeo, d.Lat, d.Lon = at(km)
		}
		return d
	}
	docs := []Doc{
		mk("food-en/l1", "Daily Bread Food Bank", "BD-1800.2000", "Emergency food hampers for families in need.", 0, weekdays, "en", "fr"),
		mk("food-fr/l1", "Banque alimentaire de l'Est", "BD-1800.2000", "Épicerie communautaire et paniers alimentaires pour les familles.", -1, weekdays, "fr"),
		mk("shelter-en/l1", "Seaton House Shelter", "BH-1800.8500", "Emergency beds for men experiencing homelessness.", 3, always, "en"),
		mk("shelter-fr/l1", "Refuge d'urgence", "BH-1800.1500", "Offre l'hébergement d'urgence aux femmes et aux enfants.", 10, nil, "fr"),
		mk("health/l1", "Clinique Sante Plus", "LD-1500", "Soins primaires pour les nouveaux arrivants.", 20,
			[]o211.Schedule{{Freq: "MONTHLY", ByDay: "2SA", OpensAt: "10:00", ClosesAt: "14:00"}}, "fr", "en"),
		mk("youth/l1", "Youth Employment Services", "NL-1000", "Jobs, resumes and training for youth.", 30, weekdays, "en", "Spanish"),
		mk("old/l1", "Old Food Bank", "BD-1800.2000", "Closed food bank.", 0.5, weekdays, "en"),
		mk("helpline/", "Food Helpline", "BD-1800.2000*YF-3000", "Call for food programs across Ontario.", -1, always, "en"),
		mk("multi/near", "Multi Site Food Pantry", "BD-1800.1900", "Pantry with groceries.", 1, weekdays, "en"),
		mk("multi/far", "Multi Site Food Pantry", "BD-1800.1900", "Pantry with groceries.", 15, weekdays, "en"),
		mk("epicerie/l1", "Épicerie solidaire", "BD-1800.1900", "Produits à bas prix.", 5, weekdays, "fr"),
		mk("hampers/l1", "Hampers Program", "BD-1800.2250", "Boxes of fresh produce.", 8, weekdays, "en"),
	}
	docs[1].Region, docs[1].HasGeo, docs[1].Lat, docs[1].Lon = "east", true, 45.4215, -75.6972
	docs[1].RecordLanguage = "fr"
	docs[2].MinAge = ptr(18.0)
	docs[5].MinAge, docs[5].MaxAge = ptr(15.0), ptr(29.0)
	docs[6].Status = o211.StatusInactive
	docs[10].Modified = time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	for i := range docs {
		for j, l := range docs[i].Languages {
			docs[i].Languages[j] = NormalizeLanguage(l)
		}
	}
	return docs
}

func mustSearch(tb testing.TB, ix *Index, q o211.Query) *o211.Results {
	tb.Helper()
	res, err := ix.Search(context.Background(), q)
	if err != nil {
		tb.Fatalf("search %+v: %v", q, err)
	}
	return res
}

// keys returns the service/location keys of the results, in order.
func keys(res *o211.Results) []string {
	out := []string{}
	for _, r := range res.Results {
		out = append(out, r.ServiceID+"/"+r.LocationID)
	}
	return out
}

func sortedKeys(res *o211.Results) []string {
	k := keys(res)
	sort.Strings(k)
	return k
}

func TestIndex_SearchText(t *testing.T) {
	ix := MustBuildIndex(t, testDocs())
	for _, tc := range []struct {
		name string
		text string
		want []string // sorted keys
	}{
		{"EnglishStemming", "shelters", []string{"shelter-en/l1"}},
		{"EnglishPhrase", "food bank", []string{"food-en/l1"}},
		{"FrenchPhrase", "banque alimentaire", []string{"food-fr/l1"}},
		{"FrenchPlural", "banques alimentaires", []string{"food-fr/l1"}},
		{"AccentFoldedQuery", "epicerie", []string{"epicerie/l1", "food-fr/l1"}},
		{"AccentedQuery", "épicerie", []string{"epicerie/l1", "food-fr/l1"}},
		{"AccentedQueryUnaccentedDoc", "santé", []string{"health/l1"}},
		{"Elision", "hébergement", []string{"shelter-fr/l1"}},
		{"ElisionInQuery", "l'hébergement", []string{"shelter-fr/l1"}},
		{"TypeAheadFrench", "banq", []string{"food-fr/l1"}},
		{"TypeAheadEnglish", "shelt", []string{"shelter-en/l1"}},
		{"TypeAheadLastWordOnly", "food ban", []string{"food-en/l1"}},
		{"EveryWordMustMatch", "food shelter", []string{}},
		{"StopWordsIgnored", "the food bank of", []string{"food-en/l1"}},
		{"CaseInsensitive", "SEATON", []string{"shelter-en/l1"}},
		{"NoMatch", "zzzz", []string{}},
		{"OrganizationName", "org daily", []string{"food-en/l1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustSearch(t, ix, o211.Query{Text: tc.text})
			if got := sortedKeys(res); !slices.Equal(got, tc.want) || res.Total != len(tc.want) {
				t.Fatalf("%q: got %q (total %d), want %q", tc.text, got, res.Total, tc.want)
			}
		})
	}
	t.Run("NameBeatsDescription", func(t *testing.T) {
		res := mustSearch(t, ix, o211.Query{Text: "hampers"})
		if got := keys(res); len(got) != 2 || got[0] != "hampers/l1" {
			t.Fatalf("hampers: got %q, want hampers/l1 (name) first", got)
		}
		if res.Results[0].Score <= res.Results[1].Score {
			t.Fatalf("scores %v, %v: want descending", res.Results[0].Score, res.Results[1].Score)
		}
	})
}

func TestIndex_SearchFilters(t *testing.T) {
	ix := MustBuildIndex(t, testDocs())
	for _, tc := range []struct {
		name string
		q    o211.Query
		want []string
	}{
		{"TaxonomyCategory", o211.Query{Taxonomy: "BD"}, []string{"epicerie/l1", "food-en/l1", "food-fr/l1", "hampers/l1", "helpline/", "multi/far", "multi/near"}},
		{"TaxonomyDescendants", o211.Query{Taxonomy: "BD-1800.1900"}, []string{"epicerie/l1", "multi/far", "multi/near"}},
		{"TaxonomyLowerCase", o211.Query{Taxonomy: "bd-1800.2250"}, []string{"hampers/l1"}},
		{"TaxonomySecondPart", o211.Query{Taxonomy: "YF-3000"}, []string{"helpline/"}},
		{"TaxonomyCombined", o211.Query{Taxonomy: "BD-1800.2000*YF"}, []string{"helpline/"}},
		{"TaxonomyUnknown", o211.Query{Taxonomy: "ZZ-1"}, []string{}},
		{"TaxonomyAndText", o211.Query{Taxonomy: "BD-1800.2000", Text: "food"}, []string{"food-en/l1", "helpline/"}},
		{"OpenWednesday", o211.Query{Taxonomy: "B", OpenAt: wednesday10}, []string{"epicerie/l1", "food-en/l1", "food-fr/l1", "hampers/l1", "helpline/", "multi/far", "multi/near", "shelter-en/l1"}},
		{"OpenUnknownHoursExcluded", o211.Query{Text: "refuge", OpenAt: wednesday10}, []string{}},
		{"OpenMonthly", o211.Query{Taxonomy: "L", OpenAt: saturday11}, []string{"health/l1"}},
		{"ClosedMonthly", o211.Query{Taxonomy: "L", OpenAt: wednesday10}, []string{}},
		{"LanguageCode", o211.Query{Language: "fr"}, []string{"epicerie/l1", "food-en/l1", "food-fr/l1", "health/l1", "shelter-fr/l1"}},
		{"LanguageName", o211.Query{Language: "Français", Taxonomy: "BD"}, []string{"epicerie/l1", "food-en/l1", "food-fr/l1"}},
		{"LanguageOther", o211.Query{Language: "spa"}, []string{"youth/l1"}},
		{"AgeExcludesAdultsOnly", o211.Query{Age: ptr(16.0), Taxonomy: "BH"}, []string{"shelter-fr/l1"}},
		{"AgeWithinRange", o211.Query{Age: ptr(16.0), Taxonomy: "N"}, []string{"youth/l1"}},
		{"AgeAboveRange", o211.Query{Age: ptr(40.0), Taxonomy: "N"}, []string{}},
		{"Region", o211.Query{Region: "east"}, []string{"food-fr/l1"}},
		{"RegionUnknown", o211.Query{Region: "mars"}, []string{}},
		{"Organization", o211.Query{OrganizationID: "org-multi"}, []string{"multi/far", "multi/near"}},
		{"TaxonomyTermID", o211.Query{TaxonomyTermID: "term-LD-1500"}, []string{"health/l1"}},
		{"TaxonomyID", o211.Query{TaxonomyID: "airs", Taxonomy: "N"}, []string{"youth/l1"}},
		{"ModifiedAfter", o211.Query{ModifiedAfter: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)}, []string{"epicerie/l1"}},
		{"InactiveExcluded", o211.Query{Text: "old"}, []string{}},
		{"InactiveIncluded", o211.Query{Text: "old", IncludeInactive: true}, []string{"old/l1"}},
		{"Radius", o211.Query{HasNear: true, Lat: downLat, Lon: downLon, RadiusKm: 5.5}, []string{"epicerie/l1", "food-en/l1", "multi/near", "shelter-en/l1"}},
		{"RadiusAndTaxonomy", o211.Query{HasNear: true, Lat: downLat, Lon: downLon, RadiusKm: 16, Taxonomy: "BD-1800.1900"}, []string{"epicerie/l1", "multi/far", "multi/near"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustSearch(t, ix, tc.q)
			if got := sortedKeys(res); !slices.Equal(got, tc.want) || res.Total != len(tc.want) {
				t.Fatalf("got %q (total %d), want %q", got, res.Total, tc.want)
			}
		})
	}
}

func TestIndex_SearchOrder(t *testing.T) {
	ix := MustBuildIndex(t, testDocs())
	near := o211.Query{HasNear: true, Lat: downLat, Lon: downLon}
	t.Run("DistanceWithoutText", func(t *testing.T) {
		q := near
		q.RadiusKm = 16
		res := mustSearch(t, ix, q)
		want := []string{"food-en/l1", "multi/near", "shelter-en/l1", "epicerie/l1", "hampers/l1", "shelter-fr/l1", "multi/far"}
		if got := keys(res); !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
		if d := res.Results[1].DistanceKm; d == nil || *d != 1 {
			t.Fatalf("distance of multi/near = %v, want 1", d)
		}
	})
	t.Run("NoCoordinatesLast", func(t *testing.T) {
		q := near
		q.Taxonomy = "BD-1800.2000"
		res := mustSearch(t, ix, q)
		if got := keys(res); got[len(got)-1] != "helpline/" || res.Results[len(got)-1].DistanceKm != nil {
			t.Fatalf("got %q, want helpline/ last without distance", got)
		}
	})
	t.Run("TextBlendedWithDistance", func(t *testing.T) {
		q := near
		q.Text = "pantry"
		res := mustSearch(t, ix, q)
		if got := keys(res); !slices.Equal(got, []string{"multi/near", "multi/far"}) {
			t.Fatalf("got %q, want the nearer location first", got)
		}
		if res.Results[0].Score <= res.Results[1].Score {
			t.Fatalf("scores %v, %v: want the nearer higher", res.Results[0].Score, res.Results[1].Score)
		}
	})
	t.Run("NameWithoutTextOrNear", func(t *testing.T) {
		res := mustSearch(t, ix, o211.Query{Taxonomy: "BD-1800"})
		want := []string{"food-fr/l1", "food-en/l1", "epicerie/l1", "helpline/", "hampers/l1", "multi/far", "multi/near"}
		if got := keys(res); !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q (by name, accents folded, then id)", got, want)
		}
	})
	t.Run("Distinct", func(t *testing.T) {
		q := near
		q.Taxonomy, q.Distinct = "BD-1800.1900", true
		res := mustSearch(t, ix, q)
		if got := keys(res); !slices.Equal(got, []string{"multi/near", "epicerie/l1"}) || res.Total != 2 {
			t.Fatalf("got %q (total %d), want one result per service, the nearest location", got, res.Total)
		}
		res = mustSearch(t, ix, o211.Query{Taxonomy: "BD-1800.1900", Distinct: true})
		if got := keys(res); !slices.Equal(got, []string{"epicerie/l1", "multi/far"}) {
			t.Fatalf("got %q, want by name then id", got)
		}
	})
	t.Run("OpenStatusInResults", func(t *testing.T) {
		res := mustSearch(t, ix, o211.Query{Text: "seaton"}) // Now is a Wednesday, 11:00
		if o := res.Results[0].OpenNow; o == nil || !*o {
			t.Fatalf("open = %v, want true", o)
		}
		res = mustSearch(t, ix, o211.Query{Text: "refuge"})
		if o := res.Results[0].OpenNow; o != nil {
			t.Fatalf("open = %v, want unknown (nil)", *o)
		}
	})
}

func TestIndex_SearchPages(t *testing.T) {
	ix := MustBuildIndex(t, testDocs())
	all := mustSearch(t, ix, o211.Query{PerPage: 200})
	if all.Total != 11 || len(all.Results) != 11 {
		t.Fatalf("total %d, %d results, want 11 (the inactive one left out)", all.Total, len(all.Results))
	}
	var paged []string
	for page := 1; page <= 4; page++ {
		res := mustSearch(t, ix, o211.Query{Page: page, PerPage: 3})
		if res.Total != 11 || res.Page != page || res.PerPage != 3 {
			t.Fatalf("page %d: total %d page %d per page %d", page, res.Total, res.Page, res.PerPage)
		}
		paged = append(paged, keys(res)...)
	}
	if want := keys(all); !slices.Equal(paged, want) {
		t.Fatalf("pages give %q, want %q", paged, want)
	}
	if res := mustSearch(t, ix, o211.Query{Page: 5, PerPage: 3}); len(res.Results) != 0 || res.Total != 11 {
		t.Fatalf("page past the end: %d results, total %d", len(res.Results), res.Total)
	}
	if res := mustSearch(t, ix, o211.Query{}); res.Page != 1 || res.PerPage != 20 {
		t.Fatalf("defaults: page %d, per page %d", res.Page, res.PerPage)
	}
}

func TestIndex_SearchFacets(t *testing.T) {
	ix := MustBuildIndex(t, testDocs())
	count := func(res *o211.Results) map[string]int {
		m := map[string]int{}
		for _, f := range res.Facets.Taxonomy {
			m[f.Code] = f.Count
		}
		return m
	}
	res := mustSearch(t, ix, o211.Query{PerPage: 1})
	if len(res.Facets.Taxonomy) != len(o211.Categories) {
		t.Fatalf("%d facets, want all %d categories", len(res.Facets.Taxonomy), len(o211.Categories))
	}
	if f := res.Facets.Taxonomy[0]; f.Code != "B" || f.Name != "Basic Needs" || f.NameF != "Besoins essentiels" {
		t.Fatalf("first facet %+v", f)
	}
	want := map[string]int{}
	for _, c := range o211.Categories {
		want[c.Code] = 0
	}
	want["B"], want["L"], want["N"], want["Y"] = 9, 1, 1, 1
	if got := count(res); !mapsEqual(got, want) {
		t.Fatalf("facets %v, want %v (over all matches, not the page)", got, want)
	}
	res = mustSearch(t, ix, o211.Query{Text: "food", Distinct: true})
	if got := count(res); got["B"] != 3 || got["Y"] != 1 || res.Total != 3 {
		t.Fatalf("distinct food: facets %v total %d, want B 3 (services), Y 1", got, res.Total)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestIndex_SearchInvalid(t *testing.T) {
	ix := MustBuildIndex(t, testDocs())
	for _, tc := range []struct {
		name string
		q    o211.Query
	}{
		{"NegativePage", o211.Query{Page: -1}},
		{"PerPageTooLarge", o211.Query{PerPage: 201}},
		{"NegativePerPage", o211.Query{PerPage: -5}},
		{"NegativeRadius", o211.Query{HasNear: true, RadiusKm: -1}},
		{"RadiusWithoutNear", o211.Query{RadiusKm: 10}},
		{"LatitudeOutOfRange", o211.Query{HasNear: true, Lat: 91}},
		{"NegativeAge", o211.Query{Age: ptr(-1.0)}},
		{"UnknownLanguage", o211.Query{Language: "Klingon"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ix.Search(context.Background(), tc.q)
			if code := o211.ErrorCode(err); code != o211.EINVALID {
				t.Fatalf("error %v (code %q), want %s", err, code, o211.EINVALID)
			}
			if o211.ErrorMessage(err) == "" {
				t.Fatal("want a message")
			}
		})
	}
	t.Run("ContextDone", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := ix.Search(ctx, o211.Query{}); err != context.Canceled {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	})
}

func TestIndex_SearchEmpty(t *testing.T) {
	ix := New(Options{})
	res := mustSearch(t, ix, o211.Query{Text: "food", HasNear: true, Lat: downLat, Lon: downLon, RadiusKm: 5, OpenAt: wednesday10})
	if res.Total != 0 || len(res.Results) != 0 || len(res.Facets.Taxonomy) != len(o211.Categories) || ix.Len() != 0 {
		t.Fatalf("empty index: %+v", res)
	}
}

func TestIndex_SearchCache(t *testing.T) {
	docs := fixtureDocs(t, 3000)
	cached := MustBuildIndex(t, docs)
	plain := New(Options{Now: func() time.Time { return fixtureNow }, NoCache: true})
	if err := plain.Build(docs); err != nil {
		t.Fatal(err)
	}
	t.Run("SameResults", func(t *testing.T) {
		for _, q := range oracleQueries(t, 60) {
			for range 2 {
				got, want := mustSearch(t, cached, q), mustSearch(t, plain, q)
				if !slices.Equal(keys(got), keys(want)) || got.Total != want.Total {
					t.Fatalf("query %+v: cached %q, uncached %q", q, keys(got), keys(want))
				}
			}
		}
	})
	t.Run("DeepPages", func(t *testing.T) {
		q := o211.Query{Taxonomy: "B", PerPage: 200}
		all := map[string]bool{}
		total := 0
		for page := 1; ; page++ {
			q.Page = page
			res := mustSearch(t, cached, q)
			want := mustSearch(t, plain, q)
			if !slices.Equal(keys(res), keys(want)) {
				t.Fatalf("page %d differs from an uncached search", page)
			}
			for _, k := range keys(res) {
				all[k] = true
			}
			total = res.Total
			if len(res.Results) < q.PerPage {
				break
			}
		}
		if len(all) != total {
			t.Fatalf("paging gave %d distinct results, total %d", len(all), total)
		}
	})
	t.Run("WriteEmptiesCache", func(t *testing.T) {
		q := o211.Query{Text: "xylophone"}
		if mustSearch(t, cached, q).Total != 0 {
			t.Fatal("unexpected match")
		}
		d := docs[0]
		d.Description = "xylophone lessons"
		if err := cached.Replace([]string{d.ServiceID}, []Doc{d}); err != nil {
			t.Fatal(err)
		}
		if mustSearch(t, cached, q).Total != 1 {
			t.Fatal("a write left a stale cached answer")
		}
	})
	t.Run("CallerChangesDoNotLeak", func(t *testing.T) {
		q := o211.Query{Text: "food", PerPage: 3}
		res := mustSearch(t, cached, q)
		res.Results[0].ServiceName = "changed"
		res.Results[0].Taxonomy[0] = "changed"
		again := mustSearch(t, cached, q)
		if again.Results[0].ServiceName == "changed" || again.Results[0].Taxonomy[0] == "changed" {
			t.Fatal("a caller's change to results showed in a later search")
		}
	})
}
