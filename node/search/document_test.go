package search

import (
	"slices"
	"testing"
	"time"

	"github.com/o211/o211"
)

// fullService returns a nested HSDS service at two locations.
func fullService() *o211.Service {
	lat, lon := 43.6548, -79.3883
	min := 18.0
	return &o211.Service{
		ID: "svc-1", OrganizationID: "org-1", Name: "Daily Bread Food Bank", Status: o211.StatusActive,
		Description: "Emergency food hampers for families.", EligibilityDescription: "Residents of Toronto.",
		MinimumAge: &min,
		Organization: &o211.Organization{ID: "org-1", Name: "Daily Bread", Description: "A food charity.",
			Phones: []o211.Phone{{Number: "416-000-0000"}}},
		Phones:    []o211.Phone{{Number: "416-203-0050"}},
		Schedules: []o211.Schedule{weekly("MO,TU,WE,TH,FR", "09:00", "17:00")},
		Languages: []o211.Language{{Code: "eng"}, {Name: "Français"}},
		Attributes: []o211.Attribute{
			{TaxonomyTermID: "t-1", TaxonomyTerm: &o211.TaxonomyTerm{ID: "t-1", Code: "BD-1800.2000*YF-3000", Name: "Food Banks", TaxonomyID: "airs"}},
			{TaxonomyTerm: &o211.TaxonomyTerm{ID: "t-2", Code: "BD-5000", Name: "Meals"}},
		},
		ServiceAtLocations: []o211.ServiceAtLocation{
			{ID: "sal-1", LocationID: "loc-1", Location: &o211.Location{ID: "loc-1", Name: "Main depot",
				Latitude: &lat, Longitude: &lon,
				Addresses: []o211.Address{{Address1: "191 New Toronto St", City: "Toronto", StateProvince: "ON", PostalCode: "M8V 2E7", AddressType: "physical"}}}},
			{ID: "sal-2", LocationID: "loc-2",
				Schedules: []o211.Schedule{weekly("SA", "10:00", "12:00")},
				Phones:    []o211.Phone{{Number: "416-111-1111"}},
				Location:  &o211.Location{ID: "loc-2", Name: "Satellite", Schedules: []o211.Schedule{weekly("SU", "10:00", "12:00")}}},
		},
	}
}

