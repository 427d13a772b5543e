package report

import (
	"encoding/csv"
	"strconv"
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

// The top report's table is needs by [met, unmet] for the top N codes and
// a row for all others, with every total: suppression runs on that whole
// table, met counts included though they are not shown, so that neither
// the unmet counts nor the codes left out can be worked out.
func (s *server) top(rq *request) (output, error) {
	level, err := rq.level(3)
	if err != nil {
		return nil, err
	}
	n, err := rq.intParam("n", 10, 1, 100)
	if err != nil {
		return nil, err
	}
	res := s.cfg.Cube.run(&query{From: rq.from, To: rq.to, Filters: rq.f,
		By: []group{{Dim: dimTaxonomy, Level: level}, {Dim: dimMet}}})
	codes := keys(res.Axes[0], rq.lang)
	metPos, unmetPos := -1, -1
	for j, k := range res.Axes[1].Keys {
		if k == "true" {
			metPos = j
		} else {
			unmetPos = j
		}
	}
	at := func(i, j int) int64 {
		if j < 0 {
			return 0
		}
		return res.at(i, j)
	}
	totals := make([]int64, len(codes))
	for i := range codes {
		totals[i] = at(i, metPos) + at(i, unmetPos)
	}
	order := sortedDesc(totals)
	top := order[:min(n, len(order))]
	rest := order[len(top):]
	R := len(top)
	if len(rest) > 0 {
		R++
	}
	t := &table{R: R, C: 2, Cells: make([]int64, 2*R), RowTotals: true, ColTotals: true, Grand: true}
	for r, i := range top {
		t.Cells[2*r], t.Cells[2*r+1] = at(i, metPos), at(i, unmetPos)
	}
	for _, i := range rest {
		t.Cells[2*R-2] += at(i, metPos)
		t.Cells[2*R-1] += at(i, unmetPos)
	}
	m := rq.mask(t)
	out := &TopReport{Level: level, N: n}
	out.Suppression.add(m)
	total := count(res.Total, m.Grand)
	row := func(r int, k Key) TopRow {
		tr := TopRow{Key: k, Count: count(t.Cells[2*r]+t.Cells[2*r+1], m.Rows[r]), Unmet: count(t.Cells[2*r+1], m.Cells[2*r+1])}
		tr.Share = rate(tr.Count, total)
		tr.UnmetRate = rate(tr.Unmet, tr.Count)
		return tr
	}
	for r, i := range top {
		tr := row(r, codes[i])
		tr.Rank = r + 1
		out.Rows = append(out.Rows, tr)
	}
	if len(rest) > 0 {
		o := row(R-1, Key{Key: "other", Label: map[bool]string{false: "All other needs", true: "Tous les autres besoins"}[rq.lang == "fr"]})
		out.Other = &o
	}
	out.Total = TopRow{Key: Key{Key: "total"}, Count: total, Unmet: count(sumCol(t, 1), m.Cols[1])}
	if !total.Suppressed && total.Value > 0 {
		one := 1.0
		out.Total.Share = &one
	}
	out.Total.UnmetRate = rate(out.Total.Unmet, total)
	return out, nil
}

func sumCol(t *table, j int) int64 {
	var s int64
	for i := 0; i < t.R; i++ {
		s += t.Cells[i*t.C+j]
	}
	return s
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
