package search

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/o211/o211"
)

// Field weights, in quarters: a word in the service name counts four times
// a word of the description. The weighted counts of a term in a doc feed
// BM25's term-frequency saturation (a BM25F-style sum over fields).
const (
	boostServiceName uint32 = 16
	boostAltName            = 8
	boostTaxonomy           = 10
	boostOrgName            = 8
	boostLocation           = 6
	boostDescription        = 4
	boostOrgDesc            = 2
	boostUnit               = 4

	bm25K1 = 1.2
	bm25B  = 0.75
)

// Keyword terms start with a byte that no analysed word has.
const (
	kwTaxonomy   = "\x01t"
	kwOrg        = "\x01o"
	kwLanguage   = "\x01l"
	kwTermID     = "\x01i"
	kwTaxonomyID = "\x01x"
	kwCell       = "\x01g"
)

// cellDeg is the size of a geographic grid cell, in degrees.
const cellDeg = 0.1

func cellKey(b []byte, iy, ix int) []byte {
	b = append(b, kwCell...)
	return binary.BigEndian.AppendUint32(b, uint32(int16(iy))<<16|uint32(uint16(int16(ix))))
}

func cellOf(lat, lon float64) (iy, ix int) {
	return int(math.Floor(lat / cellDeg)), int(math.Floor(lon / cellDeg))
}

// analysed holds the analysis of a run of docs, in flat arrays: doc i's
// text terms are terms[termOff[i]:termOff[i+1]] with their weighted counts
// in tfs, its keyword terms keys[keyOff[i]:keyOff[i+1]] (ascending), and
// its records, ready but for the writer's numbering, preps[i].
type analysed struct {
	termOff, keyOff []int
	terms, keys     []uint32
	tfs             []uint16
	dl              []uint32 // words per doc
	preps           []prepared
}

func (a *analysed) docs() int { return len(a.dl) }

// docAnalyser analyses docs into term ids; one per goroutine.
type docAnalyser struct {
	an        *analyzer
	batch     *lexBatch
	shared    map[string]wordIDs // read-only cache, may be nil
	local     map[string]wordIDs
	keys      map[string]uint32
	texts     map[string][]uint32 // recurring texts: term ids, two per word
	textIDs   int
	hours     map[*o211.Schedule]compiledHours // by the schedules' first row
	hoursText map[string]compiledHours         // by the schedules' content
	taxKeys   map[string][]uint32              // a code's ancestors' keyword terms
	in        *interner
	tf        []uint32 // weighted count by term id, for the doc at hand
	touched   []uint32 // terms with tf > 0
	ids       []uint32
	dl        int
	buf       []byte
}

func newDocAnalyser(an *analyzer, batch *lexBatch, shared, local map[string]wordIDs) *docAnalyser {
	return &docAnalyser{an: an, batch: batch, shared: shared, local: local, keys: map[string]uint32{},
		texts: make(map[string][]uint32, 4096), hours: map[*o211.Schedule]compiledHours{},
		hoursText: map[string]compiledHours{},
		taxKeys:   map[string][]uint32{}}
}

// analyseDocs analyses docs on up to workers goroutines. cache is the
// writer's word cache: used and filled directly by a single worker, read
// by several (each filling its own, merged into cache at the end).
func analyseDocs(an *analyzer, docs []*Doc, batch *lexBatch, cache map[string]wordIDs, workers int) []*analysed {
	if workers > len(docs)/256 {
		workers = max(1, len(docs)/256)
	}
	if workers == 1 {
		out := &analysed{}
		newDocAnalyser(an, batch, nil, cache).run(docs, out)
		return []*analysed{out}
	}
	chunks := make([]*analysed, workers)
	locals := make([]map[string]wordIDs, workers)
	var wg sync.WaitGroup
	for i := range workers {
		lo, hi := len(docs)*i/workers, len(docs)*(i+1)/workers
		chunks[i], locals[i] = &analysed{}, map[string]wordIDs{}
		wg.Go(func() { newDocAnalyser(an, batch, cache, locals[i]).run(docs[lo:hi], chunks[i]) })
	}
	wg.Wait()
	for _, l := range locals {
		if len(cache) > maxWordCache {
			break
		}
		for k, v := range l {
			cache[k] = v
		}
	}
	return chunks
}

// maxWordCache bounds the writer's word cache.
const maxWordCache = 1 << 20

func (a *docAnalyser) run(docs []*Doc, out *analysed) {
	n := len(docs)
	out.termOff = append(make([]int, 0, n+1), 0)
	out.keyOff = append(make([]int, 0, n+1), 0)
	out.terms, out.tfs = make([]uint32, 0, n*96), make([]uint16, 0, n*96)
	out.keys, out.dl, out.preps = make([]uint32, 0, n*16), make([]uint32, 0, n), make([]prepared, 0, n)
	a.in = newInterner(min(1<<20, 64+n*256))
	a.in.m = make(map[string]string, n)
	for i := range docs {
		a.doc(docs[i], out)
	}
}

