package report

import (
	"sort"
	"strconv"

	"github.com/o211/o211"
)

// query is what one scan of the cube computes: the sum of the counts of
// the rows in [From, To] that pass the filters, grouped by up to three
// dimensions.
type query struct {
	From, To int32
	Contacts bool // scan contact cells rather than need cells
	Filters  Filters
	By       []Group
	// AllReasons lists every reason of o211.UnmetReasons on a reason axis,
	// even those not counted.
	AllReasons bool
	// Keys sums the record keys of each count too (for perturbation).
	Keys bool
}

// axis is the list of values of one grouped dimension in a result, in
// display order.
type axis struct {
	Group Group
	Keys  []string
}

// result is a dense table of counts over the axes of a query: the count of
// keys (i, j, k) is at Counts[(i*len(Axes[1].Keys)+j)*len(Axes[2].Keys)+k].
type result struct {
	Axes   []axis
	Counts []int64
	Total  int64
	// Keys and TotalKey are the sums of the record keys of each count and
	// of the total, when the query asked for them.
	Keys     []uint64
	TotalKey uint64
}

// at returns the count at the axes' positions idx.
func (r *result) at(idx ...int) int64 { return r.Counts[r.offset(idx)] }

// entry returns the count and key sum at the axes' positions idx.
func (r *result) entry(idx ...int) sum {
	o := r.offset(idx)
	if r.Keys == nil {
		return sum{n: r.Counts[o]}
	}
	return sum{n: r.Counts[o], k: r.Keys[o]}
}

func (r *result) offset(idx []int) int {
	o := 0
	for d, i := range idx {
		o = o*len(r.Axes[d].Keys) + i
	}
	return o
}

// maxDense is the largest group space a scan counts in a dense array;
// beyond it, it counts in a map.
const maxDense = 1 << 22

// mapper maps the values of one column to group slots.
type mapper struct {
	g     Group
	slots []int32 // by dictionary id (or by met)
	size  int     // number of slots
	vals  []int32 // slot -> id (dictionary dims), or slot -> day number of the period start (time dims)
}

// scan is one scan of the cube: the query, its filters and group mappers,
// and the counts it adds up.
type scan struct {
	q      *query
	flt    *filterSet
	maps   []*mapper
	counts []int64        // by group key, when the group space is small
	sparse map[uint64]sum // by group key, when it is not
	dense  []sum          // counts and key sums by group key, when q.Keys and the space is small
	total  sum
	sel    []uint32 // rows selected in the current partition
	keys   []uint64 // their group keys
}

// run scans the cube for q.
func (c *Cube) run(q *query) *result {
	c.mu.RLock()
	defer c.mu.RUnlock()

	s := &scan{q: q, flt: c.filterSet(&q.Filters), maps: make([]*mapper, len(q.By))}
	space := 1
	for i, g := range q.By {
		s.maps[i] = c.mapperFor(g, q.From, q.To)
		space *= s.maps[i].size
	}
	if space <= maxDense {
		s.counts = make([]int64, space)
		if q.Keys {
			s.counts, s.dense = nil, make([]sum, space)
		}
	} else {
		s.sparse = map[uint64]sum{}
	}
	for _, p := range c.order {
		s.partition(p)
	}
	return c.compact(s)
}

// partition adds the counts of the rows of p that the query selects.
func (s *scan) partition(p *partition) {
	q := s.q
	last := p.base + 30
	if next := monthStart(p.month + 1); next-1 < last {
		last = next - 1
	}
	if last < q.From || p.base > q.To {
		return
	}
	t := &p.needs
	if q.Contacts {
		t = &p.contacts
	}
	m := t.len()
	if m == 0 || s.flt.none {
		return
	}
	sel := s.sel[:0]
	lo, hi := max(q.From-p.base, 0), min(q.To-p.base, 30)
	if lo == 0 && p.base+hi >= last {
		for i := 0; i < m; i++ {
			sel = append(sel, uint32(i))
		}
	} else {
		l, h := uint8(lo), uint8(hi)
		for i, d := range t.day {
			if d >= l && d <= h {
				sel = append(sel, uint32(i))
			}
		}
	}
	sel = s.flt.apply(t, sel)
	s.sel = sel
	if len(sel) == 0 {
		return
	}
	if cap(s.keys) < len(sel) {
		s.keys = make([]uint64, len(sel), t.len())
	}
	keys := s.keys[:len(sel)]
	clear(keys)
	s.group(p, t, keys)
	s.add(t, keys)
}

