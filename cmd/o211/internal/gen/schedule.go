package gen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/o211/o211"
)

// schedKind is the shape of a service's opening hours.
type schedKind int

const (
	sOffice       schedKind = iota // weekday office hours, some with a short day, evening or Saturday
	sOfficeLong                    // extended weekday hours and weekends
	sMeal                          // one to three meal times a week
	sBreakfast                     // one to three breakfasts a week
	sLunch                         // one to three lunches a week
	sSupper                        // one to three suppers a week
	sAfternoon                     // one or two weekday afternoons
	sMonthlyMeal                   // one day a month ("3rd Sat")
	s247                           // open 24 hours, 7 days a week
	sEvening                       // one or two evenings a week
	sWeekend                       // Saturday, sometimes Sunday
	sDropIn                        // weekday daytime drop-in
	sFoodBank                      // two or three distribution days
	sClasses                       // two sessions a week
	sClinic                        // two half days a week
	sWorship                       // Sunday morning and a weeknight
	sChristmas                     // seasonal, mid-November to Christmas
	sThanksgiving                  // Thanksgiving Monday
	sTaxSeason                     // February to April
	sSummer                        // July and August, weekdays
	sWinter                        // November to March, when activated
	sHeat                          // June to September, when activated
)

// endOfDay is the closing time of services open until midnight: HSDS
// closes_at "23:59" (not "24:00", which many time parsers reject).
const endOfDay = 23*60 + 59

// slot is one rule of opening hours: days of the week (0 is Monday), the
// nth such day of the month when nth is not 0 (-1 for the last), and the
// opening and closing times in minutes after midnight.
type slot struct {
	days        []int
	nth         int
	open, close int
}

// hours are a service's opening hours: its slots, the dates between which
// they hold ("" for always), and a note.
type hours struct {
	slots              []slot
	validFrom, validTo string
	notes              bi
}

var (
	weekdays = []int{0, 1, 2, 3, 4}
	allDays  = []int{0, 1, 2, 3, 4, 5, 6}
)

func hm(h, m int) int { return h*60 + m }

// mealTimes are the opening and closing times of meals.
var mealTimes = map[schedKind][][2]int{
	sMeal:      {{hm(11, 30), hm(13, 0)}, {hm(17, 0), hm(18, 30)}, {hm(7, 30), hm(9, 0)}, {hm(12, 0), hm(13, 30)}},
	sBreakfast: {{hm(7, 30), hm(9, 0)}, {hm(8, 0), hm(9, 30)}},
	sLunch:     {{hm(11, 30), hm(13, 0)}, {hm(12, 0), hm(13, 30)}},
	sSupper:    {{hm(17, 0), hm(18, 30)}, {hm(16, 30), hm(18, 0)}},
}

// someDays returns n distinct weekdays (Monday to Friday) in order.
func someDays(r *rand.Rand, n int) []int {
	perm := r.Perm(5)[:n]
	out := make([]int, 0, n)
	for d := 0; d < 5; d++ {
		for _, p := range perm {
			if p == d {
				out = append(out, d)
			}
		}
	}
	return out
}

var holidayNote = bi{"Closed on statutory holidays.", "Fermé les jours fériés."}

// makeHours draws opening hours of the kind; seasonal hours fall in the
// year of now.
func makeHours(r *rand.Rand, kind schedKind, now time.Time) hours {
	office := officeSlots(r)
	if h, ok := seasonalHours(kind, now.Year()); ok {
		return h
	}
	return weeklyHours(r, kind, office)
}

// officeSlots draws an organization's office hours.
func officeSlots(r *rand.Rand) []slot {
	office := []slot{{weekdays, 0, hm(9, 0), hm(17, 0)}}
	switch x := r.IntN(10); {
	case x < 2:
		office = []slot{{weekdays, 0, hm(8, 30), hm(16, 30)}}
	case x < 3:
		office = []slot{{weekdays, 0, hm(8, 0), hm(16, 0)}}
	case x < 5:
		office = []slot{{[]int{0, 1, 2, 3}, 0, hm(9, 0), hm(17, 0)}, {[]int{4}, 0, hm(9, 0), hm(12, 0)}}
	case x < 6:
		office = []slot{{weekdays, 0, hm(9, 0), hm(17, 0)}, {[]int{1, 3}, 0, hm(17, 0), hm(20, 0)}}
	case x < 7:
		office = []slot{{[]int{1, 2, 3, 4}, 0, hm(9, 0), hm(17, 0)}, {[]int{5}, 0, hm(10, 0), hm(14, 0)}}
	}
	return office
}

