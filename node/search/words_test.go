package search

import (
	"slices"
	"testing"
)

func TestNextWord(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want []string
	}{
		{"Spaces", "  food  bank ", []string{"food", "bank"}},
		{"Punctuation", "Food-bank, (shelter)!", []string{"Food", "bank", "shelter"}},
		{"Elision", "l'hébergement d’urgence", []string{"l'hébergement", "d’urgence"}},
		{"Possessive", "children's aid", []string{"children's", "aid"}},
		{"TrailingApostrophe", "parents' group", []string{"parents", "group"}},
		{"Decimal", "1.5 km 24/7", []string{"1.5", "km", "24", "7"}},
		{"Accents", "Épicerie santé", []string{"Épicerie", "santé"}},
		{"PostalCode", "M5T 2L9", []string{"M5T", "2L9"}},
		{"Empty", " -- ", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			eachWord(tc.text, func(w string) { got = append(got, w) })
			if !slices.Equal(got, tc.want) {
				t.Fatalf("words of %q = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestAnalyzer_Analyze(t *testing.T) {
	a := sharedAnalyzer()
	for _, tc := range []struct {
		raw     string
		ok      bool
		surface string
		terms   []string // en, then fr when different
	}{
		{"Shelters", true, "shelters", []string{"shelter", "shelt"}},
		{"shelter", true, "shelter", []string{"shelter", "shelt"}},
		{"banque", true, "banque", []string{"banqu"}},
		{"Épicerie", true, "epicerie", []string{"epiceri", "epic"}},
		{"epicerie", true, "epicerie", []string{"epiceri", "epic"}},
		{"santé", true, "sante", []string{"sant"}},
		{"l'hébergement", true, "hebergement", []string{"heberg"}},
		{"children's", true, "children", []string{"children"}},
		{"the", false, "", nil},
		{"de", false, "", nil},
		{"été", false, "", nil},
		{"ete", false, "", nil},
		{"x", false, "", nil},
		{"7", true, "7", []string{"7"}},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			w, ok := a.analyze(wordText(tc.raw))
			if ok != tc.ok {
				t.Fatalf("analyze(%q) ok = %v, want %v", tc.raw, ok, tc.ok)
			}
			if !ok {
				return
			}
			got := []string{w.en}
			if w.fr != "" {
				got = append(got, w.fr)
			}
			if w.surface != tc.surface || !slices.Equal(got, tc.terms) {
				t.Fatalf("analyze(%q) = %q %q, want %q %q", tc.raw, w.surface, got, tc.surface, tc.terms)
			}
		})
	}
}

func TestNormalizeLanguage(t *testing.T) {
	for in, want := range map[string]string{
		"fr": "fr", "fra": "fr", "fre": "fr", "French": "fr", "Français": "fr", "francais": "fr", "fr-CA": "fr",
		"en": "en", "eng": "en", "English": "en", "EN_ca": "en",
		"Spanish": "es", "spa": "es", "Punjabi": "pa", "ASL": "ase",
		"ps": "ps", "": "", "Klingon": "",
	} {
		if got := NormalizeLanguage(in); got != want {
			t.Errorf("NormalizeLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}
