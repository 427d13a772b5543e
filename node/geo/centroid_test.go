package geo_test

import (
	"encoding/csv"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/o211/o211/node/geo"
)

// TestFSACentroids_NearThePlaceTheyName finds every forward sortation area
// whose centroid is far from the place its name gives: a centroid is an
// outlier when it is far from every witness its name has, that is
//
//   - the median of the other FSAs that share its place name ("Ottawa" in
//     "Ottawa (Lower Town / Sandy Hill)"), far meaning more than three times
//     their own spread (at least 2.5 km in a city, 50 km in the country);
//   - the median of its neighbouring codes (the same first two characters,
//     urban or rural alike), far by the same rule;
//   - each place it names that GeoNames knows in Ontario
//     (testdata/geonames-ontario-places.csv), far meaning more than 15 km in
//     a city or 150 km for a rural FSA, which covers a whole county.
//
// A centroid is judged only when at least one witness comes from its name
// (peers or a GeoNames place): neighbouring codes alone span several towns.
// This found K1N (in Kanata, not Sandy Hill), M5C and M5E (in Etobicoke and
// Liberty Village, not downtown), N9K (on Lake Erie, not in Tecumseh), L7C
// (in Brampton, not Caledon), P0L (at Attawapiskat, not Hearst) and P0V
// (350 km from Red Lake); ATTRIBUTION.md says how each was corrected.
func TestFSACentroids_NearThePlaceTheyName(t *testing.T) {
	gazetteer := loadPlaces(t, "testdata/geonames-ontario-places.csv")
	fsas := geo.FSAs()
	placeNames = map[string]string{}
	for _, f := range fsas {
		placeNames[f.Code] = placeName(f.Place)
	}
	for _, f := range fsas {
		witnesses, fromName := centroidWitnesses(f, fsas, gazetteer)
		if !fromName {
			continue
		}
		near := false
		for _, w := range witnesses {
			if w.km <= w.limit {
				near = true
				break
			}
		}
		if !near {
			t.Errorf("FSA %s %q at %.4f,%.4f is far from every witness of its place: %s",
				f.Code, f.Place, f.Lat, f.Lon, describe(witnesses))
		}
	}
}

// TestFSACentroids_Corrected pins the corrected centroids near the places
// they name (a landmark inside each area, within a few kilometres).
func TestFSACentroids_Corrected(t *testing.T) {
	for _, tc := range []struct {
		code     string
		lat, lon float64 // a landmark in the area
		km       float64
	}{
		{"K1N", 45.4231, -75.6831, 2},  // University of Ottawa
		{"M5C", 43.6510, -79.3740, 2},  // St. James Park
		{"M5E", 43.6480, -79.3750, 2},  // Berczy Park
		{"N9K", 42.3160, -82.8840, 3},  // Tecumseh town hall
		{"L7C", 43.8654, -79.9932, 8},  // Caledon (village)
		{"P0L", 49.6835, -83.6665, 10}, // Hearst
		{"P0V", 51.0168, -93.8274, 10}, // Red Lake
		{"M7Y", 43.6620, -79.3281, 2},  // its enclave, M4L
	} {
		f, ok := geo.LookupFSA(tc.code)
		if !ok {
			t.Fatalf("LookupFSA(%s) not found", tc.code)
		}
		if d := geo.DistanceKm(f.Lat, f.Lon, tc.lat, tc.lon); d > tc.km {
			t.Errorf("%s at %.4f,%.4f is %.1f km from %.4f,%.4f, want at most %.0f km",
				tc.code, f.Lat, f.Lon, d, tc.lat, tc.lon, tc.km)
		}
	}
}

// TestFSACentroids_NearSampleServices checks the centroids against real
// addresses: each service in the 211 Ontario sample export lies within
// 10 km (a city FSA) or 60 km (a rural one) of its postal code's centroid.
// Before the corrections K1N's two services were 20 km away.
func TestFSACentroids_NearSampleServices(t *testing.T) {
	f, err := os.Open("../../testdata/211ontario-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	checked := 0
	for _, row := range rows[1:] {
		code := geo.FSAOf(row[col["site_postalcode"]])
		lat, err1 := strconv.ParseFloat(row[col["site_latitude"]], 64)
		lon, err2 := strconv.ParseFloat(row[col["site_longitude"]], 64)
		fsa, ok := geo.LookupFSA(code)
		if code == "" || err1 != nil || err2 != nil || !ok {
			continue
		}
		limit := 10.0
		if fsa.Rural() {
			limit = 60
		}
		if d := geo.DistanceKm(lat, lon, fsa.Lat, fsa.Lon); d > limit {
			t.Errorf("%s (%s) at %.4f,%.4f is %.1f km from %s's centroid, want at most %.0f km",
				row[col["program_name"]], row[col["site_postalcode"]], lat, lon, d, code, limit)
		}
		checked++
	}
	if checked < 40 {
		t.Fatalf("checked %d services, want at least 40", checked)
	}
}

// TestParseNear_SandyHill is the case: a resident of Sandy Hill
// giving their postal code is placed in Sandy Hill, not in Kanata.
func TestParseNear_SandyHill(t *testing.T) {
	p, err := geo.ParseNear("K1N 6N5")
	if err != nil {
		t.Fatal(err)
	}
	if d := geo.DistanceKm(p.Lat, p.Lon, 45.42519, -75.67863); d > 2 {
		t.Fatalf("K1N 6N5 resolves to %.4f,%.4f, %.1f km from Sandy Hill; want at most 2 km", p.Lat, p.Lon, d)
	}
}

type place struct {
	lat, lon float64
}

type witness struct {
	what      string
	km, limit float64
}

func loadPlaces(t *testing.T, path string) map[string][]place {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string][]place{}
	for i, row := range rows[1:] {
		lat, err1 := strconv.ParseFloat(row[1], 64)
		lon, err2 := strconv.ParseFloat(row[2], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s line %d: bad coordinates", path, i+2)
		}
		out[strings.ToLower(row[0])] = append(out[strings.ToLower(row[0])], place{lat, lon})
	}
	return out
}

