package report

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/o211/o211"
)

func TestDayNumber(t *testing.T) {
	for _, tc := range []struct {
		day  string
		want int32
	}{{"1970-01-01", 0}, {"1970-01-02", 1}, {"1969-12-31", -1}, {"2000-03-01", 11017}, {"2026-11-28", 20785}} {
		got, err := DayNumber(tc.day)
		if err != nil || got != tc.want {
			t.Errorf("DayNumber(%q) = %d, %v; want %d", tc.day, got, err, tc.want)
		}
		if s := DayString(tc.want); s != tc.day {
			t.Errorf("DayString(%d) = %q, want %q", tc.want, s, tc.day)
		}
		y, m, d := civilFromDays(tc.want)
		if daysFromCivil(y, m, d) != tc.want || fmt.Sprintf("%04d-%02d-%02d", y, m, d) != tc.day {
			t.Errorf("civilFromDays(%d) = %d-%d-%d", tc.want, y, m, d)
		}
	}
	for _, bad := range []string{"", "2026-13-01", "2026-02-30", "28/11/2026"} {
		if _, err := DayNumber(bad); o211.ErrorCode(err) != o211.EINVALID {
			t.Errorf("DayNumber(%q) error %v, want EINVALID", bad, err)
		}
	}
	if w := weekday(0); w != 3 {
		t.Errorf("1970-01-01 is weekday %d, want 3 (Thursday)", w)
	}
	for n := int32(-800); n < 800; n++ {
		if monthStart(monthIndex(n)) > n || monthStart(monthIndex(n)+1) <= n {
			t.Fatalf("day %d outside its month %d", n, monthIndex(n))
		}
	}
}

func TestCells(t *testing.T) {
	r := &o211.Report{ID: "r1", Region: "east", Day: "2026-11-28", FSA: "K1A", Channel: o211.ChannelPhone,
		AgeBand: "25-34", Language: "fr", Emergency: "flood-2026", Needs: []o211.ReportNeed{
			{Code: "BH-8600.6500*YS-5000.5000", Met: true},
			{Code: "BD-1800.2000", Reason: o211.ReasonWaitlistFull},
		}}
	cells, err := Cells(r)
	if err != nil {
		t.Fatal(err)
	}
	base := Cell{Day: 20785, Region: "east", FSA: "K1A", Channel: o211.ChannelPhone, AgeBand: "25-34", Language: "fr", Emergency: "flood-2026"}
	want := []Cell{base, base, base}
	want[1].Code, want[1].Met = "BH-8600.6500", true
	want[2].Code, want[2].Reason = "BD-1800.2000", o211.ReasonWaitlistFull
	if fmt.Sprint(cells) != fmt.Sprint(want) {
		t.Fatalf("Cells = %+v\nwant %+v", cells, want)
	}
	t.Run("ErrBadDay", func(t *testing.T) {
		r := *r
		r.Day = "2026-11-31"
		if _, err := Cells(&r); o211.ErrorCode(err) != o211.EINVALID {
			t.Fatalf("error %v, want EINVALID", err)
		}
	})
	t.Run("ErrNoCode", func(t *testing.T) {
		r := *r
		r.Needs = []o211.ReportNeed{{Code: " * "}}
		if _, err := Cells(&r); o211.ErrorCode(err) != o211.EINVALID {
			t.Fatalf("error %v, want EINVALID", err)
		}
	})
}

var testCodes = []string{"BD-1800.2000", "BD-1800.1000", "BD-5000.1470*YB-8000", "BD", "BH-1800.8500",
	"BH-8600.6500", "LH-2700.2000", "NL-6000.2000-950", "NL-6000.2000", "RP-1400.8000-050", "B", "RP"}

// randomReport returns a report with random dimensions and one to three
// needs on days from 2026-01-01 on.
func randomReport(rng *rand.Rand, i int) *o211.Report {
	regions := []string{"central", "east", "north"}
	fsas := []string{"M5T", "K1A", "P7B", ""}
	r := &o211.Report{ID: fmt.Sprint(i), Region: regions[rng.IntN(len(regions))],
		Day: DayString(20454 + int32(rng.IntN(90))), FSA: fsas[rng.IntN(len(fsas))],
		Channel: o211.Channels[rng.IntN(3)], AgeBand: o211.AgeBands[rng.IntN(3)], Language: []string{"en", "fr"}[rng.IntN(2)]}
	if rng.IntN(10) == 0 {
		r.Emergency = "flood"
	}
	for k := rng.IntN(3) + 1; k > 0; k-- {
		n := o211.ReportNeed{Code: testCodes[rng.IntN(len(testCodes))], Met: rng.IntN(4) > 0}
		if !n.Met {
			n.Reason = o211.UnmetReasons[rng.IntN(3)]
		}
		r.Needs = append(r.Needs, n)
	}
	return r
}

