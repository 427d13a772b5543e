package fsm_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/node/gen"
	"github.com/o211/o211/node/report"
)

// BenchmarkFSM_IngestBatch measures applying batches of 100 records of
// realistic size to one state file, with fsync.
func BenchmarkFSM_IngestBatch(b *testing.B) {
	f, err := fsm.Open(fsm.Options{Path: filepath.Join(b.TempDir(), "state.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	l := &logs{tb: b}
	registerRegion(b, f, l, "east")
	desc := strings.Repeat("Community food programme with hot meals and groceries for families. ", 5)
	const size = 100
	entries := make([]*raft.Log, b.N)
	for i := range entries {
		recs := make([]*o211.Record, size)
		for k := range recs {
			id := fmt.Sprintf("org-%d-%d", i, k)
			data, _ := json.Marshal(&o211.Organization{ID: id, Name: "Organisation " + id, Description: desc})
			recs[k] = &o211.Record{Kind: o211.KindOrganization, ID: id, Region: "east", Version: 1, Modified: t0, Data: data}
		}
		seq := uint64(i + 1)
		entries[i] = l.next(fsm.CmdIngestBatch, t0, &fsm.IngestBatch{Region: "east", FromSeq: seq, ToSeq: seq, Records: recs})
	}
	b.ResetTimer()
	for _, e := range entries {
		if resp := f.Apply(e).(*fsm.Response); resp.Err != nil {
			b.Fatal(resp.Err)
		}
	}
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkFSM_IngestReports applies a year of a province's generated
// contacts, as report records in batches of 500 from their regions, and
// reports the rate, the state file's size and the rows of the aggregate
// table.
//
//	go test -run '^$' -bench IngestReports -benchtime 1x ./hub/fsm
func BenchmarkFSM_IngestReports(b *testing.B) {
	days := 365
	if testing.Short() {
		days = 30
	}
	for i := 0; i < b.N; i++ {
		path := filepath.Join(b.TempDir(), "state.db")
		f, err := fsm.Open(fsm.Options{Path: path, NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		l := &logs{tb: b}
		pending := map[string][]*o211.Record{}
		seq := map[string]uint64{}
		flush := func(region string) {
			recs := pending[region]
			if seq[region] == 0 {
				registerRegion(b, f, l, region)
			}
			from := seq[region] + 1
			seq[region] += uint64(len(recs))
			resp := f.Apply(l.next(fsm.CmdIngestBatch, t0, &fsm.IngestBatch{Region: region, FromSeq: from, ToSeq: seq[region], Records: recs})).(*fsm.Response)
			if resp.Err != nil {
				b.Fatal(resp.Err)
			}
			pending[region] = nil
		}
		n := 0
		b.StartTimer()
		err = gen.GenerateContacts(gen.ContactsConfig{Seed: 1, Start: gen.DefaultNow, Days: days}, func(c *o211.Contact) error {
			n++
			rep := o211.Anonymise(c, fmt.Sprintf("r-%d", n))
			data, _ := json.Marshal(rep)
			pending[c.Region] = append(pending[c.Region], &o211.Record{Kind: o211.KindReport, ID: rep.ID, Region: c.Region, Version: 1, Modified: t0, Data: data})
			if len(pending[c.Region]) == 500 {
				flush(c.Region)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		for r := range pending {
			if len(pending[r]) > 0 {
				flush(r)
			}
		}
		b.StopTimer()
		rows := map[byte]int{}
		f.View(func(s *fsm.State) error {
			return s.Aggregates(0, func(typ byte, _ report.Cell, _ uint64) error { rows[typ]++; return nil })
		})
		f.Close()
		st, _ := os.Stat(path)
		b.ReportMetric(float64(n), "reports")
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "reports/s")
		b.ReportMetric(float64(st.Size())/1e6, "state-MB")
		b.ReportMetric(float64(rows[fsm.CellContact]), "contact-rows")
		b.ReportMetric(float64(rows[fsm.CellNeed]), "need-rows")
	}
}
