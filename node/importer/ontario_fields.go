package importer

import (
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/o211/o211"
)

// parseDate reads the export's dates ("Feb 7 2017", "February 7, 2017",
// "2017-02-07") as YYYY-MM-DD.
func parseDate(s string) (string, bool) {
	s = strings.Join(strings.Fields(s), " ")
	for _, layout := range []string{"Jan 2 2006", "January 2 2006", "Jan 2, 2006", "January 2, 2006", "Jan. 2 2006",
		"Jan. 2, 2006", "2 Jan 2006", "2 January 2006", time.DateOnly, "2006/01/02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), true
		}
	}
	return "", false
}

// normalizeEmail returns the first address of a column that may hold
// several ("a@b.ca; c@d.ca"), without "mailto:", and false when it is not
// a valid address.
func normalizeEmail(s string) (string, bool) {
	first := strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == ' ' })
	if len(first) == 0 {
		return "", false
	}
	v := strings.TrimPrefix(first[0], "mailto:")
	if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
		return "", false
	}
	return v, true
}

// normalizeURL makes a web address absolute: "www.sschto.ca" becomes
// "http://www.sschto.ca". It reports false for text that is no address.
func normalizeURL(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, " \t\n<>\"") {
		return "", false
	}
	lower := strings.ToLower(s)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		if strings.Contains(lower, "://") {
			return "", false
		}
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || !strings.Contains(u.Hostname(), ".") || strings.HasSuffix(u.Hostname(), ".") {
		return "", false
	}
	return s, true
}

// countryCode returns the ISO 3166-1 code HSDS wants for a country name;
// 211 Ontario's records are Canadian, so none means Canada.
func countryCode(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "canada", "ca", "can":
		return "CA"
	case "united states", "united states of america", "usa", "us":
		return "US"
	}
	if len(s) == 2 {
		return strings.ToUpper(s)
	}
	return s
}

// splitStreet splits "Calvin Presbyterian Church; 26 Delisle Ave" into the
// street line (address_1) and the building (address_2).
func splitStreet(s string) (street, building string) {
	parts := strings.Split(s, ";")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	street = parts[len(parts)-1]
	building = joinNonEmpty(", ", parts[:len(parts)-1]...)
	if street == "" {
		street, building = building, ""
	}
	return street, building
}

type area struct{ source, name string }

// coverage reads coverage_cioc ("Essex - Windsor - NULL;Essex - NULL -
// NULL"): county, municipality and community, most specific first in the
// name ("Windsor, Essex").
func coverage(s string) []area {
	var out []area
	seen := map[string]bool{}
	for _, entry := range strings.Split(s, ";") {
		entry = strings.TrimSpace(entry)
		var parts []string
		for _, p := range strings.Split(entry, " - ") {
			if p = strings.TrimSpace(p); p != "" && !strings.EqualFold(p, "NULL") {
				parts = append(parts, p)
			}
		}
		var names []string
		for i := len(parts) - 1; i >= 0; i-- {
			if len(names) == 0 || names[len(names)-1] != parts[i] {
				names = append(names, parts[i])
			}
		}
		if len(names) == 0 || seen[entry] {
			continue
		}
		seen[entry] = true
		out = append(out, area{source: entry, name: strings.Join(names, ", ")})
	}
	return out
}

// Languages reads 211 Ontario's languages_of_service ("English; French;
// Other - Sanskrit for prayers"): "; "-separated names, each with an
// optional note after " - ". Names get their ISO 639-1 code where there is
// one; "Other" and unknown names keep only the name.
func Languages(s string) []o211.Language {
	var out []o211.Language
	index := map[string]int{}
	for _, part := range strings.Split(s, ";") {
		name, note, _ := strings.Cut(part, " - ")
		name = strings.TrimSpace(name)
		note = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(note), "*"))
		if name == "" {
			continue
		}
		if i, ok := index[strings.ToLower(name)]; ok {
			out[i].Note = joinNonEmpty("; ", out[i].Note, note)
			continue
		}
		index[strings.ToLower(name)] = len(out)
		out = append(out, o211.Language{Name: name, Code: LanguageCode(name), Note: PlainText(note)})
	}
	return out
}

// LanguageCode returns the ISO 639-1 code of a language name in English or
// French ("Spanish", "Espagnol" give "es"), or "" when it has none here.
func LanguageCode(name string) string {
	return languageCodes[strings.ToLower(strings.TrimSpace(name))]
}

