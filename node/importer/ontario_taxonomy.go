package importer

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/o211/o211"
	"github.com/o211/o211/node/taxonomy"
)

// 211 Ontario classifies a program with tax_code, "; "-separated 211 HSIS
// codes where "A*B" joins a service term with target-population terms, and
// tax_name, the names in the same order. A joined code is listed once per
// language of its target names ("Housing Search Assistance*Homeless
// People; Housing Search Assistance*Personnes sans-abri"), in either order;
// an export may also list each joined code once while tax_name still has
// both names. alignTaxonomy pairs them either way.
//
// Every code part becomes one taxonomy_term row (id taxonomy.TermID, so all
// o211 directories share it): a code package taxonomy knows takes its row
// (English name, French name in the description, parent) and its known
// ancestors come along; another code is named from tax_name, in English
// where there is an English name, with the French name in the description
// the same way ("211 HSIS CODE. Français : NAME"), and its parent is the
// nearest ancestor in the import. HSDS gives a term one name, so this keeps
// HSDS conformance and leaves the French name where search finds it.
//
// The service gets an attribute per part of each code, link_type
// "service_type" (or "target_population" for Y codes), whose value is the
// whole joined code, so that "Community Meals for Men" stays one fact.

// codeNames is one distinct joined code of a row and the names tax_name
// gives each of its parts.
type codeNames struct {
	code  string
	parts []string
	names [][]string // per part, distinct, in order
}

