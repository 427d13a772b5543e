package taxonomy_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/o211/o211"
	"github.com/o211/o211/node/taxonomy"
)

// sampleNames returns, for every code in the tax_code column of the 211
// Ontario sample, the names the tax_name column gives it.
func sampleNames(tb testing.TB) map[string]map[string]bool {
	tb.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "211ontario-sample.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	out := map[string]map[string]bool{}
	for _, row := range rows[1:] {
		codes := strings.Split(row[col["tax_code"]], "; ")
		names := strings.Split(row[col["tax_name"]], "; ")
		if len(codes) != len(names) {
			tb.Fatalf("program %s: %d codes, %d names", row[col["id_program"]], len(codes), len(names))
		}
		for i, code := range codes {
			parts, partNames := o211.SplitTaxonomyCode(code), strings.Split(names[i], "*")
			for j, p := range parts {
				if out[p] == nil {
					out[p] = map[string]bool{}
				}
				if len(partNames) == len(parts) {
					out[p][strings.TrimSpace(partNames[j])] = true
				}
			}
		}
	}
	return out
}

func TestAll_SampleCodes(t *testing.T) {
	sample := sampleNames(t)
	if len(sample) < 90 {
		t.Fatalf("read %d codes from the sample, want about 93", len(sample))
	}
	for code, names := range sample {
		term, ok := taxonomy.Lookup(code)
		if !ok {
			t.Errorf("sample code %s is missing", code)
			continue
		}
		for name := range names {
			if name != term.NameEn && name != term.NameFr {
				t.Errorf("%s: the sample names it %q; got %q / %q", code, name, term.NameEn, term.NameFr)
			}
		}
	}
}

var codePattern = regexp.MustCompile(`^[A-Z]{1,2}(-[0-9]{4}(\.[0-9]{4}(-[0-9]{3}(\.[0-9]{2})?)?)?)?$`)

func TestAll_Terms(t *testing.T) {
	all := taxonomy.All()
	if len(all) < 300 || len(all) > 500 {
		t.Errorf("got %d terms, want 300 to 500", len(all))
	}
	seen := map[string]bool{}
	for i, term := range all {
		if seen[term.Code] {
			t.Errorf("code %s twice", term.Code)
		}
		seen[term.Code] = true
		if i > 0 && all[i-1].Code >= term.Code {
			t.Errorf("All() not in code order: %s before %s", all[i-1].Code, term.Code)
		}
		if !codePattern.MatchString(term.Code) {
			t.Errorf("code %q is not a 211 HSIS code", term.Code)
		}
		for _, name := range []string{term.NameEn, term.NameFr} {
			if name == "" || name != strings.TrimSpace(name) || !utf8.ValidString(name) || strings.ContainsRune(name, utf8.RuneError) {
				t.Errorf("%s: bad name %q", term.Code, name)
			}
		}
	}
	// Parents exist down to the second level.
	for _, term := range all {
		anc := o211.TaxonomyAncestors(term.Code)
		for _, a := range anc[:len(anc)-1] {
			if !seen[a] {
				t.Errorf("%s: parent %s is missing", term.Code, a)
			}
		}
	}
	// The categories of the domain package and their main branches are here.
	for _, c := range o211.Categories {
		if !seen[c.Code] {
			t.Errorf("category %s (%s) is missing", c.Code, c.Name)
		}
	}
	for _, code := range []string{"BD", "BH", "BM", "BT", "BV", "DD", "FT", "HH", "JP", "LE", "LF", "LH", "LN", "LT",
		"ND", "NL", "NS", "PH", "PL", "PN", "PS", "PX", "RD", "RF", "RM", "RP", "RX", "TD", "TH", "TJ", "YB", "YZ"} {
		if !seen[code] {
			t.Errorf("branch %s is missing", code)
		}
	}
}

