package fsm_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/hashicorp/raft"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/node/report"
)

func reportRec(tb testing.TB, r *o211.Report) *o211.Record {
	tb.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		tb.Fatal(err)
	}
	return &o211.Record{Kind: o211.KindReport, ID: r.ID, Region: r.Region, Version: 1, Modified: t0, Data: data}
}

func sampleReport(region, id, code string, met bool) *o211.Report {
	n := o211.ReportNeed{Code: code, Met: met}
	if !met {
		n.Reason = o211.ReasonWaitlistFull
	}
	return &o211.Report{ID: id, Region: region, Day: "2026-11-02", FSA: "K1N", Channel: o211.ChannelPhone,
		AgeBand: "25-34", Language: "fr", Needs: []o211.ReportNeed{n, {Code: "NL-6000.2000", Met: true}}}
}

// aggregates renders the state's aggregate table as type/code/met -> count,
// summed over the other dimensions.
func aggregates(tb testing.TB, f *fsm.FSM) map[string]uint64 {
	tb.Helper()
	out := map[string]uint64{}
	err := f.View(func(s *fsm.State) error {
		return s.Aggregates(0, func(typ byte, c report.Cell, n uint64) error {
			out[fmt.Sprintf("%c %s %v", typ, c.Code, c.Met)] += n
			return nil
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestFSM_Reports(t *testing.T) {
	f := mustOpen(t)
	l := &logs{tb: t}
	var events []fsm.Event
	ingest := func(b *fsm.IngestBatch) *fsm.Response {
		return apply(t, f, l.next(fsm.CmdIngestBatch, t0, b))
	}
	registerRegion(t, f, l, "east")

	first := &fsm.IngestBatch{Region: "east", FromSeq: 1, ToSeq: 3, Records: []*o211.Record{
		org(t, "east", "a", 1),
		reportRec(t, sampleReport("east", "r1", "BD-1800.2000", true)),
		reportRec(t, sampleReport("east", "r2", "BH-1800.8500*YS-5000.5000", false)),
	}}
	resp := ingest(first)
	res := resp.Value.(*fsm.IngestResult)
	if resp.Err != nil || res.Applied != 1 || res.Reports != 2 || res.Mark != 3 {
		t.Fatalf("first batch = %+v, %v; want 1 record applied, 2 reports counted, mark 3", res, resp.Err)
	}
	want := map[string]uint64{
		"c  false":            2,
		"n BD-1800.2000 true": 1, "n BH-1800.8500 false": 1, "n NL-6000.2000 true": 2,
	}
	if got := aggregates(t, f); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("aggregates\n got %v\nwant %v", got, want)
	}
	f.View(func(s *fsm.State) error {
		if _, err := s.Tx().Get(o211.KindReport, "r1"); o211.ErrorCode(err) != o211.ENOTFOUND {
			t.Errorf("a report was stored in the provincial directory: %v", err)
		}
		if total, by, _ := s.ReportCount(); total != 2 || by["east"] != 2 {
			t.Errorf("ReportCount = %d %v, want 2", total, by)
		}
		return nil
	})

	t.Run("ReplayCountsNothing", func(t *testing.T) {
		before := aggregates(t, f)
		resp := ingest(first)
		if res := resp.Value.(*fsm.IngestResult); resp.Err != nil || !res.Skipped {
			t.Fatalf("replay = %+v, %v; want skipped", res, resp.Err)
		}
		// The same report under a later sequence number (a node restored
		// from a backup) is still counted once.
		resp = ingest(&fsm.IngestBatch{Region: "east", FromSeq: 4, ToSeq: 5, Records: []*o211.Record{
			reportRec(t, sampleReport("east", "r1", "BD-1800.2000", true)),
			reportRec(t, sampleReport("east", "r1", "BD-1800.2000", true)),
		}})
		res := resp.Value.(*fsm.IngestResult)
		if resp.Err != nil || res.Reports != 0 || res.Stale != 2 || res.Mark != 5 {
			t.Fatalf("resent report = %+v, %v; want 2 stale, mark 5", res, resp.Err)
		}
		if got := aggregates(t, f); fmt.Sprint(got) != fmt.Sprint(before) {
			t.Fatalf("aggregates changed by a replay:\n got %v\nwant %v", got, before)
		}
	})
	t.Run("ErrBadReportWritesNothing", func(t *testing.T) {
		before := aggregates(t, f)
		bad := sampleReport("east", "r9", "BD-1800.2000", true)
		bad.Needs[0].Reason = o211.ReasonCost // a met need with a reason
		resp := ingest(&fsm.IngestBatch{Region: "east", FromSeq: 6, ToSeq: 7, Records: []*o211.Record{
			reportRec(t, sampleReport("east", "r8", "BD-1800.2000", true)), reportRec(t, bad)}})
		if o211.ErrorCode(resp.Err) != o211.EINVALID {
			t.Fatalf("got %v, want EINVALID", resp.Err)
		}
		if got := aggregates(t, f); fmt.Sprint(got) != fmt.Sprint(before) {
			t.Fatalf("a refused batch changed the aggregates:\n got %v\nwant %v", got, before)
		}
		f.View(func(s *fsm.State) error {
			if s.HasReport("east", "r8") {
				t.Error("the valid report of a refused batch was counted")
			}
			return nil
		})
	})
	t.Run("ErrForeignReport", func(t *testing.T) {
		resp := ingest(&fsm.IngestBatch{Region: "east", FromSeq: 6, ToSeq: 6, Records: []*o211.Record{
			reportRec(t, sampleReport("west", "w1", "BD", true))}})
		if o211.ErrorCode(resp.Err) != o211.EFORBIDDEN {
			t.Fatalf("got %v, want EFORBIDDEN", resp.Err)
		}
	})
	t.Run("EveryLevelRollsUp", func(t *testing.T) {
		cube := report.NewCube()
		f.View(func(s *fsm.State) error { return s.LoadCube(cube) })
		if cube.Contacts() != 2 || cube.Needs() != 4 {
			t.Fatalf("cube holds %d contacts and %d needs, want 2 and 4", cube.Contacts(), cube.Needs())
		}
		r := chi.NewRouter()
		report.NewAPI(report.Config{Cube: cube, Scope: "province", AllowUnsuppressed: true,
			Authenticate: func(*http.Request) (o211.Actor, bool, error) {
				return o211.Actor{ID: "t", Role: o211.RoleAnalyst}, true, nil
			}}).Routes(r)
		for level, want := range map[int]string{
			1: "B=2 N=2", 2: "BD=1 BH=1 NL=2", 3: "BD-1800=1 BH-1800=1 NL-6000=2", 4: "BD-1800.2000=1 BH-1800.8500=1 NL-6000.2000=2"} {
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest("GET", fmt.Sprintf("/api/v1/reports/needs?by=taxonomy&level=%d&suppress=false&from=2026-11-01&to=2026-11-30", level), nil))
			var rep report.NeedsReport
			if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
				t.Fatalf("level %d: %v: %s", level, err, w.Body)
			}
			var got []string
			for _, row := range rep.Rows {
				got = append(got, fmt.Sprintf("%s=%d", row.Key.Key, row.Total.Value))
			}
			if strings.Join(got, " ") != want {
				t.Errorf("needs at level %d: %v, want %s", level, got, want)
			}
		}
	})
	t.Run("EventsAndOneBatch", func(t *testing.T) {
		// The whole log applied as one batch gives the same aggregates,
		// and the event lists the reports counted once.
		g, err := fsm.Open(fsm.Options{Path: t.TempDir() + "/state.db", NoSync: true,
			OnApply: func(e fsm.Event) { events = append(events, e) }})
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		var all []*raft.Log
		l2 := &logs{tb: t}
		all = append(all, l2.next(fsm.CmdPutRegion, t0, &fsm.PutRegion{Region: o211.Region{ID: "east", Name: "East"}}))
		all = append(all, l2.next(fsm.CmdIngestBatch, t0, first), l2.next(fsm.CmdIngestBatch, t0, first))
		g.ApplyBatch(all)
		if got, want := aggregates(t, g), want; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("one batch:\n got %v\nwant %v", got, want)
		}
		if len(events) != 1 || len(events[0].Reports) != 2 {
			t.Fatalf("events = %+v, want one with 2 reports", events)
		}
	})
}

// TestFSM_ReportKeySums checks that the hub's aggregates carry the key sums
// a node's cube computes from the same report records, so that the
// province's reports give the same records the same noise as the
// region's: differencing a region against the province then yields
// nothing new (issue 11).
func TestFSM_ReportKeySums(t *testing.T) {
	f := mustOpen(t)
	l := &logs{tb: t}
	registerRegion(t, f, l, "east")
	node := report.NewCube()
	codes := []string{"BD-1800.2000", "BH-1800.8500", "LH-2700.2000"}
	var recs []*o211.Record
	for i := 0; i < 90; i++ {
		r := sampleReport("east", fmt.Sprintf("k%02d", i), codes[i%3], i%4 != 0)
		if err := node.Add(r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, reportRec(t, r))
	}
	// Two batches, so that counts are added to stored aggregates too.
	for i, part := range [][]*o211.Record{recs[:40], recs[40:]} {
		from := uint64(1 + 40*i)
		resp := apply(t, f, l.next(fsm.CmdIngestBatch, t0, &fsm.IngestBatch{Region: "east", FromSeq: from,
			ToSeq: from + uint64(len(part)) - 1, Records: part}))
		if resp.Err != nil {
			t.Fatal(resp.Err)
		}
	}
	hub := report.NewCube()
	f.View(func(s *fsm.State) error { return s.LoadCube(hub) })
	from, _ := report.DayNumber("2026-11-01")
	q := report.NeedsQuery{Query: report.Query{From: from, To: from + 29}, By: []report.Group{{Dim: report.DimTaxonomy, Level: 4}, {Dim: report.DimMet}}}
	want, err := report.Needs(node, q)
	if err != nil {
		t.Fatal(err)
	}
	got, err := report.Needs(hub, q)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := json.Marshal([]any{want.Rows, want.ColumnTotals, want.Total})
	g, _ := json.Marshal([]any{got.Rows, got.ColumnTotals, got.Total})
	if string(g) != string(w) {
		t.Fatalf("the hub publishes\n%s\nthe node\n%s", g, w)
	}
	exact := q
	exact.Protection = report.Exact
	e, _ := report.Needs(hub, exact)
	if e.Total.Value != 180 || got.Suppression.Method != "perturbed" || string(g) == mustJSON(t, e) {
		t.Fatalf("hub total %+v, method %q: want 180 needs (two a report), perturbed", e.Total, got.Suppression.Method)
	}
}

func mustJSON(tb testing.TB, r *report.NeedsReport) string {
	b, err := json.Marshal([]any{r.Rows, r.ColumnTotals, r.Total})
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
