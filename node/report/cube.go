package report

import (
	"sort"
	"sync"

	"github.com/o211/o211"
)

// Cube holds counts of report cells in memory, laid out for fast scans. It
// is safe for concurrent use: adds take a write lock, queries a read lock
// for the length of one scan.
type Cube struct {
	mu sync.RWMutex

	region, fsa, reason, channel, age, lang, emerg dict
	codes                                          codeDict

	parts    map[int32]*partition // by month index
	order    []*partition         // the same, in month order
	contacts int64
	needs    int64
}

// NewCube returns an empty cube.
func NewCube() *Cube {
	c := &Cube{}
	c.init()
	return c
}

func (c *Cube) init() {
	c.region = newDict(maxSmall)
	c.fsa = newDict(maxSmall)
	c.reason = newDict(maxSmall)
	c.channel = newDict(maxSmall)
	c.age = newDict(maxSmall)
	c.lang = newDict(maxSmall)
	c.emerg = newDict(maxLarge)
	c.codes = codeDict{dict: newDict(maxLarge), anc: [][]uint32{nil}}
	c.parts = map[int32]*partition{}
	c.order = nil
	c.contacts, c.needs = 0, 0
}

// AddCell counts n occurrences of cell (n >= 1; smaller n is ignored) with
// no record keys: reports of such cells are perturbed as if their records
// had key 0. Use AddCellKeys for cells of records.
func (c *Cube) AddCell(cell Cell, n int64) { c.AddCellKeys(cell, n, 0) }

// AddCellKeys counts n occurrences of cell whose records' keys (RecordKey)
// sum to keys, modulo 2^64 (n >= 1; smaller n is ignored).
func (c *Cube) AddCellKeys(cell Cell, n int64, keys uint64) {
	if n < 1 {
		return
	}
	c.mu.Lock()
	c.addCell(&cell, n, keys)
	c.mu.Unlock()
}

// Add counts report r: AddCellKeys(cell, 1, RecordKey(r.ID)) for each of
// Cells(r). It returns the error of Cells and then adds nothing.
func (c *Cube) Add(r *o211.Report) error {
	cells, err := Cells(r)
	if err != nil {
		return err
	}
	key := RecordKey(r.ID)
	c.mu.Lock()
	for i := range cells {
		c.addCell(&cells[i], 1, key)
	}
	c.mu.Unlock()
	return nil
}

func (c *Cube) addCell(cell *Cell, n int64, keys uint64) {
	mi := monthIndex(cell.Day)
	p := c.parts[mi]
	if p == nil {
		p = &partition{month: mi, base: monthStart(mi)}
		c.parts[mi] = p
		i := sort.Search(len(c.order), func(i int) bool { return c.order[i].month > mi })
		c.order = append(c.order, nil)
		copy(c.order[i+1:], c.order[i:])
		c.order[i] = p
	}
	k := rowKey{
		day:     uint8(cell.Day - p.base),
		region:  uint16(c.region.id(cell.Region)),
		fsa:     uint16(c.fsa.id(cell.FSA)),
		channel: uint16(c.channel.id(string(cell.Channel))),
		age:     uint16(c.age.id(string(cell.AgeBand))),
		lang:    uint16(c.lang.id(cell.Language)),
		emerg:   c.emerg.id(cell.Emergency),
	}
	if cell.Code == "" {
		p.contacts.add(k, n, keys)
		c.contacts += n
		return
	}
	k.code = c.codes.intern(cell.Code)
	k.reason = uint16(c.reason.id(string(cell.Reason)))
	if cell.Met {
		k.met = 1
	}
	p.needs.add(k, n, keys)
	c.needs += n
}

// Reset empties the cube.
func (c *Cube) Reset() {
	c.mu.Lock()
	c.init()
	c.mu.Unlock()
}

// Contacts returns the number of contacts counted.
func (c *Cube) Contacts() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.contacts
}

