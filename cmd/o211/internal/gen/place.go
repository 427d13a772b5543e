package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/o211/o211/node/geo"
)

// place is an FSA as the generator uses it: where organizations sit, the
// town that goes on their addresses and the area their names mention.
type place struct {
	geo.FSA
	City string // the town of the postal address ("Toronto", "Kemptville")
	Area string // the name local organizations carry ("Agincourt", "Sudbury")
	// AreaCodes are the telephone area codes of the FSA, the usual one first.
	AreaCodes []string
	// Near lists the places of the same region within nearKm, this one
	// included: where an organization opens its other sites.
	Near []int
}

// regionPlaces is a region with the FSAs it counts and those organizations
// can sit in (all but post-office-box and government-only FSAs).
type regionPlaces struct {
	ID     string
	FSAs   int
	Places []int // indexes into places
}

const nearKm = 25

// unusable FSAs hold no street addresses of community services: Government
// of Canada and Queen's Park mail, PO boxes, business reply mail, airports.
var unusable = map[string]bool{"K1A": true, "M5W": true, "M7A": true, "M7Y": true, "L5P": true}

var (
	placesOnce sync.Once
	places     []place
	regions    []regionPlaces
)

func loadPlaces() {
	byRegion := map[string]*regionPlaces{}
	for _, r := range geo.Regions() {
		regions = append(regions, regionPlaces{ID: r.ID})
	}
	for i := range regions {
		byRegion[regions[i].ID] = &regions[i]
	}
	for _, f := range geo.FSAs() {
		rp := byRegion[f.Region]
		if rp == nil {
			panic(fmt.Sprintf("gen: FSA %s has unknown region %q", f.Code, f.Region))
		}
		rp.FSAs++
		if unusable[f.Code] {
			continue
		}
		city, area := townOf(f)
		rp.Places = append(rp.Places, len(places))
		places = append(places, place{FSA: f, City: city, Area: area, AreaCodes: areaCodes(f.Code)})
	}
	for _, rp := range regions {
		for _, i := range rp.Places {
			for _, j := range rp.Places {
				if geo.DistanceKm(places[i].Lat, places[i].Lon, places[j].Lat, places[j].Lon) <= nearKm {
					places[i].Near = append(places[i].Near, j)
				}
			}
		}
	}
}

// directions are the words that split a town into FSAs ("Oshawa North").
var directions = map[string]bool{
	"North": true, "South": true, "East": true, "West": true, "Central": true, "Northeast": true,
	"Northwest": true, "Southeast": true, "Southwest": true, "Outskirts": true, "Inner": true,
	"Outer": true, "Township": true,
}

func stripDirections(s string) string {
	if i := strings.Index(s, " and "); i > 0 {
		s = s[:i]
	}
	words := strings.Fields(s)
	for len(words) > 1 && directions[words[len(words)-1]] {
		words = words[:len(words)-1]
	}
	return strings.Join(words, " ")
}

// townOf derives the postal town and the local area name of an FSA from
// its GeoNames place ("Scarborough (Malvern / Rouge River)", "Elgin
// (Dorchester)", "Oshawa North").
func townOf(f geo.FSA) (city, area string) {
	outer, inner := f.Place, ""
	if i := strings.Index(outer, " ("); i >= 0 {
		outer, inner = outer[:i], strings.TrimSuffix(outer[i+2:], ")")
	}
	outer = strings.TrimPrefix(stripDirections(outer), "Greater ")
	pieces := strings.Split(inner, " / ")
	if f.Rural() && inner != "" {
		city = strings.TrimSuffix(strings.TrimSpace(pieces[0]), " A")
		return city, city
	}
	city, area = outer, outer
	if f.Code[0] == 'M' {
		city, area = "Toronto", "Toronto"
		if n := neighbourhood(outer); n != "" && n != "Toronto" {
			area = n
		}
	}
	for _, p := range pieces {
		if p = neighbourhood(p); p != "" {
			return city, p
		}
	}
	return city, area
}

// notNeighbourhoods mark the parts of GeoNames places that are landmarks,
// buildings or compass quarters rather than neighbourhood names.
var notNeighbourhoods = []string{
	"Tower", "Dominion", "Commerce", "Underground", "CFB", "Sector", "area", "Downtown", "Central",
	"Parliament", "University", "Street", "Avenue", "Stn", "&", " and ", "Hotel", "Port of", "Island",
}

// genericWords keep their compass word: "North Park" is not "Park".
var genericWords = map[string]bool{"Park": true, "Credit": true, "March": true, "Hill": true, "End": true}