// group folds each grouped dimension's slot into the keys of the rows
// selected.
func (s *scan) group(p *partition, t *rows, keys []uint64) {
	var dayslots [31]int32
	sel := s.sel
	for _, mp := range s.maps {
		radix := uint64(mp.size)
		if mp.g.Dim.timeDim() {
			for o := int32(0); o <= 30; o++ {
				dayslots[o] = timeSlot(mp.g.Dim, p.base+o, s.q.From)
			}
			groupBy(keys, sel, t.day, dayslots[:], radix)
			continue
		}
		switch mp.g.Dim {
		case DimRegion:
			groupBy(keys, sel, t.region, mp.slots, radix)
		case DimFSA:
			groupBy(keys, sel, t.fsa, mp.slots, radix)
		case DimTaxonomy:
			groupBy(keys, sel, t.code, mp.slots, radix)
		case DimMet:
			groupBy(keys, sel, t.met, mp.slots, radix)
		case DimReason:
			groupBy(keys, sel, t.reason, mp.slots, radix)
		case DimChannel:
			groupBy(keys, sel, t.channel, mp.slots, radix)
		case DimAgeBand:
			groupBy(keys, sel, t.age, mp.slots, radix)
		case DimLanguage:
			groupBy(keys, sel, t.lang, mp.slots, radix)
		case DimEmergency:
			groupBy(keys, sel, t.emerg, mp.slots, radix)
		}
	}
}

// add adds the counts (and key sums) of the rows selected under their
// group keys.
func (s *scan) add(t *rows, keys []uint64) {
	n, ks := t.n, t.ks
	switch {
	case s.sparse != nil:
		for k, i := range s.sel {
			e := s.sparse[keys[k]]
			e.n += n[i]
			e.k += uint64(ks[i])
			s.sparse[keys[k]] = e
			s.total.n += n[i]
			s.total.k += uint64(ks[i])
		}
	case s.dense != nil:
		dense := s.dense
		var total sum
		for k, i := range s.sel {
			e := &dense[keys[k]]
			e.n += n[i]
			e.k += uint64(ks[i])
			total.n += n[i]
			total.k += uint64(ks[i])
		}
		s.total = s.total.plus(total)
	default:
		counts := s.counts
		var total int64
		for k, i := range s.sel {
			counts[keys[k]] += n[i]
			total += n[i]
		}
		s.total.n += total
	}
}

// groupBy folds the slot of each selected row's value into its key.
func groupBy[T uint8 | uint16 | uint32](keys []uint64, sel []uint32, col []T, slots []int32, radix uint64) {
	for k, i := range sel {
		keys[k] = keys[k]*radix + uint64(slots[col[i]])
	}
}

// keep keeps the selected rows whose value passes mask.
func keep[T uint8 | uint16 | uint32](sel []uint32, col []T, mask []bool) []uint32 {
	out := sel[:0]
	for _, i := range sel {
		if mask[col[i]] {
			out = append(out, i)
		}
	}
	return out
}

// timeSlot returns the slot of day n on a time dimension of a period
// starting on day from.
func timeSlot(d Dim, n, from int32) int32 {
	switch d {
	case DimDay:
		return n - from
	case DimWeek:
		return (weekStart(n) - weekStart(from)) / 7
	case DimMonth:
		return monthIndex(n) - monthIndex(from)
	default:
		return weekday(n)
	}
}

// filterSet is a query's filters as masks over dictionary ids.
type filterSet struct {
	none                                                            bool // some filter matches nothing
	region, fsa, code, met, reason, channel, age, lang, emergencies []bool
}

func (c *Cube) filterSet(f *Filters) *filterSet {
	fs := &filterSet{}
	mask := func(d *dict, vals []string) []bool {
		if vals == nil {
			return nil
		}
		m := make([]bool, len(d.vals))
		any := false
		for _, v := range vals {
			if id, ok := d.lookup(v); ok {
				m[id], any = true, true
			}
		}
		if !any {
			fs.none = true
		}
		return m
	}
	fs.region = mask(&c.region, f.Region)
	fs.fsa = mask(&c.fsa, f.FSA)
	fs.reason = mask(&c.reason, f.Reason)
	fs.channel = mask(&c.channel, f.Channel)
	fs.age = mask(&c.age, f.AgeBand)
	fs.lang = mask(&c.lang, f.Language)
	fs.emergencies = mask(&c.emerg, f.Emergency)
	if f.Taxonomy != nil {
		want := mask(&c.codes.dict, f.Taxonomy)
		fs.code = make([]bool, len(c.codes.vals))
		for id, anc := range c.codes.anc {
			for _, a := range anc {
				if want[a] {
					fs.code[id] = true
					break
				}
			}
		}
	}
	if f.Met != nil {
		fs.met = make([]bool, 2)
		if *f.Met {
			fs.met[1] = true
		} else {
			fs.met[0] = true
		}
	}
	return fs
}

