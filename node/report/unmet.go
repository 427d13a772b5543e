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

	byDim Dim
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

// UnmetQuery asks for unmet needs by reason for each value of one
// dimension. It takes no met or reason filter: the report covers every
// reason and compares unmet needs with all needs.
type UnmetQuery struct {
	Query
	By Group
}

// Unmet counts unmet needs by reason for each value of q.By, with all
// needs and the unmet rate, protected unless q.Exact. It returns an
// EINVALID error naming the parameter at fault when q cannot be answered.
//
// The unmet report publishes two tables: unmet needs by row and reason
// with their totals, and all needs by row with their total. Met needs are
// never shown, but needs minus unmet would give them, so a row's needs are
// suppressed too when that difference is from 1 to 9 and both are shown.
func Unmet(c *Cube, q UnmetQuery) (*UnmetReport, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	for p, set := range []bool{q.Filters.Met != nil, q.Filters.Reason != nil} {
		if set {
			name := []string{"met", "reason"}[p]
			return nil, o211.FieldErrorf(name, "the unmet report covers every reason and compares unmet needs with all needs; leave %s out (use the needs report to filter by it)", name)
		}
	}
	if d := q.By.Dim; d == DimMet || d == DimReason {
		return nil, o211.FieldErrorf("by", "the unmet report already shows reasons; group by another dimension")
	}
	out := &UnmetReport{Meta: q.meta("unmet"), By: q.By.Dim.String(), byDim: q.By.Dim}
	if q.By.Dim == DimTaxonomy {
		if err := checkLevel("level", q.By.Level); err != nil {
			return nil, err
		}
		out.Level = q.By.Level
	}
	res := q.run(c, &query{From: q.From, To: q.To, Filters: q.Filters, AllReasons: true,
		By: []Group{q.By, {Dim: DimMet}, {Dim: DimReason}}})
	u := newUnmetTables(res)
	for _, k := range u.cols {
		key := Key{Key: u.reasons.Keys[k], Label: label(DimReason, u.reasons.Keys[k], q.Lang)}
		if key.Key == "" {
			key.Label = map[bool]string{false: "Not recorded", true: "Non indiquée"}[q.Lang == "fr"]
		}
		out.Reasons = append(out.Reasons, key)
	}
	out.fill(&q.Query, u, keys(res.Axes[0], q.Lang), res.Total)
	return out, nil
}

// unmetTables holds the counts of the unmet report: unmet needs by row and
// reason, and all needs by row.
type unmetTables struct {
	reasons  axis
	cols     []int // positions on the reason axis shown as columns
	unmet    *table
	needs    []int64
	needKeys []uint64
	unmetRow []int64
	unmetAll int64
}

func newUnmetTables(res *result) *unmetTables {
	R := len(res.Axes[0].Keys)
	u := &unmetTables{reasons: res.Axes[2], needs: make([]int64, R), needKeys: make([]uint64, R), unmetRow: make([]int64, R)}
	metPos := -1
	for j, k := range res.Axes[1].Keys {
		if k == "false" {
			metPos = j
		}
	}
	// Columns: every listed reason, and "" when unmet needs lack a reason.
	for k, key := range u.reasons.Keys {
		if key != "" {
			u.cols = append(u.cols, k)
			continue
		}
		for i := 0; i < R; i++ {
			if metPos >= 0 && res.at(i, metPos, k) != 0 {
				u.cols = append(u.cols, k)
				break
			}
		}
	}
	C := len(u.cols)
	u.unmet = &table{R: R, C: C, Cells: make([]int64, R*C), Keys: make([]uint64, R*C), RowTotals: true, ColTotals: true, Grand: true}
	for i := 0; i < R; i++ {
		for j := range res.Axes[1].Keys {
			for k := range u.reasons.Keys {
				e := res.entry(i, j, k)
				u.needs[i] += e.n
				u.needKeys[i] += e.k
			}
		}
		for c, k := range u.cols {
			if metPos >= 0 {
				e := res.entry(i, metPos, k)
				u.unmet.Cells[i*C+c], u.unmet.Keys[i*C+c] = e.n, e.k
				u.unmetRow[i] += e.n
				u.unmetAll += e.n
			}
		}
	}
	return u
}

// fill protects the tables and fills the rows and the total.
func (out *UnmetReport) fill(q *Query, u *unmetTables, rows []Key, total int64) {
	R, C := len(rows), len(u.cols)
	um := q.publish(u.unmet)
	needsTable := &table{R: R, C: 1, Cells: u.needs, Keys: u.needKeys, ColTotals: true, Force: make([]bool, 2*R+2)}
	for i := range rows {
		if !um.Rows[i].Suppressed && isSmall(u.needs[i]-u.unmetRow[i]) {
			needsTable.Force[i] = true
		}
	}
	if !um.Grand.Suppressed && isSmall(total-u.unmetAll) {
		needsTable.Force[2*R] = true
	}
	nm := q.publish(needsTable)
	out.Suppression.add(um)
	out.Suppression.add(nm)
	hideWithheld(out.byDim, rows, nm.Cells, q.Lang)
	for i, k := range rows {
		row := UnmetRow{Key: k, Needs: nm.Cells[i], Unmet: um.Rows[i], Reasons: um.Cells[i*C : (i+1)*C : (i+1)*C]}
		row.UnmetRate = rate(row.Unmet, row.Needs)
		out.Rows = append(out.Rows, row)
	}
	out.Total = UnmetRow{Key: Key{Key: "total"}, Needs: nm.Cols[0], Unmet: um.Grand, Reasons: um.Cols}
	out.Total.UnmetRate = rate(out.Total.Unmet, out.Total.Needs)
}

// isSmall reports whether a count would be suppressed on its own.
func isSmall(n int64) bool { return n >= 1 && n < Threshold }

func (o *UnmetReport) writeCSV(w *csv.Writer) {
	head := append(keyHeader(o.byDim), "needs", "unmet", "unmet_rate")
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
		write(keyRecord(o.byDim, r.Key), r)
	}
	write(totalRecord(o.byDim), o.Total)
}
