package search

import (
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/o211/o211"
)

// Query semantics.
//
// Text is cut into words and each word analysed in English and French;
// every word must match (AND) in either analysis. The last word also
// matches indexed words it is a prefix of (type-ahead, from two letters):
// "banq" finds "banque". Stop words of either language are ignored.
//
// Relevance is BM25 (k1 1.2, b 0.75) over the doc's weighted word counts:
// service name x4, taxonomy names x2.5, alternate and organization name
// x2, location name and city x1.5, description x1, organization
// description x0.5. Words completed by type-ahead count 0.8.
//
// With Near, the score is relevance x decay(distance), decay(d) = 1/(1 +
// d/10 km) (half at 10 km, a third at 20 km); docs without coordinates
// take the decay of 30 km. Order: by score with text; by distance with
// Near only; by name otherwise; ties by name, then service id, then key.
// With no text the score is the decay alone (0 without Near).
//
// Taxonomy matches a code and its descendants ("BD" finds "BD-1800.2000");
// both parts of combined "A*B" codes are indexed, and a combined filter
// needs both. Near with RadiusKm keeps docs within the radius (exact
// haversine at the edge); distance_km is rounded to 0.1 km. OpenAt keeps
// docs open then (schedule.go); docs with unknown hours are left out.
// Inactive and defunct services are left out unless IncludeInactive.
// Distinct keeps each service's best doc by the same order.
//
// Total counts all matches; Facets list every category of o211.Categories,
// in that order and with zero counts, over all matches (services, with
// Distinct), not only the page. Page 0 means 1 and PerPage 0 means 20; a
// negative page, per_page outside 1..200, a negative radius, a radius
// without near, a negative age and an unknown language are EINVALID.

const (
	defaultPerPage = 20
	maxPerPage     = 200
	maxQueryWords  = 32
	prefixWeight   = 0.8
	maxExpansions  = 2000
	decayKm        = 10.0
	noGeoDecayKm   = 30.0
	maxGeoCells    = 400
	kmPerDegLat    = 111.195
)

// plan is a query resolved against one snapshot.
type plan struct {
	none     bool     // some filter matches nothing
	sources  []source // posting-list filters, all must hold
	geo      *source  // grid cells around Near, used only to start from
	text     bool
	near     bool
	lat, lon float64
	radius   float64
	box      [4]float32 // min lat, max lat, min lon, max lon, a little wide
	inner    [4]float32 // a box surely within the radius
	open     bool
	clk      clock
	hasAge   bool
	age      float32
	region   int
	modAfter int64
	inactive bool
	distinct bool
}

// source is a set of docs: the union of posting lists. For a query word,
// mult holds each list's score multiplier (idf x weight); it is nil for
// keyword filters.
type source struct {
	lists []*plist
	mult  []float32
	cost  int
}

// validateQuery checks q and returns its page and page size.
func validateQuery(q *o211.Query) (page, perPage int, err error) {
	page, perPage = q.Page, q.PerPage
	switch {
	case page < 0:
		return 0, 0, o211.Errorf(o211.EINVALID, "page must be 1 or more, not %d", page)
	case perPage < 0 || perPage > maxPerPage:
		return 0, 0, o211.Errorf(o211.EINVALID, "per_page must be between 1 and %d, not %d", maxPerPage, perPage)
	case q.RadiusKm < 0 || math.IsNaN(q.RadiusKm) || math.IsInf(q.RadiusKm, 0):
		return 0, 0, o211.Errorf(o211.EINVALID, "radius_km must be a distance of 0 or more kilometres")
	case q.RadiusKm > 0 && !q.HasNear:
		return 0, 0, o211.Errorf(o211.EINVALID, "radius_km needs near: a place to measure from")
	case q.HasNear && !(q.Lat >= -90 && q.Lat <= 90 && q.Lon >= -180 && q.Lon <= 180):
		return 0, 0, o211.Errorf(o211.EINVALID, "near: latitude and longitude out of range")
	case q.Age != nil && (*q.Age < 0 || math.IsNaN(*q.Age)):
		return 0, 0, o211.Errorf(o211.EINVALID, "age must be 0 or more")
	case q.Language != "" && NormalizeLanguage(q.Language) == "":
		return 0, 0, o211.Errorf(o211.EINVALID, "language %q is not a language code or name this directory knows", q.Language)
	}
	if page == 0 {
		page = 1
	}
	if perPage == 0 {
		perPage = defaultPerPage
	}
	return page, perPage, nil
}

