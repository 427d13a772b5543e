package report_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/node/geo"
	"github.com/o211/o211/node/report"
	"github.com/o211/o211/node/taxonomy"
)

// province generates a year of anonymised reports shaped like 211's: a
// weekly rhythm (quiet weekends) and a yearly one, every Ontario FSA (so
// the six regions in proportion to their FSAs), one to three needs per
// contact drawn from the taxonomy with a long-tailed (Zipf) mix, some with
// target-population terms, about one need in twenty unmet, realistic
// channels, age bands, languages and a summer wildfire in the north.
type province struct {
	rng    *rand.Rand
	fsas   []geo.FSA
	codes  []string
	cum    []float64 // cumulative Zipf weights of codes
	pops   []string
	first  int32
	days   int
	perDay []int
}

func newProvince(seed uint64, contacts int, last string, days int) *province {
	p := &province{rng: rand.New(rand.NewPCG(seed, 211)), fsas: geo.FSAs(), days: days}
	for _, t := range taxonomy.All() {
		switch {
		case t.Code[0] == 'Y':
			if t.Level() >= 2 {
				p.pops = append(p.pops, t.Code)
			}
		case t.Level() >= 3:
			p.codes = append(p.codes, t.Code)
		}
	}
	p.rng.Shuffle(len(p.codes), func(i, j int) { p.codes[i], p.codes[j] = p.codes[j], p.codes[i] })
	sum := 0.0
	for i := range p.codes {
		sum += 1 / math.Pow(float64(i+1), 1.1)
		p.cum = append(p.cum, sum)
	}
	for i := range p.cum {
		p.cum[i] /= sum
	}
	end, _ := report.DayNumber(last)
	p.first = end - int32(days) + 1
	weekly := []float64{1.15, 1.1, 1.1, 1.05, 1.0, 0.6, 0.5} // Monday first
	w := make([]float64, days)
	tot := 0.0
	for d := range w {
		n := p.first + int32(d)
		wd := (int(n)%7 + 7 + 3) % 7
		w[d] = weekly[wd] * (1 + 0.12*math.Cos(2*math.Pi*float64(d)/365))
		tot += w[d]
	}
	p.perDay = make([]int, days)
	left := contacts
	for d := range w {
		p.perDay[d] = int(float64(contacts) * w[d] / tot)
		left -= p.perDay[d]
	}
	p.perDay[days-1] += left
	return p
}

func pick[T any](rng *rand.Rand, vals []T, weights []float64) T {
	x := rng.Float64()
	for i, w := range weights {
		if x < w {
			return vals[i]
		}
		x -= w
	}
	return vals[len(vals)-1]
}

var (
	channelW = []float64{0.68, 0.08, 0.10, 0.06, 0.06, 0.02}
	ageW     = []float64{0.04, 0.10, 0.20, 0.18, 0.15, 0.13, 0.12}
	langs    = []string{"en", "fr", "es", "ar", "zh", "pa", ""}
	langW    = []float64{0.85, 0.10, 0.01, 0.01, 0.01, 0.01, 0.01}
	reasonW  = []float64{0.25, 0.25, 0.2, 0.1, 0.08, 0.04, 0.05, 0.03}
)

// each calls fn with every report of the year, in day order.
func (p *province) each(fn func(*o211.Report)) {
	id := 0
	for d, n := range p.perDay {
		day := report.DayString(p.first + int32(d))
		summer := d > p.days/2 && d < p.days/2+30
		for i := 0; i < n; i++ {
			id++
			f := p.fsas[p.rng.IntN(len(p.fsas))]
			r := &o211.Report{ID: fmt.Sprint(id), Region: f.Region, Day: day, FSA: f.Code,
				Channel: pick(p.rng, o211.Channels, channelW), Language: pick(p.rng, langs, langW)}
			if p.rng.IntN(10) == 0 {
				r.FSA = ""
			}
			if p.rng.IntN(7) > 0 {
				r.AgeBand = pick(p.rng, o211.AgeBands, ageW)
			}
			if summer && f.Region == "north" && p.rng.IntN(5) == 0 {
				r.Emergency = "wildfire-2026"
			}
			k := 1 + p.rng.IntN(100)/25 // 1: 25%, 2: 25%, 3: 50% -> 2.25 needs a contact
			k = min(k, 3)
			for ; k > 0; k-- {
				i := sort.SearchFloat64s(p.cum, p.rng.Float64())
				code := p.codes[min(i, len(p.codes)-1)]
				if p.rng.IntN(12) == 0 {
					code += "*" + p.pops[p.rng.IntN(len(p.pops))]
				}
				n := o211.ReportNeed{Code: code, Met: p.rng.IntN(20) > 0}
				if !n.Met {
					n.Reason = pick(p.rng, o211.UnmetReasons, reasonW)
				}
				r.Needs = append(r.Needs, n)
			}
			fn(r)
		}
	}
}

var bench struct {
	once    sync.Once
	cube    *report.Cube
	heap    uint64
	build   time.Duration
	needs   int64
	handler http.Handler
}

const benchLast = "2026-10-31"