func (fs *filterSet) apply(t *rows, sel []uint32) []uint32 {
	if fs.region != nil {
		sel = keep(sel, t.region, fs.region)
	}
	if fs.fsa != nil {
		sel = keep(sel, t.fsa, fs.fsa)
	}
	if fs.code != nil {
		sel = keep(sel, t.code, fs.code)
	}
	if fs.met != nil {
		sel = keep(sel, t.met, fs.met)
	}
	if fs.reason != nil {
		sel = keep(sel, t.reason, fs.reason)
	}
	if fs.channel != nil {
		sel = keep(sel, t.channel, fs.channel)
	}
	if fs.age != nil {
		sel = keep(sel, t.age, fs.age)
	}
	if fs.lang != nil {
		sel = keep(sel, t.lang, fs.lang)
	}
	if fs.emergencies != nil {
		sel = keep(sel, t.emerg, fs.emergencies)
	}
	return sel
}

// dictOf returns the dictionary of a dimension that has one.
func (c *Cube) dictOf(d Dim) *dict {
	switch d {
	case DimRegion:
		return &c.region
	case DimFSA:
		return &c.fsa
	case DimTaxonomy:
		return &c.codes.dict
	case DimReason:
		return &c.reason
	case DimChannel:
		return &c.channel
	case DimAgeBand:
		return &c.age
	case DimLanguage:
		return &c.lang
	case DimEmergency:
		return &c.emerg
	}
	return nil
}

// mapperFor returns how rows map to the slots of group g in [from, to].
func (c *Cube) mapperFor(g Group, from, to int32) *mapper {
	m := &mapper{g: g}
	switch {
	case g.Dim.timeDim():
		m.size = int(timeSlot(g.Dim, to, from)) + 1
		if g.Dim == DimWeekday {
			m.size = 7
		}
		m.vals = make([]int32, m.size)
		for i := range m.vals {
			switch g.Dim {
			case DimDay:
				m.vals[i] = from + int32(i)
			case DimWeek:
				m.vals[i] = weekStart(from) + 7*int32(i)
			case DimMonth:
				m.vals[i] = monthStart(monthIndex(from) + int32(i))
			default:
				m.vals[i] = int32(i)
			}
		}
	case g.Dim == DimMet:
		m.slots, m.size, m.vals = []int32{0, 1}, 2, []int32{0, 1}
	case g.Dim == DimTaxonomy:
		// Slots are the distinct ancestors at the level, in id order.
		m.slots = make([]int32, len(c.codes.vals))
		slotOf := map[uint32]int32{}
		for id := range c.codes.vals {
			if id == 0 {
				continue
			}
			a := c.codes.ancestorAt(uint32(id), g.Level)
			s, ok := slotOf[a]
			if !ok {
				s = int32(len(m.vals))
				slotOf[a] = s
				m.vals = append(m.vals, int32(a))
			}
			m.slots[id] = s
		}
		if len(m.vals) == 0 { // no codes yet: one empty slot
			m.vals = []int32{0}
		}
		m.size = len(m.vals)
	default:
		d := c.dictOf(g.Dim)
		m.size = len(d.vals)
		m.slots = make([]int32, m.size)
		m.vals = make([]int32, m.size)
		for i := range m.slots {
			m.slots[i], m.vals[i] = int32(i), int32(i)
		}
	}
	return m
}

