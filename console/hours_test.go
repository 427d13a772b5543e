package console

import (
	"testing"
	"time"

	"github.com/o211/o211"
)

func TestClockMinutes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"09:00", 540, true}, {"9:30", 570, true}, {"17:00:00", 1020, true}, {"08:15Z", 495, true},
		{"24:00", 1440, true}, {"25:00", 0, false}, {"noon", 0, false}, {"", 0, false},
	} {
		got, ok := clockMinutes(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("clockMinutes(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestWeeklyHours(t *testing.T) {
	monday := time.Date(2026, 12, 7, 10, 0, 0, 0, o211.Toronto())
	wk := weeklyHours([]o211.Schedule{
		{Freq: "WEEKLY", ByDay: "MO,WE", OpensAt: "09:00", ClosesAt: "12:00"},
		{Freq: "WEEKLY", ByDay: "MO", OpensAt: "13:00", ClosesAt: "16:00"},
		{Freq: "WEEKLY", ByDay: "MO", OpensAt: "16:00", ClosesAt: "17:00"},          // joins the one before
		{Freq: "WEEKLY", ByDay: "WE", OpensAt: "10:00", ClosesAt: "11:00"},          // within 9 to noon
		{Freq: "DAILY", OpensAt: "00:00", ClosesAt: "00:00", ValidTo: "2026-01-01"}, // expired
		{Freq: "MONTHLY", ByDay: "1TU", OpensAt: "10:00", ClosesAt: "11:00", Description: "First Tuesday of the month"},
	}, monday)
	if !wk.known || len(wk.days[0]) != 2 || len(wk.days[1]) != 0 || len(wk.days[2]) != 1 || len(wk.days[6]) != 0 {
		t.Fatalf("week %+v", wk)
	}
	if len(wk.notes) != 1 || wk.notes[0] != "First Tuesday of the month" {
		t.Errorf("notes %q", wk.notes)
	}
	msg, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	c := &Console{msg: msg}
	for _, tc := range []struct {
		lang  string
		spans []span
		want  string
	}{
		{English, wk.days[0], "9 a.m. to noon, and 1 p.m. to 5 p.m."},
		{French, wk.days[0], "de 9 h à 12 h, et de 13 h à 17 h"},
		{English, nil, "Closed"},
		{French, []span{{0, 1440}}, "Ouvert 24 heures sur 24"},
		{English, []span{{1020, 1440}}, "5 p.m. to midnight"},
		{French, []span{{510, 1050}}, "de 8 h 30 à 17 h 30"},
	} {
		if got := c.dayHours(tc.lang, tc.spans); got != tc.want {
			t.Errorf("%s %v: got %q, want %q", tc.lang, tc.spans, got, tc.want)
		}
	}
}
