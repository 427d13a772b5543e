package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/o211/o211"
	"github.com/o211/o211/cmd/o211/internal/gen"
	"github.com/o211/o211/hub/fsm"
	reports "github.com/o211/o211/node/report"
)

// fsmLog numbers the commands it encodes as consecutive Raft log entries.
type fsmLog struct {
	tb    testing.TB
	index uint64
}

var fsmT0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// apply encodes a command as the next log entry and applies it to f.
func (l *fsmLog) apply(f *fsm.FSM, typ fsm.CommandType, payload any) {
	l.tb.Helper()
	data, err := fsm.EncodeCommand(typ, fsmT0, payload)
	if err != nil {
		l.tb.Fatal(err)
	}
	l.index++
	resp, _ := f.Apply(&raft.Log{Index: l.index, Term: 1, Type: raft.LogCommand, Data: data}).(*fsm.Response)
	if resp == nil {
		l.tb.Fatalf("log %d: no response", l.index)
	}
	if resp.Err != nil {
		l.tb.Fatal(resp.Err)
	}
}

// BenchmarkFSM_IngestReports applies a year of a province's generated
// contacts, as report records in batches of 500 from their regions, to the
// hub's state machine and reports the rate, the state file's size and the
// rows of the aggregate table. It lives here because the generator is
// internal to the binary.
//
//	go test -run '^$' -bench IngestReports -benchtime 1x ./cmd/o211
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
		l := &fsmLog{tb: b}
		pending := map[string][]*o211.Record{}
		seq := map[string]uint64{}
		flush := func(region string) {
			recs := pending[region]
			if seq[region] == 0 {
				l.apply(f, fsm.CmdPutRegion, &fsm.PutRegion{Region: o211.Region{ID: region, Name: "Region " + region}})
			}
			from := seq[region] + 1
			seq[region] += uint64(len(recs))
			l.apply(f, fsm.CmdIngestBatch, &fsm.IngestBatch{Region: region, FromSeq: from, ToSeq: seq[region], Records: recs})
			pending[region] = nil
		}
		n := 0
		b.StartTimer()
		err = gen.GenerateContacts(gen.ContactsConfig{Seed: 1, Start: gen.DefaultNow, Days: days}, func(c *o211.Contact) error {
			n++
			rep := o211.Anonymise(c, fmt.Sprintf("r-%d", n))
			data, _ := json.Marshal(rep)
			pending[c.Region] = append(pending[c.Region], &o211.Record{Kind: o211.KindReport, ID: rep.ID, Region: c.Region, Version: 1, Modified: fsmT0, Data: data})
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
			return s.Aggregates(0, func(typ byte, _ reports.Cell, _ uint64) error { rows[typ]++; return nil })
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
