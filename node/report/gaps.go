package report

import (
	"context"
	"encoding/csv"
	"sort"
	"strconv"

	"github.com/o211/o211"
	"github.com/o211/o211/node/geo"
)

// GapsReport is the answer of /api/v1/reports/gaps: FSAs where a need (a
// taxonomy code at a level) was often unmet over the period, and where few
// services of that kind lie within RadiusKm of the FSA's centroid.
//
// A pair (FSA, code) qualifies when its unmet needs number at least
// MinUnmet, its unmet rate is at least MinRate, and at most MaxServices
// services match the code within the radius. Severity ranks them:
// unmet × unmet rate ÷ (1 + services), so that many unmet needs, a high
// share unmet and few services all make a gap worse. FSAs the geography
// does not know (and needs without an FSA) are left out: there is no
// centroid to measure from.
type GapsReport struct {
	Meta
	Level       int       `json:"level"`
	RadiusKm    float64   `json:"radius_km"`
	MinUnmet    int       `json:"min_unmet"`
	MinRate     float64   `json:"min_rate"`
	MaxServices int       `json:"max_services"`
	Candidates  int       `json:"candidates"` // pairs whose services were counted
	Rows        []GapsRow `json:"rows"`
}

// GapsRow is one service gap.
type GapsRow struct {
	FSA        string   `json:"fsa"`
	Place      string   `json:"place"`
	Region     string   `json:"region"`
	RegionName string   `json:"region_name"`
	Code       string   `json:"taxonomy"`
	Name       string   `json:"taxonomy_name,omitempty"`
	Needs      Count    `json:"needs"`
	Unmet      Count    `json:"unmet"`
	UnmetRate  *float64 `json:"unmet_rate"`
	Services   int      `json:"services"`
	Severity   *float64 `json:"severity"`
}

// maxGapCandidates bounds the pairs whose services one request counts.
const maxGapCandidates = 1000

// GapsQuery asks for service gaps: FSAs where a need at Level is often
// unmet and few services of that kind lie near. It takes no met or reason
// filter: the report compares unmet needs with all needs.
type GapsQuery struct {
	Query
	Level       int     // taxonomy level, from 1 to MaxLevel
	RadiusKm    float64 // from 0.1 to 500
	MinUnmet    int     // at least 1
	MinRate     float64 // from 0 to 1
	MaxServices int     // at least 0
	Limit       int     // from 1 to 500
}

// gapCand is a pair (FSA, code) whose unmet needs qualify it as a gap,
// before its services are counted.
type gapCand struct {
	fsa         geo.FSA
	code        string
	met, unmet  sum
	pu          int64 // unmet as published
	rate        float64
	services    int
	severityVal float64
}

