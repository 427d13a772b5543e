package hsds_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/store"
)

func f64(v float64) *float64 { return &v }

func mustStore(tb testing.TB) *store.Store {
	tb.Helper()
	s := testutil.MustOpenStoreWith(tb, store.Options{Region: "central", NoSync: true})
	changes := []o211.Change{
		o211.Upsert(&o211.Taxonomy{ID: "tx", Name: "211 HSIS", Description: "AIRS"}),
		o211.Upsert(&o211.TaxonomyTerm{ID: "term-food", Code: "BD-1800.2000", Name: "Food Pantries", TaxonomyID: "tx"}),
		o211.Upsert(&o211.Organization{ID: "org", Name: "Daily Bread", Description: "Food bank"}),
		o211.Upsert(&o211.Service{ID: "svc", OrganizationID: "org", Name: "Food bank", Status: "active"}),
		o211.Upsert(&o211.Service{ID: "svc2", OrganizationID: "org", Name: "Meals", Status: "active"}),
		o211.Upsert(&o211.Location{ID: "loc", OrganizationID: "org", LocationType: "physical", Latitude: f64(43.6), Longitude: f64(-79.4)}),
		o211.Upsert(&o211.Address{ID: "addr", LocationID: "loc", Address1: "191 New Toronto St", City: "Toronto",
			StateProvince: "ON", PostalCode: "M8V 2E7", Country: "CA", AddressType: "physical"}),
		o211.Upsert(&o211.ServiceAtLocation{ID: "sal", ServiceID: "svc", LocationID: "loc"}),
		o211.Upsert(&o211.Schedule{ID: "sch", ServiceAtLocationID: "sal", Freq: "WEEKLY", ByDay: "MO", OpensAt: "09:00", ClosesAt: "12:00"}),
		o211.Upsert(&o211.Phone{ID: "ph", ServiceID: "svc", Number: "416-203-0050"}),
		o211.Upsert(&o211.Language{ID: "lang", PhoneID: "ph", Code: "fr", Name: "French"}),
		o211.Upsert(&o211.Attribute{ID: "attr", LinkID: "svc", LinkEntity: "service", TaxonomyTermID: "term-food"}),
	}
	if _, err := s.Write(o211.WithActor(context.Background(), o211.System("test")), changes, o211.WriteOptions{}); err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestFullService(t *testing.T) {
	s := mustStore(t)
	s.View(func(tx *store.Tx) error {
		svc, err := hsds.FullService(tx, "svc")
		if err != nil {
			t.Fatal(err)
		}
		if svc.Organization == nil || svc.Organization.Name != "Daily Bread" {
			t.Fatalf("organization %+v", svc.Organization)
		}
		if len(svc.Phones) != 1 || len(svc.Phones[0].Languages) != 1 {
			t.Fatalf("phones %+v", svc.Phones)
		}
		if len(svc.ServiceAtLocations) != 1 {
			t.Fatalf("service_at_locations %+v", svc.ServiceAtLocations)
		}
		sal := svc.ServiceAtLocations[0]
		if sal.Location == nil || len(sal.Location.Addresses) != 1 || len(sal.Schedules) != 1 {
			t.Fatalf("service_at_location %+v", sal)
		}
		if len(svc.Attributes) != 1 || svc.Attributes[0].TaxonomyTerm == nil ||
			svc.Attributes[0].TaxonomyTerm.TaxonomyDetail == nil {
			t.Fatalf("attributes %+v", svc.Attributes)
		}
		if svc.LastModified == "" {
			t.Fatal("last_modified not set")
		}
		return nil
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s.View(func(tx *store.Tx) error {
			if _, err := hsds.FullService(tx, "nope"); o211.ErrorCode(err) != o211.ENOTFOUND {
				t.Fatalf("got %v, want ENOTFOUND", err)
			}
			return nil
		})
	})
}

func TestOrganization_FullServices(t *testing.T) {
	s := mustStore(t)
	s.View(func(tx *store.Tx) error {
		org, err := hsds.Organization(tx, "org", true, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(org.Services) != 2 || len(org.Locations) != 1 {
			t.Fatalf("%d services, %d locations; want 2, 1", len(org.Services), len(org.Locations))
		}
		return nil
	})
}

func TestAffectedServices(t *testing.T) {
	s := mustStore(t)
	for _, tc := range []struct {
		name    string
		changed hsds.Changed
		want    []string
	}{
		{"Address", hsds.Changed{Kind: o211.KindAddress, ID: "addr"}, []string{"svc"}},
		{"Organization", hsds.Changed{Kind: o211.KindOrganization, ID: "org"}, []string{"svc", "svc2"}},
		{"Term", hsds.Changed{Kind: o211.KindTaxonomyTerm, ID: "term-food"}, []string{"svc"}},
		{"PhoneLanguage", hsds.Changed{Kind: o211.KindLanguage, ID: "lang"}, []string{"svc"}},
		{"Schedule", hsds.Changed{Kind: o211.KindSchedule, ID: "sch"}, []string{"svc"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.View(func(tx *store.Tx) error {
				got, err := hsds.AffectedServices(tx, []hsds.Changed{tc.changed})
				if err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("got %q, %v; want %q", got, err, tc.want)
				}
				return nil
			})
		})
	}
	t.Run("DeletedServiceAtLocation", func(t *testing.T) {
		res, err := s.Write(o211.WithActor(context.Background(), o211.System("test")), []o211.Change{o211.Delete(o211.KindServiceAtLocation, "sal")}, o211.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var changed []hsds.Changed
		for _, c := range res.Changed {
			changed = append(changed, hsds.Changed{Kind: c.Kind, ID: c.ID})
		}
		s.View(func(tx *store.Tx) error {
			got, err := hsds.AffectedServices(tx, changed)
			if err != nil || !reflect.DeepEqual(got, []string{"svc"}) {
				t.Fatalf("got %q, %v; want [svc]", got, err)
			}
			return nil
		})
	})
}

// The lean form for the index holds everything the search docs read.
func TestIndexView_Service(t *testing.T) {
	s := mustStore(t)
	s.View(func(tx *store.Tx) error {
		rec, _ := tx.Get(o211.KindService, "svc")
		svc, err := hsds.NewIndexView(tx).Service(rec)
		if err != nil {
			t.Fatal(err)
		}
		if svc.Organization == nil || len(svc.Phones) != 1 || len(svc.Attributes) != 1 || svc.Attributes[0].TaxonomyTerm == nil {
			t.Fatalf("service %+v", svc)
		}
		if len(svc.ServiceAtLocations) != 1 || svc.ServiceAtLocations[0].Location == nil ||
			len(svc.ServiceAtLocations[0].Location.Addresses) != 1 || len(svc.ServiceAtLocations[0].Schedules) != 1 {
			t.Fatalf("service_at_locations %+v", svc.ServiceAtLocations)
		}
		return nil
	})
}