// Needs returns the number of needs counted.
func (c *Cube) Needs() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.needs
}

// CubeStats describes the size of a cube.
type CubeStats struct {
	Contacts    int64 `json:"contacts"`     // contacts counted
	Needs       int64 `json:"needs"`        // needs counted
	ContactRows int   `json:"contact_rows"` // distinct contact cells
	NeedRows    int   `json:"need_rows"`    // distinct need cells
	Months      int   `json:"months"`       // partitions
	Codes       int   `json:"codes"`        // taxonomy codes known, ancestors included
	Bytes       int64 `json:"bytes"`        // memory held by rows and indexes (capacity)
}

// Stats returns the cube's size.
func (c *Cube) Stats() CubeStats {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s := CubeStats{Contacts: c.contacts, Needs: c.needs, Months: len(c.order), Codes: len(c.codes.vals)}
	for _, p := range c.order {
		s.ContactRows += p.contacts.len()
		s.NeedRows += p.needs.len()
		s.Bytes += p.contacts.bytes() + p.needs.bytes()
	}
	for _, d := range []*dict{&c.region, &c.fsa, &c.reason, &c.channel, &c.age, &c.lang, &c.emerg, &c.codes.dict} {
		s.Bytes += int64(len(d.vals)) * 48
	}
	for _, a := range c.codes.anc {
		s.Bytes += int64(24 + 4*cap(a))
	}
	return s
}

// Dictionary limits. Region, FSA, reason, channel, age band and language
// ids are stored in 16 bits: valid reports have at most a few thousand
// values of each (an FSA is A1A, a language two or three letters). Should
// a dimension ever fill up, further values count under overflowValue.
const (
	maxSmall = 1<<16 - 1
	maxLarge = 1<<32 - 1
)

// overflowValue is the value under which a full dictionary counts values
// it has no room for.
const overflowValue = "(other)"

// dict interns the strings of one dimension as small ids; id 0 is "".
type dict struct {
	ids  map[string]uint32
	vals []string
	max  uint32
}

func newDict(max uint32) dict {
	return dict{ids: map[string]uint32{"": 0}, vals: []string{""}, max: max}
}

// id returns the id of s, interning it.
func (d *dict) id(s string) uint32 {
	if id, ok := d.ids[s]; ok {
		return id
	}
	if uint32(len(d.vals)) >= d.max-1 && s != overflowValue {
		return d.id(overflowValue)
	}
	id := uint32(len(d.vals))
	d.ids[s] = id
	d.vals = append(d.vals, s)
	return id
}

// lookup returns the id of s, and false if s was never interned.
func (d *dict) lookup(s string) (uint32, bool) {
	id, ok := d.ids[s]
	return id, ok
}

// codeDict interns taxonomy codes with their ancestors: anc[id] lists the
// ids of the code's ancestors, most general first, ending with id itself,
// so that anc[id][L-1] is the code's ancestor at level L.
type codeDict struct {
	dict
	anc [][]uint32
}

func (d *codeDict) intern(code string) uint32 {
	if id, ok := d.ids[code]; ok {
		return id
	}
	ancestors := o211.TaxonomyAncestors(code)
	chain := make([]uint32, 0, len(ancestors))
	for _, a := range ancestors {
		id, ok := d.ids[a]
		if !ok {
			id = d.dict.id(a)
			d.anc = append(d.anc, append(append([]uint32(nil), chain...), id))
		}
		chain = append(chain, id)
	}
	return chain[len(chain)-1]
}

// level returns the level of code id (1 for a category letter).
func (d *codeDict) level(id uint32) int { return len(d.anc[id]) }

// ancestorAt returns the id of the ancestor of code id at level L, or id
// itself when the code lies above that level.
func (d *codeDict) ancestorAt(id uint32, level int) uint32 {
	a := d.anc[id]
	if level <= 0 || level > len(a) {
		return id
	}
	return a[level-1]
}

