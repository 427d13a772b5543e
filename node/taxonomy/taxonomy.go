// Package taxonomy knows the terms of the 211 HSIS (AIRS) taxonomy that
// o211 uses, with their English and French names, and how they become HSDS
// taxonomy and taxonomy_term rows.
//
// The terms live in the embedded terms.csv (columns code,name_en,name_fr):
// the top-level categories and their second-level branches, every code of
// 211 Ontario's export sample with the names that export gives it (Canadian
// spelling), and the deeper codes most used in a 211 directory. Every code
// that has a parent (per o211.TaxonomyAncestors) has that parent in the file
// from the second level down. See ATTRIBUTION.md for sources.
//
// Ids are stable: TermID gives every code the same UUID in every datapackage
// o211 writes, so that directories generated, imported and exported at
// different times link the same terms.
package taxonomy

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/o211/o211"
)

//go:embed terms.csv
var termsCSV string

// Term is one code of the 211 HSIS taxonomy with its English and French
// names.
type Term struct {
	Code   string `json:"code"`
	NameEn string `json:"name_en"`
	NameFr string `json:"name_fr"`
}

// Name returns the term's name in lang ("fr" or any "fr-…" tag gives
// French, anything else English).
func (t Term) Name(lang string) string {
	if isFrench(lang) {
		return t.NameFr
	}
	return t.NameEn
}

// Level returns the depth of the term: 1 for a top-level category ("B"), 2
// for a branch ("BD"), and so on.
func (t Term) Level() int { return len(o211.TaxonomyAncestors(t.Code)) }

var (
	loadOnce sync.Once
	terms    []Term
	byCode   map[string]int
)

func load() {
	rows, err := csv.NewReader(strings.NewReader(termsCSV)).ReadAll()
	if err != nil {
		panic(fmt.Sprintf("taxonomy: embedded terms.csv: %v", err))
	}
	byCode = make(map[string]int, len(rows))
	for i, row := range rows {
		if i == 0 {
			continue
		}
		if len(row) != 3 || row[0] == "" || row[1] == "" || row[2] == "" {
			panic(fmt.Sprintf("taxonomy: embedded terms.csv line %d: want code,name_en,name_fr", i+1))
		}
		terms = append(terms, Term{Code: row[0], NameEn: row[1], NameFr: row[2]})
	}
	sort.Slice(terms, func(i, j int) bool { return terms[i].Code < terms[j].Code })
	for i, t := range terms {
		if _, dup := byCode[t.Code]; dup {
			panic(fmt.Sprintf("taxonomy: embedded terms.csv: code %s twice", t.Code))
		}
		byCode[t.Code] = i
	}
}

// Lookup returns the term with the code (surrounding spaces ignored), and
// false if o211 does not know the code.
func Lookup(code string) (Term, bool) {
	loadOnce.Do(load)
	i, ok := byCode[strings.TrimSpace(code)]
	if !ok {
		return Term{}, false
	}
	return terms[i], true
}

// All returns every known term, in code order (a parent before its
// children).
func All() []Term {
	loadOnce.Do(load)
	return append([]Term(nil), terms...)
}

// Name returns the name of a code in lang ("fr…" for French, anything else
// for English). A combined 211 code such as "BD-5000.1470*YB-8000" gives
// the names of its parts joined the same way ("Community Meals*Older
// Adults"). It returns "" when a part of the code is unknown.
func Name(code, lang string) string {
	parts := o211.SplitTaxonomyCode(code)
	if len(parts) == 0 {
		return ""
	}
	names := make([]string, len(parts))
	for i, p := range parts {
		t, ok := Lookup(p)
		if !ok {
			return ""
		}
		names[i] = t.Name(lang)
	}
	return strings.Join(names, "*")
}

// Parent returns the nearest known term above code (for "BD-1800.2000",
// "BD-1800"), and false for a top-level code or when no ancestor is known.
func Parent(code string) (Term, bool) {
	anc := o211.TaxonomyAncestors(code)
	for i := len(anc) - 2; i >= 0; i-- {
		if t, ok := Lookup(anc[i]); ok {
			return t, true
		}
	}
	return Term{}, false
}

func isFrench(lang string) bool {
	lang = strings.ToLower(strings.TrimSpace(lang))
	return lang == "fr" || lang == "fra" || lang == "fre" || strings.HasPrefix(lang, "fr-") || strings.HasPrefix(lang, "fr_")
}

// TaxonomyName is the name of the taxonomy row that holds the terms.
const TaxonomyName = "211 HSIS / AIRS"

// namespace is the UUID namespace of o211's name-based ids (RFC 9562 v5).
var namespace = uuid.UUID{0x6f, 0x32, 0x31, 0x31, 0x2d, 0x74, 0x61, 0x78, 0x8e, 0x3a, 0x5d, 0x21, 0x1c, 0x0a, 0x4b, 0x17}

// nameUUID returns the version 5 UUID of name in o211's namespace.
func nameUUID(name string) string {
	return uuid.NewSHA1(namespace, []byte(name)).String()
}

// TaxonomyID is the id of the HSDS taxonomy row of the 211 HSIS.
var TaxonomyID = nameUUID("taxonomy:211hsis")

// TermID returns the id of the HSDS taxonomy_term row of a code: a UUID
// derived from the code alone, the same in every o211 datapackage. Unknown
// codes get an id too.
func TermID(code string) string { return nameUUID("211hsis:" + strings.TrimSpace(code)) }

// TaxonomyRow returns the HSDS taxonomy row that the term rows belong to.
func TaxonomyRow() *o211.Taxonomy {
	return &o211.Taxonomy{
		ID:   TaxonomyID,
		Name: TaxonomyName,
		Description: "The 211 Human Services Indexing System (the AIRS/211 LA County Taxonomy of " +
			"Human Services), as used by 211 Ontario; the subset of terms o211 knows.",
		URI:     "https://211taxonomy.org/",
		Version: "o211",
	}
}

// TermRow returns the HSDS taxonomy_term row of a known code, named in
// English, with the French name in its description and parent_id pointing
// at the nearest known ancestor. It returns false for an unknown code.
func TermRow(code string) (*o211.TaxonomyTerm, bool) {
	t, ok := Lookup(code)
	if !ok {
		return nil, false
	}
	row := &o211.TaxonomyTerm{
		ID:          TermID(t.Code),
		Code:        t.Code,
		Name:        t.NameEn,
		Description: "211 HSIS " + t.Code + ". Français : " + t.NameFr,
		Taxonomy:    TaxonomyName,
		Language:    "en",
		TaxonomyID:  TaxonomyID,
	}
	if p, ok := Parent(t.Code); ok {
		row.ParentID = TermID(p.Code)
	}
	return row, true
}
