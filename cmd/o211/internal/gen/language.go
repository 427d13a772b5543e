package gen

import "math/rand/v2"

// lang is a language of service: its English name and its ISO 639-1 code,
// or ISO 639-3 where 639-1 has none (Mandarin, Cantonese, Oji-Cree, ASL),
// as HSDS asks.
type lang struct{ name, code string }

var (
	langEnglish = lang{"English", "en"}
	langFrench  = lang{"French", "fr"}
	langASL     = lang{"American Sign Language", "ase"}
)

// regionLanguages are the other languages services offer in each region,
// weighted by how often they do.
var regionLanguages = map[string][]struct {
	lang
	w int
}{
	"central": {{lang{"Mandarin", "cmn"}, 10}, {lang{"Cantonese", "yue"}, 8}, {lang{"Punjabi", "pa"}, 8}, {lang{"Tamil", "ta"}, 7},
		{lang{"Urdu", "ur"}, 6}, {lang{"Arabic", "ar"}, 6}, {lang{"Spanish", "es"}, 7}, {lang{"Portuguese", "pt"}, 6}, {lang{"Tagalog", "tl"}, 6},
		{lang{"Persian", "fa"}, 5}, {lang{"Somali", "so"}, 4}, {lang{"Russian", "ru"}, 3}, {lang{"Korean", "ko"}, 3}, {lang{"Vietnamese", "vi"}, 3},
		{lang{"Hindi", "hi"}, 4}, {lang{"Gujarati", "gu"}, 3}, {lang{"Bengali", "bn"}, 3}, {lang{"Italian", "it"}, 3}, {lang{"Polish", "pl"}, 2},
		{lang{"Ukrainian", "uk"}, 2}, {lang{"Tigrinya", "ti"}, 2}, {lang{"Amharic", "am"}, 2}},
	"central-east": {{lang{"Portuguese", "pt"}, 4}, {lang{"Italian", "it"}, 3}, {lang{"Polish", "pl"}, 3}, {lang{"Spanish", "es"}, 3},
		{lang{"Mandarin", "cmn"}, 2}, {lang{"Punjabi", "pa"}, 2}, {lang{"German", "de"}, 1}, {lang{"Ojibwe", "oj"}, 1}},
	"central-south": {{lang{"Arabic", "ar"}, 6}, {lang{"Punjabi", "pa"}, 5}, {lang{"Spanish", "es"}, 5}, {lang{"Portuguese", "pt"}, 4},
		{lang{"Italian", "it"}, 4}, {lang{"Polish", "pl"}, 4}, {lang{"Urdu", "ur"}, 3}, {lang{"Mandarin", "cmn"}, 2}, {lang{"Croatian", "hr"}, 2}},
	"east": {{lang{"Arabic", "ar"}, 8}, {lang{"Somali", "so"}, 6}, {lang{"Mandarin", "cmn"}, 5}, {lang{"Spanish", "es"}, 5},
		{lang{"Inuktitut", "iu"}, 3}, {lang{"Vietnamese", "vi"}, 3}, {lang{"Persian", "fa"}, 3}, {lang{"Portuguese", "pt"}, 2}},
	"north": {{lang{"Ojibwe", "oj"}, 8}, {lang{"Cree", "cr"}, 6}, {lang{"Oji-Cree", "ojs"}, 4}, {lang{"Italian", "it"}, 3},
		{lang{"Finnish", "fi"}, 2}, {lang{"Ukrainian", "uk"}, 2}, {lang{"Polish", "pl"}, 2}},
	"south-west": {{lang{"Arabic", "ar"}, 8}, {lang{"Spanish", "es"}, 5}, {lang{"Portuguese", "pt"}, 4}, {lang{"Punjabi", "pa"}, 3},
		{lang{"Mandarin", "cmn"}, 3}, {lang{"Italian", "it"}, 3}, {lang{"Vietnamese", "vi"}, 2}, {lang{"Swahili", "sw"}, 2}},
}

var indigenousLanguages = []lang{{"Ojibwe", "oj"}, {"Cree", "cr"}, {"Oji-Cree", "ojs"}, {"Mohawk", "moh"}}

// frenchShare is the share of each region's organizations whose records
// are written in French: about one in six over the province, more in the
// east and the north.
var frenchShare = map[string]float64{
	"central": 0.08, "central-east": 0.06, "central-south": 0.06, "east": 0.45, "north": 0.42, "south-west": 0.08,
}

// bilingualShare is the share of English records that also serve in French.
var bilingualShare = map[string]float64{
	"central": 0.06, "central-east": 0.04, "central-south": 0.05, "east": 0.35, "north": 0.3, "south-west": 0.06,
}

// serviceLanguages returns the languages a service is offered in.
func serviceLanguages(r *rand.Rand, region string, french, indigenous bool) []lang {
	var out []lang
	if french {
		out = append(out, langFrench)
		if chance(r, 0.7) {
			out = append(out, langEnglish)
		}
	} else {
		out = append(out, langEnglish)
		if chance(r, bilingualShare[region]) {
			out = append(out, langFrench)
		}
	}
	if indigenous && chance(r, 0.7) {
		out = append(out, pick(r, indigenousLanguages))
	}
	pool := regionLanguages[region]
	n := 0
	switch x := r.IntN(100); {
	case x < 25:
		n = 1
	case x < 37:
		n = 2
	case x < 40:
		n = 3
	}
	weights := make([]int, len(pool))
	for i, l := range pool {
		weights[i] = l.w
	}
	for i := 0; i < n; i++ {
		l := pool[weighted(r, weights)].lang
		dup := false
		for _, o := range out {
			dup = dup || o.code == l.code
		}
		if !dup {
			out = append(out, l)
		}
	}
	if chance(r, 0.02) {
		out = append(out, langASL)
	}
	return out
}
