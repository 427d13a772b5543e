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
	// Exact publishes exact counts, nothing suppressed: only for callers
	// who may see the records themselves (a node's own managers).
	Exact bool
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

// mask returns the suppression of t, or none for an exact query.
func (q *Query) mask(t *table) *mask {
	if q.Exact {
		return noSuppression(t)
	}
	return suppress(t, Threshold)
}

// meta returns the Meta a report of q starts with.
func (q *Query) meta(name string) Meta {
	return Meta{Report: name, From: DayString(q.From), To: DayString(q.To),
		Suppression: Suppression{Applied: !q.Exact, Threshold: Threshold}}
}