// partition holds the rows of one calendar month: contact cells and need
// cells in separate tables, so that a needs report never reads contacts.
type partition struct {
	month    int32 // months since January 1970
	base     int32 // day number of the month's first day
	contacts rows
	needs    rows
}

// rowKey is a cell with its strings replaced by dictionary ids and its day
// by the offset in the partition's month.
type rowKey struct {
	day, met                                uint8
	region, fsa, reason, channel, age, lang uint16
	code, emerg                             uint32
}

func (k *rowKey) hash() uint64 {
	a := uint64(k.day) | uint64(k.met)<<8 | uint64(k.region)<<16 | uint64(k.fsa)<<32 | uint64(k.reason)<<48
	b := uint64(k.channel) | uint64(k.age)<<16 | uint64(k.lang)<<32
	c := uint64(k.code) | uint64(k.emerg)<<32
	return mix(a ^ mix(b^mix(c)))
}

// mix is the finaliser of splitmix64.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// rows is a table of aggregated cells held as columns, one slice per
// dimension, with an open-addressing hash index from key to row.
type rows struct {
	day, met                                []uint8
	region, fsa, reason, channel, age, lang []uint16
	code, emerg                             []uint32
	n                                       []int64
	ks                                      []uint32 // the sum of the keys of the records counted, mod 2^32
	index                                   []uint32 // row+1, or 0 for an empty slot
}

func (t *rows) len() int { return len(t.n) }

func (t *rows) key(i uint32) rowKey {
	return rowKey{day: t.day[i], met: t.met[i], region: t.region[i], fsa: t.fsa[i], reason: t.reason[i],
		channel: t.channel[i], age: t.age[i], lang: t.lang[i], code: t.code[i], emerg: t.emerg[i]}
}

// add adds n to the row of k and keys to its key sum, appending the row if
// it is new.
func (t *rows) add(k rowKey, n int64, keys uint64) {
	if 4*(len(t.n)+1) > 3*len(t.index) {
		t.grow()
	}
	mask := uint64(len(t.index) - 1)
	for s := k.hash() & mask; ; s = (s + 1) & mask {
		r := t.index[s]
		if r == 0 {
			t.index[s] = uint32(len(t.n)) + 1
			t.appendRow(k, n, keys)
			return
		}
		if t.key(r-1) == k {
			t.n[r-1] += n
			t.ks[r-1] += uint32(keys)
			return
		}
	}
}

func (t *rows) appendRow(k rowKey, n int64, keys uint64) {
	t.day = append(t.day, k.day)
	t.met = append(t.met, k.met)
	t.region = append(t.region, k.region)
	t.fsa = append(t.fsa, k.fsa)
	t.reason = append(t.reason, k.reason)
	t.channel = append(t.channel, k.channel)
	t.age = append(t.age, k.age)
	t.lang = append(t.lang, k.lang)
	t.code = append(t.code, k.code)
	t.emerg = append(t.emerg, k.emerg)
	t.n = append(t.n, n)
	t.ks = append(t.ks, uint32(keys))
}

func (t *rows) grow() {
	size := 2 * len(t.index)
	if size < 64 {
		size = 64
	}
	t.index = make([]uint32, size)
	mask := uint64(size - 1)
	for i := range t.n {
		k := t.key(uint32(i))
		s := k.hash() & mask
		for t.index[s] != 0 {
			s = (s + 1) & mask
		}
		t.index[s] = uint32(i) + 1
	}
}

// bytes returns the memory held by the table's slices.
func (t *rows) bytes() int64 {
	return int64(cap(t.day) + cap(t.met) + 2*(cap(t.region)+cap(t.fsa)+cap(t.reason)+cap(t.channel)+cap(t.age)+cap(t.lang)) +
		4*(cap(t.code)+cap(t.emerg)+cap(t.index)+cap(t.ks)) + 8*cap(t.n))
}
