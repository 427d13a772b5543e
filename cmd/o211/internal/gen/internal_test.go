package gen

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/o211/o211/node/geo"
)

func TestTownOf(t *testing.T) {
	for _, tc := range []struct {
		fsa, city, area string
	}{
		{"K0A", "Almonte", "Almonte"},
		{"P0K", "Iroquois Falls", "Iroquois Falls"},
		{"M1B", "Toronto", "Malvern"},
		{"M9N", "Toronto", "Weston"},
		{"M5V", "Toronto", "Railway Lands"},
		{"M6J", "Toronto", "Trinity"}, // the first part of the place is misspelt in the data
		{"M6L", "Toronto", "North Park"},
		{"L1G", "Oshawa", "Oshawa"},
		{"K8A", "Pembroke", "Pembroke"},
		{"P3A", "Sudbury", "New Sudbury"},
		{"N8Y", "Windsor", "Walkerville"},
		{"K4B", "Cumberland", "Cumberland"},
		{"L3R", "Markham", "Markham"},
	} {
		t.Run(tc.fsa, func(t *testing.T) {
			f, ok := geo.LookupFSA(tc.fsa)
			if !ok {
				t.Fatalf("no FSA %s", tc.fsa)
			}
			if city, area := townOf(f); city != tc.city || area != tc.area {
				t.Errorf("townOf(%s %q) = %q, %q; want %q, %q", f.Code, f.Place, city, area, tc.city, tc.area)
			}
		})
	}
	placesOnce.Do(loadPlaces)
	for _, p := range places {
		if p.City == "" || p.Area == "" || strings.ContainsAny(p.City+p.Area, "()/") || len(p.Near) == 0 {
			t.Errorf("%s %q: city %q, area %q, %d near", p.Code, p.Place, p.City, p.Area, len(p.Near))
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		name   string
		s      slot
		en, fr string
	}{
		{"Weekdays", slot{weekdays, 0, hm(9, 0), hm(17, 0)}, "Mon-Fri 9 am-5 pm", "Du lundi au vendredi, de 9 h à 17 h"},
		{"HalfHours", slot{[]int{1, 2, 3, 4}, 0, hm(8, 30), hm(16, 30)}, "Tue-Fri 8:30 am-4:30 pm", "Du mardi au vendredi, de 8 h 30 à 16 h 30"},
		{"Days", slot{[]int{0, 2, 4}, 0, hm(12, 0), hm(13, 30)}, "Mon, Wed, Fri 12 pm-1:30 pm", "Lundi, mercredi et vendredi, de 12 h à 13 h 30"},
		{"OneDay", slot{[]int{5}, 0, hm(10, 0), hm(14, 0)}, "Sat 10 am-2 pm", "Le samedi, de 10 h à 14 h"},
		{"Monthly", slot{[]int{5}, 3, hm(12, 0), hm(14, 0)}, "3rd Sat of the month, 12 pm-2 pm", "Le 3e samedi du mois, de 12 h à 14 h"},
		{"LastOfMonth", slot{[]int{4}, -1, hm(17, 0), hm(18, 30)}, "Last Fri of the month, 5 pm-6:30 pm", "Le dernier vendredi du mois, de 17 h à 18 h 30"},
		{"AroundTheClock", slot{allDays, 0, 0, endOfDay}, "Open 24 hours, 7 days a week", "Ouvert 24 heures sur 24, 7 jours sur 7"},
		{"Daily", slot{allDays, 0, hm(11, 0), hm(19, 0)}, "Daily 11 am-7 pm", "Tous les jours, de 11 h à 19 h"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := describe(tc.s, false); got != tc.en {
				t.Errorf("English: got %q, want %q", got, tc.en)
			}
			if got := describe(tc.s, true); got != tc.fr {
				t.Errorf("French: got %q, want %q", got, tc.fr)
			}
		})
	}
	if got := byDay(slot{[]int{5}, 3, 0, 0}); got != "3SA" {
		t.Errorf("byDay(3rd Saturday) = %q, want 3SA", got)
	}
}