func TestCube_ConcurrentAdd(t *testing.T) {
	cube := NewCube()
	const workers, each = 8, 1500
	var wg sync.WaitGroup
	var needs [workers]int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; i < each; i++ {
				r := randomReport(rng, w*each+i)
				needs[w] += int64(len(r.Needs))
				if err := cube.Add(r); err != nil {
					t.Error(err)
					return
				}
				if i%100 == 0 {
					cube.run(&query{From: 20454, To: 20600, By: []Group{{Dim: DimRegion}}})
				}
			}
		}(w)
	}
	wg.Wait()
	var wantNeeds int64
	for _, n := range needs {
		wantNeeds += n
	}
	if got := cube.Contacts(); got != workers*each {
		t.Fatalf("Contacts() = %d, want %d", got, workers*each)
	}
	if got := cube.Needs(); got != wantNeeds {
		t.Fatalf("Needs() = %d, want %d", got, wantNeeds)
	}
	res := cube.run(&query{From: 20000, To: 21000, By: []Group{{Dim: DimMonth}}})
	if res.Total != wantNeeds {
		t.Fatalf("needs over all days = %d, want %d", res.Total, wantNeeds)
	}
	res = cube.run(&query{From: 20000, To: 21000, Contacts: true})
	if res.Total != workers*each {
		t.Fatalf("contacts over all days = %d, want %d", res.Total, workers*each)
	}
	cube.Reset()
	if cube.Contacts() != 0 || cube.run(&query{From: 20000, To: 21000}).Total != 0 {
		t.Fatal("Reset left counts")
	}
}

// TestCube_Query checks grouped and filtered counts, at every taxonomy
// level, against counts made directly from the reports.
func TestCube_Query(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cube := NewCube()
	var reports []*o211.Report
	for i := 0; i < 3000; i++ {
		r := randomReport(rng, i)
		reports = append(reports, r)
		if err := cube.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	from, to := int32(20470), int32(20520)
	for level := 1; level <= 5; level++ {
		t.Run(fmt.Sprintf("Level%d", level), func(t *testing.T) {
			res := cube.run(&query{From: from, To: to, By: []Group{{Dim: DimTaxonomy, Level: level}, {Dim: DimMet}}})
			want := map[string]int64{}
			for _, r := range reports {
				d, _ := DayNumber(r.Day)
				if d < from || d > to {
					continue
				}
				for _, n := range r.Needs {
					code := o211.SplitTaxonomyCode(n.Code)[0]
					anc := o211.TaxonomyAncestors(code)
					key := code
					if level <= len(anc) {
						key = anc[level-1]
					}
					want[fmt.Sprint(key, "/", n.Met)]++
				}
			}
			got := map[string]int64{}
			for i, code := range res.Axes[0].Keys {
				for j, met := range res.Axes[1].Keys {
					if n := res.at(i, j); n != 0 {
						got[code+"/"+met] = n
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("level %d: got %v\nwant %v", level, got, want)
			}
			// A roll-up equals the sum of its children one level down.
			if level < 5 {
				down := cube.run(&query{From: from, To: to, By: []Group{{Dim: DimTaxonomy, Level: level + 1}}})
				sums := map[string]int64{}
				for i, code := range down.Axes[0].Keys {
					anc := o211.TaxonomyAncestors(code)
					parent := code
					if level <= len(anc) {
						parent = anc[level-1]
					}
					sums[parent] += down.at(i)
				}
				for i, code := range res.Axes[0].Keys {
					if n := res.at(i, 0) + res.at(i, 1); n != sums[code] {
						t.Errorf("%s = %d, its children sum to %d", code, n, sums[code])
					}
				}
			}
		})
	}
	t.Run("Filters", func(t *testing.T) {
		yes := false
		q := &query{From: from, To: to, Filters: Filters{Region: []string{"east", "north"}, Taxonomy: []string{"BD", "RP-1400"},
			Met: &yes, Reason: []string{string(o211.ReasonNotEligible)}, Channel: []string{"phone", "text"},
			FSA: []string{"K1A", "P7B", ""}, Language: []string{"fr"}},
			By: []Group{{Dim: DimWeek}, {Dim: DimFSA}}}
		res := cube.run(q)
		var want int64
		wantBy := map[string]int64{}
		for _, r := range reports {
			d, _ := DayNumber(r.Day)
			if d < from || d > to || (r.Region != "east" && r.Region != "north") || r.Language != "fr" ||
				(r.Channel != "phone" && r.Channel != "text") || r.FSA == "M5T" {
				continue
			}
			for _, n := range r.Needs {
				code := o211.SplitTaxonomyCode(n.Code)[0]
				if n.Met || n.Reason != o211.ReasonNotEligible || !(o211.TaxonomyMatches(code, "BD") || o211.TaxonomyMatches(code, "RP-1400")) {
					continue
				}
				want++
				wantBy[DayString(weekStart(d))+"/"+r.FSA]++
			}
		}
		if res.Total != want {
			t.Fatalf("total %d, want %d", res.Total, want)
		}
		got := map[string]int64{}
		for i, w := range res.Axes[0].Keys {
			for j, f := range res.Axes[1].Keys {
				if n := res.at(i, j); n != 0 {
					got[w+"/"+f] = n
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(wantBy) {
			t.Fatalf("got %v\nwant %v", got, wantBy)
		}
		if len(res.Axes[0].Keys) != int(weekStart(to)-weekStart(from))/7+1 {
			t.Fatalf("week axis %v does not list every week of the period", res.Axes[0].Keys)
		}
	})
	t.Run("UnknownFilterValue", func(t *testing.T) {
		res := cube.run(&query{From: from, To: to, Filters: Filters{Region: []string{"south-west"}}, By: []Group{{Dim: DimRegion}}})
		if res.Total != 0 || len(res.Axes[0].Keys) != 0 {
			t.Fatalf("got %d needs in %v, want none", res.Total, res.Axes[0].Keys)
		}
	})
}
