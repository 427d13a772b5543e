package search

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/o211/o211"
)

// Build replaces the whole content of the index with docs, analysing them
// on Options.Workers goroutines. It returns an EINVALID error, and leaves
// the index as it was, when a doc has no key or service id or two docs
// share a key.
func (ix *Index) Build(docs []Doc) error {
	if err := checkDocs(docs); err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	w := newWriter()
	batch := newLexBatch(emptyLexicon())
	ordered := clusterOrder(docs)
	chunks := analyseDocs(ix.an, ordered, batch, w.words, ix.opts.Workers)
	s := &snapshot{hours: []*hours{nil}, cache: &snapCache{}}
	s.lex = batch.finish()
	s.avgdl = averageLength(chunks)
	s.posts = assemble(chunks, s.lex.n, s.avgdl)
	room := len(docs) + len(docs)/16 // for writes to append to without copying
	s.recs = make([]docRec, 0, room)
	s.hot = make([]docHot, 0, room)
	s.meta = make([]docMeta, 0, room)
	s.cats = make([]uint16, 0, room)
	w.placeAll(s, chunks, 0)
	s.dead = make([]uint64, bitsetWords(len(docs)))
	w.reorder(s, 0)
	ix.w = w
	ix.cur.Store(s)
	return nil
}

// Replace removes every doc of the services serviceIDs (and of the
// services of docs) and adds docs, as one atomic change: a concurrent
// search sees the index wholly before or wholly after it. It returns an
// EINVALID error, and changes nothing, when a doc has no key or service id
// or two docs share a key.
func (ix *Index) Replace(serviceIDs []string, docs []Doc) error {
	return ix.replace(serviceIDs, docs, ix.opts.Workers)
}

// replace is Replace analysing the docs on at most workers goroutines.
func (ix *Index) replace(serviceIDs []string, docs []Doc, workers int) error {
	if err := checkDocs(docs); err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	old := ix.cur.Load()
	s := *old
	s.cache = &snapCache{}
	w := ix.w
	n0 := uint32(len(old.hot))
	w.fillSortKeys(old)
	s.dead = make([]uint64, bitsetWords(int(n0)+len(docs)))
	copy(s.dead, old.dead)
	remove := func(sid string) {
		for _, d := range w.byService[sid] {
			s.dead[d/64] |= 1 << (d % 64)
			s.nDead++
		}
		delete(w.byService, sid)
	}
	for _, sid := range serviceIDs {
		remove(sid)
	}
	for i := range docs {
		remove(docs[i].ServiceID)
	}
	if len(docs) > 0 {
		batch := newLexBatch(old.lex)
		ordered := clusterOrder(docs)
		chunks := analyseDocs(ix.an, ordered, batch, w.words, workers)
		s.lex = batch.finish()
		s.posts = appendPostings(old.posts, s.lex.n, chunks, n0, s.avgdl)
		w.placeAll(&s, chunks, n0)
	}
	if len(w.words) > maxWordCache {
		w.words = map[string]wordIDs{}
	}
	w.reorder(&s, n0)
	if s.nDead >= compactMin && s.nDead*4 >= len(s.hot) {
		w.compact(&s)
	}
	ix.cur.Store(&s)
	return nil
}

// clusterOrder returns docs in the order they are numbered: by their first
// taxonomy code, then grid cell, then key. Docs that a query selects
// together (a taxonomy branch, words that go with it, a neighbourhood) so
// get neighbouring numbers, and a search reads their records from a few
// places in memory rather than from all over it.
func clusterOrder(docs []Doc) []*Doc {
	type keyed struct {
		tax  string
		cell uint64
		d    *Doc
	}
	ks := make([]keyed, len(docs))
	for i := range docs {
		d := &docs[i]
		k := keyed{tax: "\xff", cell: math.MaxUint64, d: d}
		for _, c := range d.Taxonomy {
			if c < k.tax {
				k.tax = c
			}
		}
		if d.HasGeo {
			iy, ix := cellOf(d.Lat, d.Lon)
			k.cell = uint64(uint32(iy+1<<20))<<32 | uint64(uint32(ix+1<<20))
		}
		ks[i] = k
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if c := strings.Compare(a.tax, b.tax); c != 0 {
			return c
		}
		if a.cell != b.cell {
			return cmp.Compare(a.cell, b.cell)
		}
		return strings.Compare(a.d.Key, b.d.Key)
	})
	out := make([]*Doc, len(ks))
	for i, k := range ks {
		out[i] = k.d
	}
	return out
}