// alignTaxonomy pairs the codes of tax_code with the names of tax_name.
// It reports false when the names do not line up with the codes (the codes
// are returned without names then).
func alignTaxonomy(codes, names string) ([]codeNames, bool) {
	cs, ns := splitList(codes), splitList(names)
	var pairs [][2]string
	ok := true
	if len(cs) == len(ns) && sameShapes(cs, ns) {
		for i := range cs {
			pairs = append(pairs, [2]string{cs[i], ns[i]})
		}
	} else if pairs, ok = alignSequential(cs, ns); !ok {
		pairs = nil
		for _, c := range cs {
			pairs = append(pairs, [2]string{c, ""})
		}
	}
	var out []codeNames
	index := map[string]int{}
	for _, p := range pairs {
		parts := o211.SplitTaxonomyCode(p[0])
		if len(parts) == 0 {
			continue
		}
		key := strings.Join(parts, "*")
		i, seen := index[key]
		if !seen {
			i = len(out)
			index[key] = i
			out = append(out, codeNames{code: key, parts: parts, names: make([][]string, len(parts))})
		}
		if p[1] == "" {
			continue
		}
		for j, n := range strings.Split(p[1], "*") {
			if n = strings.TrimSpace(n); n != "" && j < len(parts) && !contains(out[i].names[j], n) {
				out[i].names[j] = append(out[i].names[j], n)
			}
		}
	}
	return out, ok
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parts(s string) int { return strings.Count(s, "*") + 1 }

func sameShapes(cs, ns []string) bool {
	for i := range cs {
		if parts(cs[i]) != parts(ns[i]) {
			return false
		}
	}
	return true
}

// alignSequential pairs codes listed once with their names listed once per
// combination of languages: after the first name of a joined code, the
// names that follow with the same first part and as many parts belong to
// it too, up to 2^(parts-1) of them.
func alignSequential(cs, ns []string) ([][2]string, bool) {
	var out [][2]string
	j := 0
	for ci, c := range cs {
		k := parts(c)
		if j >= len(ns) || parts(ns[j]) != k {
			return nil, false
		}
		first := firstPart(ns[j])
		out = append(out, [2]string{c, ns[j]})
		j++
		sameNext := ci+1 < len(cs) && firstPart(cs[ci+1]) == firstPart(c) && parts(cs[ci+1]) == k
		for taken := 1; k > 1 && taken < 1<<(k-1) && j < len(ns) && parts(ns[j]) == k && firstPart(ns[j]) == first; taken++ {
			if sameNext && taken >= 2 {
				break
			}
			out = append(out, [2]string{c, ns[j]})
			j++
		}
	}
	return out, j == len(ns)
}

func firstPart(s string) string {
	p, _, _ := strings.Cut(s, "*")
	return strings.TrimSpace(p)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// termSet collects the codes of a whole file, with their names, to make
// one term row per code when the file is read.
type termSet struct {
	order []string
	terms map[string]*termInfo
}

type termInfo struct {
	en, fr string
	src    Source
}

func newTermSet() *termSet { return &termSet{terms: map[string]*termInfo{}} }

// add records a code part with the names a row gives it.
func (ts *termSet) add(b *Batch, code string, names []string, french bool, src Source) {
	t, ok := ts.terms[code]
	if !ok {
		t = &termInfo{src: src}
		ts.terms[code] = t
		ts.order = append(ts.order, code)
	}
	en, fr := splitNames(code, names, french)
	for _, n := range []struct {
		have *string
		v    string
	}{{&t.en, en}, {&t.fr, fr}} {
		switch {
		case n.v == "" || *n.have == n.v:
		case *n.have == "":
			*n.have = n.v
		default:
			b.warn(src, "tax_name", fmt.Sprintf("names %s %q, but %s names it %q; the first name is kept", code, n.v, b.place(t.src), *n.have))
		}
	}
}

// splitNames tells the English and the French name of a code apart: by
// the names package taxonomy knows, else by the look of the words.
func splitNames(code string, names []string, french bool) (en, fr string) {
	if t, ok := taxonomy.Lookup(code); ok {
		for _, n := range names {
			switch {
			case strings.EqualFold(n, t.NameFr) && !strings.EqualFold(n, t.NameEn):
				fr = n
			case en == "":
				en = n
			}
		}
		return en, fr
	}
	for _, n := range names {
		if len(names) == 1 && french || len(names) > 1 && looksFrench(n) {
			if fr == "" {
				fr = n
			}
		} else if en == "" {
			en = n
		}
	}
	return en, fr
}

var frenchWords = map[string]bool{"le": true, "la": true, "les": true, "des": true, "de": true, "du": true,
	"au": true, "aux": true, "et": true, "pour": true, "sans": true, "avec": true, "sur": true, "personnes": true,
	"communauté": true, "questions": true, "relatives": true, "hommes": true, "femmes": true, "enfants": true,
	"jeunes": true, "familles": true, "aînés": true, "autochtones": true, "nouveaux": true, "arrivants": true,
	"réfugiés": true, "adultes": true, "arthrite": true, "ostéoporose": true, "démence": true, "logement": true}

// looksFrench reports whether a name reads as French: accented letters or
// common French words.
func looksFrench(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII && unicode.IsLetter(r) {
			return true
		}
	}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if frenchWords[w] {
			return true
		}
	}
	return strings.Contains(s, "'") && (strings.Contains(strings.ToLower(s), "l'") || strings.Contains(strings.ToLower(s), "d'"))
}

// taxonomy reads the row's codes into attributes of the service and the
// file's term set.
func (r *orow) taxonomy(record string) {
	codes := r.get("tax_code")
	if codes == "" {
		return
	}
	groups, ok := alignTaxonomy(codes, r.get("tax_name"))
	src := Source{File: r.o.file, Line: r.line, Record: record, Column: "tax_code"}
	if !ok {
		r.o.b.warn(src, "tax_name", "does not line up with tax_code; the terms are named from the taxonomy where it knows them")
	}
	french := strings.EqualFold(r.get("record_language"), "fr")
	for _, g := range groups {
		for i, p := range g.parts {
			r.o.terms.add(r.o.b, p, g.names[i], french, src)
			a := &o211.Attribute{ID: r.id(o211.KindAttribute, r.prog, g.code, p), LinkID: r.svcID, LinkEntity: "service",
				LinkType: "service_type", TaxonomyTermID: taxonomy.TermID(p)}
			if strings.HasPrefix(p, "Y") {
				a.LinkType = "target_population"
			}
			if len(g.parts) > 1 {
				a.Value = g.code
			}
			r.addFrom(a, record, "tax_code")
		}
	}
}

