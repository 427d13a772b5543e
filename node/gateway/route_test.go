package gateway_test

import (
	"testing"

	"github.com/o211/o211/node/gateway"
)

func TestRouter_Route(t *testing.T) {
	rt := &gateway.Router{Default: "central-south"}
	tests := []struct {
		name, postal, phone string
		want                gateway.Route
	}{
		{"PostalCode", "K1N 6N5", "+14165550100", gateway.Route{Region: "east", RoutedBy: "postal code K1N 6N5", Postal: "K1N 6N5"}},
		{"PostalCodeTypedLoosely", " k1n-6n5 ", "", gateway.Route{Region: "east", RoutedBy: "postal code K1N 6N5", Postal: "K1N 6N5"}},
		{"PostalCodeSpoken", "k 1 n six n five", "", gateway.Route{Region: "east", RoutedBy: "postal code K1N 6N5", Postal: "K1N 6N5"}},
		{"PostalCodeSpokenFrench", "p sept b deux b deux", "", gateway.Route{Region: "north", RoutedBy: "postal code P7B 2B2", Postal: "P7B 2B2"}},
		{"FSA", "N9A", "", gateway.Route{Region: "south-west", RoutedBy: "FSA N9A", Postal: "N9A"}},
		{"KeypadOneRegion", "772", "+16135550100", gateway.Route{Region: "north", RoutedBy: "keypad 772 (P7A or P7B or P7C)"}},
		{"KeypadSixDigits", "772222", "", gateway.Route{Region: "north", RoutedBy: "keypad 772 (P7A or P7B or P7C)"}},
		// 5-1-6 spells K1M, K1N (east) and L1M, L1N (central): the area code decides.
		{"KeypadTwoRegions", "516", "+16135550100", gateway.Route{Region: "east", RoutedBy: "area code 613"}},
		{"NotOntario", "H2X 1Y4", "+18075550100", gateway.Route{Region: "north", RoutedBy: "area code 807"}},
		{"Sentence", "I need help with rent", "+15195550100", gateway.Route{Region: "south-west", RoutedBy: "area code 519"}},
		{"NoAnswer", "", "+14165550100", gateway.Route{Region: "central", RoutedBy: "area code 416"}},
		{"UnknownAreaCode", "", "+12125550100", gateway.Route{Region: "central-south", RoutedBy: "default region"}},
		{"NotANumber", "", "alice@example.com", gateway.Route{Region: "central-south", RoutedBy: "default region"}},
		{"Oversized", string(make([]byte, 1000)), "", gateway.Route{Region: "central-south", RoutedBy: "default region"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rt.Route(tt.postal, tt.phone); got != tt.want {
				t.Fatalf("Route(%.20q, %q) = %+v, want %+v", tt.postal, tt.phone, got, tt.want)
			}
		})
	}
	t.Run("ConfiguredAreaCodes", func(t *testing.T) {
		rt := &gateway.Router{Default: "east", AreaCodes: map[string]string{"705": "central-east"}}
		if got := rt.Route("", "+17055550100"); got.Region != "central-east" {
			t.Fatalf("705 with a configured table: %+v, want central-east", got)
		}
		if got := rt.Route("", "+14165550100"); got.Region != "east" || got.RoutedBy != "default region" {
			t.Fatalf("416 missing from the configured table: %+v, want the default region", got)
		}
	})
}