// neighbourhood returns the name of a neighbourhood from one part of a
// GeoNames place ("West Forest Glade" gives "Forest Glade"), or "" when the
// part is not one.
func neighbourhood(p string) string {
	p = strings.TrimSpace(p)
	if p == "" || !utf8.ValidString(p) || strings.ContainsRune(p, utf8.RuneError) || strings.ToUpper(p) == p {
		return ""
	}
	for _, w := range notNeighbourhoods {
		if strings.Contains(p, w) {
			return ""
		}
	}
	words := strings.Fields(stripDirections(p))
	for len(words) > 1 && (directions[words[0]] || len(words[0]) == 2 && strings.ToUpper(words[0]) == words[0]) &&
		(len(words) > 2 || !genericWords[words[1]]) {
		words = words[1:]
	}
	if len(words) > 1 && len(words[len(words)-1]) == 2 && strings.ToUpper(words[len(words)-1]) == words[len(words)-1] {
		return "" // "Mimico NW"
	}
	return strings.Join(words, " ")
}

// areaCodes returns the telephone area codes of an FSA, the original code
// first and its overlays after.
func areaCodes(fsa string) []string {
	switch fsa[0] {
	case 'M':
		return []string{"416", "647", "437"}
	case 'K':
		if strings.HasPrefix(fsa, "K9") || fsa == "K0L" || fsa == "K0M" {
			return []string{"705", "249"}
		}
		return []string{"613", "343"}
	case 'L':
		switch fsa {
		case "L0K", "L0L", "L0M", "L3V", "L4M", "L4N", "L4R", "L9M", "L9R", "L9S", "L9Y", "L9Z":
			return []string{"705", "249"}
		}
		return []string{"905", "289", "365"}
	case 'P':
		switch {
		case fsa[1] >= '7', fsa == "P0T", fsa == "P0V", fsa == "P0W", fsa == "P0X", fsa == "P0Y":
			return []string{"807"}
		}
		return []string{"705", "249"}
	case 'N':
		if fsa == "N1A" || fsa == "N3W" || fsa == "N0A" {
			return []string{"905", "289"}
		}
	}
	return []string{"519", "226", "548"}
}

// jitter returns a point near the FSA's centroid: within 1.5 km in a town,
// within 8 km in a rural FSA, which spans a whole county.
func jitter(r *rand.Rand, f geo.FSA) (lat, lon float64) {
	maxKm := 1.5
	if f.Rural() {
		maxKm = 8
	}
	d := maxKm * math.Sqrt(r.Float64())
	a := 2 * math.Pi * r.Float64()
	lat = f.Lat + d*math.Cos(a)/111.32
	lon = f.Lon + d*math.Sin(a)/(111.32*math.Cos(f.Lat*math.Pi/180))
	return math.Round(lat*1e6) / 1e6, math.Round(lon*1e6) / 1e6
}

// postalLetters are the letters Canada Post uses in postal codes.
const postalLetters = "ABCEGHJKLMNPRSTVWXYZ"

// postalCode returns a postal code "A1A 1A1" of the FSA.
func postalCode(r *rand.Rand, fsa string) string {
	return fmt.Sprintf("%s %d%c%d", fsa, r.IntN(10), postalLetters[r.IntN(len(postalLetters))], r.IntN(10))
}

// phoneNumber returns a local number "416-392-0147" in one of the area
// codes, the first most often.
func phoneNumber(r *rand.Rand, codes []string) string {
	code := codes[0]
	if len(codes) > 1 && chance(r, 0.3) {
		code = codes[1+r.IntN(len(codes)-1)]
	}
	return code + "-" + exchange(r) + fmt.Sprintf("-%04d", r.IntN(10000))
}

// tollFree returns a toll-free number "1-888-579-0147".
func tollFree(r *rand.Rand) string {
	return "1-" + pick(r, []string{"800", "888", "877", "866", "855", "844"}) + "-" + exchange(r) + fmt.Sprintf("-%04d", r.IntN(10000))
}

// exchange returns a central office code: 200-999, not N11 and not 555.
func exchange(r *rand.Rand) string {
	for {
		n := 200 + r.IntN(800)
		if n%100 != 11 && n != 555 && n != 958 && n != 959 {
			return fmt.Sprint(n)
		}
	}
}

