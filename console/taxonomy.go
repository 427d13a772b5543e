package console

import (
	"slices"
	"strings"

	"github.com/o211/o211"
)

// Term is a term of the 211 HSIS taxonomy, named in English and French.
type Term struct {
	Code, NameEn, NameFr string
}

// Name returns the term's name in lang.
func (t Term) Name(lang string) string {
	if lang == French {
		return t.NameFr
	}
	return t.NameEn
}

// Taxonomy is the 211 HSIS taxonomy a contact's needs are coded in
// (node/taxonomy's terms).
type Taxonomy interface {
	// Terms returns every term the node knows, parents before children.
	Terms() []Term
}

// termIndex finds terms for the needs type-ahead: every term with its
// names folded (lower case, accents off) once, at start. 211's taxonomy as
// o211 knows it has a few hundred terms, so a scan of the folded names is a
// few microseconds; a navigator's typing never waits on it.
type termIndex struct {
	terms  []Term
	byCode map[string]int
	folded [][2]string // per term: English and French names, folded
	// broad are the categories and their branches (two levels at most,
	// not the target populations' Y): the search's taxonomy picker.
	broad []Term
	// labels are broad's names in English and in French, a category's
	// marked with a dash.
	labels [2][]string
}

// broadLabels returns the labels of broad in lang.
func (ix *termIndex) broadLabels(lang string) []string {
	if lang == French {
		return ix.labels[1]
	}
	return ix.labels[0]
}

func newTermIndex(t Taxonomy) *termIndex {
	ix := &termIndex{byCode: map[string]int{}}
	if t == nil {
		return ix
	}
	ix.terms = t.Terms()
	ix.folded = make([][2]string, len(ix.terms))
	for i, term := range ix.terms {
		ix.byCode[term.Code] = i
		ix.folded[i] = [2]string{fold(term.NameEn), fold(term.NameFr)}
		if term.Code != "" && term.Code[0] != 'Y' && len(o211.TaxonomyAncestors(term.Code)) <= 2 {
			ix.broad = append(ix.broad, term)
			mark := ""
			if len(term.Code) == 2 {
				mark = "– "
			}
			ix.labels[0] = append(ix.labels[0], mark+term.NameEn)
			ix.labels[1] = append(ix.labels[1], mark+term.Name(French))
		}
	}
	return ix
}

// lookup returns the term of a code.
func (ix *termIndex) lookup(code string) (Term, bool) {
	i, ok := ix.byCode[code]
	if !ok {
		return Term{}, false
	}
	return ix.terms[i], true
}

// parent returns the nearest known term above code.
func (ix *termIndex) parent(code string) (Term, bool) {
	anc := o211.TaxonomyAncestors(code)
	for i := len(anc) - 2; i >= 0; i-- {
		if t, ok := ix.lookup(anc[i]); ok {
			return t, true
		}
	}
	return Term{}, false
}

// name names a code (each part of a combined "A*B" code) in lang, or
// returns the code itself when a part is unknown.
func (ix *termIndex) name(code, lang string) string {
	parts := o211.SplitTaxonomyCode(code)
	names := make([]string, len(parts))
	for i, p := range parts {
		t, ok := ix.lookup(p)
		if !ok {
			return code
		}
		names[i] = t.Name(lang)
	}
	return strings.Join(names, " * ")
}

// termMatch is one term the type-ahead found, with its rank (lower first).
type termMatch struct {
	i    int
	rank int
}

// suggest returns up to limit terms for what a navigator typed: a code or
// the start of one ("BD-18"), or words each of which starts a word of the
// term's name in either language ("banq alim", "food bank"). Terms named
// in lang come first, then whole-name prefixes, then shallower and
// shorter terms.
func (ix *termIndex) suggest(q, lang string, limit int) []Term {
	q = strings.TrimSpace(q)
	if q == "" || limit <= 0 {
		return nil
	}
	if len(q) > 100 {
		q = q[:100]
	}
	upper := strings.ToUpper(q)
	words := strings.Fields(fold(q))
	own := 0
	if lang == French {
		own = 1
	}
	var found []termMatch
	for i, t := range ix.terms {
		rank := -1
		switch {
		case t.Code == upper:
			rank = 0
		case len(upper) >= 2 && strings.HasPrefix(t.Code, upper) && validTaxonomyCode(upper):
			rank = 10
		default:
			for k, side := range []int{own, 1 - own} {
				if r := nameRank(ix.folded[i][side], words); r >= 0 {
					rank = 20 + r + 10*k
					break
				}
			}
		}
		if rank >= 0 {
			found = append(found, termMatch{i: i, rank: rank*1000 + len(o211.TaxonomyAncestors(t.Code))*100 + min(len(t.Name(lang)), 99)})
		}
	}
	slices.SortFunc(found, func(a, b termMatch) int {
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		return strings.Compare(ix.terms[a.i].Code, ix.terms[b.i].Code)
	})
	out := make([]Term, 0, min(limit, len(found)))
	for _, m := range found[:min(limit, len(found))] {
		out = append(out, ix.terms[m.i])
	}
	return out
}

// nameRank is 0 when the folded name starts with the query's words, 1 when
// each word starts some word of the name, -1 when a word matches none.
func nameRank(name string, words []string) int {
	if len(words) == 0 {
		return -1
	}
	if strings.HasPrefix(name, strings.Join(words, " ")) {
		return 0
	}
	nameWords := strings.FieldsFunc(name, func(r rune) bool {
		return r == ' ' || r == '/' || r == '-' || r == ',' || r == '(' || r == ')' || r == '\''
	})
	for _, w := range words {
		if !slices.ContainsFunc(nameWords, func(nw string) bool { return strings.HasPrefix(nw, w) }) {
			return -1
		}
	}
	return 1
}

// foldMap takes the accents off the letters of English and French.
var foldMap = strings.NewReplacer("à", "a", "â", "a", "ä", "a", "á", "a", "ç", "c", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"î", "i", "ï", "i", "í", "i", "ô", "o", "ö", "o", "ó", "o", "ù", "u", "û", "u", "ü", "u", "ú", "u", "ÿ", "y",
	"œ", "oe", "æ", "ae", "’", "'")

// fold lower-cases s and takes the accents off its letters.
func fold(s string) string { return foldMap.Replace(strings.ToLower(s)) }
