package report

import "hash/fnv"

// Protection says how a report protects the counts it publishes.
type Protection int

const (
	// Perturbed is cell-key perturbation (see the package documentation):
	// each published count, totals included, gets a small noise drawn from
	// the keys of the records it counts, so that the same records always
	// get the same noise; then counts from 1 to Threshold-1 are withheld.
	// It is the default, and what every server publishes.
	Perturbed Protection = iota
	// Suppressed publishes exact counts, withholds those from 1 to
	// Threshold-1 and enough others that none can be worked out from the
	// table's own totals. It protects one table published once, not a
	// tool that answers any query: two answers differenced give a
	// withheld count back. Kept for the tests of the suppression itself.
	Suppressed
	// Exact publishes every count as it is: only for callers who may see
	// the records themselves.
	Exact
)

// String names the protection in responses.
func (p Protection) String() string {
	switch p {
	case Suppressed:
		return "suppressed"
	case Exact:
		return "exact"
	}
	return "perturbed"
}

// RecordKey returns the key of a report record for cell-key perturbation:
// a 64-bit hash of its id. Report ids are drawn at random when a contact
// closes and are never published, so keys are unknown to readers and
// independent of everything a report shows. The node and the hub derive
// the same key from the same record, so the same records get the same
// noise in a region's reports and in the province's.
func RecordKey(id string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return mix(h.Sum64() ^ 0x6f3231315f726b79)
}

// sum is a count with the sum of the keys of the records it counts
// (modulo 2^64): the cell key of the cell-key method.
type sum struct {
	n int64
	k uint64
}

func (a sum) plus(b sum) sum { return sum{a.n + b.n, a.k + b.k} }

// noiseTable is the perturbation table: the noise added to a count, by a
// uniform draw from the cell key among its 20 entries. The noise is 0 with
// probability 6/20, ±1 with 4/20 each, ±2 with 2/20 and ±3 with 1/20: mean
// 0, variance 2.1, never more than MaxNoise.
var noiseTable = [20]int8{-3, -2, -2, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3}

// MaxNoise is the largest change perturbation makes to a count.
const MaxNoise = 3

// perturb returns the published value of a count: n plus the noise its
// cell key draws, at least 0. An empty cell (n = 0) stays 0.
func perturb(s sum) int64 {
	if s.n <= 0 {
		return s.n
	}
	// Keys add modulo 2^32 (the cube keeps 32 bits of each row's sum, as
	// the ABS's BigN does); the mix spreads them over the table.
	u := mix(uint64(uint32(s.k)) ^ 0x9e3779b97f4a7c15)
	v := s.n + int64(noiseTable[(u>>32)*uint64(len(noiseTable))>>32])
	if v < 0 {
		v = 0
	}
	return v
}

// published is a table as published: each entry's count, withheld or not,
// and how many were withheld.
type published struct {
	Cells, Rows, Cols  []Count
	Grand              Count
	Primary, Secondary int
}

// publish protects t as q asks. Row and column totals and the grand total
// are filled whether t publishes them or not.
func (q *Query) publish(t *table) *published {
	switch q.Protection {
	case Exact:
		return fromMask(t, noSuppression(t))
	case Suppressed:
		return fromMask(t, suppress(t, Threshold))
	}
	return perturbTable(t)
}

// margins returns the row, column and grand sums of t's cells and keys.
func margins(t *table) (rows, cols []sum, grand sum) {
	rows, cols = make([]sum, t.R), make([]sum, t.C)
	for i := 0; i < t.R; i++ {
		for j := 0; j < t.C; j++ {
			e := sum{n: t.Cells[i*t.C+j]}
			if t.Keys != nil {
				e.k = t.Keys[i*t.C+j]
			}
			rows[i] = rows[i].plus(e)
			cols[j] = cols[j].plus(e)
			grand = grand.plus(e)
		}
	}
	return rows, cols, grand
}

// fromMask publishes t's exact counts but those m withholds.
func fromMask(t *table, m *mask) *published {
	rows, cols, grand := margins(t)
	p := &published{Cells: make([]Count, len(t.Cells)), Rows: make([]Count, t.R), Cols: make([]Count, t.C),
		Grand: count(grand.n, m.Grand), Primary: m.Primary, Secondary: m.Secondary}
	for i, v := range t.Cells {
		p.Cells[i] = count(v, m.Cells[i])
	}
	for i, r := range rows {
		p.Rows[i] = count(r.n, m.Rows[i])
	}
	for j, c := range cols {
		p.Cols[j] = count(c.n, m.Cols[j])
	}
	return p
}

// perturbTable publishes every entry of t, totals included, perturbed
// from its own cell key, and withholds those that come out from 1 to
// Threshold-1. The totals are not the sums of the cells published: each
// is perturbed on its own, so that subtracting cells from a total gives a
// noisy figure, not a withheld one.
func perturbTable(t *table) *published {
	rows, cols, grand := margins(t)
	p := &published{Cells: make([]Count, len(t.Cells)), Rows: make([]Count, t.R), Cols: make([]Count, t.C)}
	for i, v := range t.Cells {
		e := sum{n: v}
		if t.Keys != nil {
			e.k = t.Keys[i]
		}
		p.Cells[i] = p.protect(e, true)
	}
	for i, r := range rows {
		p.Rows[i] = p.protect(r, t.RowTotals)
	}
	for j, c := range cols {
		p.Cols[j] = p.protect(c, t.ColTotals)
	}
	p.Grand = p.protect(grand, t.Grand || (!t.RowTotals && !t.ColTotals))
	return p
}

// protect perturbs one count and withholds it when small; shown says
// whether the table publishes it (only those are counted as withheld).
func (p *published) protect(s sum, shown bool) Count {
	v := perturb(s)
	if v >= 1 && v < Threshold {
		if shown {
			p.Primary++
		}
		return Count{Suppressed: true}
	}
	return Count{Value: v}
}
