package search

import (
	"math"
	"math/bits"
	"slices"
	"sync/atomic"
)

// Execution. The smallest source (by total posting count) is turned into
// a sorted candidate list; the other sources are intersected with it in
// increasing size, by a membership bitmap for long lists (built once per
// list), else by merging or galloping search; then one pass over the
// survivors applies the per-doc filters (liveness, status, region, age,
// modification time, bounding box and exact radius, opening hours),
// computes distances and ranking keys, counts facets and keeps the best
// entries for the page. Text scores are summed along the way.

// scratch is per-search working memory, pooled. dense and mark are indexed
// by doc id and are all zero between uses.
type scratch struct {
	cands []uint32
	acc   []float32
	dense []float32
	mark  []uint64
	heap  []entry
	ents  []entry
	open  []uint8 // by hours index: 0 not known yet, 1 open, 2 closed
	best  []int32 // by service number, for distinct results; -1 empty
}

func (ix *Index) getScratch(nDocs int) *scratch {
	sc, _ := ix.pool.Get().(*scratch)
	if sc == nil {
		sc = &scratch{}
	}
	if len(sc.dense) < nDocs {
		n := nDocs + nDocs/8
		sc.dense = make([]float32, n)
		sc.mark = make([]uint64, bitsetWords(n))
	}
	return sc
}

func setBit(b []uint64, d uint32)      { b[d/64] |= 1 << (d % 64) }
func hasBit(b []uint64, d uint32) bool { return b[d/64]&(1<<(d%64)) != 0 }

// bitmapMinFraction: lists holding more than 1/bitmapMinFraction of the
// docs get a membership bitmap when intersected.
const bitmapMinFraction = 32

// bitmap returns the membership bitmap of a long list, building it once.
// A list is never changed once published (writes make new lists), so the
// bitmap stays right.
func (l *plist) bitmap() []uint64 {
	if b := l.bits.Load(); b != nil {
		return *b
	}
	b := make([]uint64, bitsetWords(int(l.docs[len(l.docs)-1])+1))
	for _, d := range l.docs {
		setBit(b, d)
	}
	l.bits.CompareAndSwap(nil, &b)
	return *l.bits.Load()
}

// execute leaves the candidates that match p's posting-list sources in
// sc.cands, with their text scores in sc.acc, in doc order.
func (s *snapshot) execute(p *plan, sc *scratch) {
	sc.cands, sc.acc = sc.cands[:0], sc.acc[:0]
	if p.none {
		return
	}
	srcs := slices.Clone(p.sources)
	slices.SortStableFunc(srcs, func(a, b source) int { return a.cost - b.cost })
	switch {
	case p.geo != nil && (len(srcs) == 0 || p.geo.cost < srcs[0].cost):
		s.materialize(p.geo, sc)
	case len(srcs) > 0:
		s.materialize(&srcs[0], sc)
		srcs = srcs[1:]
	default:
		for d := range s.hot {
			sc.cands = append(sc.cands, uint32(d))
		}
		sc.acc = slices.Grow(sc.acc, len(s.hot))[:len(s.hot)]
		clear(sc.acc)
	}
	for i := range srcs {
		if len(sc.cands) == 0 {
			return
		}
		if len(srcs[i].lists) == 1 {
			s.intersectList(sc, srcs[i].lists[0], srcs[i].mult)
		} else {
			intersectUnion(sc, &srcs[i])
		}
	}
}

// materialize sets the candidates to the docs of src, sorted.
func (s *snapshot) materialize(src *source, sc *scratch) {
	if len(src.lists) == 1 {
		l := src.lists[0]
		sc.cands = append(sc.cands, l.docs...)
		sc.acc = slices.Grow(sc.acc, len(l.docs))[:len(l.docs)]
		if src.mult == nil {
			clear(sc.acc)
			return
		}
		m := src.mult[0]
		for i, w := range l.w {
			sc.acc[i] = m * float32(w)
		}
		return
	}
	for k, l := range src.lists {
		for i, d := range l.docs {
			setBit(sc.mark, d)
			if src.mult != nil {
				sc.dense[d] += src.mult[k] * float32(l.w[i])
			}
		}
	}
	n := bitsetWords(len(s.hot))
	for wi, word := range sc.mark[:n] {
		for word != 0 {
			d := uint32(wi*64 + bits.TrailingZeros64(word))
			word &= word - 1
			sc.cands = append(sc.cands, d)
			sc.acc = append(sc.acc, sc.dense[d])
			sc.dense[d] = 0
		}
		sc.mark[wi] = 0
	}
}

