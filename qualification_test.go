package o211_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/o211/o211"
)

func TestParseQualifications(t *testing.T) {
	got, err := o211.ParseQualifications("languages", []string{" FR ", "en", "fr"})
	if err != nil || !slices.Equal(got, []string{"fr", "en"}) {
		t.Fatalf("got %v, %v; want fr, en", got, err)
	}
	if got, err := o211.ParseQualifications("skills", nil); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("nil: %#v, %v; want an empty list", got, err)
	}
	for _, in := range [][]string{{""}, {"crisis!"}, {strings.Repeat("x", 21)}, {"é"}, make([]string, 21)} {
		_, err := o211.ParseQualifications("skills", in)
		if o211.ErrorCode(err) != o211.EINVALID || !strings.HasPrefix(o211.ErrorMessage(err), "skills: ") {
			t.Errorf("%q: %v; want EINVALID on skills", in, err)
		}
	}
	if u := (&o211.User{}); !slices.Equal(u.GrantedLanguages(), []string{"en"}) {
		t.Errorf("a user given no language: %v; want en", u.GrantedLanguages())
	}
}