// compactMin is the least number of removed docs worth compacting for.
const compactMin = 256

func checkDocs(docs []Doc) error {
	keys := make(map[string]bool, len(docs))
	for i := range docs {
		d := &docs[i]
		switch {
		case d.Key == "":
			return o211.Errorf(o211.EINVALID, "search: doc %d (service %q) has no key", i, d.ServiceID)
		case d.ServiceID == "":
			return o211.Errorf(o211.EINVALID, "search: doc %q has no service id", d.Key)
		case keys[d.Key]:
			return o211.Errorf(o211.EINVALID, "search: two docs have the key %q", d.Key)
		case d.HasGeo && !validLatLon(d.Lat, d.Lon):
			return o211.Errorf(o211.EINVALID, "search: doc %q: coordinates %v,%v out of range", d.Key, d.Lat, d.Lon)
		}
		keys[d.Key] = true
	}
	return nil
}

func bitsetWords(n int) int { return (n + 63) / 64 }

func averageLength(chunks []*analysed) float64 {
	sum, n := 0.0, 0
	for _, c := range chunks {
		for _, dl := range c.dl {
			sum += float64(dl)
		}
		n += c.docs()
	}
	if n == 0 || sum == 0 {
		return 1
	}
	return sum / float64(n)
}

// assemble builds the posting lists of freshly analysed docs, numbered
// from 0 in chunk order, in two flat arrays, filling each chunk's part on
// its own goroutine.
func assemble(chunks []*analysed, nTerms uint32, avgdl float64) []*plist {
	// cur[c][t]: where chunk c's first posting of term t goes.
	cur := make([][]uint32, len(chunks))
	var wg sync.WaitGroup
	for c, ch := range chunks {
		cur[c] = make([]uint32, nTerms)
		wg.Go(func() {
			for _, t := range ch.terms {
				cur[c][t]++
			}
			for _, t := range ch.keys {
				cur[c][t]++
			}
		})
	}
	wg.Wait()
	text := make([]bool, nTerms)
	for _, ch := range chunks {
		for _, t := range ch.terms {
			text[t] = true
		}
	}
	off, woff := make([]uint32, nTerms+1), make([]uint32, nTerms+1)
	for t := range nTerms {
		n := uint32(0)
		for c := range chunks {
			cnt := cur[c][t]
			cur[c][t] = off[t] + n
			n += cnt
		}
		off[t+1], woff[t+1] = off[t]+n, woff[t]
		if text[t] {
			woff[t+1] += n
		}
	}
	flat, flatW := make([]uint32, off[nTerms]), make([]uint8, woff[nTerms])
	id := uint32(0)
	for c, ch := range chunks {
		first := id
		id += uint32(ch.docs())
		wg.Go(func() { fillPostings(ch, first, cur[c], off, woff, flat, flatW, avgdl) })
	}
	wg.Wait()
	arr := make([]plist, nTerms)
	posts := make([]*plist, nTerms)
	for t := range arr {
		lo, hi := off[t], off[t+1]
		arr[t].docs = flat[lo:hi:hi]
		if text[t] {
			arr[t].w = flatW[woff[t]:woff[t+1]:woff[t+1]]
		}
		posts[t] = &arr[t]
	}
	return posts
}

// fillPostings writes the postings of one chunk, whose docs are numbered
// from first, at the positions cur gives.
func fillPostings(ch *analysed, first uint32, cur, off, woff []uint32, flat []uint32, flatW []uint8, avgdl float64) {
	for i := 0; i < ch.docs(); i++ {
		id := first + uint32(i)
		for j := ch.termOff[i]; j < ch.termOff[i+1]; j++ {
			t := ch.terms[j]
			pos := cur[t]
			cur[t]++
			flat[pos] = id
			flatW[woff[t]+pos-off[t]] = weight(ch.tfs[j], ch.dl[i], avgdl)
		}
		for _, t := range ch.keys[ch.keyOff[i]:ch.keyOff[i+1]] {
			flat[cur[t]] = id
			cur[t]++
		}
	}
}