func yearCube(b *testing.B) {
	bench.once.Do(func() {
		p := newProvince(1, 500_000, benchLast, 365)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		cube := report.NewCube()
		start := time.Now()
		p.each(func(r *o211.Report) {
			if err := cube.Add(r); err != nil {
				b.Fatal(err)
			}
		})
		bench.build = time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		bench.cube, bench.heap = cube, after.HeapAlloc-before.HeapAlloc
		rt := chi.NewRouter()
		// Flexible reports need an actor; the analyst's is given here.
		report.NewAPI(report.Config{Cube: cube, Scope: "province",
			Authenticate: func(*http.Request) (o211.Actor, bool, error) {
				return o211.Actor{ID: "bench", Role: o211.RoleAnalyst}, true, nil
			},
			Now: func() time.Time { return time.Date(2026, 11, 1, 9, 0, 0, 0, o211.Toronto()) },
			Services: func(ctx context.Context, code, fsa string, radiusKm float64) (int, error) {
				return len(fsa+code) % 4, nil
			}}).Routes(rt)
		bench.handler = rt
	})
}

// BenchmarkYearReport answers reports over a year of a six-region
// province (500,000 contacts) through the HTTP handlers, JSON encoding and
// suppression included, and reports the p50 and p99 latency of each, the
// cube's memory and how fast it was built.
//
//	go test -run '^$' -bench BenchmarkYearReport -benchtime 200x ./node/report
func BenchmarkYearReport(b *testing.B) {
	yearCube(b)
	st := bench.cube.Stats()
	b.Logf("cube: %d contacts, %d needs, %d contact rows, %d need rows, %d codes, %.1f MB of rows (%.1f MB heap); built in %v (%.0f reports/s)",
		st.Contacts, st.Needs, st.ContactRows, st.NeedRows, st.Codes, float64(st.Bytes)/1e6, float64(bench.heap)/1e6,
		bench.build.Round(time.Millisecond), float64(st.Contacts)/bench.build.Seconds())
	year := "from=2025-11-01&to=2026-10-31"
	for _, q := range []struct{ name, url string }{
		{"NeedsRegionByCategory", "/api/v1/reports/needs?by=region,category&" + year},
		{"UnmetReasonByRegion", "/api/v1/reports/unmet?by=region&" + year},
		{"NeedsMonthByLevel2", "/api/v1/reports/needs?by=month,taxonomy&level=2&" + year},
		{"NeedsFSAByCategory", "/api/v1/reports/needs?by=fsa,category&" + year},
		{"NeedsFiltered", "/api/v1/reports/needs?by=region,age_band&taxonomy=BD,BH&channel=phone,text&met=false&" + year},
		{"ContactsWeekByChannel", "/api/v1/reports/needs?measure=contacts&by=week,channel&" + year},
		{"TopLevel3", "/api/v1/reports/top?level=3&n=20&" + year},
		{"Emerging", "/api/v1/reports/emerging?level=3"},
		{"Gaps", "/api/v1/reports/gaps?level=2&min_rate=0.05&" + year},
		{"NeedsCSV", "/api/v1/reports/needs?by=region,category&format=csv&" + year},
		{"NeedsFSAByLevel3", "/api/v1/reports/needs?by=fsa,taxonomy&level=3&" + year},
	} {
		b.Run(q.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			var size int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w := httptest.NewRecorder()
				start := time.Now()
				bench.handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, q.url, nil))
				lat = append(lat, time.Since(start))
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", q.url, w.Code, w.Body)
				}
				size = w.Body.Len()
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(math.Ceil(p*float64(len(lat))))-1)].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(st.Bytes)/1e6, "cube-MB")
			b.ReportMetric(float64(size), "body-bytes")
		})
	}
}

// TestProvinceShape keeps the benchmark's data honest: the unmet share,
// needs per contact, regions and weekly rhythm it claims.
func TestProvinceShape(t *testing.T) {
	p := newProvince(2, 20_000, benchLast, 365)
	var contacts, needs, unmet int
	regions := map[string]int{}
	weekday := make([]int, 7)
	p.each(func(r *o211.Report) {
		contacts++
		needs += len(r.Needs)
		regions[r.Region]++
		d, _ := report.DayNumber(r.Day)
		weekday[(int(d)%7+7+3)%7]++
		for _, n := range r.Needs {
			if !n.Met {
				unmet++
			}
			if !o211.ValidTaxonomyCode(n.Code) || (!n.Met && n.Reason == "") {
				t.Fatalf("bad need %+v", n)
			}
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("generated report %+v: %v", r, err)
		}
	})
	if contacts != 20_000 || len(regions) != 6 {
		t.Fatalf("%d contacts in %d regions, want 20000 in 6", contacts, len(regions))
	}
	if share := float64(unmet) / float64(needs); share < 0.04 || share > 0.06 {
		t.Errorf("unmet share %.3f, want about 0.05", share)
	}
	if per := float64(needs) / float64(contacts); per < 2 || per > 2.5 {
		t.Errorf("%.2f needs a contact, want 2 to 2.5", per)
	}
	if weekday[6] >= weekday[0]*2/3 || !strings.HasPrefix(fmt.Sprint(regions["central"] > regions["north"]), "true") {
		t.Errorf("weekday counts %v, regions %v: want quiet Sundays and Central the largest", weekday, regions)
	}
}
