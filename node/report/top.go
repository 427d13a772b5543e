package report

import (
	"encoding/csv"
	"strconv"

	"github.com/o211/o211"
)

// TopReport is the answer of /api/v1/reports/top: the N most frequent
// needs at a taxonomy level, each with its count, its share of all needs,
// its unmet count and unmet rate; then all other needs together (Other)
// and the total.
type TopReport struct {
	Meta
	Level int      `json:"level"`
	N     int      `json:"n"`
	Rows  []TopRow `json:"rows"`
	Other *TopRow  `json:"other,omitempty"`
	Total TopRow   `json:"total"`
}

// TopRow is one need of the top report. Share and UnmetRate are null when
// a count they derive from is suppressed.
type TopRow struct {
	Rank int `json:"rank,omitempty"`
	Key
	Count     Count    `json:"count"`
	Share     *float64 `json:"share"`
	Unmet     Count    `json:"unmet"`
	UnmetRate *float64 `json:"unmet_rate"`
}

// TopQuery asks for the N most frequent needs at a taxonomy level.
type TopQuery struct {
	Query
	Level int // taxonomy level, from 1 to MaxLevel
	N     int // from 1 to 100
}

// Top returns the q.N most frequent needs at q.Level, with their share and
// unmet rate, then all others together and the total, protected unless
// q.Exact. It returns an EINVALID error naming the parameter at fault when
// q cannot be answered.
//
// The top report's table is needs by [met, unmet] for the top N codes and
// a row for all others, with every total: suppression runs on that whole
// table, met counts included though they are not shown, so that neither
// the unmet counts nor the codes left out can be worked out.
func Top(c *Cube, q TopQuery) (*TopReport, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	if err := checkLevel("level", q.Level); err != nil {
		return nil, err
	}
	if q.N < 1 || q.N > 100 {
		return nil, o211.FieldErrorf("n", "%d is not a whole number from 1 to 100", q.N)
	}
	res := q.run(c, &query{From: q.From, To: q.To, Filters: q.Filters,
		By: []Group{{Dim: DimTaxonomy, Level: q.Level}, {Dim: DimMet}}})
	codes := keys(res.Axes[0], q.Lang)
	metPos, unmetPos := metColumns(res.Axes[1])
	at := func(i, j int) sum {
		if j < 0 {
			return sum{}
		}
		return res.entry(i, j)
	}
	// The order is that of the counts as published, so that it tells no
	// more than they do.
	totals := make([]int64, len(codes))
	for i := range codes {
		totals[i] = q.value(at(i, metPos).plus(at(i, unmetPos)))
	}
	order := sortedDesc(totals)
	top := order[:min(q.N, len(order))]
	rest := order[len(top):]
	R := len(top)
	if len(rest) > 0 {
		R++
	}
	t := &table{R: R, C: 2, Cells: make([]int64, 2*R), Keys: make([]uint64, 2*R), RowTotals: true, ColTotals: true, Grand: true}
	put := func(r int, met, unmet sum) {
		t.Cells[2*r], t.Keys[2*r] = t.Cells[2*r]+met.n, t.Keys[2*r]+met.k
		t.Cells[2*r+1], t.Keys[2*r+1] = t.Cells[2*r+1]+unmet.n, t.Keys[2*r+1]+unmet.k
	}
	for r, i := range top {
		put(r, at(i, metPos), at(i, unmetPos))
	}
	for _, i := range rest {
		put(R-1, at(i, metPos), at(i, unmetPos))
	}
	out := &TopReport{Meta: q.meta("top"), Level: q.Level, N: q.N}
	out.fill(&q.Query, t, codes, top, len(rest) > 0)
	return out, nil
}

// metColumns returns the positions of met (true) and unmet (false) on a
// met axis, -1 for a value not counted.
func metColumns(a axis) (metPos, unmetPos int) {
	metPos, unmetPos = -1, -1
	for j, k := range a.Keys {
		if k == "true" {
			metPos = j
		} else {
			unmetPos = j
		}
	}
	return metPos, unmetPos
}

// fill protects the table of [met, unmet] by row and fills the rows.
func (out *TopReport) fill(q *Query, t *table, codes []Key, top []int, other bool) {
	p := q.publish(t)
	out.Suppression.add(p)
	total := p.Grand
	row := func(r int, k Key) TopRow {
		tr := TopRow{Key: k, Count: p.Rows[r], Unmet: p.Cells[2*r+1]}
		tr.Share = rate(tr.Count, total)
		tr.UnmetRate = rate(tr.Unmet, tr.Count)
		return tr
	}
	for r, i := range top {
		tr := row(r, codes[i])
		tr.Rank = r + 1
		out.Rows = append(out.Rows, tr)
	}
	if other {
		o := row(t.R-1, Key{Key: "other", Label: map[bool]string{false: "All other needs", true: "Tous les autres besoins"}[q.Lang == "fr"]})
		out.Other = &o
	}
	out.Total = TopRow{Key: Key{Key: "total"}, Count: total, Unmet: p.Cols[1]}
	if !total.Suppressed && total.Value > 0 {
		one := 1.0
		out.Total.Share = &one
	}
	out.Total.UnmetRate = rate(out.Total.Unmet, total)
}

func (o *TopReport) writeCSV(w *csv.Writer) {
	writeAll(w, []string{"rank", "taxonomy", "taxonomy_name", "count", "share", "unmet", "unmet_rate"})
	write := func(rank string, r TopRow) {
		writeAll(w, []string{rank, r.Key.Key, r.Label, r.Count.String(), formatRate(r.Share), r.Unmet.String(), formatRate(r.UnmetRate)})
	}
	for _, r := range o.Rows {
		write(strconv.Itoa(r.Rank), r)
	}
	if o.Other != nil {
		write("", *o.Other)
	}
	write("", o.Total)
}