// weeklyHours draws the hours of a kind that is open all year round;
// office is the organization's office hours.
func weeklyHours(r *rand.Rand, kind schedKind, office []slot) hours {
	var h hours
	switch kind {
	case sOffice:
		h.slots = office
		if chance(r, 0.3) {
			h.notes = holidayNote
		}
	case sOfficeLong:
		h.slots = []slot{{weekdays, 0, hm(8, 0), hm(20, 0)}, {[]int{5}, 0, hm(9, 0), hm(17, 0)}}
		if chance(r, 0.4) {
			h.slots = append(h.slots, slot{[]int{6}, 0, hm(12, 0), hm(17, 0)})
		}
	case sMeal, sBreakfast, sLunch, sSupper:
		t := pick(r, mealTimes[kind])
		h.slots = []slot{{someDays(r, 1+r.IntN(3)), 0, t[0], t[1]}}
		if kind == sSupper && chance(r, 0.15) {
			h.slots = append(h.slots, slot{[]int{6}, 0, hm(16, 0), hm(17, 30)})
		}
	case sAfternoon:
		h.slots = []slot{{someDays(r, 1+r.IntN(2)), 0, hm(13, 0), pick(r, []int{hm(15, 0), hm(16, 0)})}}
	case sMonthlyMeal:
		h.slots = []slot{{[]int{r.IntN(7)}, pick(r, []int{1, 2, 3, 4, -1}), hm(12, 0), hm(14, 0)}}
	case s247:
		h.slots = []slot{{allDays, 0, 0, endOfDay}}
	case sEvening:
		h.slots = []slot{{someDays(r, 1+r.IntN(2)), 0, pick(r, []int{hm(18, 0), hm(18, 30), hm(19, 0)}), pick(r, []int{hm(20, 0), hm(21, 0)})}}
	case sWeekend:
		h.slots = []slot{{[]int{5}, 0, hm(10, 0), hm(14, 0)}}
		if chance(r, 0.4) {
			h.slots = []slot{{[]int{5, 6}, 0, hm(10, 0), hm(16, 0)}}
		}
	case sDropIn:
		h.slots = []slot{{weekdays, 0, hm(10, 0), hm(16, 0)}}
		if chance(r, 0.3) {
			h.slots = append(h.slots, slot{[]int{5}, 0, hm(12, 0), hm(16, 0)})
		}
	case sFoodBank:
		open := pick(r, []int{hm(9, 30), hm(10, 0), hm(13, 0)})
		h.slots = []slot{{someDays(r, 2+r.IntN(2)), 0, open, open + 3*60}}
		if chance(r, 0.3) {
			h.slots = append(h.slots, slot{[]int{3}, 0, hm(17, 0), hm(19, 0)})
		}
		if chance(r, 0.25) {
			h.slots = append(h.slots, slot{[]int{5}, 0, hm(10, 0), hm(12, 0)})
		}
	case sClasses:
		if chance(r, 0.5) {
			h.slots = []slot{{[]int{0, 2}, 0, hm(18, 30), hm(20, 30)}}
		} else {
			h.slots = []slot{{[]int{1, 3}, 0, hm(9, 30), hm(11, 30)}}
		}
	case sClinic:
		open := pick(r, []int{hm(9, 0), hm(13, 0)})
		h.slots = []slot{{someDays(r, 2), 0, open, open + 3*60}}
	case sWorship:
		h.slots = []slot{{[]int{6}, 0, hm(10, 30), hm(12, 0)}, {[]int{2}, 0, hm(19, 0), hm(20, 30)}}
	}
	return h
}

// seasonalHours returns the hours of a kind open in one season of year,
// and false for the other kinds.
func seasonalHours(kind schedKind, year int) (h hours, ok bool) {
	switch kind {
	case sChristmas:
		h.slots = []slot{{weekdays, 0, hm(10, 0), hm(16, 0)}}
		h.validFrom, h.validTo = fmt.Sprintf("%d-11-15", year), fmt.Sprintf("%d-12-23", year)
	case sThanksgiving:
		h.slots = []slot{{[]int{0}, 2, hm(12, 0), hm(15, 0)}}
		h.validFrom, h.validTo = fmt.Sprintf("%d-10-01", year), fmt.Sprintf("%d-10-31", year)
	case sTaxSeason:
		h.slots = []slot{{[]int{1, 3}, 0, hm(10, 0), hm(15, 0)}, {[]int{5}, 0, hm(10, 0), hm(13, 0)}}
		h.validFrom, h.validTo = fmt.Sprintf("%d-02-15", year), fmt.Sprintf("%d-04-30", year)
	case sSummer:
		h.slots = []slot{{weekdays, 0, hm(9, 0), hm(16, 0)}}
		h.validFrom, h.validTo = fmt.Sprintf("%d-07-02", year), fmt.Sprintf("%d-08-29", year)
	case sWinter:
		h.slots = []slot{{allDays, 0, 0, endOfDay}}
		h.validFrom, h.validTo = fmt.Sprintf("%d-11-15", year), fmt.Sprintf("%d-03-31", year+1)
		h.notes = bi{"Opens when an extreme cold weather alert is issued.", "Ouvert lorsqu'une alerte de froid extrême est émise."}
	case sHeat:
		h.slots = []slot{{allDays, 0, hm(11, 0), hm(19, 0)}}
		h.validFrom, h.validTo = fmt.Sprintf("%d-06-01", year), fmt.Sprintf("%d-09-15", year)
		h.notes = bi{"Opens during heat warnings.", "Ouvert pendant les avertissements de chaleur."}
	default:
		return h, false
	}
	return h, true
}

