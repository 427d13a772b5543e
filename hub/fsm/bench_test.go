package fsm_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
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
