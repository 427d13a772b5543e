package report

import (
	"time"

	"github.com/o211/o211"
)

// Cell is one combination of the report dimensions. Code is the need's
// service term (the first term of o211.SplitTaxonomyCode), or "" for the
// cell that counts the contact itself (one per report).
type Cell struct {
	Day       int32 // days since 1970-01-01 (UTC date arithmetic on the report's Day)
	Region    string
	FSA       string
	Code      string
	Met       bool
	Reason    o211.UnmetReason
	Channel   o211.Channel
	AgeBand   o211.AgeBand
	Language  string
	Emergency string
}

// DayNumber returns the number of days from 1970-01-01 to day, a date of
// the form YYYY-MM-DD ("1970-01-02" is 1). It returns an EINVALID error
// when day is not such a date.
func DayNumber(day string) (int32, error) {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return 0, o211.Errorf(o211.EINVALID, "%q is not a day of the form YYYY-MM-DD", day)
	}
	return int32(t.Unix() / 86400), nil
}

// DayString returns day number n as YYYY-MM-DD; it is the inverse of
// DayNumber.
func DayString(n int32) string {
	return time.Unix(int64(n)*86400, 0).UTC().Format(time.DateOnly)
}

// dayOf returns the day number of t's date in loc.
func dayOf(t time.Time, loc *time.Location) int32 {
	y, m, d := t.In(loc).Date()
	return daysFromCivil(y, int(m), d)
}

// daysFromCivil returns the day number of a proleptic Gregorian date
// (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int32 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int32(era*146097 + doe - 719468)
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(n int32) (y, m, d int) {
	z := int(n) + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// monthIndex returns the month of day n counted from January 1970 (0).
func monthIndex(n int32) int32 {
	y, m, _ := civilFromDays(n)
	return int32((y-1970)*12 + m - 1)
}

// monthStart returns the day number of the first day of month index mi.
func monthStart(mi int32) int32 {
	y := 1970 + int(floorDiv(mi, 12))
	m := int(mi-floorDiv(mi, 12)*12) + 1
	return daysFromCivil(y, m, 1)
}

// weekStart returns the day number of the Monday on or before day n
// (1970-01-01 was a Thursday).
func weekStart(n int32) int32 { return n - weekday(n) }

// weekday returns 0 for Monday through 6 for Sunday.
func weekday(n int32) int32 { return int32(floorMod(int64(n)+3, 7)) }

func floorDiv(a, b int32) int32 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// Cells returns the cells one report adds to a cube: first the contact cell
// (Code ""), then one cell per need, under the need's service term. A
// combined code "BH-8600.6500*YS-5000.5000" counts under "BH-8600.6500":
// the target-population terms qualify the need but are not needs of their
// own. It returns an EINVALID error when the report's day does not parse or
// a need has no code.
func Cells(r *o211.Report) ([]Cell, error) {
	day, err := DayNumber(r.Day)
	if err != nil {
		return nil, o211.Errorf(o211.EINVALID, "report %s: day %q is not a date of the form YYYY-MM-DD", r.ID, r.Day)
	}
	base := Cell{Day: day, Region: r.Region, FSA: r.FSA, Channel: r.Channel, AgeBand: r.AgeBand,
		Language: r.Language, Emergency: r.Emergency}
	out := make([]Cell, 1, 1+len(r.Needs))
	out[0] = base
	for i, n := range r.Needs {
		terms := o211.SplitTaxonomyCode(n.Code)
		if len(terms) == 0 {
			return nil, o211.Errorf(o211.EINVALID, "report %s: need %d has no taxonomy code", r.ID, i)
		}
		c := base
		c.Code, c.Met, c.Reason = terms[0], n.Met, n.Reason
		out = append(out, c)
	}
	return out, nil
}
