package search

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
)

// A lexicon maps terms to ids and keeps the sorted vocabulary of surface
// words for type-ahead. It is immutable once published in a snapshot. New
// terms go into a small overlay that is copied on every write, and folded
// into a new base when it grows past overlayMax, so that a write does not
// copy the whole vocabulary. Term ids only grow; id 0 is never used.
type lexicon struct {
	base, over   map[string]uint32
	n            uint32 // next id
	surf, surfOv surfaces
}

// surfaces is a sorted list of surface words with their term ids (0: none).
type surfaces struct {
	words []string
	terms [][2]uint32
}

const overlayMax = 8192

func emptyLexicon() *lexicon { return &lexicon{base: map[string]uint32{}, n: 1} }

// id returns the id of a term, 0 when it is unknown.
func (l *lexicon) id(term string) uint32 {
	if id, ok := l.over[term]; ok {
		return id
	}
	return l.base[term]
}

// idBytes is id for a term held in bytes.
func (l *lexicon) idBytes(term []byte) uint32 {
	if id, ok := l.over[string(term)]; ok {
		return id
	}
	return l.base[string(term)]
}

func (s *surfaces) find(w string) (int, bool) {
	i := sort.SearchStrings(s.words, w)
	return i, i < len(s.words) && s.words[i] == w
}

func (l *lexicon) hasSurface(w string) bool {
	if _, ok := l.surfOv.find(w); ok {
		return true
	}
	_, ok := l.surf.find(w)
	return ok
}

// prefix calls fn with the term ids of every surface word that starts with p.
func (l *lexicon) prefix(p string, fn func(w string, terms [2]uint32)) {
	for _, s := range []*surfaces{&l.surf, &l.surfOv} {
		i, _ := s.find(p)
		for ; i < len(s.words) && strings.HasPrefix(s.words[i], p); i++ {
			fn(s.words[i], s.terms[i])
		}
	}
}

// lexBatch collects the new terms and surface words of one write; term is
// safe for concurrent use.
type lexBatch struct {
	mu    sync.Mutex
	lex   *lexicon
	next  uint32
	terms map[string]uint32
	surf  map[string][2]uint32
}

func newLexBatch(l *lexicon) *lexBatch {
	return &lexBatch{lex: l, next: l.n, terms: map[string]uint32{}, surf: map[string][2]uint32{}}
}

// word returns the term ids of an analysed word, registering its terms and
// surface form when new.
func (b *lexBatch) word(w word) [2]uint32 {
	ids := [2]uint32{b.lex.id(w.en), 0}
	if w.fr != "" {
		ids[1] = b.lex.id(w.fr)
	}
	known := ids[0] != 0 && (w.fr == "" || ids[1] != 0) && b.lex.hasSurface(w.surface)
	if known {
		return ids
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	ids[0] = b.termLocked(w.en)
	if w.fr != "" {
		ids[1] = b.termLocked(w.fr)
	}
	if !b.lex.hasSurface(w.surface) {
		b.surf[w.surface] = ids
	}
	return ids
}

// term returns the id of a term, assigning one when new.
func (b *lexBatch) term(t string) uint32 {
	if id := b.lex.id(t); id != 0 {
		return id
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.termLocked(t)
}

func (b *lexBatch) termLocked(t string) uint32 {
	if id := b.lex.id(t); id != 0 {
		return id
	}
	if id, ok := b.terms[t]; ok {
		return id
	}
	id := b.next
	b.next++
	b.terms[strings.Clone(t)] = id
	return id
}

// finish returns the lexicon with the batch's additions.
func (b *lexBatch) finish() *lexicon {
	old := b.lex
	if len(b.terms) == 0 && len(b.surf) == 0 {
		return old
	}
	if len(old.base) == 0 && len(old.over) == 0 && len(old.surf.words) == 0 && len(old.surfOv.words) == 0 {
		return &lexicon{base: b.terms, n: b.next, surf: mergeSurfaces(surfaces{}, b.surf)}
	}
	l := &lexicon{base: old.base, n: b.next, surf: old.surf}
	l.over = make(map[string]uint32, len(old.over)+len(b.terms))
	maps.Copy(l.over, old.over)
	maps.Copy(l.over, b.terms)
	l.surfOv = mergeSurfaces(old.surfOv, b.surf)
	if len(l.over) > overlayMax || len(l.surfOv.words) > overlayMax {
		l.base = make(map[string]uint32, len(old.base)+len(l.over))
		maps.Copy(l.base, old.base)
		maps.Copy(l.base, l.over)
		l.over = nil
		l.surf = mergeSurfaces(l.surf, nil, l.surfOv)
		l.surfOv = surfaces{}
	}
	return l
}

// mergeSurfaces returns the sorted union of sorted lists and a map.
func mergeSurfaces(a surfaces, m map[string][2]uint32, more ...surfaces) surfaces {
	type entry struct {
		w  string
		id [2]uint32
	}
	var all []entry
	for _, s := range append([]surfaces{a}, more...) {
		for i, w := range s.words {
			all = append(all, entry{w, s.terms[i]})
		}
	}
	for w, id := range m {
		all = append(all, entry{w, id})
	}
	slices.SortFunc(all, func(x, y entry) int { return strings.Compare(x.w, y.w) })
	out := surfaces{words: make([]string, 0, len(all)), terms: make([][2]uint32, 0, len(all))}
	for i, e := range all {
		if i > 0 && e.w == all[i-1].w {
			continue
		}
		out.words = append(out.words, e.w)
		out.terms = append(out.terms, e.id)
	}
	return out
}
