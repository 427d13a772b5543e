package search

import "strings"

// NormalizeLanguage maps a language code or name, in English or in the
// language itself, to a lower-case ISO 639-1 code where one exists: "fr",
// "fra", "fre", "French", "Français" give "fr"; "en", "eng", "English"
// give "en". Other two-letter codes are returned lower-cased, unknown
// three-letter codes as they are (lower-cased), and anything else as ""
// (names this table does not know).
func NormalizeLanguage(s string) string {
	k := strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(k, "-_"); i == 2 || i == 3 {
		k = k[:i] // "en-CA", "fr_CA"
	}
	if c, ok := languageAliases[k]; ok {
		return c
	}
	if k == "" {
		return ""
	}
	if folded := sharedAnalyzer().foldString(k); folded != k {
		if c, ok := languageAliases[folded]; ok {
			return c
		}
	}
	if len(k) == 2 || len(k) == 3 {
		for i := 0; i < len(k); i++ {
			if k[i] < 'a' || k[i] > 'z' {
				return ""
			}
		}
		return k
	}
	return ""
}

// languageAliases maps ISO 639-2/3 codes and names (English, native, and
// French) to ISO 639-1 codes, for the languages most asked for in Ontario.
var languageAliases = func() map[string]string {
	m := map[string]string{}
	for code, aliases := range map[string][]string{
		"en":  {"eng", "english", "anglais"},
		"fr":  {"fra", "fre", "french", "francais", "français"},
		"es":  {"spa", "spanish", "espanol", "español", "espagnol"},
		"pt":  {"por", "portuguese", "portugues", "português", "portugais"},
		"it":  {"ita", "italian", "italiano", "italien"},
		"de":  {"deu", "ger", "german", "deutsch", "allemand"},
		"zh":  {"zho", "chi", "chinese", "mandarin", "cantonese", "chinois", "cmn", "yue"},
		"ar":  {"ara", "arabic", "arabe"},
		"pa":  {"pan", "punjabi", "panjabi", "pendjabi"},
		"ur":  {"urd", "urdu", "ourdou"},
		"hi":  {"hin", "hindi"},
		"ta":  {"tam", "tamil", "tamoul"},
		"tl":  {"tgl", "tagalog", "filipino", "fil"},
		"fa":  {"fas", "per", "persian", "farsi", "persan"},
		"so":  {"som", "somali"},
		"vi":  {"vie", "vietnamese", "vietnamien"},
		"ko":  {"kor", "korean", "coreen", "coréen"},
		"ru":  {"rus", "russian", "russe"},
		"uk":  {"ukr", "ukrainian", "ukrainien"},
		"pl":  {"pol", "polish", "polonais"},
		"gu":  {"guj", "gujarati"},
		"bn":  {"ben", "bengali"},
		"ti":  {"tir", "tigrinya"},
		"am":  {"amh", "amharic"},
		"tr":  {"tur", "turkish", "turc"},
		"el":  {"ell", "gre", "greek", "grec"},
		"he":  {"heb", "hebrew", "hebreu", "hébreu"},
		"ja":  {"jpn", "japanese", "japonais"},
		"iu":  {"iku", "inuktitut"},
		"cr":  {"cre", "cree", "cri"},
		"oj":  {"oji", "ojibwe", "ojibway", "ojibwa"},
		"ase": {"asl", "american sign language", "langue des signes americaine"},
		"fcs": {"lsq", "quebec sign language", "langue des signes quebecoise"},
	} {
		for _, a := range aliases {
			m[a] = code
		}
		m[code] = code
	}
	return m
}()
