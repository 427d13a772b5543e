// Package geo knows Ontario's geography as o211 needs it: the forward
// sortation areas (FSAs, the first three characters of a postal code) with
// their centroids and regional 211 centres, postal-code parsing, and
// great-circle distances.
package geo

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/o211/o211"
)

//go:embed ontario-fsa.csv
var fsaCSV string

// FSA is a forward sortation area: the first three characters of a postal
// code, with a place name, its centroid and the region that serves it.
type FSA struct {
	Code   string  `json:"fsa"`
	Place  string  `json:"place"`
	Lat    float64 `json:"lat"`
	Lon    float64 `json:"lon"`
	Region string  `json:"region"`
}

// Rural reports whether the FSA is rural (second character '0').
func (f FSA) Rural() bool { return len(f.Code) == 3 && f.Code[1] == '0' }

var regions = []o211.Region{
	{ID: "central", Name: "Central", City: "Toronto", Lat: 43.6532, Lon: -79.3832},
	{ID: "central-east", Name: "Central East", City: "Collingwood", Lat: 44.5001, Lon: -80.2169},
	{ID: "central-south", Name: "Central South", City: "St. Catharines", Lat: 43.1594, Lon: -79.2469},
	{ID: "east", Name: "East", City: "Ottawa", Lat: 45.4215, Lon: -75.6972},
	{ID: "north", Name: "North", City: "Thunder Bay", Lat: 48.3809, Lon: -89.2477},
	{ID: "south-west", Name: "South West", City: "Windsor", Lat: 42.3149, Lon: -83.0364},
}

// Regions returns Ontario's six regional 211 centres, in id order.
func Regions() []o211.Region { return append([]o211.Region(nil), regions...) }

// RegionByID returns the region with the id, and false if there is none.
func RegionByID(id string) (o211.Region, bool) {
	for _, r := range regions {
		if r.ID == id {
			return r, true
		}
	}
	return o211.Region{}, false
}

var (
	loadOnce sync.Once
	fsaList  []FSA
	fsaByKey map[string]FSA
)

func load() {
	rows, err := csv.NewReader(strings.NewReader(fsaCSV)).ReadAll()
	if err != nil {
		panic(fmt.Sprintf("geo: embedded ontario-fsa.csv: %v", err))
	}
	fsaByKey = make(map[string]FSA, len(rows))
	for i, row := range rows {
		if i == 0 {
			continue
		}
		lat, err1 := strconv.ParseFloat(row[2], 64)
		lon, err2 := strconv.ParseFloat(row[3], 64)
		if err1 != nil || err2 != nil {
			panic(fmt.Sprintf("geo: embedded ontario-fsa.csv line %d: bad coordinates", i+1))
		}
		f := FSA{Code: row[0], Place: row[1], Lat: lat, Lon: lon, Region: row[4]}
		fsaList = append(fsaList, f)
		fsaByKey[f.Code] = f
	}
	sort.Slice(fsaList, func(i, j int) bool { return fsaList[i].Code < fsaList[j].Code })
}

// FSAs returns every Ontario FSA, in code order.
func FSAs() []FSA {
	loadOnce.Do(load)
	return append([]FSA(nil), fsaList...)
}

// LookupFSA returns the FSA with the code (any case, spaces ignored), and
// false if Ontario has no such FSA.
func LookupFSA(code string) (FSA, bool) {
	loadOnce.Do(load)
	f, ok := fsaByKey[strings.ToUpper(strings.TrimSpace(code))]
	return f, ok
}

// NormalizePostalCode returns a Canadian postal code in the form "A1A 1A1"
// (o211.NormalizePostalCode), or an EINVALID error naming the value when it
// is not one.
func NormalizePostalCode(s string) (string, error) {
	if pc := o211.NormalizePostalCode(s); pc != "" {
		return pc, nil
	}
	return "", o211.Errorf(o211.EINVALID, "%q is not a Canadian postal code (A1A 1A1)", s)
}

// FSAOf returns the FSA code of a postal code or FSA, spaces anywhere
// ignored, or "" when s is not one.
func FSAOf(s string) string { return o211.FSAOf(strings.Join(strings.Fields(s), "")) }

// Point is a latitude and longitude in degrees.
type Point struct {
	Lat, Lon float64
}

// ParseNear resolves what a user typed as a place: a postal code or FSA
// (to the FSA's centroid) or "lat,lon". It returns an EINVALID error that
// says which forms are accepted.
func ParseNear(s string) (Point, error) {
	s = strings.TrimSpace(s)
	if lat, lon, ok := strings.Cut(s, ","); ok {
		la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
		lo, err2 := strconv.ParseFloat(strings.TrimSpace(lon), 64)
		if err1 != nil || err2 != nil || la < -90 || la > 90 || lo < -180 || lo > 180 {
			return Point{}, o211.Errorf(o211.EINVALID, "near %q: latitude,longitude must be two numbers in range", s)
		}
		return Point{la, lo}, nil
	}
	code := FSAOf(s)
	if code == "" || (len(strings.Join(strings.Fields(s), "")) != 3 && len(strings.Join(strings.Fields(s), "")) != 6) {
		return Point{}, o211.Errorf(o211.EINVALID, "near %q: give a postal code (M5T 2L9), an FSA (M5T) or latitude,longitude", s)
	}
	f, ok := LookupFSA(code)
	if !ok {
		return Point{}, o211.Errorf(o211.EINVALID, "near %q: %s is not an Ontario forward sortation area", s, code)
	}
	return Point{f.Lat, f.Lon}, nil
}

const earthRadiusKm = 6371.0088

// DistanceKm returns the great-circle (haversine) distance between two
// points in kilometres.
func DistanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dlat := (lat2 - lat1) * rad
	dlon := (lon2 - lon1) * rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(a)))
}

// NearestRegion returns the region whose centre is nearest the point,
// following the rule of ontario-fsa.csv for FSAs outside 'M' and 'P'.
func NearestRegion(lat, lon float64) o211.Region {
	best, bestD := regions[0], math.Inf(1)
	for _, r := range regions {
		if d := DistanceKm(lat, lon, r.Lat, r.Lon); d < bestD {
			best, bestD = r, d
		}
	}
	return best
}

// Locator resolves postal codes and FSAs to their FSA's centroid, for the
// portal's "near" (it implements console.Locator).
type Locator struct{}

// Locate returns the centroid of the postal code's FSA; an EINVALID error
// when it is not an Ontario FSA.
func (Locator) Locate(near string) (float64, float64, error) {
	p, err := ParseNear(near)
	return p.Lat, p.Lon, err
}