// compact turns scan counts over slots into a result over the axes' keys:
// every period on a time axis, every reason when asked, and otherwise the
// values counted, in display order.
func (c *Cube) compact(sc *scan) *result {
	q, maps := sc.q, sc.maps
	res := &result{Total: sc.total.n, Axes: make([]axis, len(maps))}
	if q.Keys {
		res.TotalKey = sc.total.k
	}
	used := make([][]bool, len(maps))
	for d, mp := range maps {
		used[d] = make([]bool, mp.size)
	}
	sc.each(func(key uint64, _ sum) {
		for d := len(maps) - 1; d >= 0; d-- {
			s := uint64(maps[d].size)
			used[d][key%s] = true
			key /= s
		}
	})
	pos := make([][]int, len(maps)) // slot -> position on the axis, or -1
	for d, mp := range maps {
		res.Axes[d], pos[d] = c.axisOf(q, mp, used[d])
	}
	size := 1
	for _, a := range res.Axes {
		size *= len(a.Keys)
	}
	res.Counts = make([]int64, size)
	if q.Keys {
		res.Keys = make([]uint64, size)
	}
	sc.each(func(key uint64, e sum) {
		o, mul := 0, 1
		for d := len(maps) - 1; d >= 0; d-- {
			s := uint64(maps[d].size)
			o += pos[d][key%s] * mul
			mul *= len(res.Axes[d].Keys)
			key /= s
		}
		res.Counts[o] += e.n
		if res.Keys != nil {
			res.Keys[o] += e.k
		}
	})
	return res
}

// each calls fn for each non-zero count of the scan, dense or sparse,
// with its group key.
func (sc *scan) each(fn func(key uint64, e sum)) {
	if sc.sparse != nil {
		for k, e := range sc.sparse {
			if e.n != 0 {
				fn(k, e)
			}
		}
		return
	}
	for k, e := range sc.dense {
		if e.n != 0 {
			fn(uint64(k), e)
		}
	}
	for k, n := range sc.counts {
		if n != 0 {
			fn(uint64(k), sum{n: n})
		}
	}
}

// axisOf returns the axis of a grouped dimension, its slots used (or all
// of them, for time and asked-for reasons) in display order, and the
// position of each slot on it (-1 for a slot left out).
func (c *Cube) axisOf(q *query, mp *mapper, used []bool) (axis, []int) {
	type kv struct {
		slot int
		key  string
		rank int
	}
	var list []kv
	for s := 0; s < mp.size; s++ {
		v := mp.vals[s]
		var key string
		rank := 0
		switch {
		case mp.g.Dim == DimWeekday:
			key = weekdayNames[v]
		case mp.g.Dim.timeDim():
			key = DayString(v)
			if mp.g.Dim == DimMonth {
				key = key[:7]
			}
		case mp.g.Dim == DimMet:
			key = strconv.FormatBool(v == 1)
		default:
			key = c.dictOf(mp.g.Dim).vals[v]
			rank = valueRank(mp.g.Dim, key)
		}
		all := mp.g.Dim.timeDim() || (q.AllReasons && mp.g.Dim == DimReason && rank < len(o211.UnmetReasons))
		if !used[s] && !all {
			continue
		}
		list = append(list, kv{s, key, rank})
	}
	if q.AllReasons && mp.g.Dim == DimReason {
		for i, r := range o211.UnmetReasons {
			if _, ok := c.reason.lookup(string(r)); !ok {
				list = append(list, kv{-1, string(r), i})
			}
		}
	}
	if !mp.g.Dim.timeDim() && mp.g.Dim != DimMet {
		sort.SliceStable(list, func(i, j int) bool {
			if list[i].rank != list[j].rank {
				return list[i].rank < list[j].rank
			}
			return lessKey(list[i].key, list[j].key)
		})
	}
	pos := make([]int, mp.size)
	for s := range pos {
		pos[s] = -1
	}
	keys := make([]string, len(list))
	for i, e := range list {
		keys[i] = e.key
		if e.slot >= 0 {
			pos[e.slot] = i
		}
	}
	return axis{Group: mp.g, Keys: keys}, pos
}

var weekdayNames = [...]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// valueRank orders values of the dimensions that have a natural order
// (channels, age bands and reasons as the domain lists them); other values
// come after, and "" (unknown) last.
func valueRank(d Dim, v string) int {
	if v == "" {
		return 1 << 20
	}
	switch d {
	case DimChannel:
		for i, c := range o211.Channels {
			if string(c) == v {
				return i
			}
		}
		return len(o211.Channels)
	case DimAgeBand:
		for i, a := range o211.AgeBands {
			if string(a) == v {
				return i
			}
		}
		return len(o211.AgeBands)
	case DimReason:
		for i, r := range o211.UnmetReasons {
			if string(r) == v {
				return i
			}
		}
		return len(o211.UnmetReasons)
	}
	return 0
}

func lessKey(a, b string) bool { return a < b }
