package search

import (
	"fmt"
	"io"
	"math"
)

// Load reads a snapshot written by Save into a new index with default
// Options, and returns it with the snapshot's sequence number. It returns
// an error wrapping ErrSnapshot when the snapshot is corrupt, truncated or
// of another format version (rebuild the index then), and the reader's
// error when reading fails.
func Load(r io.Reader) (*Index, uint64, error) {
	ix := New(Options{})
	seq, err := ix.Restore(r)
	if err != nil {
		return nil, 0, err
	}
	return ix, seq, nil
}

// Restore replaces the content of the index with a snapshot written by
// Save, and returns the snapshot's sequence number. On error (as for Load)
// the index is left as it was.
func (ix *Index) Restore(r io.Reader) (uint64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return 0, fmt.Errorf("search: read snapshot: %w", err)
	}
	d, err := checkSnapshot(b)
	if err != nil {
		return 0, err
	}
	seq := d.uvarint()
	s := &snapshot{avgdl: math.Float64frombits(d.u64()), cache: &snapCache{}}
	s.regions = d.strings()
	s.hours = []*hours{nil}
	for n := d.count(3); n > 0 && d.err == nil; n-- {
		s.hours = append(s.hours, d.rules())
	}
	d.docs(s)
	d.lexicon(s)
	d.postings(s)
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d bytes left over", len(d.b)-d.off)
	}
	if d.err != nil {
		return 0, d.err
	}
	w, err := restoreWriter(s)
	if err != nil {
		return 0, err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.w = w
	ix.cur.Store(s)
	return seq, nil
}

// restoreWriter rebuilds the writer's state from a loaded snapshot.
func restoreWriter(s *snapshot) (*writer, error) {
	w := newWriter()
	for i, r := range s.regions {
		w.regionIdx[r] = uint16(i)
	}
	for i, h := range s.hours[1:] {
		w.hoursIndex[string(encodeRules(nil, h.rules))] = uint32(i + 1)
	}
	live := len(s.hot) - s.nDead
	w.order = make([]uint32, live)
	placed := make([]bool, live)
	for i := range s.hot {
		id := uint32(i)
		s.meta[i].svc = w.service(s, s.recs[i].serviceID)
		if s.isDead(id) {
			continue
		}
		w.byService[s.recs[i].serviceID] = append(w.byService[s.recs[i].serviceID], id)
		r := s.rank[id]
		if int(r) >= live || placed[r] {
			return nil, fmt.Errorf("%w: name ranks are inconsistent", ErrSnapshot)
		}
		w.order[r], placed[r] = id, true
	}
	return w, nil
}

func (d *decoder) rules() *hours {
	n := d.count(8)
	rules := make([]rule, 0, n)
	for range n {
		b := d.bytes(3)
		if d.err != nil {
			return nil
		}
		r := rule{freq: b[0], days: b[1], interval: b[2]}
		r.open, r.close = int16(d.varint()), int16(d.varint())
		r.from, r.to, r.anchor = int32(d.varint()), int32(d.varint()), int32(d.varint())
		for _, dst := range []*[]int8{&r.nth, &r.monthDays} {
			for _, x := range d.bytes(uint64(d.count(1))) {
				*dst = append(*dst, int8(x))
			}
		}
		rules = append(rules, r)
	}
	if len(rules) == 0 {
		d.fail("opening hours without rules")
		return nil
	}
	return newHours(rules)
}

func (d *decoder) docs(s *snapshot) {
	strs := d.strings()
	n := d.count(30)
	s.recs, s.hot, s.rank = make([]docRec, n), make([]docHot, n), make([]uint32, n)
	s.meta, s.cats = make([]docMeta, n), make([]uint16, n)
	str := func() string {
		i := d.uvarint()
		if i >= uint64(len(strs)) {
			d.fail("bad string reference")
			return ""
		}
		return strs[i]
	}
	for i := range s.recs {
		r := &s.recs[i]
		for _, dst := range []*string{&r.key, &r.serviceID, &r.locationID, &r.salID, &r.orgID, &r.serviceName,
			&r.orgName, &r.locName, &r.address, &r.phone, &r.status, &r.lang} {
			*dst = str()
		}
		if k := d.count(1); k > 0 {
			r.taxonomy = make([]string, k)
			for j := range r.taxonomy {
				r.taxonomy[j] = str()
			}
		}
	}
	for i := range s.hot {
		h, m := &s.hot[i], &s.meta[i]
		m.lat, m.lon = math.Float64frombits(d.u64()), math.Float64frombits(d.u64())
		h.lat, h.lon = float32(m.lat), float32(m.lon)
		ages := d.u64()
		h.minAge, h.maxAge = math.Float32frombits(uint32(ages>>32)), math.Float32frombits(uint32(ages))
		m.modified = d.varint()
		h.hours, h.region, s.cats[i] = uint32(d.uvarint()), uint16(d.uvarint()), uint16(d.uvarint())
		if f := d.bytes(1); len(f) == 1 {
			h.flags = f[0]
		}
		s.rank[i] = uint32(d.uvarint())
		if int(h.hours) >= len(s.hours) || int(h.region) >= len(s.regions) {
			d.fail("doc %d refers to missing hours or region", i)
			return
		}
	}
	s.dead = make([]uint64, bitsetWords(n))
	for i := range s.dead {
		s.dead[i] = d.u64()
	}
	for i := range s.hot {
		if s.isDead(uint32(i)) {
			s.nDead++
		}
	}
}

func (d *decoder) lexicon(s *snapshot) {
	terms := d.strings()
	l := &lexicon{base: make(map[string]uint32, len(terms)), n: uint32(len(terms) + 1)}
	for i, t := range terms {
		l.base[t] = uint32(i + 1)
	}
	l.surf.words = d.strings()
	l.surf.terms = make([][2]uint32, len(l.surf.words))
	for i := range l.surf.terms {
		a, b := d.uvarint(), d.uvarint()
		if a >= uint64(l.n) || b >= uint64(l.n) {
			d.fail("bad term reference")
			return
		}
		l.surf.terms[i] = [2]uint32{uint32(a), uint32(b)}
	}
	s.lex = l
}

func (d *decoder) postings(s *snapshot) {
	nTerms, total, totalW := d.count(0), d.uvarint(), d.uvarint()
	if d.err != nil || nTerms != int(s.lex.n) || total > uint64(len(d.b)) || totalW > total {
		d.fail("posting counts do not match the terms")
		return
	}
	flat, flatW := make([]uint32, 0, total), make([]uint8, 0, totalW)
	arr := make([]plist, nTerms)
	s.posts = make([]*plist, nTerms)
	s.posts[0] = &arr[0]
	nDocs := uint32(len(s.hot))
	for t := 1; t < nTerms && d.err == nil; t++ {
		n := d.count(1)
		hasW := d.bytes(1)
		start := len(flat)
		prev := uint32(0)
		for range n {
			prev += uint32(d.uvarint())
			if prev >= nDocs || len(flat) == cap(flat) {
				d.fail("posting out of range")
				return
			}
			flat = append(flat, prev)
		}
		arr[t].docs = flat[start:len(flat):len(flat)]
		if len(hasW) == 1 && hasW[0] == 1 {
			if uint64(len(flatW)+n) > totalW {
				d.fail("weights out of range")
				return
			}
			startW := len(flatW)
			flatW = append(flatW, d.bytes(uint64(n))...)
			arr[t].w = flatW[startW:len(flatW):len(flatW)]
		}
		s.posts[t] = &arr[t]
	}
}
