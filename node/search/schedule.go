package search

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/o211/o211"
)

// Opening hours. HSDS schedules are iCalendar-like recurrence rules with
// opening and closing times, read in wall-clock time of America/Toronto
// (o211.Toronto), whatever the instant's own zone:
//
//   - freq WEEKLY (or none) with byday "MO,TU": open on those days; WEEKLY
//     without byday uses the weekday of dtstart, or every day without it;
//     DAILY: every day; interval > 1 counts weeks (or days) from dtstart.
//   - freq MONTHLY with byday "2SA" (second Saturday), "-1FR" (last Friday),
//     "SA" (every Saturday) and/or bymonthday "1,15,-1" (-1: last day).
//   - opens_at and closes_at as "HH:MM" (seconds and a zone suffix are
//     ignored); "24:00" and "23:59" close at midnight; closes_at at or before
//     opens_at means the day's hours run past midnight into the next day,
//     and equal times mean round the clock. A rule without both times adds
//     no hours: the service is closed that day unless another rule opens it.
//   - valid_from, valid_to, dtstart and until bound the dates a rule holds
//     (inclusive, by the date its hours start); count is not honoured.
//
// A record with no rule at all has unknown hours, which is not "open".
// Rules that are plain weekly on quarter-hour boundaries are also compiled
// into a 672-bit week bitmap, so the usual check is a single bit test.

const (
	freqWeekly uint8 = iota + 1
	freqDaily
	freqMonthly

	slotMinutes  = 15
	slotsPerDay  = 24 * 60 / slotMinutes
	slotsPerWeek = 7 * slotsPerDay
	minDay       = math.MinInt32
	maxDay       = math.MaxInt32
)

// rule is one compiled schedule row.
type rule struct {
	freq      uint8
	days      uint8  // weekdays, bit 0 = Sunday (every such weekday)
	nth       []int8 // monthly ordinal weekdays: n*8 + weekday, n in -5..5
	monthDays []int8 // monthly days of month; negative from the end
	open      int16  // minutes after midnight
	close     int16  // minutes after midnight, 1..1440; <= open: next day
	from, to  int32  // civil days (since 1970-01-01), inclusive
	interval  uint8  // 1 for every week (or day)
	anchor    int32  // civil day of dtstart, for interval > 1
}

// hours are the compiled opening hours of one doc.
type hours struct {
	rules  []rule
	weekly *[(slotsPerWeek + 63) / 64]uint64 // set when every rule fits the bitmap
}