func (a *docAnalyser) doc(d *Doc, out *analysed) {
	a.dl = 0
	a.text(d.ServiceName, boostServiceName, false)
	a.text(d.AlternateName, boostAltName, true)
	for _, n := range d.TaxonomyNames {
		a.text(n, boostTaxonomy, true)
	}
	a.text(d.OrganizationName, boostOrgName, true)
	a.text(d.LocationText, boostLocation, true)
	a.text(d.Description, boostDescription, false)
	a.text(d.OrganizationDescription, boostOrgDesc, true)
	for _, t := range a.touched {
		out.terms = append(out.terms, t)
		out.tfs = append(out.tfs, uint16(min(a.tf[t], math.MaxUint16)))
		a.tf[t] = 0
	}
	a.touched = a.touched[:0]
	out.termOff = append(out.termOff, len(out.terms))
	out.dl = append(out.dl, uint32(a.dl))
	a.docKeys(d, out)
	out.preps = append(out.preps, a.prepare(d))
}

// text adds the words of one field, weighted by boost. Texts that recur
// across docs (an organisation's description, taxonomy names, a
// location) are analysed once per worker when cached is set.
func (a *docAnalyser) text(s string, boost uint32, cached bool) {
	if s == "" {
		return
	}
	var ids []uint32
	ok := false
	if cached {
		ids, ok = a.texts[s]
	}
	if !ok {
		ids = a.ids[:0]
		eachWord(s, func(raw string) {
			if w := a.word(raw); w.ok {
				ids = append(ids, w.ids[0], w.ids[1])
			}
		})
		if cached && a.textIDs < maxTextCache {
			a.textIDs += len(ids)
			ids = slices.Clone(ids)
			a.texts[strings.Clone(s)] = ids
		} else {
			a.ids = ids
		}
	}
	a.dl += len(ids) / 2
	for _, t := range ids {
		if t == 0 {
			continue
		}
		if int(t) >= len(a.tf) {
			a.tf = append(a.tf, make([]uint32, int(t)+1-len(a.tf)+len(a.tf)/2)...)
		}
		if a.tf[t] == 0 {
			a.touched = append(a.touched, t)
		}
		a.tf[t] += boost
	}
}

// maxTextCache bounds the term ids a worker caches for recurring texts.
const maxTextCache = 4 << 20

// docKeys adds the keyword terms of d: taxonomy codes and their ancestors,
// organization, languages, taxonomy term and taxonomy ids, grid cell.
func (a *docAnalyser) docKeys(d *Doc, out *analysed) {
	start := len(out.keys)
	for _, code := range d.Taxonomy {
		ids, ok := a.taxKeys[code]
		if !ok {
			for _, anc := range o211.TaxonomyAncestors(code) {
				ids = append(ids, a.key(kwTaxonomy, anc))
			}
			a.taxKeys[strings.Clone(code)] = ids
		}
		out.keys = append(out.keys, ids...)
	}
	if d.OrganizationID != "" {
		out.keys = append(out.keys, a.key(kwOrg, d.OrganizationID))
	}
	for _, l := range d.Languages {
		out.keys = append(out.keys, a.key(kwLanguage, NormalizeLanguage(l)))
	}
	for _, id := range d.TaxonomyTermIDs {
		out.keys = append(out.keys, a.key(kwTermID, id))
	}
	for _, id := range d.TaxonomyIDs {
		out.keys = append(out.keys, a.key(kwTaxonomyID, id))
	}
	if d.HasGeo {
		iy, ix := cellOf(d.Lat, d.Lon)
		a.buf = cellKey(a.buf[:0], iy, ix)
		out.keys = append(out.keys, a.keyBytes(a.buf))
	}
	k := out.keys[start:]
	slices.Sort(k)
	out.keys = out.keys[:start+len(slices.Compact(k))]
	out.keyOff = append(out.keyOff, len(out.keys))
}

func (a *docAnalyser) key(kind, value string) uint32 {
	a.buf = append(append(a.buf[:0], kind...), value...)
	return a.keyBytes(a.buf)
}

func (a *docAnalyser) keyBytes(b []byte) uint32 {
	if id, ok := a.keys[string(b)]; ok {
		return id
	}
	id := a.batch.term(string(b))
	a.keys[string(b)] = id
	return id
}

// word returns the term ids of a raw word, through the caches.
func (a *docAnalyser) word(raw string) wordIDs {
	if w, ok := a.local[raw]; ok {
		return w
	}
	if w, ok := a.shared[raw]; ok {
		return w
	}
	var wi wordIDs
	if w, ok := a.an.analyze(wordText(raw)); ok {
		wi = wordIDs{ids: a.batch.word(w), ok: true}
	}
	if len(a.local) < maxWordCache {
		a.local[strings.Clone(raw)] = wi
	}
	return wi
}

// weight returns the quantised BM25 term weight (without idf) of a term
// with weighted count tf (in quarters) in a doc of dl words.
func weight(tf uint16, dl uint32, avgdl float64) uint8 {
	f := float64(tf) / boostUnit
	w := f * (bm25K1 + 1) / (f + bm25K1*(1-bm25B+bm25B*float64(dl)/avgdl))
	q := math.Round(w / (bm25K1 + 1) * 255)
	return uint8(max(1, min(255, q)))
}

// weightScale turns a quantised weight back into BM25's tf part.
const weightScale = (bm25K1 + 1) / 255
