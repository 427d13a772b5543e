package report_test

import (
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/report"
)

// weeklyCube counts, each day of the eight weeks from 2026-08-31 and of
// the week of 2026-10-26, the needs per code that perDay gives for the
// baseline and for the week.
func weeklyCube(t *testing.T, base, week map[string]int) *report.Cube {
	t.Helper()
	cube := report.NewCube()
	start, _ := report.DayNumber("2026-08-31")
	for d := int32(0); d < 63; d++ {
		perDay := base
		if d >= 56 {
			perDay = week
		}
		for code, n := range perDay {
			add(t, cube, n, o211.Report{Region: "east", FSA: "K1A", Day: report.DayString(start + d)}, code, "")
		}
	}
	return cube
}

func emergingRows(t *testing.T, cube *report.Cube, url string) map[string]report.EmergingRow {
	t.Helper()
	var got report.EmergingReport
	getJSON(t, mustServe(t, report.Config{Cube: cube}), url, &got)
	rows := map[string]report.EmergingRow{}
	for _, r := range got.Rows {
		rows[r.Key.Key] = r
	}
	if got.Week.From != "2026-10-26" || got.Week.To != "2026-11-01" || got.Baseline.From != "2026-08-31" ||
		got.Baseline.To != "2026-10-25" || got.BaselineWeeks != 8 || got.Tested != len(got.Rows) {
		t.Fatalf("periods %+v %+v, tested %d", got.Week, got.Baseline, got.Tested)
	}
	return rows
}

func TestEmerging(t *testing.T) {
	base := map[string]int{"BD-1800.2000": 10, "BH-1800.8500": 10, "LH-2700.2000": 5, "RP-1400.8000": 3}
	t.Run("PlantedSurgeIsFlagged", func(t *testing.T) {
		week := map[string]int{"BD-1800.2000": 16, "BH-1800.8500": 10, "LH-2700.2000": 5, "RP-1400.8000": 3}
		rows := emergingRows(t, weeklyCube(t, base, week), "/api/v1/reports/emerging?week=2026-10-26&level=3")
		bd := rows["BD-1800"]
		if !bd.Flagged || bd.Count.Value != 112 || bd.Baseline.Value != 560 || *bd.QValue >= 0.05 || *bd.RateRatio <= 1.2 {
			t.Errorf("BD-1800: %+v, want flagged with 112 against 560", bd)
		}
		for _, code := range []string{"BH-1800", "LH-2700", "RP-1400"} {
			if r := rows[code]; r.Flagged || *r.RateRatio >= 1 {
				t.Errorf("%s flagged or rising: %+v", code, r)
			}
		}
	})
	t.Run("UniformRiseIsNot", func(t *testing.T) {
		week := map[string]int{"BD-1800.2000": 20, "BH-1800.8500": 20, "LH-2700.2000": 10, "RP-1400.8000": 6}
		rows := emergingRows(t, weeklyCube(t, base, week), "/api/v1/reports/emerging?week=2026-10-26")
		for code, r := range rows {
			if r.Flagged || *r.PValue < 0.2 || *r.RateRatio != 1 {
				t.Errorf("%s: %+v, want rate ratio 1 and nothing flagged when every need doubles", code, r)
			}
		}
	})
	t.Run("DefaultWeekIsTheLastSevenCompleteDays", func(t *testing.T) {
		// fixedNow is 2026-11-01 09:00 in Toronto; the week before ends on
		// 2026-10-31, so the cube's week (to 2026-11-01) is cut short.
		var got report.EmergingReport
		getJSON(t, mustServe(t, report.Config{Cube: report.NewCube()}), "/api/v1/reports/emerging", &got)
		if got.Week.From != "2026-10-25" || got.Week.To != "2026-10-31" || got.From != "2026-08-30" || got.To != "2026-10-31" {
			t.Errorf("week %+v, period %s..%s", got.Week, got.From, got.To)
		}
	})
	t.Run("SmallCountsSuppressed", func(t *testing.T) {
		base := map[string]int{"BD-1800.2000": 10, "BH-1800.8500": 10}
		cube := weeklyCube(t, base, base)
		add(t, cube, 4, o211.Report{Region: "east", Day: "2026-10-28"}, "LH-2700.2000", "")
		rows := emergingRows(t, cube, "/api/v1/reports/emerging?week=2026-10-26")
		lh := rows["LH-2700"]
		if !lh.Count.Suppressed || lh.PValue != nil || lh.RateRatio != nil || lh.Expected != nil {
			t.Errorf("LH-2700 shows what gives its 4 away: %+v", lh)
		}
	})
}
