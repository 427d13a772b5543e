package report_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/report"
)

// The adversary of issue 11: a few contacts of a rare kind (here, callers
// speaking Ojibwe on one day in one region) are planted among many, and an
// adversary who can ask the report API anything tries to recover how many
// there are by differencing answers. Each strategy yields an estimate; the
// test counts how often each is exactly right over many planted worlds.

// adversaryDay is the day the rare contacts are planted.
const adversaryDay = "2026-10-15"

var (
	advLanguages = []string{"en", "fr", "es", "ar", "zh", "pa"}
	advRegions   = []string{"central", "east", "north", "west"}
	advChannels  = []o211.Channel{o211.ChannelPhone, o211.ChannelText, o211.ChannelChat}
)

// plantedCube returns a cube of about 4,000 contacts over October 2026 in
// four regions, with k contacts in Ojibwe ("oj") on adversaryDay in
// central; report ids are random, as the node draws them.
func plantedCube(tb testing.TB, rng *rand.Rand, k int) *report.Cube {
	tb.Helper()
	cube := report.NewCube()
	add := func(r o211.Report) {
		r.ID = fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
		r.Needs = []o211.ReportNeed{{Code: "BD-1800.2000", Met: true}}
		if err := cube.Add(&r); err != nil {
			tb.Fatal(err)
		}
	}
	for i := 0; i < 4000; i++ {
		add(o211.Report{Region: advRegions[rng.IntN(len(advRegions))], Day: fmt.Sprintf("2026-10-%02d", 1+rng.IntN(31)),
			Channel: advChannels[rng.IntN(len(advChannels))], Language: advLanguages[rng.IntN(len(advLanguages))]})
	}
	for i := 0; i < k; i++ {
		add(o211.Report{Region: "central", Day: adversaryDay, Channel: o211.ChannelPhone, Language: "oj"})
	}
	return cube
}

// adversary asks a report server questions over HTTP.
type adversary struct {
	tb      testing.TB
	h       http.Handler
	queries int
}

// needs returns the needs report for the query string q.
func (a *adversary) needs(q url.Values) report.NeedsReport {
	a.tb.Helper()
	a.queries++
	var got needsJSON
	getJSON(a.tb, a.h, "/api/v1/reports/needs?"+q.Encode(), &got)
	return got.NeedsReport
}

