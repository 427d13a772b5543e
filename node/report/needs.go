package report

import (
	"encoding/csv"
	"encoding/json"

	"github.com/o211/o211"
)

// NeedsReport is the answer of /api/v1/reports/needs: counts of needs (or
// contacts) by one dimension (Rows, each with its count as Total) or two
// (Rows by Columns, each row with its Cells and Total), with the column
// totals and the grand total.
type NeedsReport struct {
	Meta
	Measure      string     `json:"measure"` // needs or contacts
	By           []string   `json:"by"`
	Level        int        `json:"level,omitempty"` // of taxonomy codes, when grouped by them
	Columns      []Key      `json:"columns,omitempty"`
	Rows         []TableRow `json:"rows"`
	ColumnTotals []Count    `json:"column_totals,omitempty"`
	Total        Count      `json:"total"`

	dims []Dim
}

// TableRow is a row of a count table.
type TableRow struct {
	Key
	Cells []Count `json:"cells,omitempty"`
	Total Count   `json:"total"`
}

// MarshalJSON writes the row in one piece: large tables have hundreds of
// thousands of cells, and encoding/json would check each one's output.
func (r TableRow) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 48+20*len(r.Cells))
	key, err := json.Marshal(r.Key)
	if err != nil {
		return nil, err
	}
	b = append(b, key[:len(key)-1]...)
	if len(r.Cells) > 0 {
		b = appendCounts(append(b, `,"cells":`...), r.Cells)
	}
	b = r.Total.appendJSON(append(b, `,"total":`...))
	return append(b, '}'), nil
}

// appendCounts appends cs as a JSON array.
func appendCounts(b []byte, cs []Count) []byte {
	b = append(b, '[')
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = c.appendJSON(b)
	}
	return append(b, ']')
}

// jsonAppender is an output that writes its own JSON, sparing encoding/json
// the check of every byte of a large table.
type jsonAppender interface {
	appendJSON(b []byte) ([]byte, error)
}

// appendJSON writes the report as encoding/json would, its rows without a
// second pass over their bytes.
func (r *NeedsReport) appendJSON(b []byte) ([]byte, error) {
	head, err := json.Marshal(struct {
		Meta
		Measure string   `json:"measure"`
		By      []string `json:"by"`
		Level   int      `json:"level,omitempty"`
		Columns []Key    `json:"columns,omitempty"`
	}{r.Meta, r.Measure, r.By, r.Level, r.Columns})
	if err != nil {
		return nil, err
	}
	b = append(b, head[:len(head)-1]...)
	if r.Rows == nil {
		b = append(b, `,"rows":null`...)
	} else {
		b = append(b, `,"rows":[`...)
	}
	for i, row := range r.Rows {
		if i > 0 {
			b = append(b, ',')
		}
		rb, err := row.MarshalJSON()
		if err != nil {
			return nil, err
		}
		b = append(b, rb...)
	}
	if r.Rows != nil {
		b = append(b, ']')
	}
	if len(r.ColumnTotals) > 0 {
		b = appendCounts(append(b, `,"column_totals":`...), r.ColumnTotals)
	}
	b = r.Total.appendJSON(append(b, `,"total":`...))
	return append(b, '}', '\n'), nil
}

// NeedsQuery asks for needs (or contacts) by one or two dimensions.
type NeedsQuery struct {
	Query
	// Contacts counts contacts rather than needs; contacts cannot be
	// grouped or filtered by taxonomy, met or reason (a contact may have
	// several needs).
	Contacts bool
	By       []Group // one or two dimensions
}

