package report

import (
	"github.com/o211/o211"
)

// Dim is a dimension a report can group by.
type Dim int

// The dimensions, in the order the API lists them.
const (
	DimDay Dim = iota
	DimWeek
	DimMonth
	DimWeekday
	DimRegion
	DimFSA
	DimTaxonomy
	DimMet
	DimReason
	DimChannel
	DimAgeBand
	DimLanguage
	DimEmergency
)

var dimNames = [...]string{"day", "week", "month", "weekday", "region", "fsa", "taxonomy", "met", "reason",
	"channel", "age_band", "language", "emergency"}

// String returns the dimension's name in the API ("age_band").
func (d Dim) String() string { return dimNames[d] }

// needOnly reports whether d exists only for needs, not for contacts.
func (d Dim) needOnly() bool { return d == DimTaxonomy || d == DimMet || d == DimReason }

// timeDim reports whether d groups days into periods.
func (d Dim) timeDim() bool { return d <= DimWeekday }

// Group is a dimension to group by; Level applies to DimTaxonomy (1 is
// the category letter).
type Group struct {
	Dim   Dim
	Level int
}

// Filters restricts a query. A nil slice lets every value through; values
// of one dimension are alternatives, dimensions are combined. "" stands
// for an unknown FSA, age band or language and for no emergency.
type Filters struct {
	Region, FSA, Taxonomy, Reason, Channel, AgeBand, Language, Emergency []string
	Met                                                                  *bool
}

// Query is what every report is asked: the period, the filters, the
// language of names and whether counts are protected.
type Query struct {
	From, To int32 // day numbers (DayNumber), inclusive
	Filters  Filters
	Lang     string // "fr" for French names, else English
	// Protection is how counts are protected (default Perturbed).
	Protection Protection
}

// MaxPeriod is the longest period a report covers, in days.
const MaxPeriod = 3660

// MaxLevel is the deepest taxonomy level a report groups by.
const MaxLevel = 6

// check returns an EINVALID error when the period is empty or too long.
func (q *Query) check() error {
	if q.From > q.To {
		return o211.FieldErrorf("from", "the period starts (%s) after it ends (%s)", DayString(q.From), DayString(q.To))
	}
	if q.To-q.From >= MaxPeriod {
		return o211.FieldErrorf("from", "the period is longer than %d days; ask for ten years or less", MaxPeriod)
	}
	return nil
}

// checkLevel returns an EINVALID error naming param when level is not
// from 1 to MaxLevel.
func checkLevel(param string, level int) error {
	if level < 1 || level > MaxLevel {
		return o211.FieldErrorf(param, "the taxonomy level %d is not from 1 to %d", level, MaxLevel)
	}
	return nil
}

// run scans c for qq, with key sums when q perturbs.
func (q *Query) run(c *Cube, qq *query) *result {
	qq.Keys = q.Protection == Perturbed
	return c.run(qq)
}

// value returns the value of a count that figures derived from it use:
// its perturbed value when q perturbs, else the count itself.
func (q *Query) value(s sum) int64 {
	if q.Protection == Perturbed {
		return perturb(s)
	}
	return s.n
}

// meta returns the Meta a report of q starts with.
func (q *Query) meta(name string) Meta {
	m := Meta{Report: name, From: DayString(q.From), To: DayString(q.To),
		Suppression: Suppression{Applied: q.Protection != Exact, Threshold: Threshold, Method: q.Protection.String()}}
	if q.Protection == Perturbed {
		m.Suppression.MaxNoise = MaxNoise
	}
	return m
}