func TestAll_FrenchNames(t *testing.T) {
	for _, tc := range []struct{ code, fr string }{
		{"BD-1800.2000", "Banques alimentaires"},
		{"BD-5000.1470", "Repas communautaires"},
		{"BH-1800.8500", "Refuges pour sans-abri"},
		{"YV-3000", "Personnes sans-abri"},
		{"YB-8000", "Aînés"},
		{"H", "Éducation"},
	} {
		if got := taxonomy.Name(tc.code, "fr"); got != tc.fr {
			t.Errorf("Name(%s, fr) = %q, want %q", tc.code, got, tc.fr)
		}
	}
}

func TestName(t *testing.T) {
	for _, tc := range []struct {
		name, code, lang, want string
	}{
		{"English", "BD-1800.2000", "en", "Food Banks"},
		{"DefaultEnglish", "BD-1800.2000", "", "Food Banks"},
		{"French", "BD-1800.2000", "fr", "Banques alimentaires"},
		{"FrenchCanada", "BD-1800.2000", "fr-CA", "Banques alimentaires"},
		{"Combined", "BD-5000.1470*YB-8000", "en", "Community Meals*Older Adults"},
		{"CombinedFrench", "BD-5000.1470*YB-8000", "fr", "Repas communautaires*Aînés"},
		{"Spaces", " BD ", "en", "Food"},
		{"Unknown", "ZZ-0000", "en", ""},
		{"UnknownPart", "BD-5000.1470*ZZ", "en", ""},
		{"Empty", "", "en", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := taxonomy.Name(tc.code, tc.lang); got != tc.want {
				t.Errorf("Name(%q, %q) = %q, want %q", tc.code, tc.lang, got, tc.want)
			}
		})
	}
}

func TestParent(t *testing.T) {
	for _, tc := range []struct {
		code, want string
		ok         bool
	}{
		{"BD-1800.2000", "BD-1800", true},
		{"BD", "B", true},
		{"B", "", false},
		{"BD-1800.2000-999", "BD-1800.2000", true}, // unknown code, known parent
	} {
		got, ok := taxonomy.Parent(tc.code)
		if ok != tc.ok || got.Code != tc.want {
			t.Errorf("Parent(%q) = %q, %v; want %q, %v", tc.code, got.Code, ok, tc.want, tc.ok)
		}
	}
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestTermRow(t *testing.T) {
	if err := taxonomy.TaxonomyRow().Validate(); err != nil {
		t.Fatalf("taxonomy row: %v", err)
	}
	ids := map[string]string{}
	for _, term := range taxonomy.All() {
		row, ok := taxonomy.TermRow(term.Code)
		if !ok {
			t.Fatalf("TermRow(%s) not found", term.Code)
		}
		if err := row.Validate(); err != nil {
			t.Errorf("%s: %v", term.Code, err)
		}
		if !uuidPattern.MatchString(row.ID) || row.ID != taxonomy.TermID(term.Code) {
			t.Errorf("%s: id %q is not its TermID", term.Code, row.ID)
		}
		if other, dup := ids[row.ID]; dup {
			t.Errorf("%s and %s share id %s", other, term.Code, row.ID)
		}
		ids[row.ID] = term.Code
		if row.Name != term.NameEn || row.TaxonomyID != taxonomy.TaxonomyID || !strings.Contains(row.Description, term.NameFr) {
			t.Errorf("%s: row %+v", term.Code, row)
		}
		if p, ok := taxonomy.Parent(term.Code); ok != (row.ParentID != "") || (ok && row.ParentID != taxonomy.TermID(p.Code)) {
			t.Errorf("%s: parent_id %q, want the id of %q", term.Code, row.ParentID, p.Code)
		}
	}
	if _, ok := taxonomy.TermRow("ZZ"); ok {
		t.Error("TermRow(ZZ) found")
	}
	if got, want := taxonomy.TermID("BD-1800.2000"), taxonomy.TermID(" BD-1800.2000 "); got != want {
		t.Errorf("TermID ignores spaces: %s != %s", got, want)
	}
}
