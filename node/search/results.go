package search

import (
	"math"
	"math/bits"
	"slices"

	"github.com/o211/o211"
	"github.com/o211/o211/node/geo"
)

// entry is a match with its ordering key: smaller key first, then smaller
// name rank.
type entry struct {
	key   float64
	score float64
	rank  uint32
	doc   uint32
}

func (a entry) before(b entry) bool {
	return a.key < b.key || (a.key == b.key && a.rank < b.rank)
}

func compareEntries(a, b entry) int {
	if a.before(b) {
		return -1
	} else if b.before(a) {
		return 1
	}
	return 0
}

func decay(dist float64) float64 {
	if math.IsNaN(dist) {
		dist = noGeoDecayKm
	}
	return 1 / (1 + dist/decayKm)
}

// docFilter is a plan's per-doc filters, flattened for the hot loop.
type docFilter struct {
	flagMask, flagWant uint8
	region             int
	hasAge             bool
	age                float32
	box                bool
	modAfter           int64
}

func (p *plan) docFilter() docFilter {
	f := docFilter{region: p.region, hasAge: p.hasAge, age: p.age, modAfter: p.modAfter}
	if !p.inactive {
		f.flagMask |= flagInactive
	}
	if p.radius > 0 {
		f.flagMask |= flagGeo
		f.flagWant |= flagGeo
		f.box = true
	}
	return f
}

// tally is what a search counts over all its matches.
type tally struct {
	total  int
	counts [16]int
}

// collect runs the per-doc filters over the candidates and keeps the k
// best matches in sc.heap, counting all matches and their facets.
func (s *snapshot) collect(p *plan, sc *scratch, k int) tally {
	f := p.docFilter()
	var openBits []uint64
	if p.open {
		sc.resetOpen(s)
		openBits = s.openBitmap(sc, p.clk, len(sc.cands))
	}
	g := newFastGeo(p.lat, p.lon)
	var t tally
	sc.heap, sc.ents = sc.heap[:0], sc.ents[:0]
	dead, hot := s.dead, s.hot
	for i, d := range sc.cands {
		if dead[d/64]&(1<<(d%64)) != 0 || (openBits != nil && openBits[d/64]&(1<<(d%64)) == 0) {
			continue
		}
		h := &hot[d]
		if h.flags&f.flagMask != f.flagWant ||
			(f.region >= 0 && int(h.region) != f.region) ||
			(f.hasAge && (h.minAge > f.age || h.maxAge < f.age)) ||
			(f.box && (h.lat < p.box[0] || h.lat > p.box[1] || h.lon < p.box[2] || h.lon > p.box[3])) ||
			(f.modAfter != 0 && s.meta[d].modified <= f.modAfter) ||
			(p.open && openBits == nil && !sc.openAt(s, h.hours, p.clk)) {
			continue
		}
		e := entry{doc: d}
		rel := float64(sc.acc[i])
		// A text match whose relevance is below the k-th best score cannot
		// rank (decay is at most 1): it is only counted.
		prune := p.text && !p.distinct && len(sc.heap) == k && rel < -sc.heap[0].key
		switch {
		case !p.near:
		case h.flags&flagGeo == 0:
			e.score, e.key = decay(math.NaN()), math.Inf(1)
		case prune && (!f.box || p.inInner(h)):
		default:
			km := g.distanceKm(h.lat, h.lon)
			if f.box && km > p.radius*(1-fastDistanceError) && !s.withinRadius(p, d, km) {
				continue
			}
			e.score, e.key = decay(km), km
		}
		if prune {
			t.count(s.cats[d])
			continue
		}
		e.rank = s.rank[d]
		if p.text {
			if p.near {
				rel *= e.score
			}
			e.score, e.key = rel, -rel
		}
		if p.distinct {
			sc.ents = append(sc.ents, e)
			continue
		}
		t.count(s.cats[d])
		sc.heap = pushTop(sc.heap, k, e)
	}
	if p.distinct {
		s.collectDistinct(sc, k, &t)
	}
	return t
}

func (t *tally) count(cats uint16) {
	t.total++
	for m := cats; m != 0; m &= m - 1 {
		t.counts[bits.TrailingZeros16(m)]++
	}
}

// withinRadius decides with the exact haversine a doc whose fast distance
// km is near the radius.
func (s *snapshot) withinRadius(p *plan, d uint32, km float64) bool {
	if km > p.radius*(1+fastDistanceError) {
		return false
	}
	m := &s.meta[d]
	return geo.DistanceKm(p.lat, p.lon, m.lat, m.lon) <= p.radius
}

