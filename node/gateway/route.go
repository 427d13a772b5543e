package gateway

import (
	"sort"
	"strings"
	"unicode"

	"github.com/o211/o211/node/geo"
)

// DefaultAreaCodes maps Ontario's area codes to the region whose centre
// serves most of the people they cover (overlays share their base code's
// region). It is only a fallback: a mobile number says little about where
// its owner is, so the person's postal code is asked first.
var DefaultAreaCodes = map[string]string{
	"416": "central", "647": "central", "437": "central", "942": "central",
	"905": "central", "289": "central", "365": "central", "742": "central",
	"613": "east", "343": "east", "753": "east",
	"705": "north", "249": "north", "683": "north", "807": "north",
	"519": "south-west", "226": "south-west", "548": "south-west", "382": "south-west",
}

// Route is where a contact goes and why.
type Route struct {
	// Region is the region that serves where the person is.
	Region string
	// RoutedBy says why: "postal code K1N 6N5", "keypad 516 (K1N)",
	// "area code 613", "default region".
	RoutedBy string
	// Postal is the postal code or FSA the person gave, normalised, or "".
	Postal string
}

// Router decides the region of a contact: the postal code the person
// gave, else the area code of their number, else the default region.
type Router struct {
	// AreaCodes maps area codes to regions (default DefaultAreaCodes).
	AreaCodes map[string]string
	// Default is the region of a contact that gave nothing usable.
	Default string
}

// Route returns the route of a contact that answered postal (typed,
// spoken or pressed; "" when it gave none) from the phone number phone
// (E.164, or "" for chat and email).
func (rt *Router) Route(postal, phone string) Route {
	if r, ok := routePostal(postal); ok {
		return r
	}
	codes := rt.AreaCodes
	if codes == nil {
		codes = DefaultAreaCodes
	}
	if ac := AreaCode(phone); ac != "" {
		if region, ok := codes[ac]; ok {
			return Route{Region: region, RoutedBy: "area code " + ac}
		}
	}
	return Route{Region: rt.Default, RoutedBy: "default region"}
}

// AreaCode returns the area code of a North American number in E.164 form
// (+1 and ten digits), or "".
func AreaCode(phone string) string {
	if len(phone) != 12 || !strings.HasPrefix(phone, "+1") {
		return ""
	}
	for _, c := range phone[2:] {
		if c < '0' || c > '9' {
			return ""
		}
	}
	return phone[2:5]
}

// routePostal resolves what a person gave as a postal code: letters and
// digits typed or spoken ("K1N 6N5", "k 1 n six n five"), or keypad digits
// (each letter pressed on its key: K1N is 5-1-6).
func routePostal(s string) (Route, bool) {
	norm := normalizeSpoken(s)
	if norm == "" {
		return Route{}, false
	}
	if isDigits(norm) {
		return routeKeypad(norm)
	}
	pc := geo.FSAOf(norm)
	if pc == "" || (len(norm) != 3 && len(norm) != 6) {
		return Route{}, false
	}
	f, ok := geo.LookupFSA(pc)
	if !ok {
		return Route{}, false
	}
	if len(norm) == 6 {
		full := norm[:3] + " " + norm[3:]
		if p, err := geo.NormalizePostalCode(full); err == nil {
			return Route{Region: f.Region, RoutedBy: "postal code " + p, Postal: p}, true
		}
	}
	return Route{Region: f.Region, RoutedBy: "FSA " + f.Code, Postal: f.Code}, true
}

// keypadLetters are the letters of each telephone key.
var keypadLetters = map[byte]string{'2': "ABC", '3': "DEF", '4': "GHI", '5': "JKL", '6': "MNO",
	'7': "PQRS", '8': "TUV", '9': "WXYZ"}

// routeKeypad resolves keypad digits: the first three keys give an FSA's
// letter, digit, letter. When every Ontario FSA they can spell is served
// by one region, that region answers.
func routeKeypad(d string) (Route, bool) {
	if len(d) != 3 && len(d) != 6 {
		return Route{}, false
	}
	first, third := keypadLetters[d[0]], keypadLetters[d[2]]
	var fsas []string
	regions := map[string]bool{}
	for _, a := range first {
		for _, c := range third {
			if f, ok := geo.LookupFSA(string(a) + d[1:2] + string(c)); ok {
				fsas = append(fsas, f.Code)
				regions[f.Region] = true
			}
		}
	}
	if len(regions) != 1 {
		return Route{}, false
	}
	sort.Strings(fsas)
	f, _ := geo.LookupFSA(fsas[0])
	r := Route{Region: f.Region, RoutedBy: "keypad " + d[:3] + " (" + strings.Join(fsas, " or ") + ")"}
	if len(fsas) == 1 {
		r.Postal = fsas[0]
	}
	return r, true
}

// spokenDigits are the number words a speech recogniser may give for the
// digits of a postal code, in English and French.
var spokenDigits = map[string]string{"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
	"five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "zéro": "0", "un": "1", "deux": "2",
	"trois": "3", "quatre": "4", "cinq": "5", "sept": "7", "huit": "8", "neuf": "9"}

// normalizeSpoken turns what a person typed or said into upper-case
// letters and digits, number words as digits; "" when anything else is
// left (a sentence rather than a postal code).
func normalizeSpoken(s string) string {
	if len(s) > 64 {
		return ""
	}
	var b strings.Builder
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return unicode.IsSpace(r) || r == '-' || r == '.' || r == ','
	}) {
		if d, ok := spokenDigits[w]; ok {
			b.WriteString(d)
			continue
		}
		for _, r := range w {
			if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
				return ""
			}
		}
		b.WriteString(strings.ToUpper(w))
	}
	return b.String()
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
