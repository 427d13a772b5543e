package report_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/report"
)

// TestGaps checks the gaps report's logic against a Services function that
// answers from a table: the contract the node and hub implement over their
// directories.
func TestGaps(t *testing.T) {
	cube := report.NewCube()
	at := func(fsa string) o211.Report { return o211.Report{Region: "east", FSA: fsa} }
	// K1A: 20 of 40 unmet, 1 service: severity 20 × 0.5 / 2 = 5.
	add(t, cube, 20, at("K1A"), "BD-1800.2000", "")
	add(t, cube, 20, at("K1A"), "BD-1800.1000", o211.ReasonNotAvailable)
	// K2P: 12 of 30 unmet, no service: 12 × 0.4 / 1 = 4.8.
	add(t, cube, 18, at("K2P"), "BD-1800.2000", "")
	add(t, cube, 12, at("K2P"), "BD-1800.2000", o211.ReasonCost)
	// M5T: 30 of 100 unmet but 10 services near: no gap.
	add(t, cube, 70, o211.Report{Region: "central", FSA: "M5T"}, "BD-1800.2000", "")
	add(t, cube, 30, o211.Report{Region: "central", FSA: "M5T"}, "BD-1800.2000", o211.ReasonWaitlistFull)
	// P7B: 5 unmet of 50: too few. No FSA: nowhere to measure from.
	add(t, cube, 45, o211.Report{Region: "north", FSA: "P7B"}, "BH-1800", "")
	add(t, cube, 5, o211.Report{Region: "north", FSA: "P7B"}, "BH-1800", o211.ReasonCost)
	add(t, cube, 40, o211.Report{Region: "north"}, "BH-1800", o211.ReasonCost)
	// N9A: 12 unmet of 100, a rate of 0.12: under the default 0.2.
	add(t, cube, 88, o211.Report{Region: "south-west", FSA: "N9A"}, "LH-2700.2000", "")
	add(t, cube, 12, o211.Report{Region: "south-west", FSA: "N9A"}, "LH-2700.2000", o211.ReasonTransportation)

	services := map[string]int{"BD-1800/K1A": 1, "BD-1800/K2P": 0, "BD-1800/M5T": 10}
	var mu sync.Mutex
	var asked []string
	h := mustServe(t, report.Config{Cube: cube, Services: func(ctx context.Context, code, fsa string, radiusKm float64) (int, error) {
		mu.Lock()
		asked = append(asked, fmt.Sprintf("%s/%s/%g", code, fsa, radiusKm))
		mu.Unlock()
		return services[code+"/"+fsa], nil
	}})
	var got report.GapsReport
	getJSON(t, h, "/api/v1/reports/gaps?radius_km=5", &got)
	var rows []string
	for _, r := range got.Rows {
		rows = append(rows, fmt.Sprintf("%s %s %s %s/%s %s %d %g", r.FSA, r.Region, r.Code, r.Unmet, r.Needs, fmtRate(r.UnmetRate), r.Services, *r.Severity))
	}
	want := []string{"K1A east BD-1800 20/40 0.5 1 5", "K2P east BD-1800 12/30 0.4 0 4.8"}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("gaps %v, want %v", rows, want)
	}
	if got.Rows[1].Place != "Ottawa (Centre Town)" || got.Rows[1].RegionName != "East" || got.Rows[1].Name != "Emergency Food" {
		t.Errorf("row %+v: want the FSA's place, region and code named", got.Rows[1])
	}
	if fmt.Sprint(asked) != "[BD-1800/M5T/5 BD-1800/K1A/5 BD-1800/K2P/5]" || got.Candidates != 3 {
		t.Errorf("services asked for %v (%d candidates)", asked, got.Candidates)
	}
	t.Run("Thresholds", func(t *testing.T) {
		var got report.GapsReport
		getJSON(t, h, "/api/v1/reports/gaps?min_rate=0.1&max_services=0&level=2&region=south-west", &got)
		if len(got.Rows) != 1 || got.Rows[0].FSA != "N9A" || got.Rows[0].Code != "LH" || got.MaxServices != 0 {
			t.Errorf("rows %+v, want N9A at LH", got.Rows)
		}
	})
	t.Run("SmallUnmetSuppressed", func(t *testing.T) {
		var got report.GapsReport
		getJSON(t, h, "/api/v1/reports/gaps?min_unmet=5&min_rate=0.05&region=north", &got)
		if len(got.Rows) != 1 || !got.Rows[0].Unmet.Suppressed || got.Rows[0].UnmetRate != nil || got.Rows[0].Severity != nil {
			t.Errorf("rows %+v, want P7B's 5 unmet suppressed", got.Rows)
		}
	})
	t.Run("CSV", func(t *testing.T) {
		w := get(t, h, "/api/v1/reports/gaps?format=csv", "")
		if !strings.HasPrefix(w.Body.String(), "fsa,place,region,region_name,taxonomy,taxonomy_name,needs,unmet,unmet_rate,services,severity\n"+
			"K1A,Government of Canada Ottawa and Gatineau offices,east,East,BD-1800,Emergency Food,40,20,0.5,1,5\n") {
			t.Errorf("CSV:\n%s", w.Body)
		}
	})
	t.Run("NotImplemented", func(t *testing.T) {
		w := get(t, mustServe(t, report.Config{Cube: cube}), "/api/v1/reports/gaps", "")
		if w.Code != http.StatusNotImplemented || w.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("without Services: %d %s", w.Code, w.Body)
		}
	})
}
