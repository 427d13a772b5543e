package report

import (
	"encoding/csv"
	"math"
	"sort"
	"strconv"

	"github.com/o211/o211"
)

// EmergingReport is the answer of /api/v1/reports/emerging: for each
// taxonomy code at a level, its needs this week against the baseline
// weeks before, tested for a rise beyond the change in all needs.
//
// The test is the exact conditional binomial test of two Poisson rates:
// given n = x + y needs of a code (x this week, y in the baseline), and
// exposures Nw and Nb (all needs, with the same filters, in each period),
// under the hypothesis that the code's share of needs did not change, x
// is Binomial(n, Nw/(Nw+Nb)). The p-value is P(X >= x), one-sided since
// the report looks for rises. A rise of all needs raises Nw too and flags
// nothing. The p-values of all codes tested (those with any need in either
// period) are adjusted by Benjamini-Hochberg; a code is flagged when its
// q-value is below alpha, its count this week is at least min_count and
// above its expected count. Rows are sorted by p-value, then count.
type EmergingReport struct {
	Meta
	Level         int           `json:"level"`
	Week          Period        `json:"week"`
	Baseline      Period        `json:"baseline"`
	BaselineWeeks int           `json:"baseline_weeks"`
	WeekNeeds     Count         `json:"week_needs"`     // Nw: all needs this week
	BaselineNeeds Count         `json:"baseline_needs"` // Nb: all needs in the baseline
	Alpha         float64       `json:"alpha"`
	MinCount      int           `json:"min_count"`
	Tested        int           `json:"tested"`
	Flagged       int           `json:"flagged"`
	Method        string        `json:"method"`
	Rows          []EmergingRow `json:"rows"`
}

// Period is a span of days, inclusive.
type Period struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// EmergingRow is one code of the emerging report. Expected, RateRatio,
// PValue and QValue are null when a count they derive from is suppressed
// (they would give it back), RateRatio also when the baseline is zero.
type EmergingRow struct {
	Key
	Count     Count    `json:"count"`
	Baseline  Count    `json:"baseline"`
	Expected  *float64 `json:"expected"`
	RateRatio *float64 `json:"rate_ratio"`
	PValue    *float64 `json:"p_value"`
	QValue    *float64 `json:"q_value"`
	Flagged   bool     `json:"flagged"`
}

const emergingMethod = "exact conditional binomial test of this week's count against the baseline's, " +
	"exposure = all needs in each period; one-sided (rise); Benjamini-Hochberg q-values"

// EmergingQuery asks which needs rose in a week against the weeks before
// it. Query.From and Query.To are ignored: the report covers the baseline
// weeks and the week.
type EmergingQuery struct {
	Query
	Week          int32   // day number of the week's first day
	BaselineWeeks int     // from 1 to 104
	Level         int     // taxonomy level, from 1 to MaxLevel
	MinCount      int     // the fewest needs in the week that flag a code
	Alpha         float64 // flag below this q-value (0 < alpha <= 0.5)
	Limit         int     // at most this many rows; 0: all
}

// Emerging tests each code at q.Level for a rise in q.Week against the
// baseline weeks (see EmergingReport), protected unless q.Exact. It
// returns an EINVALID error naming the parameter at fault when q cannot be
// answered.
func Emerging(c *Cube, q EmergingQuery) (*EmergingReport, error) {
	if err := checkLevel("level", q.Level); err != nil {
		return nil, err
	}
	if q.BaselineWeeks < 1 || q.BaselineWeeks > 104 {
		return nil, o211.FieldErrorf("baseline", "%d is not a whole number of weeks from 1 to 104", q.BaselineWeeks)
	}
	if !(q.Alpha > 0 && q.Alpha <= 0.5) {
		return nil, o211.FieldErrorf("alpha", "%g is not a level from 0 to 0.5", q.Alpha)
	}
	start := q.Week
	end, bFrom := start+6, start-7*int32(q.BaselineWeeks)
	q.From, q.To = bFrom, end
	g := []Group{{Dim: DimTaxonomy, Level: q.Level}}
	wk := q.run(c, &query{From: start, To: end, Filters: q.Filters, By: g})
	base := q.run(c, &query{From: bFrom, To: start - 1, Filters: q.Filters, By: g})
	codes, t := emergingTable(wk, base)
	pub := q.publish(t)
	// The test runs on the counts as published (perturbed, when they
	// are), so that its figures give back no more than the counts do.
	fig := &table{R: t.R, C: 2, Cells: make([]int64, len(t.Cells))}
	for i, v := range t.Cells {
		e := sum{n: v}
		if t.Keys != nil {
			e.k = t.Keys[i]
		}
		fig.Cells[i] = q.value(e)
	}
	_, cols, _ := margins(t)
	nw, nb := q.value(cols[0]), q.value(cols[1])
	out := &EmergingReport{Meta: q.meta("emerging"), Level: q.Level, BaselineWeeks: q.BaselineWeeks, Alpha: q.Alpha,
		MinCount: q.MinCount, Method: emergingMethod,
		Week:      Period{DayString(start), DayString(end)},
		Baseline:  Period{DayString(bFrom), DayString(start - 1)},
		WeekNeeds: pub.Cols[0], BaselineNeeds: pub.Cols[1]}
	out.Suppression.add(pub)
	R := len(codes)
	p := make([]float64, R)
	for i := range codes {
		x, y := fig.Cells[2*i], fig.Cells[2*i+1]
		p[i] = 1
		if nw > 0 && nb > 0 {
			p[i] = binomialUpper(x, x+y, float64(nw)/float64(nw+nb))
		}
	}
	qv := benjaminiHochberg(p)
	out.Tested = R
	rows := make([]EmergingRow, R)
	for i, code := range codes {
		rows[i] = out.row(fig.Cells[2*i], fig.Cells[2*i+1], nw, nb, p[i], qv[i], pub.Cells[2*i], pub.Cells[2*i+1])
		rows[i].Key = Key{Key: code, Label: label(DimTaxonomy, code, q.Lang)}
		if rows[i].Flagged {
			out.Flagged++
		}
	}
	out.Rows = sortEmerging(rows, p, fig)
	if q.Limit > 0 && len(out.Rows) > q.Limit {
		out.Rows = out.Rows[:q.Limit]
	}
	return out, nil
}

