package search

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/o211/o211"
)

func weekly(days, opens, closes string) o211.Schedule {
	return o211.Schedule{Freq: "WEEKLY", ByDay: days, OpensAt: opens, ClosesAt: closes}
}

func TestHours_OpenAt(t *testing.T) {
	tor := o211.Toronto()
	local := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, tor) }
	utc := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, time.UTC) }
	weekdays := weekly("MO,TU,WE,TH,FR", "09:00", "17:00")
	everyDay := weekly("MO,TU,WE,TH,FR,SA,SU", "09:00", "17:00")
	lateFriday := weekly("FR", "22:00", "02:00")
	dated := func(s o211.Schedule, from, to string) o211.Schedule { s.ValidFrom, s.ValidTo = from, to; return s }
	monthly := func(byday, bymonthday string) o211.Schedule {
		return o211.Schedule{Freq: "MONTHLY", ByDay: byday, ByMonthDay: bymonthday, OpensAt: "10:00", ClosesAt: "14:00"}
	}
	for _, tc := range []struct {
		name   string
		scheds []o211.Schedule
		at     time.Time
		want   bool
	}{
		{"WeekdayOpen", []o211.Schedule{weekdays}, local(2025, 10, 15, 10, 0), true},
		{"WeekdayAtClosing", []o211.Schedule{weekdays}, local(2025, 10, 15, 17, 0), false},
		{"WeekdayBeforeOpening", []o211.Schedule{weekdays}, local(2025, 10, 15, 8, 59), false},
		{"WeekdayAtOpening", []o211.Schedule{weekdays}, local(2025, 10, 15, 9, 0), true},
		{"Saturday", []o211.Schedule{weekdays}, local(2025, 10, 18, 10, 0), false},
		{"LowerCaseAndSpaces", []o211.Schedule{{Freq: "weekly", ByDay: "mo, we", OpensAt: "9:00", ClosesAt: "17:00:00"}}, local(2025, 10, 15, 16, 59), true},
		{"OtherZoneInstant", []o211.Schedule{weekdays}, utc(2025, 10, 15, 14, 0), true},                           // 10:00 EDT
		{"DSTSpringForwardOpen", []o211.Schedule{everyDay}, utc(2025, 3, 9, 13, 30), true},                        // 09:30 EDT
		{"DSTDayBeforeClosed", []o211.Schedule{everyDay}, utc(2025, 3, 8, 13, 30), false},                         // 08:30 EST
		{"DSTFallBackOpen", []o211.Schedule{everyDay}, utc(2025, 11, 2, 14, 30), true},                            // 09:30 EST
		{"DSTFallBackSameUTCDayBefore", []o211.Schedule{everyDay}, utc(2025, 11, 1, 12, 30), false},               // 08:30 EDT
		{"DSTRepeatedHourFirst", []o211.Schedule{weekly("SU", "01:00", "02:00")}, utc(2025, 11, 2, 5, 30), true},  // 01:30 EDT
		{"DSTRepeatedHourSecond", []o211.Schedule{weekly("SU", "01:00", "02:00")}, utc(2025, 11, 2, 6, 30), true}, // 01:30 EST
		{"PastMidnightEvening", []o211.Schedule{lateFriday}, local(2025, 10, 17, 23, 0), true},
		{"PastMidnightNextMorning", []o211.Schedule{lateFriday}, local(2025, 10, 18, 1, 30), true},
		{"PastMidnightAfterClosing", []o211.Schedule{lateFriday}, local(2025, 10, 18, 2, 0), false},
		{"PastMidnightBeforeOpening", []o211.Schedule{lateFriday}, local(2025, 10, 17, 21, 59), false},
		{"PastMidnightWrongMorning", []o211.Schedule{lateFriday}, local(2025, 10, 17, 1, 0), false},
		{"PastMidnightSundayIntoMonday", []o211.Schedule{weekly("SU", "22:00", "03:00")}, local(2025, 10, 20, 2, 0), true},
		{"AllWeek24h", []o211.Schedule{weekly("MO,TU,WE,TH,FR,SA,SU", "00:00", "24:00")}, local(2025, 10, 19, 3, 17), true},
		{"MidnightToMidnight", []o211.Schedule{weekly("SA", "00:00", "00:00")}, local(2025, 10, 18, 23, 59), true},
		{"ClosesAt2359", []o211.Schedule{weekly("SA", "08:00", "23:59")}, local(2025, 10, 18, 23, 59), true},
		{"ValidToPast", []o211.Schedule{dated(weekdays, "", "2024-12-31")}, local(2025, 10, 15, 10, 0), false},
		{"ValidFromFuture", []o211.Schedule{dated(weekdays, "2026-01-01", "")}, local(2025, 10, 15, 10, 0), false},
		{"ValidNow", []o211.Schedule{dated(weekdays, "2025-01-01", "2025-12-31")}, local(2025, 10, 15, 10, 0), true},
		{"ValidToLastDay", []o211.Schedule{dated(weekdays, "", "2025-10-15")}, local(2025, 10, 15, 16, 0), true},
		{"ValidToPastMidnightTail", []o211.Schedule{dated(lateFriday, "", "2025-10-17")}, local(2025, 10, 18, 1, 0), true},
		{"UntilPast", []o211.Schedule{{Freq: "WEEKLY", ByDay: "WE", OpensAt: "09:00", ClosesAt: "17:00", Until: "2025-10-01T00:00:00Z"}}, local(2025, 10, 15, 10, 0), false},
		{"MonthlySecondSaturday", []o211.Schedule{monthly("2SA", "")}, local(2025, 10, 11, 11, 0), true},
		{"MonthlyThirdSaturday", []o211.Schedule{monthly("2SA", "")}, local(2025, 10, 18, 11, 0), false},
		{"MonthlyLastFriday", []o211.Schedule{monthly("-1FR", "")}, local(2025, 10, 31, 11, 0), true},
		{"MonthlyNotLastFriday", []o211.Schedule{monthly("-1FR", "")}, local(2025, 10, 24, 11, 0), false},
		{"MonthlyByMonthDay", []o211.Schedule{monthly("", "1,15")}, local(2025, 10, 15, 13, 59), true},
		{"MonthlyOtherMonthDay", []o211.Schedule{monthly("", "1,15")}, local(2025, 10, 16, 11, 0), false},
		{"MonthlyLastDay", []o211.Schedule{monthly("", "-1")}, local(2025, 2, 28, 11, 0), true},
		{"EveryOtherWeek", []o211.Schedule{{Freq: "WEEKLY", Interval: ptr(2.0), DTStart: "2025-10-01", ByDay: "WE", OpensAt: "09:00", ClosesAt: "17:00"}}, local(2025, 10, 15, 10, 0), true},
		{"EveryOtherWeekOff", []o211.Schedule{{Freq: "WEEKLY", Interval: ptr(2.0), DTStart: "2025-10-01", ByDay: "WE", OpensAt: "09:00", ClosesAt: "17:00"}}, local(2025, 10, 8, 10, 0), false},
		{"OddMinutesOpen", []o211.Schedule{weekly("WE", "09:10", "17:05")}, local(2025, 10, 15, 9, 10), true},
		{"OddMinutesBefore", []o211.Schedule{weekly("WE", "09:10", "17:05")}, local(2025, 10, 15, 9, 5), false},
		{"OddMinutesClosing", []o211.Schedule{weekly("WE", "09:10", "17:05")}, local(2025, 10, 15, 17, 5), false},
		{"NoTimesIsClosed", []o211.Schedule{{Freq: "WEEKLY", ByDay: "WE"}}, local(2025, 10, 15, 10, 0), false},
		{"ClosedDayBesideOpenDay", []o211.Schedule{{Freq: "WEEKLY", ByDay: "WE"}, weekly("TH", "09:00", "17:00")}, local(2025, 10, 16, 10, 0), true},
		{"NoSchedules", nil, local(2025, 10, 15, 10, 0), false},
		{"BadTime", []o211.Schedule{weekly("WE", "nine", "17:00")}, local(2025, 10, 15, 10, 0), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := compileHours(tc.scheds)
			if got := h.openAt(clockAt(tc.at, tor)); got != tc.want {
				t.Fatalf("open at %v = %v, want %v", tc.at.In(tor), got, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestHours_BitmapMatchesRules checks the week bitmap against evaluating
// the rules, on random weekly schedules at random instants.
func TestHours_BitmapMatchesRules(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tor := o211.Toronto()
	days := []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}
	clockOf := func(q int) string { return time.Date(0, 1, 1, 0, q*15, 0, 0, time.UTC).Format("15:04") }
	for i := 0; i < 300; i++ {
		var scheds []o211.Schedule
		for n := 1 + r.IntN(3); n > 0; n-- {
			by := days[r.IntN(7)] + "," + days[r.IntN(7)]
			scheds = append(scheds, weekly(by, clockOf(r.IntN(96)), clockOf(r.IntN(96))))
		}
		h := compileHours(scheds)
		if h == nil || h.weekly == nil {
			t.Fatalf("schedules %v: want a week bitmap", scheds)
		}
		slow := &hours{rules: h.rules}
		for j := 0; j < 50; j++ {
			at := time.Date(2025, 1, 1, 0, 0, 0, 0, tor).Add(time.Duration(r.IntN(365*24*60)) * time.Minute)
			c := clockAt(at, tor)
			if got, want := h.openAt(c), slow.openAt(c); got != want {
				t.Fatalf("schedules %v at %v: bitmap says %v, rules say %v", scheds, at, got, want)
			}
		}
	}
}

func TestParseClock(t *testing.T) {
	for in, want := range map[string]int{"09:00": 540, "9:05": 545, "17:30:00": 1050, "24:00": 1440, "08:00Z": 480, "08:00-05:00": 480} {
		if got, ok := parseClock(in); !ok || got != want {
			t.Errorf("parseClock(%q) = %d, %v, want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "9", "25:00", "24:30", "ab:cd", "12:60"} {
		if _, ok := parseClock(in); ok {
			t.Errorf("parseClock(%q) ok, want failure", in)
		}
	}
}

// sp is an opening from open to close, in minutes.
func sp(open, close int) o211.OpenSpan { return o211.OpenSpan{Open: open, Close: close} }

// TestHours_On checks the day's openings a result carries for the portal's
// "today" (o211.Opening): joined and sorted, past midnight ending the day,
// monthly rules on their days, none on a closed day, unknown without rules.
func TestHours_On(t *testing.T) {
	tor := o211.Toronto()
	wed := time.Date(2025, 10, 15, 23, 30, 0, 0, tor) // a Wednesday, the 15th
	for _, tc := range []struct {
		name   string
		scheds []o211.Schedule
		at     time.Time
		want   []o211.OpenSpan
		known  bool
	}{
		{"Joined", []o211.Schedule{weekly("WE", "13:00", "17:00"), weekly("MO,WE", "09:00", "13:00"), weekly("WE", "18:00", "20:00")}, wed,
			[]o211.OpenSpan{sp(9*60, 17*60), sp(18*60, 20*60)}, true},
		{"PastMidnightEndsTheDay", []o211.Schedule{weekly("WE", "22:00", "02:00")}, wed, []o211.OpenSpan{sp(22*60, 24*60)}, true},
		{"Monthly", []o211.Schedule{{Freq: "MONTHLY", ByMonthDay: "15", OpensAt: "10:00", ClosesAt: "14:00"}}, wed,
			[]o211.OpenSpan{sp(10*60, 14*60)}, true},
		{"ClosedToday", []o211.Schedule{weekly("SA", "09:00", "17:00")}, wed, nil, true},
		{"UTCInstantIsTorontosDay", []o211.Schedule{weekly("TH", "09:00", "17:00")}, wed.In(time.UTC), nil, true}, // 03:30 UTC Thursday
		{"Unknown", nil, wed, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h *hours
			if tc.scheds != nil {
				h = compileHours(tc.scheds)
			}
			got, known := h.On(tc.at)
			if known != tc.known || len(got) != len(tc.want) {
				t.Fatalf("On = %v, %v; want %v, %v", got, known, tc.want, tc.known)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("On = %v; want %v", got, tc.want)
				}
			}
		})
	}
	if _, known := unknownHours.On(wed); known {
		t.Error("unknownHours says it knows")
	}
}
