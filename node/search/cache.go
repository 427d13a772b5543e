package search

import (
	"encoding/binary"
	"math"
	"sync"

	"github.com/o211/o211"
)

// Ranked matches are cached per snapshot (so any write empties the cache)
// by query, without its page: the same search asked again, or its next
// page, costs only the rendering of the page. Opening hours are evaluated
// to the minute, so a query with OpenAt is cached under its minute.
// Deep pages rank every match at once, so that paging through all of a
// query's results costs one search, not one per page.

const (
	// cacheMaxEntries bounds the ranked entries a snapshot's cache holds
	// (32 bytes each).
	cacheMaxEntries = 1 << 18
	cacheMaxQueries = 1024
	// deepPage: asking for results past this rank ranks every match.
	deepPage = 1000
)

// ranked is a query's matches, ordered: the best k (or all of them when
// k is at least total).
type ranked struct {
	top      []entry
	k        int
	t        tally
	near     bool
	lat, lon float64
	open     bool
}

// complete reports whether r holds the best n matches.
func (r *ranked) holds(n int) bool { return n <= r.k || len(r.top) == r.t.total }

// rankCache is a snapshot's cache of ranked queries.
type rankCache struct {
	mu      sync.Mutex
	m       map[string]*ranked
	order   []string // insertion order, oldest first
	entries int
}

func (c *rankCache) get(key string, n int) *ranked {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.m[key]; r != nil && r.holds(n) {
		return r
	}
	return nil
}

func (c *rankCache) put(key string, r *ranked) {
	if len(r.top) > cacheMaxEntries/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*ranked{}
	}
	if old := c.m[key]; old != nil {
		c.entries -= len(old.top)
	} else {
		c.order = append(c.order, key)
	}
	c.m[key] = r
	c.entries += len(r.top)
	for len(c.order) > 0 && (c.entries > cacheMaxEntries || len(c.order) > cacheMaxQueries) {
		if old := c.m[c.order[0]]; old != nil {
			c.entries -= len(old.top)
			delete(c.m, c.order[0])
		}
		c.order = c.order[1:]
	}
}

// cacheKey encodes every field of q that decides its ranked matches.
func cacheKey(q *o211.Query, open clock) string {
	b := make([]byte, 0, 128)
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	f64 := func(f float64) { b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f)) }
	str(q.Text)
	str(q.Taxonomy)
	str(q.Language)
	str(q.Region)
	str(q.OrganizationID)
	str(q.TaxonomyTermID)
	str(q.TaxonomyID)
	flags := byte(0)
	for i, set := range []bool{q.HasNear, !q.OpenAt.IsZero(), q.Age != nil, !q.ModifiedAfter.IsZero(), q.IncludeInactive, q.Distinct} {
		if set {
			flags |= 1 << i
		}
	}
	b = append(b, flags)
	if q.HasNear {
		f64(q.Lat)
		f64(q.Lon)
		f64(q.RadiusKm)
	}
	if !q.OpenAt.IsZero() {
		b = binary.AppendVarint(b, int64(open.day)*1440+int64(open.minute))
	}
	if q.Age != nil {
		f64(*q.Age)
	}
	if !q.ModifiedAfter.IsZero() {
		b = binary.AppendVarint(b, q.ModifiedAfter.Unix())
	}
	return string(b)
}