// Needs counts needs (or contacts) by q.By, with the totals, protected
// unless q.Exact. It returns an EINVALID error naming the parameter at
// fault when q cannot be answered.
func Needs(c *Cube, q NeedsQuery) (*NeedsReport, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	if len(q.By) < 1 || len(q.By) > 2 {
		return nil, o211.FieldErrorf("by", "group by one or two dimensions, not %d", len(q.By))
	}
	out := &NeedsReport{Meta: q.meta("needs"), Measure: "needs"}
	if q.Contacts {
		out.Measure = "contacts"
		if err := checkContacts(&q); err != nil {
			return nil, err
		}
	}
	for _, g := range q.By {
		if g.Dim == DimTaxonomy {
			if err := checkLevel("level", g.Level); err != nil {
				return nil, err
			}
			out.Level = g.Level
		}
		name := g.Dim.String()
		if g.Dim == DimTaxonomy && g.Level == 1 {
			name = "category"
		}
		out.By = append(out.By, name)
		out.dims = append(out.dims, g.Dim)
	}
	res := q.run(c, &query{From: q.From, To: q.To, Contacts: q.Contacts, Filters: q.Filters, By: q.By})
	rows := keys(res.Axes[0], q.Lang)
	if len(q.By) == 1 {
		t := &table{R: len(rows), C: 1, Cells: res.Counts, Keys: res.Keys, ColTotals: true}
		p := q.publish(t)
		out.Suppression.add(p)
		hideWithheld(q.By[0].Dim, rows, p.Cells, q.Lang)
		for i, k := range rows {
			out.Rows = append(out.Rows, TableRow{Key: k, Total: p.Cells[i]})
		}
		out.Total = p.Cols[0]
		return out, nil
	}
	out.Columns = keys(res.Axes[1], q.Lang)
	out.fillTwoWay(&q.Query, res, rows)
	return out, nil
}

// checkContacts refuses what a count of contacts cannot do.
func checkContacts(q *NeedsQuery) error {
	for _, g := range q.By {
		if g.Dim.needOnly() {
			return o211.FieldErrorf("by", "contacts cannot be grouped by %s: a contact may have several needs; use measure=needs", g.Dim)
		}
	}
	for _, f := range []struct {
		p   string
		set bool
	}{{"taxonomy", q.Filters.Taxonomy != nil}, {"met", q.Filters.Met != nil}, {"reason", q.Filters.Reason != nil}} {
		if f.set {
			p := f.p
			return o211.FieldErrorf(p, "contacts cannot be filtered by %s: a contact may have several needs; use measure=needs", p)
		}
	}
	return nil
}

// fillTwoWay fills the rows, column totals and total of a two-way table.
func (out *NeedsReport) fillTwoWay(q *Query, res *result, rows []Key) {
	R, C := len(rows), len(out.Columns)
	t := &table{R: R, C: C, Cells: res.Counts, Keys: res.Keys, RowTotals: true, ColTotals: true, Grand: true}
	p := q.publish(t)
	out.Suppression.add(p)
	hideWithheld(out.dims[0], rows, p.Rows, q.Lang)
	hideWithheld(out.dims[1], out.Columns, p.Cols, q.Lang)
	for i, k := range rows {
		out.Rows = append(out.Rows, TableRow{Key: k, Cells: p.Cells[i*C : (i+1)*C : (i+1)*C], Total: p.Rows[i]})
	}
	out.ColumnTotals = p.Cols
	out.Total = p.Grand
}

func (o *NeedsReport) writeCSV(w *csv.Writer) {
	d0 := o.dims[0]
	if len(o.dims) == 1 {
		writeAll(w, append(keyHeader(d0), o.Measure))
		for _, r := range o.Rows {
			writeAll(w, append(keyRecord(d0, r.Key), r.Total.String()))
		}
		writeAll(w, append(totalRecord(d0), o.Total.String()))
		return
	}
	head := keyHeader(d0)
	for _, c := range o.Columns {
		if c.Key == "" {
			head = append(head, c.Label)
			continue
		}
		head = append(head, c.Key)
	}
	writeAll(w, append(head, "total"))
	for _, r := range o.Rows {
		rec := keyRecord(d0, r.Key)
		for _, c := range r.Cells {
			rec = append(rec, c.String())
		}
		writeAll(w, append(rec, r.Total.String()))
	}
	rec := totalRecord(d0)
	for _, c := range o.ColumnTotals {
		rec = append(rec, c.String())
	}
	writeAll(w, append(rec, o.Total.String()))
}
