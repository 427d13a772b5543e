package search

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/o211/o211"
)

// Options configure an Index. The zero value is ready to use.
type Options struct {
	// Now returns the current time, for the open status shown in results
	// when the query gives no OpenAt; time.Now when nil.
	Now func() time.Time
	// Location is the time zone of opening hours; o211.Toronto() when nil.
	Location *time.Location
	// Workers is the number of goroutines that analyse docs in Build and in
	// large writes; GOMAXPROCS when 0.
	Workers int
	// NoCache turns off the cache of ranked matches, which answers a search
	// asked again (or its next page) until the next write.
	NoCache bool
}

// Index is a searchable set of docs. Create it with New (then Build or
// Restore) or Load.
type Index struct {
	opts Options
	an   *analyzer
	qc   queryCache
	cur  atomic.Pointer[snapshot]
	pool sync.Pool // *scratch

	mu sync.Mutex // held by writers: Build, Replace, Restore
	w  *writer
}

// snapshot is one immutable state of the index.
type snapshot struct {
	lex     *lexicon
	posts   []*plist  // by term id
	recs    []docRec  // by doc id
	hot     []docHot  // by doc id
	meta    []docMeta // by doc id
	cats    []uint16  // by doc id: top-level categories, bit i = o211.Categories[i]
	dead    []uint64  // bitset by doc id
	nDead   int
	rank    []uint32 // position of each doc in name order
	hours   []*hours // [0] is nil: unknown hours
	regions []string
	nSvc    uint32 // bound of docMeta.svc
	avgdl   float64
	cache   *snapCache
}

// plist is a posting list: ascending doc ids and, for text terms, each
// doc's quantised BM25 term weight (nil for keyword terms).
type plist struct {
	docs []uint32
	w    []uint8
	bits atomic.Pointer[[]uint64] // membership bitmap, see bitmap
}

// docRec holds a doc's display fields.
type docRec struct {
	key, serviceID, locationID, salID, orgID      string
	serviceName, orgName, locName, address, phone string
	status, lang                                  string
	taxonomy                                      []string
}

// docHot holds the fields that most filters read, kept small (24 bytes)
// and together: a search reads it for every candidate.
type docHot struct {
	lat, lon       float32 // for the bounding box and fast distances
	minAge, maxAge float32 // NaN: open-ended
	hours          uint32  // index into snapshot.hours
	region         uint16  // index into snapshot.regions
	flags          uint8
}

// docMeta holds the fields read less often.
type docMeta struct {
	lat, lon float64 // exact, for distances shown and radius edges
	modified int64   // Unix seconds, 0 unknown
	svc      uint32  // service number, for distinct results
}

const (
	flagGeo uint8 = 1 << iota
	flagInactive
)

// writer is the state only writers use, under Index.mu.
type writer struct {
	byService  map[string][]uint32 // live doc ids by service id
	svcIndex   map[string]uint32
	hoursIndex map[string]uint32 // encoded rules -> index into snapshot.hours
	regionIdx  map[string]uint16
	order      []uint32 // live doc ids in name order
	sortKeys   []string // by doc id
	words      map[string]wordIDs
}

// wordIDs is a raw word's analysis as term ids (0: none).
type wordIDs struct {
	ids [2]uint32
	ok  bool
}

// New returns an empty index.
func New(opts Options) *Index {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = o211.Toronto()
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	ix := &Index{opts: opts, an: sharedAnalyzer(), w: newWriter()}
	ix.cur.Store(emptySnapshot())
	return ix
}

func newWriter() *writer {
	return &writer{
		byService:  map[string][]uint32{},
		svcIndex:   map[string]uint32{},
		hoursIndex: map[string]uint32{},
		regionIdx:  map[string]uint16{},
		words:      map[string]wordIDs{},
	}
}

func emptySnapshot() *snapshot {
	return &snapshot{lex: emptyLexicon(), posts: []*plist{{}}, hours: []*hours{nil}, avgdl: 1, cache: &snapCache{}}
}

// ServiceIDs returns the ids of the services that have docs in the index,
// in no particular order.
func (ix *Index) ServiceIDs() []string {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ids := make([]string, 0, len(ix.w.byService))
	for id := range ix.w.byService {
		ids = append(ids, id)
	}
	return ids
}

// Len returns the number of docs in the index (not counting removed ones).
func (ix *Index) Len() int {
	s := ix.cur.Load()
	return len(s.hot) - s.nDead
}

func (s *snapshot) isDead(d uint32) bool { return s.dead[d/64]&(1<<(d%64)) != 0 }

// Search runs a query and returns one page of results, the total number of
// matches and the facets. It returns an EINVALID error for a malformed
// query, and ctx's error when ctx is done before the search starts.
func (ix *Index) Search(ctx context.Context, q o211.Query) (*o211.Results, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	page, perPage, err := validateQuery(&q)
	if err != nil {
		return nil, err
	}
	s := ix.cur.Load()
	var open clock
	if !q.OpenAt.IsZero() {
		open = clockAt(q.OpenAt, ix.opts.Location)
	}
	key, need := cacheKey(&q, open), page*perPage
	var r *ranked
	if !ix.opts.NoCache {
		r = s.cache.ranks.get(key, need)
	}
	if r == nil {
		p := ix.plan(s, &q)
		sc := ix.getScratch(len(s.hot))
		s.execute(p, sc)
		k := need
		if k > deepPage {
			k = math.MaxInt
		}
		r = s.rankMatches(p, sc, k)
		ix.pool.Put(sc)
		if !ix.opts.NoCache {
			s.cache.ranks.put(key, r)
		}
	}
	return s.render(ix, r, page, perPage), nil
}
