package report

import (
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

func (s *server) gaps(rq *request) (output, error) {
	if s.cfg.Services == nil {
		return nil, o211.Errorf(o211.ENOTIMPLEMENTED, "The service gaps report needs the directory's services, which this server does not count.")
	}
	for _, p := range []string{"met", "reason"} {
		if rq.q.Has(p) {
			return nil, o211.FieldErrorf(p, "the gaps report compares unmet needs with all needs; leave %s out", p)
		}
	}
	out := &GapsReport{}
	var err error
	if out.Level, err = rq.level(3); err != nil {
		return nil, err
	}
	if out.RadiusKm, err = rq.floatParam("radius_km", 10, 0.1, 500); err != nil {
		return nil, err
	}
	if out.MinUnmet, err = rq.intParam("min_unmet", Threshold, 1, 1<<30); err != nil {
		return nil, err
	}
	if out.MinRate, err = rq.floatParam("min_rate", 0.2, 0, 1); err != nil {
		return nil, err
	}
	if out.MaxServices, err = rq.intParam("max_services", 2, 0, 1<<20); err != nil {
		return nil, err
	}
	limit, err := rq.intParam("limit", 50, 1, 500)
	if err != nil {
		return nil, err
	}
	res := s.cfg.Cube.run(&query{From: rq.from, To: rq.to, Filters: rq.f,
		By: []group{{Dim: dimFSA}, {Dim: dimTaxonomy, Level: out.Level}, {Dim: dimMet}}})
	metPos, unmetPos := -1, -1
	for j, k := range res.Axes[2].Keys {
		if k == "true" {
			metPos = j
		} else {
			unmetPos = j
		}
	}
	at := func(i, c, j int) int64 {
		if j < 0 {
			return 0
		}
		return res.at(i, c, j)
	}
	type cand struct {
		fsa         geo.FSA
		code        string
		met, unmet  int64
		rate        float64
		services    int
		severityVal float64
	}
	var cands []cand
	for i, f := range res.Axes[0].Keys {
		g, ok := geo.LookupFSA(f)
		if f == "" || !ok {
			continue
		}
		for c, code := range res.Axes[1].Keys {
			met, unmet := at(i, c, metPos), at(i, c, unmetPos)
			if unmet < int64(out.MinUnmet) || float64(unmet) < out.MinRate*float64(met+unmet) {
				continue
			}
			cands = append(cands, cand{fsa: g, code: code, met: met, unmet: unmet, rate: float64(unmet) / float64(met+unmet)})
		}
	}
	sort.SliceStable(cands, func(a, b int) bool {
		if cands[a].unmet != cands[b].unmet {
			return cands[a].unmet > cands[b].unmet
		}
		return cands[a].rate > cands[b].rate
	})
	if len(cands) > maxGapCandidates {
		cands = cands[:maxGapCandidates]
	}
	out.Candidates = len(cands)
	var gaps []cand
	for _, c := range cands {
		n, err := s.cfg.Services(rq.r.Context(), c.code, c.fsa.Code, out.RadiusKm)
		if err != nil {
			return nil, err
		}
		if n > out.MaxServices {
			continue
		}
		c.services = n
		c.severityVal = float64(c.unmet) * c.rate / float64(1+n)
		gaps = append(gaps, c)
	}
	sort.SliceStable(gaps, func(a, b int) bool { return gaps[a].severityVal > gaps[b].severityVal })
	if len(gaps) > limit {
		gaps = gaps[:limit]
	}
	// Each row shows needs and unmet, so its met needs follow: a table of
	// [met, unmet] with row totals, suppressed as such.
	t := &table{R: len(gaps), C: 2, Cells: make([]int64, 2*len(gaps)), RowTotals: true}
	for i, g := range gaps {
		t.Cells[2*i], t.Cells[2*i+1] = g.met, g.unmet
	}
	m := rq.mask(t)
	out.Suppression.add(m)
	for i, g := range gaps {
		region, _ := geo.RegionByID(g.fsa.Region)
		row := GapsRow{FSA: g.fsa.Code, Place: g.fsa.Place, Region: g.fsa.Region, RegionName: region.Name,
			Code: g.code, Name: label(dimTaxonomy, g.code, rq.lang), Services: g.services,
			Needs: count(g.met+g.unmet, m.Rows[i]), Unmet: count(g.unmet, m.Cells[2*i+1])}
		row.UnmetRate = rate(row.Unmet, row.Needs)
		if row.UnmetRate != nil {
			row.Severity = round4(g.severityVal)
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

func (o *GapsReport) writeCSV(w *csv.Writer) {
	writeAll(w, []string{"fsa", "place", "region", "region_name", "taxonomy", "taxonomy_name", "needs", "unmet",
		"unmet_rate", "services", "severity"})
	for _, r := range o.Rows {
		writeAll(w, []string{r.FSA, r.Place, r.Region, r.RegionName, r.Code, r.Name, r.Needs.String(), r.Unmet.String(),
			formatRate(r.UnmetRate), strconv.Itoa(r.Services), formatFloat(r.Severity)})
	}
}
