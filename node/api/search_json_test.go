package api

import (
	"encoding/json"
	"testing"

	"github.com/o211/o211"
)

// The hand-written encoder gives exactly what encoding/json gives.
func TestAppendResults_MatchesEncodingJSON(t *testing.T) {
	d, open := 12.5, true
	tiny := 1e-9
	for _, res := range []*o211.Results{
		{},
		{Total: 2, Page: 1, PerPage: 20, Results: []o211.Result{
			{ServiceID: "s1", ServiceName: "Banque alimentaire <Vanier> & \"amis\"", OrganizationName: "Org\n\ttab\u2028",
				LocationID: "l1", DistanceKm: &d, Region: "east", Score: 0.8849, Language: "fr",
				Taxonomy: []string{"BD-1800", "YS-5000"}, Phone: "613", OpenNow: &open},
			{ServiceID: "s2", ServiceName: "bad \xff utf8 \x01", Region: "north", Score: 3, DistanceKm: &tiny},
			{ServiceID: "s3", Status: o211.StatusTemporarilyClosed, Closure: &o211.Closure{Until: "2027-01-15", Fr: "Fermé « travaux »"}},
			{ServiceID: "s4", Status: o211.StatusTemporarilyClosed, Closure: &o211.Closure{Until: "2027-01-15", En: "Closed", Fr: "Fermé"}},
		}, Facets: o211.Facets{Taxonomy: []o211.FacetCount{{Code: "B", Name: "Basic Needs", NameF: "Besoins", Count: 2}, {Code: "Y", Name: "Y"}}}},
	} {
		want, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendResults(nil, res); string(got) != string(want) {
			t.Errorf("appendResults\n got %s\nwant %s", got, want)
		}
	}
}

func BenchmarkAppendResults(b *testing.B) {
	d, open := 12.5, true
	res := &o211.Results{Total: 500, Page: 1, PerPage: 20}
	for i := 0; i < 20; i++ {
		res.Results = append(res.Results, o211.Result{ServiceID: "b69f8a29-ab43-4376-93b7-28e4defede65",
			ServiceName: "Banque alimentaire halal", OrganizationName: "Banque alimentaire communautaire de Katimavik",
			LocationID: "4b7f38b5-1ad5-4ddb-a27b-36714b15be0f", Address: "1313, chemin Maple, 3e étage, Kanata, ON K2L 5P8",
			DistanceKm: &d, Region: "east", Score: 0.88, Language: "fr", Taxonomy: []string{"BD-1800.8200-800"}, OpenNow: &open})
	}
	b.Run("Hand", func(b *testing.B) {
		var buf []byte
		for i := 0; i < b.N; i++ {
			buf = appendResults(buf[:0], res)
		}
	})
	b.Run("EncodingJSON", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			json.Marshal(res)
		}
	})
}
