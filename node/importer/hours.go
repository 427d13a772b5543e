package importer

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/o211/o211"
)

// Hours turns free-text opening hours, as 211 Ontario writes them ("Mon-Fri
// 9 am-5 pm * Sat 10 am-2 pm", "second Saturday of each month, 8 am-9:30
// am", "Mon-Sun 24 hours"), into HSDS schedules: WEEKLY rules with byday
// "MO,TU,...", or MONTHLY rules with byday "2SA", and opens_at/closes_at as
// "HH:MM" wall-clock times. Every schedule keeps the whole text, as plain
// text, in its description. When nothing can be read for sure, the result
// is one schedule with only the description; for empty text, none.
//
// Only what is unambiguous is taken: a day (or days, or an ordinal weekday
// of the month) followed by time ranges with am/pm. A part of the text
// that names months or seasons ("Sep-Jun", "summer"), or says "except", is
// skipped, since HSDS schedules cannot say it. A "Dates:" line with a whole
// date range ("Nov 6, 2018 to Mar 30, 2019") bounds every rule with
// valid_from and valid_to; one that cannot be read that way leaves the text
// alone. A single time ("Sun 11 am") is not an opening period and is
// skipped; so is a day marked closed.
func Hours(text string) []o211.Schedule {
	plain := PlainText(strings.ReplaceAll(text, "''", "'"))
	if plain == "" {
		return nil
	}
	rules, ok := readHours(plain)
	if !ok || len(rules) == 0 {
		return []o211.Schedule{{Description: plain}}
	}
	out := make([]o211.Schedule, len(rules))
	for i, r := range rules {
		out[i] = r.schedule(plain)
	}
	return out
}

// rule is one opening period read from the text.
type rule struct {
	days     [7]bool // Monday first
	nth      []int   // ordinals of a monthly rule (1..5, -1 last); nil for weekly
	nthDay   int     // weekday of a monthly rule
	open     int     // minutes after midnight
	close    int
	from, to string // valid_from, valid_to
}

var dayCodes = [7]string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}

func (r rule) schedule(desc string) o211.Schedule {
	s := o211.Schedule{Description: desc, OpensAt: clock(r.open), ClosesAt: clock(r.close), ValidFrom: r.from, ValidTo: r.to}
	if r.nth != nil {
		s.Freq = "MONTHLY"
		parts := make([]string, len(r.nth))
		for i, n := range r.nth {
			parts[i] = strconv.Itoa(n) + dayCodes[r.nthDay]
		}
		s.ByDay = strings.Join(parts, ",")
		return s
	}
	s.Freq = "WEEKLY"
	var days []string
	for i, on := range r.days {
		if on {
			days = append(days, dayCodes[i])
		}
	}
	s.ByDay = strings.Join(days, ",")
	return s
}

func clock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

var (
	segmentSplit = regexp.MustCompile(`\s+\*\s+|\n\s*\*\s*|^\s*\*\s*`)
	datesLine    = regexp.MustCompile(`(?i)^\s*dates\s*:\s*`)
	monthWord    = regexp.MustCompile(`(?i)\b(jan|january|feb|february|mar|march|apr|april|jun|june|jul|july|aug|august|sep|sept|september|oct|october|nov|november|dec|december|summer|winter|spring|fall|autumn)\b|\bmay\b\s*\d|\d\s*may\b|-\s*may\b|\bmay\s*-`)
	unsureWord   = regexp.MustCompile(`(?i)\b(except|excluding|excl|mid)\b`)
)

