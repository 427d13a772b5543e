package console

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/o211/o211"
)

// span is one opening, in minutes after midnight.
type span struct{ open, close int }

// week is the weekly opening hours of a service: spans per weekday,
// Monday first; known is false when no schedule gave weekly hours.
type week struct {
	days  [7][]span
	known bool
	notes []string // descriptions of schedules that are not weekly
}

// weekdayCodes are iCalendar's BYDAY codes, Monday first.
var weekdayCodes = []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}

// weeklyHours reads the weekly, daily and undated schedules in effect on
// day (a date in Toronto); monthly and other rules keep their description.
func weeklyHours(scheds []o211.Schedule, day time.Time) week {
	var w week
	date := day.Format("2006-01-02")
	for i := range scheds {
		s := &scheds[i]
		if (s.ValidFrom != "" && s.ValidFrom[:min(10, len(s.ValidFrom))] > date) ||
			(s.ValidTo != "" && s.ValidTo[:min(10, len(s.ValidTo))] < date) {
			continue
		}
		open, ok1 := clockMinutes(s.OpensAt)
		close, ok2 := clockMinutes(s.ClosesAt)
		freq := strings.ToUpper(strings.TrimSpace(s.Freq))
		if !ok1 || !ok2 || (freq != "" && freq != "WEEKLY" && freq != "DAILY") {
			if d := strings.TrimSpace(s.Description); d != "" {
				w.notes = append(w.notes, d)
			}
			continue
		}
		if close <= open {
			close = 24 * 60 // "00:00 to 00:00" is round the clock; past midnight ends the day
		}
		for d, code := range weekdayCodes {
			if freq == "DAILY" || strings.TrimSpace(s.ByDay) == "" || strings.Contains(strings.ToUpper(s.ByDay), code) {
				w.days[d] = append(w.days[d], span{open, close})
				w.known = true
			}
		}
	}
	for d := range w.days {
		w.days[d] = mergeSpans(w.days[d])
	}
	return w
}

// spansOf converts the openings a search index gives.
func spansOf(in []o211.OpenSpan) []span {
	out := make([]span, len(in))
	for i, s := range in {
		out[i] = span{s.Open, s.Close}
	}
	return out
}

// mergeSpans sorts a day's openings and joins those that touch or
// overlap ("9 to 5" and "5 to 8" are "9 to 8").
func mergeSpans(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return a.open - b.open })
	out := spans[:0]
	for _, s := range spans {
		if n := len(out); n > 0 && s.open <= out[n-1].close {
			out[n-1].close = max(out[n-1].close, s.close)
			continue
		}
		out = append(out, s)
	}
	return out
}

// clockMinutes parses "HH:MM" or "HH:MM:SS" (a zone suffix ignored) as
// minutes after midnight; "24:00" is the end of the day.
func clockMinutes(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "Z+-"); i > 0 {
		s = s[:i]
	}
	if s == "24:00" || s == "24:00:00" {
		return 24 * 60, true
	}
	for _, layout := range []string{"15:04", "15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Hour()*60 + t.Minute(), true
		}
	}
	return 0, false
}

// mondayIndex returns the day of week of t, Monday 0.
func mondayIndex(t time.Time) int { return (int(t.Weekday()) + 6) % 7 }

// formatClock writes a time of day the Canadian way in each language:
// "9 a.m.", "5:30 p.m." in English; "9 h", "17 h 30" in French.
func formatClock(lang string, m int) string {
	h, mm := (m/60)%24, m%60
	if lang == French {
		if mm == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %02d", h, mm)
	}
	suffix := "a.m."
	if h >= 12 {
		suffix = "p.m."
	}
	h12 := h % 12
	if h12 == 0 {
		h12 = 12
	}
	if mm == 0 {
		return fmt.Sprintf("%d %s", h12, suffix)
	}
	return fmt.Sprintf("%d:%02d %s", h12, mm, suffix)
}

// dayHours says the hours of one day in lang: "9 a.m. to 5 p.m.", "Closed",
// "Open 24 hours".
func (c *Console) dayHours(lang string, spans []span) string {
	if len(spans) == 0 {
		return c.msg.MustT(lang, "hours.closed")
	}
	parts := make([]string, 0, len(spans))
	for _, s := range spans {
		if s.open == 0 && s.close == 24*60 {
			parts = append(parts, c.msg.MustT(lang, "hours.all_day"))
			continue
		}
		from, to := c.clock(lang, s.open), c.clock(lang, s.close)
		parts = append(parts, c.msg.MustT(lang, "hours.range", "From", from, "To", to))
	}
	return strings.Join(parts, c.msg.MustT(lang, "hours.and"))
}

// clock is formatClock with midnight in words.
func (c *Console) clock(lang string, m int) string {
	if m == 0 || m == 24*60 {
		return c.msg.MustT(lang, "hours.midnight")
	}
	if m == 12*60 {
		return c.msg.MustT(lang, "hours.noon")
	}
	return formatClock(lang, m)
}
