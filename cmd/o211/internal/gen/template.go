package gen

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/o211/o211/node/taxonomy"
)

// variant is one name of a service; some names imply a target population
// ("Men's Shelter").
type variant struct {
	bi
	target string
}

func v(en, fr string) variant             { return variant{bi{en, fr}, ""} }
func vt(en, fr, target string) variant    { return variant{bi{en, fr}, target} }
func d(en, fr string) bi                  { return bi{en, fr} }
func codes(s string) []string             { return strings.Fields(s) }
func targets(p float64, s string) tparams { return tparams{p, strings.Fields(s)} }

// tparams are the target populations a service may name, and how often it
// names one.
type tparams struct {
	p     float64
	codes []string
}

// template is a kind of service: its 211 HSIS codes (the first is the main
// one), names, what its description says it offers, who it is for, what it
// costs, how to apply and when it is open.
type template struct {
	key     string
	weight  int
	codes   []string
	targets tparams
	names   []variant
	desc    []bi
	elig    eligKind
	fee     feeKind
	apply   applyKind
	sched   schedKind
	hotline bool // a line: toll-free numbers, text, TTY
}

var (
	templateIndex map[string]*template
	// byCode maps a taxonomy code to the templates that use it, main code
	// first.
	byCode map[string][]*template
	// allKeys lists every template key, sorted.
	allKeys []string
)

func init() {
	templateIndex = map[string]*template{}
	byCode = map[string][]*template{}
	for _, list := range [][]*template{basicTemplates, careTemplates} {
		for _, t := range list {
			if templateIndex[t.key] != nil {
				panic("gen: template " + t.key + " twice")
			}
			templateIndex[t.key] = t
			for i, c := range append(append([]string(nil), t.codes...), t.targets.codes...) {
				if _, ok := taxonomy.Lookup(c); !ok {
					panic(fmt.Sprintf("gen: template %s: unknown code %s", t.key, c))
				}
				if i == 0 {
					byCode[c] = append([]*template{t}, byCode[c]...)
				} else {
					byCode[c] = append(byCode[c], t)
				}
			}
			for _, n := range t.names {
				if n.target != "" {
					if _, ok := taxonomy.Lookup(n.target); !ok {
						panic(fmt.Sprintf("gen: template %s: unknown target %s", t.key, n.target))
					}
				}
			}
		}
	}
	allKeys = templateKeys()
	for _, k := range kinds {
		for _, key := range k.pool {
			if templateIndex[key] == nil {
				panic("gen: organization kind " + k.key + ": unknown template " + key)
			}
		}
	}
}

// genericTemplate returns a plain template for a code no written template
// has: it is named after the term.
func genericTemplate(code string) *template {
	t, _ := taxonomy.Lookup(code)
	return &template{
		key: "generic:" + code, weight: 1, codes: []string{code},
		names: []variant{v(t.NameEn, t.NameFr)},
		desc: []bi{
			{"Offers " + lowerFirst(t.NameEn) + " for residents of {area} and the surrounding area.",
				"Services offerts : " + lowerFirst(t.NameFr) + ", pour les résidents de la région {de_area} et des environs."},
		},
		elig: eResidents, fee: fFree, apply: aCall, sched: sOffice,
	}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	// Keep acronyms and proper names ("LGBTQ", "English") as they are.
	first := strings.Fields(s)[0]
	if strings.ToUpper(first) == first || first == "English" || first == "Christmas" || first == "Hindu" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[size:]
}

// templateFor returns the template to use for a service with the main code:
// the written template whose main code it is, else one that uses it, else a
// generic one.
func templateFor(code string) *template {
	if ts := byCode[code]; len(ts) > 0 {
		return ts[0]
	}
	return genericTemplate(code)
}

// templateKeys returns the keys of every written template, sorted.
func templateKeys() []string {
	keys := make([]string, 0, len(templateIndex))
	for k := range templateIndex {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