// appendPostings returns old's posting lists with the docs of chunks added,
// numbered from n0 on. Lists are appended to beyond the length older
// snapshots see, so they are shared rather than copied.
func appendPostings(old []*plist, nTerms uint32, chunks []*analysed, n0 uint32, avgdl float64) []*plist {
	posts := make([]*plist, nTerms)
	copy(posts, old)
	own := func(t uint32) *plist {
		p := posts[t]
		if p == nil || (int(t) < len(old) && p == old[t]) {
			np := &plist{}
			if p != nil {
				np.docs, np.w = p.docs, p.w
			}
			posts[t], p = np, np
		}
		return p
	}
	id := n0
	for _, c := range chunks {
		for i := 0; i < c.docs(); i++ {
			for j := c.termOff[i]; j < c.termOff[i+1]; j++ {
				p := own(c.terms[j])
				p.docs = append(p.docs, id)
				p.w = append(p.w, weight(c.tfs[j], c.dl[i], avgdl))
			}
			for _, t := range c.keys[c.keyOff[i]:c.keyOff[i+1]] {
				p := own(t)
				p.docs = append(p.docs, id)
			}
			id++
		}
	}
	return posts
}

// interner copies strings into an arena, so that the index keeps no
// reference to the callers' records and holds its strings in few large
// allocations, and shares equal strings of fields that repeat.
type interner struct {
	m     map[string]string
	b     strings.Builder // the current chunk of the arena
	chunk int
}

func newInterner(chunk int) *interner {
	return &interner{m: map[string]string{}, chunk: chunk}
}

// clone returns a copy of x in the arena.
func (in *interner) clone(x string) string {
	if x == "" {
		return ""
	}
	if in.b.Cap()-in.b.Len() < len(x) {
		in.b = strings.Builder{}
		in.b.Grow(max(in.chunk, len(x)))
	}
	start := in.b.Len()
	in.b.WriteString(x)
	return in.b.String()[start:]
}

// s returns the shared copy of x.
func (in *interner) s(x string) string {
	if x == "" {
		return ""
	}
	if v, ok := in.m[x]; ok {
		return v
	}
	c := in.clone(x)
	in.m[c] = c
	return c
}

// prepared is a doc's records as a worker makes them; the writer then
// numbers its hours, service and region.
type prepared struct {
	rec      docRec
	hot      docHot
	meta     docMeta
	cats     uint16
	hours    *hours
	hoursKey string
	region   string
	sortKey  string
}

// prepare makes the records of d, sharing equal strings through a.in.
func (a *docAnalyser) prepare(d *Doc) prepared {
	in := a.in
	rec := docRec{
		key: in.clone(d.Key), serviceID: in.s(d.ServiceID), locationID: in.clone(d.LocationID),
		salID: in.clone(d.ServiceAtLocationID), orgID: in.s(d.OrganizationID),
		serviceName: in.clone(d.ServiceName), orgName: in.s(d.OrganizationName), locName: in.clone(d.LocationName),
		address: in.clone(d.Address), phone: in.clone(d.Phone), status: in.s(d.Status), lang: in.s(d.RecordLanguage),
	}
	if rec.lang == "" {
		rec.lang = in.s(guessLanguage(d.ServiceName + " " + d.Description))
	}
	if len(d.Taxonomy) > 0 {
		rec.taxonomy = make([]string, len(d.Taxonomy))
		for i, c := range d.Taxonomy {
			rec.taxonomy[i] = in.s(c)
		}
	}
	p := prepared{rec: rec, cats: categoryMask(d.Taxonomy), region: d.Region, sortKey: in.clone(sortKey(rec))}
	p.hot = docHot{minAge: float32(math.NaN()), maxAge: float32(math.NaN())}
	if d.HasGeo {
		p.hot.lat, p.hot.lon, p.hot.flags = float32(d.Lat), float32(d.Lon), flagGeo
		p.meta.lat, p.meta.lon = d.Lat, d.Lon
	}
	if d.inactive() {
		p.hot.flags |= flagInactive
	}
	if d.MinAge != nil {
		p.hot.minAge = float32(*d.MinAge)
	}
	if d.MaxAge != nil {
		p.hot.maxAge = float32(*d.MaxAge)
	}
	if !d.Modified.IsZero() {
		p.meta.modified = d.Modified.Unix()
	}
	p.hours, p.hoursKey = a.compileHours(d.Schedules)
	return p
}