func TestDocsFromService(t *testing.T) {
	names := func(code string) (string, string) {
		if code == "BD-1800.2000" {
			return "Food Pantries", "Banques alimentaires"
		}
		return "", ""
	}
	modified := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	docs := DocsFromService(fullService(), "central", modified, names)
	if len(docs) != 2 {
		t.Fatalf("got %d docs, want 2", len(docs))
	}
	d := docs[0]
	t.Run("Identity", func(t *testing.T) {
		if d.Key != "svc-1/loc-1" || d.ServiceID != "svc-1" || d.LocationID != "loc-1" || d.ServiceAtLocationID != "sal-1" ||
			d.OrganizationID != "org-1" || d.Region != "central" || !d.Modified.Equal(modified) {
			t.Fatalf("doc = %+v", d)
		}
	})
	t.Run("Display", func(t *testing.T) {
		if d.Address != "191 New Toronto St, Toronto, ON M8V 2E7" || d.Phone != "416-203-0050" || d.LocationName != "Main depot" ||
			d.OrganizationName != "Daily Bread" || d.RecordLanguage != "en" {
			t.Fatalf("doc = %+v", d)
		}
		if docs[1].Phone != "416-111-1111" {
			t.Fatalf("second doc phone = %q, want the service_at_location's", docs[1].Phone)
		}
	})
	t.Run("Taxonomy", func(t *testing.T) {
		if want := []string{"BD-1800.2000", "YF-3000", "BD-5000"}; !slices.Equal(d.Taxonomy, want) {
			t.Fatalf("taxonomy = %q, want %q", d.Taxonomy, want)
		}
		if want := []string{"Food Pantries", "Banques alimentaires", "Meals"}; !slices.Equal(d.TaxonomyNames, want) {
			t.Fatalf("taxonomy names = %q, want %q", d.TaxonomyNames, want)
		}
		if !slices.Equal(d.TaxonomyTermIDs, []string{"t-1", "t-2"}) || !slices.Equal(d.TaxonomyIDs, []string{"airs"}) {
			t.Fatalf("term ids %q, taxonomy ids %q", d.TaxonomyTermIDs, d.TaxonomyIDs)
		}
	})
	t.Run("Geo", func(t *testing.T) {
		if !d.HasGeo || d.Lat != 43.6548 || docs[1].HasGeo {
			t.Fatalf("geo: %v %v,%v; second %v", d.HasGeo, d.Lat, d.Lon, docs[1].HasGeo)
		}
	})
	t.Run("EffectiveSchedules", func(t *testing.T) {
		if d.Schedules[0].ByDay != "MO,TU,WE,TH,FR" || docs[1].Schedules[0].ByDay != "SA" {
			t.Fatalf("schedules: %v / %v", d.Schedules, docs[1].Schedules)
		}
	})
	t.Run("Languages", func(t *testing.T) {
		if !slices.Equal(d.Languages, []string{"en", "fr"}) {
			t.Fatalf("languages = %q", d.Languages)
		}
	})
	t.Run("Text", func(t *testing.T) {
		if d.Description != "Emergency food hampers for families.\nResidents of Toronto." || d.LocationText != "Main depot\nToronto" {
			t.Fatalf("description %q, location text %q", d.Description, d.LocationText)
		}
	})
	t.Run("NoLocation", func(t *testing.T) {
		svc := fullService()
		svc.ServiceAtLocations = nil
		svc.Name, svc.Description = "Banque alimentaire", "Des paniers pour les familles et les aînés."
		docs := DocsFromService(svc, "east", modified, nil)
		if len(docs) != 1 || docs[0].Key != "svc-1/" || docs[0].HasGeo || docs[0].RecordLanguage != "fr" {
			t.Fatalf("docs = %+v", docs)
		}
		if !slices.Equal(docs[0].TaxonomyNames, []string{"Meals"}) {
			t.Fatalf("without names, want only the single-code term's own name, got %q", docs[0].TaxonomyNames)
		}
	})
	t.Run("ScheduleFallsBackToLocation", func(t *testing.T) {
		svc := fullService()
		svc.Schedules = nil
		svc.ServiceAtLocations[1].Schedules = nil
		docs := DocsFromService(svc, "central", modified, nil)
		if len(docs[0].Schedules) != 0 || docs[1].Schedules[0].ByDay != "SU" {
			t.Fatalf("schedules: %v / %v", docs[0].Schedules, docs[1].Schedules)
		}
	})
}

// Attributes that keep a source system's fields (the 211 Ontario importer
// stores id_program that way) are not taxonomy classifications.
func TestDocsFromService_SkipsSourceFields(t *testing.T) {
	svc := &o211.Service{ID: "s", Name: "Meals", Status: "active", Attributes: []o211.Attribute{
		{ID: "a1", LinkID: "s", LinkType: "service_type", TaxonomyTermID: "t1", TaxonomyTerm: &o211.TaxonomyTerm{ID: "t1", Code: "BD-5000.1470", Name: "Community Meals"}},
		{ID: "a2", LinkID: "s", LinkType: SourceFieldLinkType, Value: "60932040", TaxonomyTermID: "t2", TaxonomyTerm: &o211.TaxonomyTerm{ID: "t2", Code: "id_program", Name: "211 Ontario program id"}},
	}}
	docs := DocsFromService(svc, "central", time.Time{}, nil)
	if len(docs) != 1 || len(docs[0].Taxonomy) != 1 || docs[0].Taxonomy[0] != "BD-5000.1470" || len(docs[0].TaxonomyTermIDs) != 1 {
		t.Fatalf("doc taxonomy %q, term ids %q; want only BD-5000.1470", docs[0].Taxonomy, docs[0].TaxonomyTermIDs)
	}
}