// compileHours compiles HSDS schedules; it returns nil when no schedule
// gives any opening hours (unknown hours).
func compileHours(scheds []o211.Schedule) *hours {
	var rules []rule
	for i := range scheds {
		if r, ok := compileRule(&scheds[i]); ok {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		return nil
	}
	return newHours(rules)
}

func newHours(rules []rule) *hours {
	h := &hours{rules: rules}
	for _, r := range rules {
		if !r.fitsBitmap() {
			return h
		}
	}
	h.weekly = new([(slotsPerWeek + 63) / 64]uint64)
	for _, r := range rules {
		for wd := 0; wd < 7; wd++ {
			if r.days&(1<<wd) == 0 {
				continue
			}
			base := wd * slotsPerDay
			first, end := int(r.open)/slotMinutes, int(r.close)/slotMinutes
			if r.close <= r.open {
				h.setSlots(base+first, base+slotsPerDay)
				next := ((wd + 1) % 7) * slotsPerDay
				h.setSlots(next, next+end)
				continue
			}
			h.setSlots(base+first, base+end)
		}
	}
	return h
}

func (h *hours) setSlots(from, to int) {
	for s := from; s < to; s++ {
		h.weekly[s/64] |= 1 << (s % 64)
	}
}

func (r *rule) fitsBitmap() bool {
	return (r.freq == freqWeekly || r.freq == freqDaily) && r.interval <= 1 &&
		r.from == minDay && r.to == maxDay &&
		r.open%slotMinutes == 0 && r.close%slotMinutes == 0
}

// compileRule compiles one schedule row, and false when it gives no hours.
func compileRule(s *o211.Schedule) (rule, bool) {
	open, ok1 := parseClock(s.OpensAt)
	close, ok2 := parseClock(s.ClosesAt)
	if !ok1 || !ok2 {
		return rule{}, false
	}
	if close == 1439 {
		close = 1440
	}
	if open == 1440 {
		open = 0
	}
	if close == open || (open == 0 && close == 0) {
		open, close = 0, 1440 // round the clock
	}
	r := rule{open: int16(open), close: int16(close), from: minDay, to: maxDay, interval: 1}
	anchor, hasAnchor := parseDay(s.DTStart)
	r.anchor = anchor
	if s.Interval != nil && *s.Interval > 1 && *s.Interval < 256 && hasAnchor {
		r.interval = uint8(*s.Interval)
	}
	for _, d := range []struct {
		s    string
		from bool
	}{{s.ValidFrom, true}, {s.DTStart, true}, {s.ValidTo, false}, {s.Until, false}} {
		if day, ok := parseDay(d.s); ok && d.from && day > r.from {
			r.from = day
		} else if ok && !d.from && day < r.to {
			r.to = day
		}
	}
	switch strings.ToUpper(strings.TrimSpace(s.Freq)) {
	case "", "WEEKLY":
		r.freq = freqWeekly
		r.days = parseByDay(s.ByDay, nil)
		if r.days == 0 && strings.TrimSpace(s.ByDay) == "" {
			r.days = 0x7f
			if hasAnchor {
				r.days = 1 << weekdayOfDay(anchor)
			}
		}
	case "DAILY":
		r.freq, r.days = freqDaily, 0x7f
	case "MONTHLY":
		r.freq = freqMonthly
		r.days = parseByDay(s.ByDay, &r.nth)
		r.monthDays = parseMonthDays(s.ByMonthDay)
		if r.days == 0 && len(r.nth) == 0 && len(r.monthDays) == 0 && hasAnchor {
			r.monthDays = []int8{int8(dayOfMonth(anchor))}
		}
	default:
		return rule{}, false
	}
	if r.days == 0 && len(r.nth) == 0 && len(r.monthDays) == 0 {
		return rule{}, false
	}
	return r, true
}

// parseClock parses "HH:MM", "H:MM" or "HH:MM:SS" with an optional zone
// suffix, as minutes after midnight (0..1440).
func parseClock(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "Z+-"); i > 0 {
		s = s[:i]
	}
	hh, rest, ok := strings.Cut(s, ":")
	if !ok {
		return 0, false
	}
	mm, _, _ := strings.Cut(rest, ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// parseDay parses a date "2006-01-02" (or the date part of a date-time) as
// a civil day number.
func parseDay(s string) (int32, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 10 {
		return 0, false
	}
	t, err := time.Parse("2006-01-02", s[:10])
	if err != nil {
		return 0, false
	}
	return int32(t.Unix() / 86400), true
}

var weekdayCodes = map[string]int{"SU": 0, "MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6}

// parseByDay parses "MO,TU,2SA,-1FR": plain weekdays go to the returned
// mask; with nth non-nil, ordinal ones go there (n*8+weekday), otherwise
// their ordinal is ignored.
func parseByDay(s string, nth *[]int8) uint8 {
	var mask uint8
	for _, p := range strings.Split(strings.ToUpper(s), ",") {
		p = strings.TrimSpace(p)
		if len(p) < 2 {
			continue
		}
		wd, ok := weekdayCodes[p[len(p)-2:]]
		if !ok {
			continue
		}
		if len(p) == 2 || nth == nil {
			mask |= 1 << wd
			continue
		}
		if n, err := strconv.Atoi(p[:len(p)-2]); err == nil && n != 0 && n >= -5 && n <= 5 {
			*nth = append(*nth, int8(n*8+wd))
		}
	}
	return mask
}

func parseMonthDays(s string) []int8 {
	var out []int8
	if strings.TrimSpace(s) == "" {
		return nil
	}
	for _, p := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(p)); err == nil && n != 0 && n >= -31 && n <= 31 {
			out = append(out, int8(n))
		}
	}
	return out
}

// clock is an instant as Toronto wall-clock time.
type clock struct {
	day     int32 // civil day number
	weekday int   // 0 = Sunday
	minute  int   // minutes after midnight
	slot    int   // quarter-hour of the week
}

func clockAt(t time.Time, loc *time.Location) clock {
	lt := t.In(loc)
	y, m, d := lt.Date()
	c := clock{
		day:     int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400),
		weekday: int(lt.Weekday()),
		minute:  lt.Hour()*60 + lt.Minute(),
	}
	c.slot = c.weekday*slotsPerDay + c.minute/slotMinutes
	return c
}

var _ o211.Opening = (*hours)(nil)

// unknownHours stands for a doc without opening hours in its results.
var unknownHours = new(hours)