// plan resolves q's words and filters into posting lists of s.
func (ix *Index) plan(s *snapshot, q *o211.Query) *plan {
	p := &plan{region: -1, inactive: q.IncludeInactive, distinct: q.Distinct}
	ix.planText(s, p, q.Text)
	for _, code := range o211.SplitTaxonomyCode(strings.ToUpper(q.Taxonomy)) {
		p.keyword(s, kwTaxonomy+code)
	}
	if q.OrganizationID != "" {
		p.keyword(s, kwOrg+q.OrganizationID)
	}
	if q.Language != "" {
		p.keyword(s, kwLanguage+NormalizeLanguage(q.Language))
	}
	if q.TaxonomyTermID != "" {
		p.keyword(s, kwTermID+q.TaxonomyTermID)
	}
	if q.TaxonomyID != "" {
		p.keyword(s, kwTaxonomyID+q.TaxonomyID)
	}
	if q.Region != "" {
		p.region = -2
		for i, r := range s.regions {
			if r == q.Region {
				p.region = i
			}
		}
		p.none = p.none || p.region < 0
	}
	if q.Age != nil {
		p.hasAge, p.age = true, float32(*q.Age)
	}
	if !q.ModifiedAfter.IsZero() {
		p.modAfter = q.ModifiedAfter.Unix()
		if p.modAfter == 0 {
			p.modAfter = -1
		}
	}
	if !q.OpenAt.IsZero() {
		p.open, p.clk = true, clockAt(q.OpenAt, ix.opts.Location)
	}
	if q.HasNear {
		p.near, p.lat, p.lon, p.radius = true, q.Lat, q.Lon, q.RadiusKm
		if p.radius > 0 {
			p.planGeo(s)
		}
	}
	return p
}

// keyword adds a keyword filter; an unknown keyword matches nothing.
func (p *plan) keyword(s *snapshot, term string) {
	l := s.list(s.lex.id(term))
	if l == nil || len(l.docs) == 0 {
		p.none = true
		return
	}
	p.sources = append(p.sources, source{lists: []*plist{l}, cost: len(l.docs)})
}

func (s *snapshot) list(id uint32) *plist {
	if id == 0 || int(id) >= len(s.posts) {
		return nil
	}
	return s.posts[id]
}

// planText adds a source per query word.
func (ix *Index) planText(s *snapshot, p *plan, text string) {
	var raws []string
	eachWord(text, func(raw string) {
		if len(raws) < maxQueryWords {
			raws = append(raws, raw)
		}
	})
	live := float64(len(s.hot) - s.nDead)
	for i, raw := range raws {
		w, ok := ix.qc.analyze(ix.an, raw)
		if !ok {
			continue
		}
		terms := map[uint32]float32{}
		for _, t := range []string{w.en, w.fr} {
			if id := s.lex.id(t); t != "" && id != 0 {
				terms[id] = 1
			}
		}
		if i == len(raws)-1 && len(w.surface) >= 2 {
			n := 0
			s.lex.prefix(w.surface, func(_ string, ids [2]uint32) {
				for _, id := range ids {
					if id != 0 && terms[id] == 0 && n < maxExpansions {
						terms[id] = prefixWeight
					}
				}
				n++
			})
		}
		ids := slices.Sorted(maps.Keys(terms))
		src := source{}
		for _, id := range ids {
			m := terms[id]
			l := s.list(id)
			if l == nil || len(l.docs) == 0 {
				continue
			}
			df := float64(len(l.docs))
			idf := math.Log(1 + (live-df+0.5)/(df+0.5))
			src.lists = append(src.lists, l)
			src.mult = append(src.mult, float32(idf*weightScale)*m)
			src.cost += len(l.docs)
		}
		if len(src.lists) == 0 {
			p.none = true
			return
		}
		p.text = true
		p.sources = append(p.sources, src)
	}
}

// inInner reports whether a doc lies in the box surely within the radius.
func (p *plan) inInner(h *docHot) bool {
	return h.lat >= p.inner[0] && h.lat <= p.inner[1] && h.lon >= p.inner[2] && h.lon <= p.inner[3]
}

// planGeo sets the bounding box of the radius and the grid cells it covers.
func (p *plan) planGeo(s *snapshot) {
	dLat := p.radius / kmPerDegLat
	maxLat := math.Min(89.9, math.Max(math.Abs(p.lat-dLat), math.Abs(p.lat+dLat)))
	dLon := p.radius / (kmPerDegLat * math.Cos(maxLat*math.Pi/180))
	const slack = 1e-4 // degrees, more than float32 rounding
	p.box = [4]float32{float32(p.lat - dLat - slack), float32(p.lat + dLat + slack),
		float32(p.lon - dLon - slack), float32(p.lon + dLon + slack)}
	// The square inscribed in the circle, at the narrowest degree of
	// longitude, less the slack: every point in it is within the radius.
	minLat := math.Max(0, math.Min(math.Abs(p.lat-dLat), math.Abs(p.lat+dLat)))
	in := p.radius / math.Sqrt2 * (1 - 2*fastDistanceError)
	inLat, inLon := in/kmPerDegLat, in/(kmPerDegLat*math.Cos(minLat*math.Pi/180))
	p.inner = [4]float32{float32(p.lat - inLat + slack), float32(p.lat + inLat - slack),
		float32(p.lon - inLon + slack), float32(p.lon + inLon - slack)}
	y0, x0 := cellOf(p.lat-dLat-slack, p.lon-dLon-slack)
	y1, x1 := cellOf(p.lat+dLat+slack, p.lon+dLon+slack)
	if (y1-y0+1)*(x1-x0+1) > maxGeoCells {
		return
	}
	g := &source{}
	var buf []byte
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			buf = cellKey(buf[:0], y, x)
			if l := s.list(s.lex.idBytes(buf)); l != nil && len(l.docs) > 0 {
				g.lists = append(g.lists, l)
				g.cost += len(l.docs)
			}
		}
	}
	if len(g.lists) == 0 {
		p.none = true
		return
	}
	p.geo = g
}