// readHours reads the rules of a whole text; false when a "Dates:" line
// restricts the text in a way that cannot be read.
func readHours(plain string) ([]rule, bool) {
	var segments []string
	for _, line := range strings.Split(plain, "\n") {
		for _, seg := range segmentSplit.Split(line, -1) {
			if seg = strings.TrimSpace(seg); seg != "" {
				segments = append(segments, seg)
			}
		}
	}
	var from, to string
	for _, seg := range segments {
		if loc := datesLine.FindStringIndex(seg); loc != nil {
			rest := seg[loc[1]:]
			if f, t, n := dateRange(rest); n > 0 && strings.TrimSpace(strings.Trim(rest[n:], " .,;")) == "" {
				from, to = f, t
			} else if monthWord.MatchString(rest) {
				return nil, false // dates we cannot read bound the whole text
			}
		}
	}
	var rules []rule
	for _, seg := range segments {
		if datesLine.MatchString(seg) {
			continue
		}
		segFrom, segTo := from, to
		if f, t, i, n := findDateRange(seg); n > 0 {
			segFrom, segTo = f, t
			seg = seg[:i] + " " + seg[i+n:]
		}
		if monthWord.MatchString(seg) || unsureWord.MatchString(seg) {
			continue
		}
		for _, r := range readSegment(seg) {
			r.from, r.to = segFrom, segTo
			rules = addRule(rules, r)
		}
	}
	return rules, true
}

// addRule appends r, merging it into an earlier weekly rule with the same
// times and dates, and dropping exact repeats.
func addRule(rules []rule, r rule) []rule {
	for i := range rules {
		p := &rules[i]
		if p.open != r.open || p.close != r.close || p.from != r.from || p.to != r.to {
			continue
		}
		if p.nth == nil && r.nth == nil {
			for d, on := range r.days {
				p.days[d] = p.days[d] || on
			}
			return rules
		}
		if p.nth != nil && r.nth != nil && p.nthDay == r.nthDay && fmt.Sprint(p.nth) == fmt.Sprint(r.nth) {
			return rules
		}
	}
	return append(rules, r)
}

var (
	dateRE     = `(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})`
	rangeRE    = regexp.MustCompile(`(?i)` + dateRE + `\s*(?:to|until|through|-|–|—)\s*` + dateRE)
	shortRange = regexp.MustCompile(`(?i)(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\s*(?:to|until|through|-|–|—)\s*(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})`)
)

// dateRange reads a date range at the start of s ("Nov 6, 2018 to Mar 30,
// 2019", "Oct 1-Dec 21, 2018") and returns it as YYYY-MM-DD and the length
// read; n is 0 when s does not start with one that is valid.
func dateRange(s string) (from, to string, n int) {
	lead := len(s) - len(strings.TrimLeft(s, " "))
	from, to, i, n := findDateRange(s)
	if n == 0 || i != lead {
		return "", "", 0
	}
	return from, to, i + n
}

// findDateRange finds a valid date range anywhere in s: its dates, where it
// starts and its length (0 for none).
func findDateRange(s string) (from, to string, i, n int) {
	if m := rangeRE.FindStringSubmatchIndex(s); m != nil {
		from = civilDate(s[m[2]:m[3]], s[m[4]:m[5]], s[m[6]:m[7]])
		to = civilDate(s[m[8]:m[9]], s[m[10]:m[11]], s[m[12]:m[13]])
		if from != "" && to != "" && from <= to {
			return from, to, m[0], m[1] - m[0]
		}
		return "", "", 0, 0
	}
	if m := shortRange.FindStringSubmatchIndex(s); m != nil {
		year := s[m[10]:m[11]]
		from = civilDate(s[m[2]:m[3]], s[m[4]:m[5]], year)
		to = civilDate(s[m[6]:m[7]], s[m[8]:m[9]], year)
		if from != "" && to != "" && from <= to {
			return from, to, m[0], m[1] - m[0]
		}
	}
	return "", "", 0, 0
}

// civilDate returns "YYYY-MM-DD" for a month abbreviation, day and year, or
// "" if that is no date.
func civilDate(month, day, year string) string {
	t, err := time.Parse("Jan 2 2006", strings.ToUpper(month[:1])+strings.ToLower(month[1:3])+" "+day+" "+year)
	if err != nil {
		return ""
	}
	return t.Format(time.DateOnly)
}