// Gaps returns the service gaps of q (see GapsReport), counting services
// with services, protected unless q.Exact. It returns an ENOTIMPLEMENTED
// error when services is nil, an EINVALID error naming the parameter at
// fault when q cannot be answered, and the error of services.
func Gaps(ctx context.Context, c *Cube, services Services, q GapsQuery) (*GapsReport, error) {
	if services == nil {
		return nil, o211.Errorf(o211.ENOTIMPLEMENTED, "The service gaps report needs the directory's services, which this server does not count.")
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	for i, set := range []bool{q.Filters.Met != nil, q.Filters.Reason != nil} {
		if set {
			p := []string{"met", "reason"}[i]
			return nil, o211.FieldErrorf(p, "the gaps report compares unmet needs with all needs; leave %s out", p)
		}
	}
	if err := checkLevel("level", q.Level); err != nil {
		return nil, err
	}
	out := &GapsReport{Meta: q.meta("gaps"), Level: q.Level, RadiusKm: q.RadiusKm, MinUnmet: q.MinUnmet,
		MinRate: q.MinRate, MaxServices: q.MaxServices}
	cands := gapCandidates(c, &q)
	out.Candidates = len(cands)
	var gaps []gapCand
	for _, g := range cands {
		n, err := services(ctx, g.code, g.fsa.Code, q.RadiusKm)
		if err != nil {
			return nil, err
		}
		if n > q.MaxServices {
			continue
		}
		g.services = n
		g.severityVal = float64(g.pu) * g.rate / float64(1+n)
		gaps = append(gaps, g)
	}
	sort.SliceStable(gaps, func(a, b int) bool { return gaps[a].severityVal > gaps[b].severityVal })
	if len(gaps) > q.Limit {
		gaps = gaps[:q.Limit]
	}
	out.fill(&q.Query, gaps)
	return out, nil
}

// gapCandidates returns the pairs (FSA, code) whose unmet needs qualify,
// most unmet first, at most maxGapCandidates.
func gapCandidates(c *Cube, q *GapsQuery) []gapCand {
	res := q.run(c, &query{From: q.From, To: q.To, Filters: q.Filters,
		By: []Group{{Dim: DimFSA}, {Dim: DimTaxonomy, Level: q.Level}, {Dim: DimMet}}})
	metPos, unmetPos := metColumns(res.Axes[2])
	at := func(i, c, j int) sum {
		if j < 0 {
			return sum{}
		}
		return res.entry(i, c, j)
	}
	var cands []gapCand
	for i, f := range res.Axes[0].Keys {
		g, ok := geo.LookupFSA(f)
		if f == "" || !ok {
			continue
		}
		for c, code := range res.Axes[1].Keys {
			// Candidates qualify on the counts as published.
			met, unmet := at(i, c, metPos), at(i, c, unmetPos)
			u, n := q.value(unmet), q.value(met.plus(unmet))
			if u < int64(q.MinUnmet) || float64(u) < q.MinRate*float64(n) || n == 0 {
				continue
			}
			cands = append(cands, gapCand{fsa: g, code: code, met: met, unmet: unmet, pu: u, rate: float64(u) / float64(n)})
		}
	}
	sort.SliceStable(cands, func(a, b int) bool {
		if cands[a].pu != cands[b].pu {
			return cands[a].pu > cands[b].pu
		}
		return cands[a].rate > cands[b].rate
	})
	if len(cands) > maxGapCandidates {
		cands = cands[:maxGapCandidates]
	}
	return cands
}

// fill protects the gaps' counts and fills the rows. Each row shows needs
// and unmet, so its met needs follow: a table of [met, unmet] with row
// totals, suppressed as such.
func (out *GapsReport) fill(q *Query, gaps []gapCand) {
	t := &table{R: len(gaps), C: 2, Cells: make([]int64, 2*len(gaps)), Keys: make([]uint64, 2*len(gaps)), RowTotals: true}
	for i, g := range gaps {
		t.Cells[2*i], t.Cells[2*i+1] = g.met.n, g.unmet.n
		t.Keys[2*i], t.Keys[2*i+1] = g.met.k, g.unmet.k
	}
	p := q.publish(t)
	out.Suppression.add(p)
	for i, g := range gaps {
		region, _ := geo.RegionByID(g.fsa.Region)
		row := GapsRow{FSA: g.fsa.Code, Place: g.fsa.Place, Region: g.fsa.Region, RegionName: region.Name,
			Code: g.code, Name: label(DimTaxonomy, g.code, q.Lang), Services: g.services,
			Needs: p.Rows[i], Unmet: p.Cells[2*i+1]}
		row.UnmetRate = rate(row.Unmet, row.Needs)
		if row.UnmetRate != nil {
			row.Severity = round4(g.severityVal)
		}
		out.Rows = append(out.Rows, row)
	}
}

func (o *GapsReport) writeCSV(w *csv.Writer) {
	writeAll(w, []string{"fsa", "place", "region", "region_name", "taxonomy", "taxonomy_name", "needs", "unmet",
		"unmet_rate", "services", "severity"})
	for _, r := range o.Rows {
		writeAll(w, []string{r.FSA, r.Place, r.Region, r.RegionName, r.Code, r.Name, r.Needs.String(), r.Unmet.String(),
			formatRate(r.UnmetRate), strconv.Itoa(r.Services), formatFloat(r.Severity)})
	}
}