// emergingTable returns the codes counted in either period, sorted, and
// the table of their counts: this week, then the baseline.
func emergingTable(wk, base *result) ([]string, *table) {
	idx := map[string]int{}
	var codes []string
	for _, r := range []*result{wk, base} {
		for _, k := range r.Axes[0].Keys {
			if _, ok := idx[k]; !ok {
				idx[k] = len(codes)
				codes = append(codes, k)
			}
		}
	}
	sort.Strings(codes)
	for i, k := range codes {
		idx[k] = i
	}
	R := len(codes)
	t := &table{R: R, C: 2, Cells: make([]int64, 2*R), ColTotals: true}
	if wk.Keys != nil {
		t.Keys = make([]uint64, 2*R)
	}
	for c, r := range []*result{wk, base} {
		for i, k := range r.Axes[0].Keys {
			t.Cells[2*idx[k]+c] = r.Counts[i]
			if t.Keys != nil {
				t.Keys[2*idx[k]+c] = r.Keys[i]
			}
		}
	}
	return codes, t
}

// row returns the row of a code counted x times this week and y in the
// baseline; figures that would give back a suppressed count stay null.
func (out *EmergingReport) row(x, y, nw, nb int64, p, q float64, pubX, pubY Count) EmergingRow {
	row := EmergingRow{Count: pubX, Baseline: pubY}
	expected := 0.0
	if nb > 0 {
		expected = float64(y) * float64(nw) / float64(nb)
	}
	row.Flagged = q < out.Alpha && x >= int64(out.MinCount) && float64(x) > expected && nw > 0 && nb > 0
	if !row.Count.Suppressed && !row.Baseline.Suppressed && !out.WeekNeeds.Suppressed && !out.BaselineNeeds.Suppressed {
		row.Expected = round4(expected)
		if y > 0 && nw > 0 {
			row.RateRatio = round4((float64(x) / float64(nw)) / (float64(y) / float64(nb)))
		}
		row.PValue, row.QValue = sig(p), sig(q)
	}
	return row
}

// sortEmerging orders rows flagged first, then by p-value, then by count.
func sortEmerging(rows []EmergingRow, p []float64, t *table) []EmergingRow {
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		i, j := order[a], order[b]
		if rows[i].Flagged != rows[j].Flagged {
			return rows[i].Flagged
		}
		if p[i] != p[j] {
			return p[i] < p[j]
		}
		return t.Cells[2*i] > t.Cells[2*j]
	})
	var out []EmergingRow
	for _, i := range order {
		out = append(out, rows[i])
	}
	return out
}

func round4(x float64) *float64 {
	r := math.Round(x*1e4) / 1e4
	return &r
}

// sig keeps four significant digits of a probability.
func sig(x float64) *float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 4, 64), 64)
	return &r
}

func formatFloat(x *float64) string {
	if x == nil {
		return ""
	}
	return strconv.FormatFloat(*x, 'g', -1, 64)
}

func (o *EmergingReport) writeCSV(w *csv.Writer) {
	writeAll(w, []string{"taxonomy", "taxonomy_name", "count", "baseline", "expected", "rate_ratio", "p_value", "q_value", "flagged"})
	for _, r := range o.Rows {
		writeAll(w, []string{r.Key.Key, r.Label, r.Count.String(), r.Baseline.String(), formatFloat(r.Expected),
			formatFloat(r.RateRatio), formatFloat(r.PValue), formatFloat(r.QValue), strconv.FormatBool(r.Flagged)})
	}
	writeAll(w, []string{"total", "", o.WeekNeeds.String(), o.BaselineNeeds.String(), "", "", "", "", ""})
}