// streets are common Ontario street names; torontoStreets and
// ottawaStreets are added in those cities, frenchStreets in French records
// of the east and north.
var (
	streets = []string{
		"King", "Queen", "Main", "Church", "Victoria", "Wellington", "Dundas", "Ontario", "Elm", "Maple",
		"Park", "Albert", "William", "George", "John", "James", "Front", "Water", "Mill", "Bridge",
		"Division", "Simcoe", "Brock", "Huron", "Erie", "Cedar", "Pine", "Oak", "Birch", "Lakeshore",
		"Centre", "College", "Talbot", "Ridout", "Colborne", "Bathurst", "Richmond", "Adelaide", "Elgin",
		"Murray", "Peel", "Durham", "Hurontario", "Kent", "Princess", "Dufferin", "Brant", "Highland",
		"Riverside", "Sunset", "Mountain", "Concession", "Industrial", "Commerce", "Carling", "Grey",
	}
	torontoStreets = []string{
		"Yonge", "Bloor", "Spadina", "Eglinton", "Lawrence", "Finch", "Sheppard", "Kennedy", "Danforth",
		"Jane", "Keele", "Weston", "Dufferin", "Ossington", "Parliament", "Sherbourne", "Jarvis", "Gerrard",
		"Kingston", "Markham", "Victoria Park", "Warden", "Islington", "Kipling", "Steeles",
	}
	ottawaStreets = []string{
		"Bank", "Rideau", "Somerset", "Elgin", "Montreal", "Baseline", "Merivale", "St. Laurent", "Bronson",
		"Gladstone", "Preston", "Laurier", "Cumberland", "Dalhousie",
	}
	frenchStreets = []string{
		"Principale", "Notre-Dame", "Saint-Joseph", "Saint-Jean", "Champlain", "Laurier", "Cartier",
		"de l'Église", "du Moulin", "Sainte-Anne", "Dollard", "Lalonde",
	}
	suffixes = []struct{ en, fr string }{
		{"Street", "rue"}, {"Street", "rue"}, {"Street", "rue"}, {"Avenue", "avenue"}, {"Avenue", "avenue"},
		{"Road", "chemin"}, {"Drive", "promenade"}, {"Boulevard", "boulevard"}, {"Crescent", "croissant"},
		{"Court", "cour"},
	}
	streetDirs = []struct{ en, fr string }{{"East", "Est"}, {"West", "Ouest"}, {"North", "Nord"}, {"South", "Sud"}}
)

// streetAddress returns the first line of an address in the place, in
// French form ("435, rue Principale") for French records.
func streetAddress(r *rand.Rand, p *place, french bool) string {
	pool := streets
	switch {
	case p.City == "Toronto" && chance(r, 0.6):
		pool = torontoStreets
	case strings.HasPrefix(p.Code, "K1") || strings.HasPrefix(p.Code, "K2"):
		if chance(r, 0.5) {
			pool = ottawaStreets
		}
	}
	name := pick(r, pool)
	if french && chance(r, 0.35) {
		name = pick(r, frenchStreets)
	}
	num := 1 + r.IntN(60)
	if chance(r, 0.7) {
		num = 10 + r.IntN(2990)
	}
	suf := suffixes[r.IntN(len(suffixes))]
	var dir struct{ en, fr string }
	hasDir := chance(r, 0.15)
	if hasDir {
		dir = streetDirs[r.IntN(len(streetDirs))]
	}
	if french {
		s := fmt.Sprintf("%d, %s %s", num, suf.fr, name)
		if hasDir {
			s += " " + dir.fr
		}
		return s
	}
	s := fmt.Sprintf("%d %s %s", num, name, suf.en)
	if hasDir {
		s += " " + dir.en
	}
	return s
}

// unit returns an address_2 ("Suite 201"), or "" for most addresses.
func unit(r *rand.Rand, french bool) string {
	if !chance(r, 0.3) {
		return ""
	}
	n := 100*(1+r.IntN(4)) + r.IntN(20)
	switch r.IntN(4) {
	case 0:
		if french {
			return fmt.Sprintf("Bureau %d", n)
		}
		return fmt.Sprintf("Suite %d", n)
	case 1:
		if french {
			return fmt.Sprintf("Unité %d", 1+r.IntN(12))
		}
		return fmt.Sprintf("Unit %d", 1+r.IntN(12))
	case 2:
		if french {
			return "Sous-sol"
		}
		return "Lower Level"
	}
	floor := 2 + r.IntN(3)
	if french {
		return fmt.Sprintf("%de étage", floor)
	}
	return fmt.Sprintf("%s Floor", map[int]string{2: "2nd", 3: "3rd", 4: "4th"}[floor])
}