// collectDistinct keeps the best entry of each service among sc.ents.
func (s *snapshot) collectDistinct(sc *scratch, k int, t *tally) {
	if len(sc.best) < int(s.nSvc) {
		sc.best = make([]int32, s.nSvc+s.nSvc/8)
		for i := range sc.best {
			sc.best[i] = -1
		}
	}
	ents := sc.ents
	kept := 0
	for _, e := range ents {
		svc := s.meta[e.doc].svc
		if b := sc.best[svc]; b >= 0 {
			if e.before(ents[b]) {
				ents[b] = e
			}
			continue
		}
		sc.best[svc] = int32(kept)
		ents[kept] = e
		kept++
	}
	for _, e := range ents[:kept] {
		sc.best[s.meta[e.doc].svc] = -1
		t.count(s.cats[e.doc])
		sc.heap = pushTop(sc.heap, k, e)
	}
}

// rankMatches orders the matches in sc, keeping the best k.
func (s *snapshot) rankMatches(p *plan, sc *scratch, k int) *ranked {
	t := s.collect(p, sc, k)
	slices.SortFunc(sc.heap, compareEntries)
	return &ranked{top: slices.Clone(sc.heap), k: k, t: t, near: p.near, lat: p.lat, lon: p.lon, open: p.open}
}

// render returns the page asked for of ranked matches, with the total and
// the facets.
func (s *snapshot) render(ix *Index, r *ranked, page, perPage int) *o211.Results {
	res := &o211.Results{Total: r.t.total, Page: page, PerPage: perPage, Results: []o211.Result{}}
	res.Facets.Taxonomy = make([]o211.FacetCount, len(o211.Categories))
	for i, c := range o211.Categories {
		res.Facets.Taxonomy[i] = o211.FacetCount{Code: c.Code, Name: c.Name, NameF: c.NameFr, Count: r.t.counts[i]}
	}
	from, to := (page-1)*perPage, min(page*perPage, len(r.top))
	if from >= to {
		return res
	}
	var now clock
	if !r.open {
		now = clockAt(ix.opts.Now(), ix.opts.Location)
	}
	res.Results = make([]o211.Result, to-from)
	for i, e := range r.top[from:to] {
		res.Results[i] = s.result(r, e, now)
	}
	return res
}

// pushTop adds e to the k best entries kept in h, a heap whose root is the
// worst of them.
func pushTop(h []entry, k int, e entry) []entry {
	if len(h) < k {
		h = append(h, e)
		for i := len(h) - 1; i > 0; {
			parent := (i - 1) / 2
			if !h[parent].before(h[i]) {
				break
			}
			h[parent], h[i] = h[i], h[parent]
			i = parent
		}
		return h
	}
	if !e.before(h[0]) {
		return h
	}
	h[0] = e
	for i := 0; ; {
		worst, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && h[worst].before(h[l]) {
			worst = l
		}
		if r < len(h) && h[worst].before(h[r]) {
			worst = r
		}
		if worst == i {
			return h
		}
		h[i], h[worst] = h[worst], h[i]
		i = worst
	}
}

// result renders one result.
func (s *snapshot) result(p *ranked, e entry, now clock) o211.Result {
	r, h, m := &s.recs[e.doc], &s.hot[e.doc], &s.meta[e.doc]
	res := o211.Result{
		ServiceID: r.serviceID, ServiceName: r.serviceName, OrganizationID: r.orgID,
		OrganizationName: r.orgName, LocationID: r.locationID, ServiceAtLocationID: r.salID,
		LocationName: r.locName, Address: r.address, Region: s.regions[h.region],
		Score: math.Round(e.score*1e4) / 1e4, Language: r.lang, Phone: r.phone,
		Taxonomy: slices.Clone(r.taxonomy),
	}
	if r.status != "" && r.status != o211.StatusActive {
		res.Status = r.status
	}
	if p.near && h.flags&flagGeo != 0 {
		km := math.Round(geo.DistanceKm(p.lat, p.lon, m.lat, m.lon)*10) / 10
		res.DistanceKm = &km
	}
	res.Hours = unknownHours
	if hs := s.hours[h.hours]; hs != nil {
		res.Hours = hs
	}
	if p.open {
		open := true
		res.OpenNow = &open
	} else if hs := s.hours[h.hours]; hs != nil {
		open := hs.openAt(now)
		res.OpenNow = &open
	}
	return res
}