var (
	icalDays = []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}
	enDays   = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
	frDays   = []string{"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"}
)

// schedules returns the HSDS schedule rows of the hours, linked to the
// service and, when given, to one service_at_location.
func (h hours) schedules(r *rand.Rand, serviceID, salID string, french bool) []*o211.Schedule {
	out := make([]*o211.Schedule, 0, len(h.slots))
	for _, s := range h.slots {
		row := &o211.Schedule{
			ID: uuid(r), ServiceID: serviceID, ServiceAtLocationID: salID,
			ValidFrom: h.validFrom, ValidTo: h.validTo,
			Freq: "WEEKLY", ByDay: byDay(s), OpensAt: clock(s.open), ClosesAt: clock(s.close),
			Description: describe(s, french), Notes: h.notes.in(french),
		}
		if s.nth != 0 {
			row.Freq = "MONTHLY"
		}
		out = append(out, row)
	}
	return out
}

func byDay(s slot) string {
	parts := make([]string, len(s.days))
	for i, d := range s.days {
		parts[i] = icalDays[d]
		if s.nth != 0 {
			parts[i] = fmt.Sprint(s.nth) + parts[i]
		}
	}
	return strings.Join(parts, ",")
}

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func contiguous(days []int) bool {
	for i := 1; i < len(days); i++ {
		if days[i] != days[i-1]+1 {
			return false
		}
	}
	return true
}

// describe renders a slot as 211 Ontario writes hours: "Mon-Fri 9 am-5
// pm", or in French "Du lundi au vendredi, de 9 h à 17 h".
func describe(s slot, french bool) string {
	if len(s.days) == 7 && s.open == 0 && s.close == endOfDay {
		if french {
			return "Ouvert 24 heures sur 24, 7 jours sur 7"
		}
		return "Open 24 hours, 7 days a week"
	}
	if french {
		return describeFr(s)
	}
	var days string
	switch {
	case s.nth != 0:
		days = ordinalEn(s.nth) + " " + enDays[s.days[0]] + " of the month,"
	case len(s.days) == 7:
		days = "Daily"
	case len(s.days) >= 3 && contiguous(s.days):
		days = enDays[s.days[0]] + "-" + enDays[s.days[len(s.days)-1]]
	default:
		names := make([]string, len(s.days))
		for i, d := range s.days {
			names[i] = enDays[d]
		}
		days = strings.Join(names, ", ")
	}
	return days + " " + timeEn(s.open) + "-" + timeEn(s.close)
}

func ordinalEn(n int) string {
	switch n {
	case -1:
		return "Last"
	case 1:
		return "1st"
	case 2:
		return "2nd"
	case 3:
		return "3rd"
	}
	return fmt.Sprintf("%dth", n)
}

func timeEn(m int) string {
	if m == endOfDay {
		return "midnight"
	}
	h, min := m/60, m%60
	suffix := "am"
	if h >= 12 {
		suffix = "pm"
	}
	if h > 12 {
		h -= 12
	}
	if h == 0 {
		h = 12
	}
	if min == 0 {
		return fmt.Sprintf("%d %s", h, suffix)
	}
	return fmt.Sprintf("%d:%02d %s", h, min, suffix)
}

func describeFr(s slot) string {
	var days string
	switch {
	case s.nth == -1:
		days = "Le dernier " + frDays[s.days[0]] + " du mois"
	case s.nth == 1:
		days = "Le 1er " + frDays[s.days[0]] + " du mois"
	case s.nth != 0:
		days = fmt.Sprintf("Le %de %s du mois", s.nth, frDays[s.days[0]])
	case len(s.days) == 7:
		days = "Tous les jours"
	case len(s.days) >= 3 && contiguous(s.days):
		days = "Du " + frDays[s.days[0]] + " au " + frDays[s.days[len(s.days)-1]]
	case len(s.days) == 1:
		days = "Le " + frDays[s.days[0]]
	default:
		names := make([]string, len(s.days))
		for i, d := range s.days {
			names[i] = frDays[d]
		}
		days = upperFirst(names[0])
		if len(names) > 1 {
			days = strings.Join(append([]string{days}, names[1:len(names)-1]...), ", ") + " et " + names[len(names)-1]
		}
	}
	return days + ", de " + timeFr(s.open) + " à " + timeFr(s.close)
}

func timeFr(m int) string {
	if m == endOfDay {
		return "minuit"
	}
	if m%60 == 0 {
		return fmt.Sprintf("%d h", m/60)
	}
	return fmt.Sprintf("%d h %02d", m/60, m%60)
}

// upperFirst returns s with its first letter in upper case.
func upperFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}
