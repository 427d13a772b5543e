package o211_test

import (
	"strings"
	"testing"

	"github.com/o211/o211"
)

func TestValidID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"ac148810-d857-441c-9679-408f346de14b", true},
		{"svc-1", true}, {"a.b_c:d~e", true}, {"9", true},
		{"", false}, {"-x", false}, {"a b", false}, {"a/b", false}, {"é", false}, {"a\x00b", false},
		{strings.Repeat("a", o211.MaxIDLength), true}, {strings.Repeat("a", o211.MaxIDLength+1), false},
	} {
		if err := o211.ValidID("id", tc.id); (err == nil) != tc.ok {
			t.Errorf("ValidID(%q) = %v, want ok %v", tc.id, err, tc.ok)
		}
	}
}

func TestService_Validate(t *testing.T) {
	age := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		name  string
		svc   o211.Service
		field string
	}{
		{"OK", o211.Service{ID: "s", Name: "Food bank", Status: "active"}, ""},
		{"ErrNameRequired", o211.Service{ID: "s", Status: "active"}, "name"},
		{"ErrStatus", o211.Service{ID: "s", Name: "x", Status: "open"}, "status"},
		{"ErrAges", o211.Service{ID: "s", Name: "x", Status: "active", MinimumAge: age(30), MaximumAge: age(20)}, "minimum_age"},
		{"ErrEmail", o211.Service{ID: "s", Name: "x", Status: "active", Email: "nope"}, "email"},
		{"ErrDate", o211.Service{ID: "s", Name: "x", Status: "active", AssuredDate: "Feb 7 2017"}, "assured_date"},
		{"ErrUTF8", o211.Service{ID: "s", Name: "x", Status: "active", Description: "\xc3"}, "description"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.svc.Validate()
			var field string
			if e, ok := err.(*o211.Error); ok {
				field = e.Field
			}
			if field != tc.field {
				t.Fatalf("Validate() = %v (field %q), want field %q", err, field, tc.field)
			}
		})
	}
}
