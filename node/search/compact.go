package search

import (
	"math"
	"slices"
	"sort"
	"strings"
)

// reorder updates the name order for the docs added from n0 on and the
// docs now dead, and sets s.rank.
func (w *writer) reorder(s *snapshot, n0 uint32) {
	added := make([]uint32, 0, len(s.hot)-int(n0))
	for id := n0; id < uint32(len(s.hot)); id++ {
		added = append(added, id)
	}
	byKey := func(a, b uint32) int { return strings.Compare(w.sortKeys[a], w.sortKeys[b]) }
	slices.SortFunc(added, byKey)
	kept := make([]uint32, 0, len(w.order))
	for _, d := range w.order {
		if !s.isDead(d) {
			kept = append(kept, d)
		}
	}
	// Merge by binary search: writes add few docs to many.
	order := make([]uint32, 0, len(kept)+len(added))
	i := 0
	for _, d := range added {
		n := i + sort.Search(len(kept)-i, func(k int) bool { return byKey(kept[i+k], d) > 0 })
		order = append(append(order, kept[i:n]...), d)
		i = n
	}
	order = append(order, kept[i:]...)
	w.order = order
	s.rank = make([]uint32, len(s.hot))
	for d := range s.rank {
		s.rank[d] = math.MaxUint32
	}
	for r, d := range order {
		s.rank[d] = uint32(r)
	}
}

// compact renumbers the live docs of s densely, dropping the dead ones
// from the records and posting lists. The order of ids is kept, so posting
// lists stay sorted.
func (w *writer) compact(s *snapshot) {
	remap := make([]uint32, len(s.hot))
	n := uint32(0)
	for d := range s.hot {
		if s.isDead(uint32(d)) {
			remap[d] = math.MaxUint32
			continue
		}
		remap[d] = n
		n++
	}
	recs, hot := make([]docRec, 0, n), make([]docHot, 0, n)
	meta, cats := make([]docMeta, 0, n), make([]uint16, 0, n)
	keys := make([]string, 0, n)
	for d := range s.hot {
		if remap[d] != math.MaxUint32 {
			recs, hot = append(recs, s.recs[d]), append(hot, s.hot[d])
			meta, cats = append(meta, s.meta[d]), append(cats, s.cats[d])
			keys = append(keys, w.sortKeys[d])
		}
	}
	s.posts = compactPostings(s.posts, s.dead, remap)
	s.recs, s.hot, s.meta, s.cats, w.sortKeys = recs, hot, meta, cats, keys
	for sid, ids := range w.byService {
		for i, d := range ids {
			ids[i] = remap[d]
		}
		w.byService[sid] = ids
	}
	order := make([]uint32, len(w.order))
	for i, d := range w.order {
		order[i] = remap[d]
	}
	w.order = order
	s.dead = make([]uint64, bitsetWords(int(n)))
	s.nDead = 0
	s.rank = make([]uint32, n)
	for r, d := range w.order {
		s.rank[d] = uint32(r)
	}
}

// compactPostings copies the live postings into new flat arrays, renumbered.
func compactPostings(posts []*plist, dead []uint64, remap []uint32) []*plist {
	live := func(d uint32) bool { return dead[d/64]&(1<<(d%64)) == 0 }
	total, totalW := 0, 0
	for _, p := range posts {
		if p == nil {
			continue
		}
		for _, d := range p.docs {
			if live(d) {
				total++
				if p.w != nil {
					totalW++
				}
			}
		}
	}
	flat, flatW := make([]uint32, 0, total), make([]uint8, 0, totalW)
	arr := make([]plist, len(posts))
	out := make([]*plist, len(posts))
	for t, p := range posts {
		out[t] = &arr[t]
		if p == nil {
			continue
		}
		start, startW := len(flat), len(flatW)
		for i, d := range p.docs {
			if live(d) {
				flat = append(flat, remap[d])
				if p.w != nil {
					flatW = append(flatW, p.w[i])
				}
			}
		}
		arr[t].docs = flat[start:len(flat):len(flat)]
		if p.w != nil {
			arr[t].w = flatW[startW:len(flatW):len(flatW)]
		}
	}
	return out
}