// compileHours compiles schedules and returns them with their key, once
// for the docs that share the same schedules (those of one service).
func (a *docAnalyser) compileHours(scheds []o211.Schedule) (*hours, string) {
	if len(scheds) == 0 {
		return nil, ""
	}
	c, ok := a.hours[&scheds[0]]
	if ok && c.n == len(scheds) {
		return c.h, c.key
	}
	a.buf = scheduleText(a.buf[:0], scheds)
	c, ok = a.hoursText[string(a.buf)]
	if !ok {
		c = compiledHours{h: compileHours(scheds)}
		if c.h != nil {
			c.key = a.in.s(string(encodeRules(nil, c.h.rules)))
		}
		a.hoursText[string(a.buf)] = c
	}
	c.n = len(scheds)
	a.hours[&scheds[0]] = c
	return c.h, c.key
}

// scheduleText appends the fields of schedules that compileRule reads.
func scheduleText(b []byte, scheds []o211.Schedule) []byte {
	for i := range scheds {
		s := &scheds[i]
		for _, f := range []string{s.Freq, s.ByDay, s.ByMonthDay, s.OpensAt, s.ClosesAt, s.ValidFrom, s.ValidTo, s.DTStart, s.Until} {
			b = append(append(b, f...), 0)
		}
		if s.Interval != nil {
			b = strconv.AppendFloat(b, *s.Interval, 'g', -1, 64)
		}
		b = append(b, 1)
	}
	return b
}

// compiledHours caches compileHours for schedules of n rows.
type compiledHours struct {
	h   *hours
	key string
	n   int
}

// place appends the prepared records of doc id to s.
func (w *writer) place(s *snapshot, p *prepared, id uint32) {
	p.hot.hours = w.hoursOf(s, p.hours, p.hoursKey)
	p.meta.svc = w.service(s, p.rec.serviceID)
	p.hot.region = w.region(s, p.region)
	s.recs = append(s.recs, p.rec)
	s.hot = append(s.hot, p.hot)
	s.meta = append(s.meta, p.meta)
	s.cats = append(s.cats, p.cats)
	w.byService[p.rec.serviceID] = append(w.byService[p.rec.serviceID], id)
	w.sortKeys = append(w.sortKeys, p.sortKey)
}

// placeAll places the docs of chunks, numbered from n0 on.
func (w *writer) placeAll(s *snapshot, chunks []*analysed, n0 uint32) {
	id := n0
	for _, c := range chunks {
		for i := range c.preps {
			w.place(s, &c.preps[i], id)
			id++
		}
		c.preps = nil
	}
}

func (w *writer) hoursOf(s *snapshot, h *hours, key string) uint32 {
	if h == nil {
		return 0
	}
	if i, ok := w.hoursIndex[key]; ok {
		return i
	}
	i := uint32(len(s.hours))
	s.hours = append(s.hours, h)
	w.hoursIndex[key] = i
	return i
}

func (w *writer) service(s *snapshot, id string) uint32 {
	if i, ok := w.svcIndex[id]; ok {
		return i
	}
	i := s.nSvc
	s.nSvc++
	w.svcIndex[id] = i
	return i
}

func (w *writer) region(s *snapshot, r string) uint16 {
	if i, ok := w.regionIdx[r]; ok {
		return i
	}
	i := uint16(len(s.regions))
	s.regions = append(s.regions, strings.Clone(r))
	w.regionIdx[r] = i
	return i
}

func categoryMask(codes []string) uint16 {
	var m uint16
	for _, c := range codes {
		for i, cat := range o211.Categories {
			if c != "" && c[:1] == cat.Code {
				m |= 1 << i
			}
		}
	}
	return m
}

// fillSortKeys computes the sort keys a restored writer lacks.
func (w *writer) fillSortKeys(s *snapshot) {
	for i := len(w.sortKeys); i < len(s.recs); i++ {
		w.sortKeys = append(w.sortKeys, sortKey(s.recs[i]))
	}
}

// sortKey orders docs by name (case and accents folded), then service id,
// then key.
func sortKey(r docRec) string {
	return sharedAnalyzer().foldString(strings.ToLower(r.serviceName)) + "\x00" + r.serviceID + "\x00" + r.key
}