func vals(kv ...string) url.Values {
	q := url.Values{"measure": {"contacts"}, "from": {"2026-10-01"}, "to": {"2026-10-31"}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

// row returns the published count of row key, and false when it is
// withheld or absent.
func row(rep report.NeedsReport, key string) (int64, bool) {
	for _, r := range rep.Rows {
		if r.Key.Key == key {
			return r.Total.Value, !r.Total.Suppressed
		}
	}
	return 0, false
}

// strategies are the differencing attacks. Each returns its estimates of
// the planted count (one per pair of answers it differences).
var strategies = []struct {
	name string
	run  func(a *adversary) []int64
}{
	{"UnionOfFilterValuesAgainstPart", func(a *adversary) []int64 {
		both := a.needs(vals("by", "region", "language", "en,oj"))
		en := a.needs(vals("by", "region", "language", "en"))
		x, ok1 := row(both, "central")
		y, ok2 := row(en, "central")
		out := []int64{both.Total.Value - en.Total.Value}
		if ok1 && ok2 {
			out = append(out, x-y)
		}
		return out
	}},
	{"DimensionAgainstRollUp", func(a *adversary) []int64 {
		// The table's total less every other language published.
		rep := a.needs(vals("by", "language", "region", "central"))
		est := rep.Total.Value
		for _, r := range rep.Rows {
			if r.Key.Key != "oj" {
				est -= r.Total.Value
			}
		}
		return []int64{est}
	}},
	{"RegionAgainstProvince", func(a *adversary) []int64 {
		// The province's en+oj less central's en and every other region's en+oj.
		prov := a.needs(vals("by", "channel", "language", "en,oj"))
		central := a.needs(vals("by", "channel", "language", "en", "region", "central"))
		others := a.needs(vals("by", "channel", "language", "en,oj", "region", "east,north,west"))
		return []int64{prov.Total.Value - central.Total.Value - others.Total.Value}
	}},
	{"OverlappingPeriods", func(a *adversary) []int64 {
		// Every window of 1 to 14 days holding the day, each differenced
		// on its own: en+oj against en.
		var out []int64
		for w := 0; w < 14; w++ {
			q := func(lang string) url.Values {
				v := vals("by", "region", "language", lang)
				v.Set("from", fmt.Sprintf("2026-10-%02d", 15-w))
				v.Set("to", adversaryDay)
				return v
			}
			out = append(out, a.needs(q("en,oj")).Total.Value-a.needs(q("en")).Total.Value)
		}
		return out
	}},
	{"SameQueryRepeated", func(a *adversary) []int64 {
		var out []int64
		for i := 0; i < 10; i++ {
			out = append(out, a.needs(vals("language", "en,oj")).Total.Value-a.needs(vals("language", "en")).Total.Value)
		}
		return []int64{mode(out)}
	}},
}

// mode returns the most frequent value, the smallest of a tie.
func mode(xs []int64) int64 {
	n := map[int64]int{}
	for _, x := range xs {
		n[x]++
	}
	keys := make([]int64, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	best := keys[0]
	for _, k := range keys {
		if n[k] > n[best] {
			best = k
		}
	}
	return best
}

// attack runs every strategy over trials planted worlds and returns, per
// strategy, the share of worlds where its first estimate was exactly the
// planted count, and the share where the vote of every estimate of every
// strategy was.
func attack(t *testing.T, protection report.Protection, trials int) (map[string]float64, float64) {
	rng := rand.New(rand.NewPCG(11, uint64(protection)))
	hits := map[string]int{}
	voteHits := 0
	for trial := 0; trial < trials; trial++ {
		k := 1 + rng.IntN(5)
		cube := plantedCube(t, rng, k)
		a := &adversary{tb: t, h: mustServeProtected(t, cube, protection)}
		var all []int64
		for _, s := range strategies {
			est := s.run(a)
			if est[0] == int64(k) {
				hits[s.name]++
			}
			all = append(all, est...)
		}
		if mode(all) == int64(k) {
			voteHits++
		}
	}
	rates := map[string]float64{}
	for _, s := range strategies {
		rates[s.name] = float64(hits[s.name]) / float64(trials)
	}
	return rates, float64(voteHits) / float64(trials)
}

func mustServeProtected(tb testing.TB, cube *report.Cube, p report.Protection) http.Handler {
	return mustServeWith(tb, report.Config{Cube: cube, Protection: p})
}

// TestAdversary_Differencing is the adversary test of issue 11.
func TestAdversary_Differencing(t *testing.T) {
	const trials = 60
	t.Run("SuppressionAloneGivesItAway", func(t *testing.T) {
		// The method before issue 11: every pairwise strategy recovers
		// the planted count every time (this is what the test must be
		// able to see).
		rates, vote := attack(t, report.Suppressed, trials)
		t.Logf("suppression alone: exact recoveries %v, vote %.2f", rates, vote)
		for name, r := range rates {
			if name != "DimensionAgainstRollUp" && r < 0.99 {
				t.Errorf("%s recovered the planted count in %.0f%% of worlds under suppression alone; the adversary should win always", name, 100*r)
			}
		}
	})
	t.Run("Perturbed", func(t *testing.T) {
		rates, vote := attack(t, report.Perturbed, trials)
		t.Logf("cell-key perturbation: exact recoveries %v, vote of all %.2f", rates, vote)
		for name, r := range rates {
			if r > 0.4 {
				t.Errorf("%s recovered the planted count in %.0f%% of worlds; want at most 40%%", name, 100*r)
			}
		}
		if vote > 0.5 {
			t.Errorf("the vote of every estimate recovered the planted count in %.0f%% of worlds; want at most 50%%", 100*vote)
		}
	})
}