// On returns the openings that start on the day of t in Toronto; see
// o211.Opening. Hours without rules (unknownHours, or nil) are unknown.
func (h *hours) On(t time.Time) ([]o211.OpenSpan, bool) {
	if h == nil || len(h.rules) == 0 {
		return nil, false
	}
	c := clockAt(t, o211.Toronto())
	var out []o211.OpenSpan
	for i := range h.rules {
		r := &h.rules[i]
		if !r.holdsOn(c.day) {
			continue
		}
		sp := o211.OpenSpan{Open: int(r.open), Close: int(r.close)}
		if sp.Close <= sp.Open {
			sp.Close = 24 * 60
		}
		out = append(out, sp)
	}
	slices.SortFunc(out, func(a, b o211.OpenSpan) int { return a.Open - b.Open })
	merged := out[:0]
	for _, sp := range out {
		if n := len(merged); n > 0 && sp.Open <= merged[n-1].Close {
			merged[n-1].Close = max(merged[n-1].Close, sp.Close)
			continue
		}
		merged = append(merged, sp)
	}
	return merged, true
}

// openAt reports whether the hours are open at the wall-clock time c.
func (h *hours) openAt(c clock) bool {
	if h == nil {
		return false
	}
	if h.weekly != nil {
		return h.weekly[c.slot/64]&(1<<(c.slot%64)) != 0
	}
	for i := range h.rules {
		r := &h.rules[i]
		if r.close > r.open {
			if c.minute >= int(r.open) && c.minute < int(r.close) && r.holdsOn(c.day) {
				return true
			}
			continue
		}
		// Past midnight: open from r.open today, or until r.close from yesterday.
		if (c.minute >= int(r.open) && r.holdsOn(c.day)) || (c.minute < int(r.close) && r.holdsOn(c.day-1)) {
			return true
		}
	}
	return false
}

// holdsOn reports whether the rule's hours start on the civil day.
func (r *rule) holdsOn(day int32) bool {
	if day < r.from || day > r.to {
		return false
	}
	wd := weekdayOfDay(day)
	switch r.freq {
	case freqWeekly, freqDaily:
		if r.days&(1<<wd) == 0 {
			return false
		}
		if r.interval > 1 {
			period := int32(r.interval)
			if r.freq == freqWeekly {
				return floorDiv(weekStart(day)-weekStart(r.anchor), 7)%period == 0
			}
			return floorDiv(day-r.anchor, period)*period == day-r.anchor
		}
		return true
	case freqMonthly:
		return r.holdsMonthly(day, wd)
	}
	return false
}

func (r *rule) holdsMonthly(day int32, wd int) bool {
	t := time.Unix(int64(day)*86400, 0).UTC()
	dom := t.Day()
	last := time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if len(r.monthDays) > 0 {
		ok := false
		for _, md := range r.monthDays {
			if int(md) == dom || (md < 0 && last+int(md)+1 == dom) {
				ok = true
			}
		}
		if !ok {
			return false
		}
		if r.days == 0 && len(r.nth) == 0 {
			return true
		}
	}
	if r.days&(1<<wd) != 0 {
		return true
	}
	for _, e := range r.nth {
		ewd := (int(e)%8 + 8) % 8
		n := (int(e) - ewd) / 8
		if ewd != wd {
			continue
		}
		if (n > 0 && (dom-1)/7+1 == n) || (n < 0 && (last-dom)/7+1 == -n) {
			return true
		}
	}
	return false
}

func weekdayOfDay(day int32) int { return int((int64(day)%7 + 7 + 4) % 7) } // 1970-01-01 was a Thursday

// weekStart is the civil day of the Monday starting day's week.
func weekStart(day int32) int32 { return day - int32((weekdayOfDay(day)+6)%7) }

func floorDiv(a, b int32) int32 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func dayOfMonth(day int32) int { return time.Unix(int64(day)*86400, 0).UTC().Day() }

// encodeRules appends a canonical binary form of rules, used to intern
// equal hours and to write snapshots.
func encodeRules(b []byte, rules []rule) []byte {
	b = binary.AppendUvarint(b, uint64(len(rules)))
	for _, r := range rules {
		b = append(b, r.freq, r.days, r.interval)
		b = binary.AppendVarint(b, int64(r.open))
		b = binary.AppendVarint(b, int64(r.close))
		b = binary.AppendVarint(b, int64(r.from))
		b = binary.AppendVarint(b, int64(r.to))
		b = binary.AppendVarint(b, int64(r.anchor))
		b = binary.AppendUvarint(b, uint64(len(r.nth)))
		for _, n := range r.nth {
			b = append(b, byte(n))
		}
		b = binary.AppendUvarint(b, uint64(len(r.monthDays)))
		for _, n := range r.monthDays {
			b = append(b, byte(n))
		}
	}
	return b
}
