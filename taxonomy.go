package o211

import "strings"

// Category is a top-level category of the 211 HSIS (AIRS) taxonomy, named
// by its one-letter code.
type Category struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameFr string `json:"name_fr"`
}

// Categories lists the top-level categories of the 211 HSIS taxonomy: the
// ten service categories, then Y, the target populations that qualify them.
var Categories = []Category{
	{"B", "Basic Needs", "Besoins essentiels"},
	{"D", "Consumer Services", "Services aux consommateurs"},
	{"F", "Criminal Justice and Legal Services", "Justice pénale et services juridiques"},
	{"H", "Education", "Éducation"},
	{"J", "Environment and Public Health/Safety", "Environnement, santé et sécurité publiques"},
	{"L", "Health Care", "Soins de santé"},
	{"N", "Income Support and Employment", "Soutien du revenu et emploi"},
	{"P", "Individual and Family Life", "Vie individuelle et familiale"},
	{"R", "Mental Health and Substance Use Disorder Services", "Santé mentale et toxicomanie"},
	{"T", "Organizational/Community/International Services", "Services organisationnels, communautaires et internationaux"},
	{"Y", "Target Populations", "Populations cibles"},
}

// CategoryOf returns the top-level category of a taxonomy code, and false
// if the code does not start with one of the ten category letters.
func CategoryOf(code string) (Category, bool) {
	if code == "" {
		return Category{}, false
	}
	for _, c := range Categories {
		if code[:1] == c.Code {
			return c, true
		}
	}
	return Category{}, false
}

// SplitTaxonomyCode splits a 211 combined code "BD-5000.1470*YS-5000.5000"
// (a service term joined with target-population terms) into its terms.
func SplitTaxonomyCode(code string) []string {
	var out []string
	for _, p := range strings.Split(code, "*") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// TaxonomyAncestors returns code and every code above it in the hierarchy,
// most general first: "BD-1800.2000-100" gives "B", "BD", "BD-1800",
// "BD-1800.2000", "BD-1800.2000-100". Levels are separated by '-' and '.';
// the first two levels are the first one and two letters.
func TaxonomyAncestors(code string) []string {
	code = strings.TrimSpace(code)
	if code == "" {
		return nil
	}
	out := []string{code[:1]}
	if len(code) >= 2 && code[1] != '-' && code[1] != '.' {
		out = append(out, code[:2])
	}
	for i := 3; i < len(code); i++ {
		if code[i] == '-' || code[i] == '.' {
			out = append(out, code[:i])
		}
	}
	if out[len(out)-1] != code {
		out = append(out, code)
	}
	return out
}

// TaxonomyMatches reports whether code is filter or one of its descendants.
func TaxonomyMatches(code, filter string) bool {
	for _, a := range TaxonomyAncestors(code) {
		if a == filter {
			return true
		}
	}
	return false
}
