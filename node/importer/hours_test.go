package importer_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/o211/o211/node/importer"
)

// rules renders schedules briefly: "WEEKLY MO,TU 09:00-17:00" with
// " from..to" when bounded.
func rules(t *testing.T, text string) []string {
	t.Helper()
	var out []string
	for _, s := range importer.Hours(text) {
		s.ID = "s"
		if s.Validate() != nil {
			t.Fatalf("invalid schedule %+v: %v", s, s.Validate())
		}
		if s.OpensAt == "" {
			out = append(out, "TEXT")
			continue
		}
		r := fmt.Sprintf("%s %s %s-%s", s.Freq, s.ByDay, s.OpensAt, s.ClosesAt)
		if s.ValidFrom != "" {
			r += " " + s.ValidFrom + ".." + s.ValidTo
		}
		out = append(out, r)
	}
	return out
}

func TestHours(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want []string
	}{
		{"Empty", "", nil},
		{"WeekdayRange", "Mon-Fri 9 am-5 pm", []string{"WEEKLY MO,TU,WE,TH,FR 09:00-17:00"}},
		{"ClosedDay", "Mon (closed) * Tue-Fri 8 am-6 pm * Sat 7 am-4 pm",
			[]string{"WEEKLY TU,WE,TH,FR 08:00-18:00", "WEEKLY SA 07:00-16:00"}},
		{"DayListOddCommas", "Mon, Tue, Thu, Fri ,12:30 pm-3:30 pm",
			[]string{"WEEKLY MO,TU,TH,FR 12:30-15:30"}},
		{"AroundTheClock", "Mon-Sun 24 hours", []string{"WEEKLY MO,TU,WE,TH,FR,SA,SU 00:00-23:59"}},
		{"Noon", "Lunch: Mon-Sun 12 noon-12:50 pm", []string{"WEEKLY MO,TU,WE,TH,FR,SA,SU 12:00-12:50"}},
		{"NoonAfterMinutes", "Sat 7:30 am-12:30 noon", []string{"WEEKLY SA 07:30-12:30"}},
		{"Monthly", "Throughout the year -- second Saturday of each month, 8 am-9:30 am",
			[]string{"MONTHLY 2SA 08:00-09:30"}},
		{"MonthlyOrdinalDigits", "3rd Friday of each month, 5 pm-8 pm", []string{"MONTHLY 3FR 17:00-20:00"}},
		{"MonthlyTwoOrdinals", "First and third Tue of the month 12 noon-2 pm", []string{"MONTHLY 1TU,3TU 12:00-14:00"}},
		{"NoSpaces", "Tue-Thu 9:30am-4:30pm", []string{"WEEKLY TU,WE,TH 09:30-16:30"}},
		{"SpaceBeforeDash", "Coffee Mon-Fri 10 am-4 pm, Sat 11 am- 4 pm",
			[]string{"WEEKLY MO,TU,WE,TH,FR 10:00-16:00", "WEEKLY SA 11:00-16:00"}},
		{"LabelsAndHTML", "Mon-Fri 9 am-5 pm * <b>Corner Drop-In</b> -- Mon-Fri 7:30 am-11:30 am, Sun 8 am-11:30 am",
			[]string{"WEEKLY MO,TU,WE,TH,FR 09:00-17:00", "WEEKLY MO,TU,WE,TH,FR 07:30-11:30", "WEEKLY SU 08:00-11:30"}},
		{"SameTimesMerge", "Tue 6 pm-7:30 pm\nSun 6 pm-7:30 pm", []string{"WEEKLY TU,SU 18:00-19:30"}},
		{"SeveralRangesForOneDaySpec", "Community Meals Mon-Sun 8 am-8:30 am, 11:30 am-12 noon",
			[]string{"WEEKLY MO,TU,WE,TH,FR,SA,SU 08:00-08:30", "WEEKLY MO,TU,WE,TH,FR,SA,SU 11:30-12:00"}},
		{"ClosedAfterTimes", "<b>Food Bank:</b> Mon, Tue, Thu, Fri ,12:30 pm-3:30 pm (Closed Wed)",
			[]string{"WEEKLY MO,TU,TH,FR 12:30-15:30"}},
		{"MeridiemInferred", "Sat 1-3 pm", []string{"WEEKLY SA 13:00-15:00"}},
		{"DatesLineBounds", "Tue 4 pm-5:30 pm\nDates: Nov 6, 2018 to Mar 30, 2019",
			[]string{"WEEKLY TU 16:00-17:30 2018-11-06..2019-03-30"}},
		{"LeadingDateRange", "October 14, 2018 to April 28, 2019 -- Sun 9:30 am -3 pm * coffee and snacks available at 9:30",
			[]string{"WEEKLY SU 09:30-15:00 2018-10-14..2019-04-28"}},
		{"WeekendsWord", "Weekends and Holiday Meals Brunch 11 am-12 noon", []string{"WEEKLY SA,SU 11:00-12:00"}},
		{"SundayAsLabel", "Sunday service: 3 pm-5:30 pm", []string{"WEEKLY SU 15:00-17:30"}},
		{"RealPrayerSchedule", "Prayer:\n* Mon-Sat 7 am * 7 pm \n* Sun 7 am * 3 pm-6 pm\n* Shiv Pooj: Mon 6 pm-8 pm",
			[]string{"WEEKLY MO 18:00-20:00"}},
		// What cannot be read for sure keeps only the text.
		{"SingleTimes", "Office Mon-Fri 9:30 am-4:30 pm\nSunday Services Sun 11 am, 6 pm",
			[]string{"WEEKLY MO,TU,WE,TH,FR 09:30-16:30"}},
		{"OnlySingleTimes", "Northward (Wilson Park) 7 pm \nSouthward (Minnesota Park) 6 pm", []string{"TEXT"}},
		{"NoDays", "Office hours: 9 am-12 noon - please call ahead", []string{"TEXT"}},
		{"Seasons", "Mon-Wed 1 pm-4 pm Sep-Jun\nTue, Wed 1 pm-4 pm Jul-Aug\nServices: Sun 2 pm", []string{"TEXT"}},
		{"SeasonLabel", "<b>Summer Drop-in, July-August</b> -- Mon 1:30 pm-3 pm", []string{"TEXT"}},
		{"Except", "Meetings: Council 2nd Tue of the month, 7 pm-9 pm, except Jul and Aug", []string{"TEXT"}},
		{"MidMonth", "Wed 2 pm-6 pm, mid-Jun to mid-Oct", []string{"TEXT"}},
		{"UnreadableDatesLine", "VON Office: Mon-Fri, 8:30 am-4:30 pm\nDates: Donations accepted: Oct 1-Dec 21, 2018", []string{"TEXT"}},
		{"InvertedDates", "Sat 2:30 pm-4 pm\nDates: November 10th, 2018 to March 30th, 2018, except the Saturday before Christmas",
			[]string{"TEXT"}},
		{"DatesLineWithoutMonths", "Mon-Sun 5 pm-6:50 pm\nDates: Salvation Army and local churches plan Holiday meals",
			[]string{"WEEKLY MO,TU,WE,TH,FR,SA,SU 17:00-18:50"}},
		{"NoMeridiem", "* Tue 4 - 9", []string{"TEXT"}},
		{"AmbiguousInference", "Sat 11-1 pm", []string{"TEXT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rules(t, tc.text)
			if strings.Join(got, "; ") != strings.Join(tc.want, "; ") {
				t.Fatalf("Hours(%q)\n got %q\nwant %q", tc.text, got, tc.want)
			}
		})
	}
	t.Run("KeepsText", func(t *testing.T) {
		text := "Mon-Fri 9 am-5 pm<br>\nSat 10 am-2 pm * call ahead for Men''s group"
		for _, s := range importer.Hours(text) {
			if want := "Mon-Fri 9 am-5 pm\nSat 10 am-2 pm * call ahead for Men's group"; s.Description != want {
				t.Fatalf("description %q, want %q", s.Description, want)
			}
		}
	})
}
