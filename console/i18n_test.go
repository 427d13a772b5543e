package console

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nicksnyder/go-i18n/v2/i18n"
)

// TestCatalog_EveryKeyInBothLanguages loads the catalogues (New does the
// same, so a message without its French text stops the server at start)
// and checks that no French text is left in English.
func TestCatalog_EveryKeyInBothLanguages(t *testing.T) {
	c, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.plain[French]) < 100 {
		t.Fatalf("only %d French messages", len(c.plain[French]))
	}
	for id, en := range c.plain[English] {
		fr, ok := c.plain[French][id]
		if !ok {
			t.Errorf("%s has no French text", id)
		} else if fr == en && len(en) > 12 && !strings.Contains(en, "{{") {
			t.Errorf("%s: the French text is the English one: %q", id, en)
		}
	}
}

func TestCatalog_MissingFrenchFails(t *testing.T) {
	if err := sameKeys([]string{"a", "b"}, []string{"a"}); err == nil || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("a message without French gave %v", err)
	}
	if err := sameKeys([]string{"a"}, []string{"a", "c"}); err == nil || !strings.Contains(err.Error(), `"c"`) {
		t.Errorf("a French message without English gave %v", err)
	}
}

func TestCatalog_Plurals(t *testing.T) {
	c, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang  string
		count int
		want  string
	}{
		{English, 1, "1 service found"}, {English, 0, "0 services found"}, {English, 2, "2 services found"},
		{French, 1, "1 service trouvé"}, {French, 0, "0 service trouvé"}, {French, 2, "2 services trouvés"},
	} {
		if got := c.MustT(tc.lang, "results.count", "Count", tc.count); got != tc.want {
			t.Errorf("%s %d: got %q, want %q", tc.lang, tc.count, got, tc.want)
		}
	}
}

// TestCatalog_FilesAreFlat keeps the catalogue files simple for
// translators: one object of ids, each a string or a plural form.
func TestCatalog_FilesAreFlat(t *testing.T) {
	for _, lang := range Languages {
		b, err := localeFS.ReadFile("locales/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
	}
}

// TestCatalog_SimpleMessagesAsGoI18n checks that T's own filling of plain
// {{.Name}} messages gives what go-i18n's templates give.
func TestCatalog_SimpleMessagesAsGoI18n(t *testing.T) {
	c, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	args := []any{"Km", "2,5", "From", "9 h", "To", "17 h", "Min", "3", "Max", "12", "Name", "Banque <x>", "Date", "7 décembre 2026", "Code", "H2X"}
	n := 0
	for _, lang := range Languages {
		for id := range c.simple[lang] {
			data := map[string]any{}
			for i := 0; i < len(args); i += 2 {
				data[args[i].(string)] = args[i+1]
			}
			want, err := c.loc[lang].Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
			if err != nil {
				t.Fatal(err)
			}
			if got := fillSimple(c.simple[lang][id], args); got != want {
				t.Errorf("%s %s: got %q, go-i18n gives %q", lang, id, got, want)
			}
			n++
		}
	}
	if n < 10 {
		t.Errorf("only %d simple messages", n)
	}
}