// placeNames maps each FSA code to placeName of its name.
var placeNames map[string]string

var (
	directionSuffix = regexp.MustCompile(`\s+(North|South|East|West|Central|Northeast|Northwest|Southeast|Southwest|Outskirts|Outer \w+|Inner \w+)$`)
	parenthesised   = regexp.MustCompile(`^(.*?)\s*\((.*)\)\s*$`)
)

// placeName is the place an FSA's name starts with: "Ottawa" for
// "Ottawa (Lower Town / Sandy Hill)", "Brampton" for "Brampton West".
func placeName(s string) string {
	if m := parenthesised.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	return directionSuffix.ReplaceAllString(strings.TrimSpace(s), "")
}

// namedPlaces lists every place an FSA's name mentions.
func namedPlaces(s string) []string {
	names := []string{s}
	if m := parenthesised.FindStringSubmatch(s); m != nil {
		names = []string{m[1]}
		for _, part := range strings.Split(m[2], "/") {
			names = append(names, strings.TrimSpace(part))
		}
	}
	for _, n := range names {
		names = append(names, directionSuffix.ReplaceAllString(n, ""))
	}
	return names
}

func centroidWitnesses(f geo.FSA, all []geo.FSA, gazetteer map[string][]place) ([]witness, bool) {
	floor, limit := 2.0, 15.0
	if f.Rural() {
		floor, limit = 50, 150
	}
	var samePlace, neighbours []geo.FSA
	name := placeNames[f.Code]
	for _, o := range all {
		if o.Code == f.Code {
			continue
		}
		if on := placeNames[o.Code]; on == name || strings.HasPrefix(f.Place, on+" ") {
			samePlace = append(samePlace, o)
		}
		if o.Code[:2] == f.Code[:2] && !f.Rural() && !o.Rural() {
			neighbours = append(neighbours, o)
		}
	}
	var ws []witness
	fromName := false
	if w, ok := peerWitness("FSAs named "+name, f, samePlace, floor); ok {
		ws, fromName = append(ws, w), true
	}
	if w, ok := peerWitness("codes "+f.Code[:2]+"*", f, neighbours, floor); ok {
		ws = append(ws, w)
	}
	seen := map[string]bool{}
	for _, n := range namedPlaces(f.Place) {
		if seen[n] {
			continue
		}
		seen[n] = true
		for _, p := range gazetteer[strings.ToLower(n)] {
			if nearestFSA(p, all).Code[0] != f.Code[0] {
				continue // another place of that name, in another postal district
			}
			ws = append(ws, witness{"GeoNames " + n, geo.DistanceKm(f.Lat, f.Lon, p.lat, p.lon), limit})
			fromName = true
		}
	}
	return ws, fromName
}

// nearestFSA returns the FSA whose centroid is nearest to p.
func nearestFSA(p place, all []geo.FSA) geo.FSA {
	best, bestKm := all[0], -1.0
	for _, f := range all {
		if d := geo.DistanceKm(p.lat, p.lon, f.Lat, f.Lon); bestKm < 0 || d < bestKm {
			best, bestKm = f, d
		}
	}
	return best
}

// peerWitness measures f against the median of peers, with a limit of three
// times the peers' own spread (the median distance to their median).
func peerWitness(what string, f geo.FSA, peers []geo.FSA, floor float64) (witness, bool) {
	if len(peers) < 2 {
		return witness{}, false
	}
	lat, lon := median(peers, func(p geo.FSA) float64 { return p.Lat }), median(peers, func(p geo.FSA) float64 { return p.Lon })
	spread := make([]float64, len(peers))
	for i, p := range peers {
		spread[i] = geo.DistanceKm(p.Lat, p.Lon, lat, lon)
	}
	sort.Float64s(spread)
	scale := max(floor, spread[len(spread)/2])
	return witness{what, geo.DistanceKm(f.Lat, f.Lon, lat, lon), peerFactor * scale}, true
}

func median(fs []geo.FSA, v func(geo.FSA) float64) float64 {
	xs := make([]float64, len(fs))
	for i, f := range fs {
		xs[i] = v(f)
	}
	sort.Float64s(xs)
	return xs[len(xs)/2]
}

func describe(ws []witness) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = fmt.Sprintf("%s %.1f km (limit %.1f)", w.what, w.km, w.limit)
	}
	return strings.Join(parts, "; ")
}

const peerFactor = 2.5
