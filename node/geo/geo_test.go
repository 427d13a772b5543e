package geo_test

import (
	"math"
	"testing"

	"github.com/o211/o211/node/geo"
)

func TestFSAs(t *testing.T) {
	fsas := geo.FSAs()
	if len(fsas) != 521 {
		t.Fatalf("got %d FSAs, want 521", len(fsas))
	}
	perRegion := map[string]int{}
	for _, f := range fsas {
		if _, ok := geo.RegionByID(f.Region); !ok {
			t.Fatalf("FSA %s has unknown region %q", f.Code, f.Region)
		}
		perRegion[f.Region]++
	}
	if len(perRegion) != 6 {
		t.Fatalf("got %d regions, want 6", len(perRegion))
	}
	f, ok := geo.LookupFSA("m5t")
	if !ok || f.Region != "central" {
		t.Fatalf("LookupFSA(m5t) = %+v, %v", f, ok)
	}
	if k0a, _ := geo.LookupFSA("K0A"); !k0a.Rural() {
		t.Fatal("K0A should be rural")
	}
}

func TestParseNear(t *testing.T) {
	for _, tc := range []struct {
		in      string
		wantErr bool
	}{
		{"M5T 2L9", false}, {"m5t2l9", false}, {"M5T", false}, {"43.65,-79.38", false},
		{"X1X", true}, {"hello", true}, {"91,0", true}, {"M5T 2L", true},
	} {
		_, err := geo.ParseNear(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseNear(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
		}
	}
}

func TestDistanceKm(t *testing.T) {
	// Toronto to Ottawa is about 352 km.
	d := geo.DistanceKm(43.6532, -79.3832, 45.4215, -75.6972)
	if math.Abs(d-352) > 5 {
		t.Fatalf("Toronto-Ottawa = %.1f km, want about 352", d)
	}
}

func TestNormalizePostalCode(t *testing.T) {
	if got, err := geo.NormalizePostalCode(" m5t2l9 "); err != nil || got != "M5T 2L9" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := geo.NormalizePostalCode("12345"); err == nil {
		t.Fatal("want error for a ZIP code")
	}
}
