package o211_test

import (
	"reflect"
	"testing"

	"github.com/o211/o211"
)

func TestTaxonomyAncestors(t *testing.T) {
	for _, tc := range []struct {
		code string
		want []string
	}{
		{"B", []string{"B"}},
		{"BD", []string{"B", "BD"}},
		{"BD-1800", []string{"B", "BD", "BD-1800"}},
		{"BD-1800.2000", []string{"B", "BD", "BD-1800", "BD-1800.2000"}},
		{"BM-6500.6500-450", []string{"B", "BM", "BM-6500", "BM-6500.6500", "BM-6500.6500-450"}},
		{"RX-8470.1900-610", []string{"R", "RX", "RX-8470", "RX-8470.1900", "RX-8470.1900-610"}},
	} {
		if got := o211.TaxonomyAncestors(tc.code); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("TaxonomyAncestors(%q) = %q, want %q", tc.code, got, tc.want)
		}
	}
}

func TestTaxonomyMatches(t *testing.T) {
	for _, tc := range []struct {
		code, filter string
		want         bool
	}{
		{"BD-1800.2000", "BD-1800", true},
		{"BD-1800", "BD-1800", true},
		{"BD-18000", "BD-1800", false},
		{"BD-1800.2000", "B", true},
		{"BD-1800.2000", "BD", true},
		{"BH-1800", "BD", false},
		{"BD", "BD-1800", false},
	} {
		if got := o211.TaxonomyMatches(tc.code, tc.filter); got != tc.want {
			t.Errorf("TaxonomyMatches(%q, %q) = %v, want %v", tc.code, tc.filter, got, tc.want)
		}
	}
}

func TestSplitTaxonomyCode(t *testing.T) {
	got := o211.SplitTaxonomyCode("BD-5000.1470*YS-5000.5000")
	if want := []string{"BD-5000.1470", "YS-5000.5000"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