func TestSlug(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"Agincourt Food Bank", "agincourtfoodbank"},
		{"St. Andrew's Presbyterian Church", "sapchurch"},
		{"Banque alimentaire communautaire de Sudbury", "bacsudbury"},
		{"Centre d'amitié autochtone d'Orléans", "caaorleans"},
		{"Église Unie Sainte-Anne", "egliseuniesainteanne"},
	} {
		if got := slug(tc.name); got != tc.want {
			t.Errorf("slug(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestQuotas(t *testing.T) {
	placesOnce.Do(loadPlaces)
	for _, total := range []int{0, 1, 7, 521, 6000, 60001} {
		sum := 0
		for i, q := range quotas(total) {
			sum += q
			want := float64(total) * float64(regions[i].FSAs) / 521
			if float64(q) < want-1 || float64(q) > want+1 {
				t.Errorf("quotas(%d)[%s] = %d, want %.1f", total, regions[i].ID, q, want)
			}
		}
		if sum != total {
			t.Errorf("quotas(%d) sum to %d", total, sum)
		}
	}
}

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

// Every text exists in both languages and uses only known placeholders.
func TestCatalog(t *testing.T) {
	known := map[string]bool{"{area}": true, "{de_area}": true, "{city}": true, "{de_city}": true, "{saint}": true, "{saintfr}": true}
	check := func(where string, b bi) {
		t.Helper()
		if b.en == "" || b.fr == "" {
			t.Errorf("%s: missing text %q / %q", where, b.en, b.fr)
		}
		for _, s := range []string{b.en, b.fr} {
			for _, p := range placeholder.FindAllString(s, -1) {
				if !known[p] {
					t.Errorf("%s: unknown placeholder %s in %q", where, p, s)
				}
			}
		}
		if strings.Contains(b.en, "{de_") || strings.Contains(b.fr, "{area}") || strings.Contains(b.fr, "{city}") {
			t.Errorf("%s: English takes {area} and {city}, French {de_area} and {de_city}: %q / %q", where, b.en, b.fr)
		}
	}
	for _, key := range allKeys {
		tpl := templateIndex[key]
		if len(tpl.codes) == 0 || len(tpl.codes) > 3 || len(tpl.names) == 0 || len(tpl.desc) == 0 || tpl.weight <= 0 {
			t.Errorf("template %s is incomplete", key)
		}
		for _, n := range tpl.names {
			check(key, n.bi)
		}
		for _, d := range tpl.desc {
			check(key, d)
		}
	}
	for _, k := range kinds {
		check(k.key, k.mission)
		for _, n := range k.names {
			check(k.key, n)
		}
		if len(k.pool) < 5 {
			t.Errorf("kind %s offers only %d kinds of service", k.key, len(k.pool))
		}
	}
	for _, e := range eligibilities {
		check("eligibility", e.text)
	}
	for _, list := range [][]bi{more, accessibility} {
		for _, b := range list {
			check("sentence", b)
		}
	}
	for code := range byCode {
		if templateFor(code) == nil {
			t.Errorf("no template for %s", code)
		}
	}
	for _, c := range sampleCodes {
		main, _ := splitForced(c)
		if tpl := templateFor(main); strings.HasPrefix(tpl.key, "generic:") {
			t.Errorf("sample code %s has no written template", main)
		}
	}
}

// Changing the case of a first letter keeps multi-byte letters whole: it
// once cut "É" in half and wrote invalid UTF-8 into French descriptions.
func TestCaseOfFirstLetter(t *testing.T) {
	for _, tc := range []struct{ in, lower, upper string }{
		{"Éducation des adultes", "éducation des adultes", "Éducation des adultes"},
		{"aide", "aide", "Aide"},
		{"Ôtel", "ôtel", "Ôtel"},
	} {
		if got := lowerFirst(tc.in); got != tc.lower || !utf8.ValidString(got) {
			t.Errorf("lowerFirst(%q) = %q, want %q", tc.in, got, tc.lower)
		}
		if got := upperFirst(tc.lower); got != tc.upper {
			t.Errorf("upperFirst(%q) = %q, want %q", tc.lower, got, tc.upper)
		}
	}
}