// advance returns the first index at or after j whose doc is >= d, by
// galloping then binary search.
func advance(docs []uint32, j int, d uint32) int {
	if j >= len(docs) || docs[j] >= d {
		return j
	}
	step := 1
	for j+step < len(docs) && docs[j+step] < d {
		j += step
		step *= 2
	}
	hi := min(j+step, len(docs))
	lo := j + 1 // docs[j] < d: the answer is in [j+1, hi]
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if docs[m] < d {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// intersectList keeps the candidates in l, adding their scores.
func (s *snapshot) intersectList(sc *scratch, l *plist, mult []float32) {
	cands, acc := sc.cands, sc.acc
	out, j := 0, 0
	if len(l.docs) > len(s.hot)/bitmapMinFraction {
		b := l.bitmap()
		for i, d := range cands {
			if int(d/64) >= len(b) || b[d/64]&(1<<(d%64)) == 0 {
				continue
			}
			a := acc[i]
			if mult != nil {
				j = advance(l.docs, j, d)
				a += mult[0] * float32(l.w[j])
			}
			cands[out], acc[out] = d, a
			out++
		}
		sc.cands, sc.acc = cands[:out], acc[:out]
		return
	}
	gallop := len(l.docs) > 8*len(cands)
	for i, d := range cands {
		if gallop {
			j = advance(l.docs, j, d)
		} else {
			for j < len(l.docs) && l.docs[j] < d {
				j++
			}
		}
		if j == len(l.docs) {
			break
		}
		if l.docs[j] == d {
			cands[out], acc[out] = d, acc[i]+score(mult, 0, l, j)
			out++
		}
	}
	sc.cands, sc.acc = cands[:out], acc[:out]
}

func score(mult []float32, k int, l *plist, i int) float32 {
	if mult == nil {
		return 0
	}
	return mult[k] * float32(l.w[i])
}

// intersectUnion keeps the candidates in any list of src, adding their
// scores: each list is either scanned against a bitmap of the candidates
// or, when much longer than the candidates, searched for each of them.
func intersectUnion(sc *scratch, src *source) {
	for _, d := range sc.cands {
		setBit(sc.mark, d)
	}
	const hit = float32(1e-30) // marks a candidate found with no score
	for k, l := range src.lists {
		if len(l.docs) > 16*len(sc.cands) {
			j := 0
			for _, d := range sc.cands {
				if j = advance(l.docs, j, d); j == len(l.docs) {
					break
				}
				if l.docs[j] == d {
					sc.dense[d] += score(src.mult, k, l, j) + hit
				}
			}
			continue
		}
		for i, d := range l.docs {
			if hasBit(sc.mark, d) {
				sc.dense[d] += score(src.mult, k, l, i) + hit
			}
		}
	}
	out := 0
	for i, d := range sc.cands {
		sc.mark[d/64] &^= 1 << (d % 64)
		if v := sc.dense[d]; v != 0 {
			sc.cands[out], sc.acc[out] = d, sc.acc[i]+v
			out++
			sc.dense[d] = 0
		}
	}
	sc.cands, sc.acc = sc.cands[:out], sc.acc[:out]
}

// snapCache holds what searches compute once per snapshot.
type snapCache struct {
	open  atomic.Pointer[openBits]
	ranks rankCache
}

// openBits is the set of docs open at one minute.
type openBits struct {
	minute int64 // civil day * 1440 + minute of day
	bits   []uint64
}

// openBitmap returns the docs open at c, computed once per minute of
// wall-clock time and snapshot, or nil when computing it for every doc
// would cost more than checking the n candidates.
func (s *snapshot) openBitmap(sc *scratch, c clock, n int) []uint64 {
	key := int64(c.day)*1440 + int64(c.minute)
	if ob := s.cache.open.Load(); ob != nil && ob.minute == key {
		return ob.bits
	}
	if n < len(s.hot)/32 {
		return nil
	}
	b := make([]uint64, bitsetWords(len(s.hot)))
	for d := range s.hot {
		if sc.openAt(s, s.hot[d].hours, c) {
			setBit(b, uint32(d))
		}
	}
	s.cache.open.Store(&openBits{minute: key, bits: b})
	return b
}

// resetOpen readies the per-search memo of opening hours.
func (sc *scratch) resetOpen(s *snapshot) {
	sc.open = slices.Grow(sc.open[:0], len(s.hours))[:len(s.hours)]
	clear(sc.open)
}

// openAt reports whether hours number i are open at c, evaluating each
// hours once per search.
func (sc *scratch) openAt(s *snapshot, i uint32, c clock) bool {
	o := sc.open[i]
	if o == 0 {
		o = 2
		if s.hours[i].openAt(c) {
			o = 1
		}
		sc.open[i] = o
	}
	return o == 1
}

// fastGeo approximates geo.DistanceKm from one point by the
// equirectangular projection at the mean latitude, whose cosine comes from
// a first-order expansion around the point's: within fastDistanceError
// (relative) of the haversine up to a few hundred km. It orders results;
// radii are decided and distances shown with the exact haversine.
type fastGeo struct {
	lat, lon, cos, sin float64
}

func newFastGeo(lat, lon float64) fastGeo {
	const rad = math.Pi / 180
	return fastGeo{lat: lat, lon: lon, cos: math.Cos(lat * rad), sin: math.Sin(lat * rad)}
}

func (g fastGeo) distanceKm(lat32, lon32 float32) float64 {
	const rad = math.Pi / 180
	dy := (float64(lat32) - g.lat) * rad
	cosMean := g.cos - g.sin*dy/2
	dx := (float64(lon32) - g.lon) * rad * cosMean
	return earthRadiusKm * math.Sqrt(dx*dx+dy*dy)
}

const (
	earthRadiusKm     = 6371.0088 // as geo.DistanceKm
	fastDistanceError = 0.005
)