// finish adds the taxonomy rows of the file: the 211 HSIS taxonomy, one
// term per code with the known ancestors of each, and the export-fields
// taxonomy of the source-field attributes.
func (o *ontario) finish() {
	if len(o.terms.order) > 0 {
		first := o.terms.terms[o.terms.order[0]].src
		o.b.add(taxonomy.TaxonomyRow(), first)
	}
	added := map[string]bool{}
	for _, code := range o.terms.order {
		t := o.terms.terms[code]
		for _, anc := range o211.TaxonomyAncestors(code) {
			if added[anc] {
				continue
			}
			if row, ok := taxonomy.TermRow(anc); ok {
				added[anc] = true
				o.b.add(row, t.src)
			} else if anc == code {
				added[anc] = true
				o.b.add(o.unknownTerm(code, t, added), t.src)
			}
		}
	}
	if len(o.fields) > 0 {
		o.b.add(sourceTaxonomy(), Source{File: o.file})
		for _, f := range sourceFieldNames {
			if o.fields[f] {
				o.b.add(sourceTerm(f), Source{File: o.file})
			}
		}
	}
}

// unknownTerm makes the row of a code package taxonomy does not know.
func (o *ontario) unknownTerm(code string, t *termInfo, added map[string]bool) *o211.TaxonomyTerm {
	row := &o211.TaxonomyTerm{ID: taxonomy.TermID(code), Code: code, Name: t.en, Description: "211 HSIS " + code + ".",
		Taxonomy: taxonomy.TaxonomyName, Language: "en", TaxonomyID: taxonomy.TaxonomyID}
	switch {
	case t.en != "" && t.fr != "":
		row.Description += " Français : " + t.fr
	case t.en == "" && t.fr != "":
		row.Name, row.Language = t.fr, "fr"
	case t.en == "":
		row.Name = code
	}
	anc := o211.TaxonomyAncestors(code)
	for i := len(anc) - 2; i >= 0; i-- {
		if added[anc[i]] || o.terms.terms[anc[i]] != nil {
			row.ParentID = taxonomy.TermID(anc[i])
			break
		}
	}
	return row
}

// The export's fields that HSDS has no place for are kept as attributes
// with a value ("id_program" = "60932040"), whose terms belong to this
// taxonomy. Its ids depend on nothing else, like the 211 HSIS terms'.
var (
	// SourceTaxonomyID is the id of the "211 Ontario export fields"
	// taxonomy.
	SourceTaxonomyID = NameID("taxonomy", "211ontario-export-fields")
	sourceFieldNames = []string{"id_program", "id_cioc", "record_language"}
	sourceFieldDesc  = map[string]string{
		"id_program":      "The program's id in 211 Ontario's export (the HSDS service).",
		"id_cioc":         "The CIOC record number of the program at the site (the HSDS service_at_location).",
		"record_language": "The language the record is written in (en or fr).",
	}
)

func sourceTaxonomy() *o211.Taxonomy {
	return &o211.Taxonomy{ID: SourceTaxonomyID, Name: "211 Ontario export fields",
		Description: "Fields of 211 Ontario's export that HSDS has no place for; an attribute's value holds the field's value."}
}

// SourceTermID returns the id of the term of an export field ("id_program").
func SourceTermID(field string) string {
	return NameID("taxonomy_term", "211ontario-export-fields", field)
}

func sourceTerm(field string) *o211.TaxonomyTerm {
	return &o211.TaxonomyTerm{ID: SourceTermID(field), Code: "211ontario:" + field, Name: field,
		Description: sourceFieldDesc[field], Taxonomy: "211 Ontario export fields", Language: "en", TaxonomyID: SourceTaxonomyID}
}

// sourceField adds the attribute that keeps an export field of a record.
func (r *orow) sourceField(kind o211.Kind, linkID, record, field, value string, idParts ...string) {
	r.o.fields[field] = true
	id := r.id(o211.KindAttribute, append(idParts, field)...)
	r.addFrom(&o211.Attribute{ID: id, LinkID: linkID, LinkEntity: string(kind), LinkType: "source_field",
		TaxonomyTermID: SourceTermID(field), Value: value}, record, field)
}