var languageCodes = func() map[string]string {
	m := map[string]string{}
	for code, names := range map[string][]string{
		"en": {"english", "anglais"}, "fr": {"french", "français", "francais"}, "es": {"spanish", "espagnol"},
		"pt": {"portuguese", "portugais"}, "it": {"italian", "italien"}, "de": {"german", "allemand"},
		"zh": {"chinese", "mandarin", "cantonese", "chinois"}, "ar": {"arabic", "arabe"},
		"pa": {"punjabi", "panjabi", "pendjabi"}, "ur": {"urdu", "ourdou"}, "hi": {"hindi"},
		"ta": {"tamil", "tamoul"}, "tl": {"tagalog", "filipino"}, "fa": {"farsi", "persian", "persan"},
		"so": {"somali"}, "vi": {"vietnamese", "vietnamien"}, "ko": {"korean", "coréen"},
		"ru": {"russian", "russe"}, "uk": {"ukrainian", "ukrainien"}, "pl": {"polish", "polonais"},
		"gu": {"gujarati"}, "bn": {"bengali", "bangla"}, "ti": {"tigrinya"}, "am": {"amharic"},
		"tr": {"turkish", "turc"}, "el": {"greek", "grec"}, "he": {"hebrew", "hébreu"},
		"ja": {"japanese", "japonais"}, "iu": {"inuktitut"}, "cr": {"cree", "cri"},
		"oj": {"ojibwe", "ojibway", "ojibwa"}, "sa": {"sanskrit"}, "sr": {"serbian", "serbe"},
		"hr": {"croatian", "croate"}, "ro": {"romanian", "roumain"}, "hu": {"hungarian", "hongrois"},
		"sq": {"albanian", "albanais"}, "ps": {"pashto", "pachto"}, "sw": {"swahili"}, "ne": {"nepali"},
		"si": {"sinhala", "sinhalese"}, "th": {"thai"}, "km": {"khmer", "cambodian"}, "lo": {"lao"},
		"my": {"burmese"}, "nl": {"dutch", "néerlandais"}, "fi": {"finnish", "finnois"},
		"sv": {"swedish", "suédois"}, "da": {"danish", "danois"}, "no": {"norwegian", "norvégien"},
		"cs": {"czech", "tchèque"}, "sk": {"slovak", "slovaque"}, "bg": {"bulgarian", "bulgare"},
		"mk": {"macedonian", "macédonien"}, "bs": {"bosnian", "bosniaque"}, "lt": {"lithuanian"},
		"lv": {"latvian"}, "et": {"estonian"}, "hy": {"armenian", "arménien"}, "ka": {"georgian"},
		"ku": {"kurdish", "kurde"}, "ml": {"malayalam"}, "te": {"telugu"}, "mr": {"marathi"},
		"kn": {"kannada"}, "yi": {"yiddish"}, "ht": {"haitian creole", "créole haïtien"},
		"ms": {"malay"}, "id": {"indonesian"}, "yo": {"yoruba"}, "ig": {"igbo"}, "ha": {"hausa"},
		"om": {"oromo"}, "rw": {"kinyarwanda"}, "ln": {"lingala"}, "wo": {"wolof"},
	} {
		for _, n := range names {
			m[n] = code
		}
	}
	return m
}()

var (
	phoneNumber = regexp.MustCompile(`(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s*|\d{3}[\s.-]?)\d{3}[\s.-]?\d{4}`)
	phoneExt    = regexp.MustCompile(`(?i)\b(?:ext|extension|x|poste)\.?\s*(\d{1,6})\b`)
)

// Phones reads a phone column of 211 Ontario's export ("416-925-2103 ext
// 2240", "Office 705-259-2780 \nCell 705-345-6197"): one phone per number,
// with its extension and the words around it as the description ("Cell"
// makes a cell phone). Parts with no number are returned as dropped.
func Phones(s string) (phones []o211.Phone, dropped []string) {
	for _, chunk := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ';' }) {
		chunk = strings.TrimSpace(chunk)
		if chunk == "" {
			continue
		}
		locs := phoneNumber.FindAllStringIndex(chunk, -1)
		if len(locs) == 0 {
			dropped = append(dropped, chunk)
			continue
		}
		carry := chunk[:locs[0][0]] // words before a number label it
		for i, loc := range locs {
			next := len(chunk)
			if i+1 < len(locs) {
				next = locs[i+1][0]
			}
			p := o211.Phone{Number: strings.TrimSpace(chunk[loc[0]:loc[1]]), Type: "voice"}
			after := chunk[loc[1]:next]
			if m := phoneExt.FindStringSubmatchIndex(after); m != nil {
				n, _ := strconv.ParseFloat(after[m[2]:m[3]], 64)
				p.Extension = &n
				after = after[:m[0]] + " " + after[m[1]:]
			}
			label := carry
			if carry = after; i == len(locs)-1 {
				label, carry = label+" "+after, ""
			}
			p.Description = strings.Trim(strings.Join(strings.Fields(label), " "), " ,;:-/")
			switch l := strings.ToLower(p.Description); {
			case strings.Contains(l, "cell") || strings.Contains(l, "mobile"):
				p.Type = "cell"
			case strings.Contains(l, "fax"):
				p.Type = "fax"
			case strings.Contains(l, "tty") || strings.Contains(l, "textphone"):
				p.Type = "textphone"
			}
			phones = append(phones, p)
		}
	}
	return phones, dropped
}

// missingAddressColumn names the first export column an address needs and
// lacks ("" when complete).
func missingAddressColumn(a *o211.Address) string {
	for _, f := range []struct{ col, v string }{{"site_address", a.Address1}, {"site_city", a.City},
		{"site_postalcode", a.PostalCode}} {
		if strings.TrimSpace(f.v) == "" {
			return f.col
		}
	}
	return ""
}
