package report

import (
	"encoding/csv"

	"github.com/o211/o211"
)

// UnmetReport is the answer of /api/v1/reports/unmet: for each value of
// one dimension, the needs recorded, the unmet needs by reason and in all,
// and the unmet rate (unmet / needs); then the same for the whole period.
type UnmetReport struct {
	Meta
	By      string     `json:"by"`
	Level   int        `json:"level,omitempty"`
	Reasons []Key      `json:"reasons"`
	Rows    []UnmetRow `json:"rows"`
	Total   UnmetRow   `json:"total"`

	dim dim
}

// UnmetRow is a row of the unmet report. Reasons are in the order of
// UnmetReport.Reasons. UnmetRate is null when either count is suppressed.
type UnmetRow struct {
	Key
	Needs     Count    `json:"needs"`
	Unmet     Count    `json:"unmet"`
	UnmetRate *float64 `json:"unmet_rate"`
	Reasons   []Count  `json:"reasons"`
}

// The unmet report publishes two tables: unmet needs by row and reason
// with their totals, and all needs by row with their total. Met needs are
// never shown, but needs minus unmet would give them, so a row's needs are
// suppressed too when that difference is from 1 to 9 and both are shown.
func (s *server) unmet(rq *request) (output, error) {
	for _, p := range []string{"met", "reason"} {
		if rq.q.Has(p) {
			return nil, o211.FieldErrorf(p, "the unmet report covers every reason and compares unmet needs with all needs; leave %s out (use the needs report to filter by it)", p)
		}
	}
	level, err := rq.level(2)
	if err != nil {
		return nil, err
	}
	by, err := rq.parseDims("by", []string{"region"}, 1, level)
	if err != nil {
		return nil, err
	}
	if d := by[0].Dim; d == dimMet || d == dimReason {
		return nil, o211.FieldErrorf("by", "the unmet report already shows reasons; group by another dimension")
	}
	res := s.cfg.Cube.run(&query{From: rq.from, To: rq.to, Filters: rq.f, AllReasons: true,
		By: []group{by[0], {Dim: dimMet}, {Dim: dimReason}}})
	rows := keys(res.Axes[0], rq.lang)
	reasonAxis := res.Axes[2]
	metPos := -1
	for j, k := range res.Axes[1].Keys {
		if k == "false" {
			metPos = j
		}
	}
	// Columns: every listed reason, and "" when unmet needs lack a reason.
	var cols []int
	for k, key := range reasonAxis.Keys {
		if key != "" {
			cols = append(cols, k)
			continue
		}
		for i := range rows {
			if metPos >= 0 && res.at(i, metPos, k) != 0 {
				cols = append(cols, k)
				break
			}
		}
	}
	out := &UnmetReport{By: by[0].Dim.String(), dim: by[0].Dim}
	if by[0].Dim == dimTaxonomy {
		out.Level = by[0].Level
	}
	for _, k := range cols {
		key := Key{Key: reasonAxis.Keys[k], Label: label(dimReason, reasonAxis.Keys[k], rq.lang)}
		if key.Key == "" {
			key.Label = map[bool]string{false: "Not recorded", true: "Non indiquée"}[rq.lang == "fr"]
		}
		out.Reasons = append(out.Reasons, key)
	}
	R, C := len(rows), len(cols)
	unmet := &table{R: R, C: C, Cells: make([]int64, R*C), RowTotals: true, ColTotals: true, Grand: true}
	needs := make([]int64, R)
	unmetRow := make([]int64, R)
	var unmetAll int64
	for i := range rows {
		for j := range res.Axes[1].Keys {
			for k := range reasonAxis.Keys {
				needs[i] += res.at(i, j, k)
			}
		}
		for c, k := range cols {
			if metPos >= 0 {
				v := res.at(i, metPos, k)
				unmet.Cells[i*C+c] = v
				unmetRow[i] += v
				unmetAll += v
			}
		}
	}
	um := rq.mask(unmet)
	needsTable := &table{R: R, C: 1, Cells: needs, ColTotals: true, Force: make([]bool, 2*R+2)}
	for i := range rows {
		if !um.Rows[i] && isSmall(needs[i]-unmetRow[i]) {
			needsTable.Force[i] = true
		}
	}
	if !um.Grand && isSmall(res.Total-unmetAll) {
		needsTable.Force[2*R] = true
	}
	nm := rq.mask(needsTable)
	out.Suppression.add(um)
	out.Suppression.add(nm)
	colTotals := make([]int64, C)
	for i, k := range rows {
		row := UnmetRow{Key: k, Needs: count(needs[i], nm.Cells[i]), Unmet: count(unmetRow[i], um.Rows[i]),
			Reasons: make([]Count, C)}
		for c := 0; c < C; c++ {
			row.Reasons[c] = count(unmet.Cells[i*C+c], um.Cells[i*C+c])
			colTotals[c] += unmet.Cells[i*C+c]
		}
		row.UnmetRate = rate(row.Unmet, row.Needs)
		out.Rows = append(out.Rows, row)
	}
	out.Total = UnmetRow{Key: Key{Key: "total"}, Needs: count(res.Total, nm.Cols[0]), Unmet: count(unmetAll, um.Grand),
		Reasons: make([]Count, C)}
	for c := 0; c < C; c++ {
		out.Total.Reasons[c] = count(colTotals[c], um.Cols[c])
	}
	out.Total.UnmetRate = rate(out.Total.Unmet, out.Total.Needs)
	return out, nil
}

// isSmall reports whether a count would be suppressed on its own.
func isSmall(n int64) bool { return n >= 1 && n < Threshold }

func (o *UnmetReport) writeCSV(w *csv.Writer) {
	head := append(keyHeader(o.dim), "needs", "unmet", "unmet_rate")
	for _, r := range o.Reasons {
		name := r.Key
		if name == "" {
			name = "not-recorded"
		}
		head = append(head, "unmet_"+name)
	}
	writeAll(w, head)
	write := func(lead []string, r UnmetRow) {
		rec := append(lead, r.Needs.String(), r.Unmet.String(), formatRate(r.UnmetRate))
		for _, c := range r.Reasons {
			rec = append(rec, c.String())
		}
		writeAll(w, rec)
	}
	for _, r := range o.Rows {
		write(keyRecord(o.dim, r.Key), r)
	}
	write(totalRecord(o.dim), o.Total)
}
