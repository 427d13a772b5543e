package fsm_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
)

// groupEntry returns batches as one ingest_group entry at index.
func groupEntry(tb testing.TB, index uint64, v int, batches ...*fsm.IngestBatch) *raft.Log {
	tb.Helper()
	var bins [][]byte
	for _, b := range batches {
		bins = append(bins, fsm.EncodeIngestBatch(b))
	}
	data, err := fsm.EncodeCommandVersion(v, fsm.CmdIngestGroup, t0, fsm.EncodeIngestGroup(bins))
	if err != nil {
		tb.Fatal(err)
	}
	return &raft.Log{Index: index, Term: 1, Type: raft.LogCommand, Data: data}
}

// registered returns a state machine with regions registered, and the log
// that did it.
func registered(tb testing.TB, regions ...string) (*fsm.FSM, *logs) {
	f, l := mustOpen(tb), &logs{tb: tb}
	for _, r := range regions {
		registerRegion(tb, f, l, r)
	}
	return f, l
}

// A group of batches of many regions applies each batch as its own
// ingest_batch entry would, in order, with its own response: the same
// responses and the same state. A batch refused (a gap) fails alone;
// conflicts are counted against the region whose batch had them.
func TestFSM_IngestGroupIsEachBatch(t *testing.T) {
	batches := []*fsm.IngestBatch{
		{Region: "east", FromSeq: 1, ToSeq: 2, Records: []*o211.Record{org(t, "east", "a", 1), org(t, "east", "b", 1)}},
		{Region: "west", FromSeq: 1, ToSeq: 1, Records: []*o211.Record{org(t, "west", "c", 1)}},
		{Region: "east", FromSeq: 3, ToSeq: 3, Records: []*o211.Record{org(t, "east", "a", 2)}},
		{Region: "north", FromSeq: 5, ToSeq: 6, Records: []*o211.Record{org(t, "north", "n", 1)}},
		{Region: "west", FromSeq: 2, ToSeq: 3, Records: []*o211.Record{org(t, "west", "a", 1), org(t, "west", "w", 1)}},
		{Region: "west", FromSeq: 1, ToSeq: 1, Records: []*o211.Record{org(t, "west", "c", 1)}},
	}
	grouped, gl := registered(t, "east", "west", "north")
	resp := apply(t, grouped, groupEntry(t, gl.index+1, fsm.CommandVersion, batches...))
	gr, _ := resp.Value.(*fsm.GroupResult)
	if resp.Err != nil || gr == nil || len(gr.Batches) != len(batches) {
		t.Fatalf("group = %+v, %v; want a result per batch", resp.Value, resp.Err)
	}
	single, sl := registered(t, "east", "west", "north")
	var want, got []any
	for i, b := range batches {
		want = append(want, apply(t, single, binEntry(t, sl, b)))
		got = append(got, gr.Batches[i])
	}
	if dump(t, got) != dump(t, want) {
		t.Fatalf("group responses\n%s\nwant, one entry each\n%s", dump(t, got), dump(t, want))
	}
	if a, b := withoutApplied(stateOf(t, grouped)), withoutApplied(stateOf(t, single)); a != b {
		t.Fatalf("state after the group\n%s\nafter one entry each\n%s", a, b)
	}
	if code := o211.ErrorCode(gr.Batches[3].Err); code != o211.ECONFLICT {
		t.Errorf("north's batch with a gap = %v, want ECONFLICT", gr.Batches[3].Err)
	}
	if res := gr.Batches[2].Value.(*fsm.IngestResult); res.Mark != 3 || res.Applied != 1 {
		t.Errorf("east's second batch in the group = %+v, want mark 3, one applied", res)
	}
	if res := gr.Batches[5].Value.(*fsm.IngestResult); !res.Skipped || res.Mark != 3 {
		t.Errorf("west's batch sent again in the group = %+v, want skipped at mark 3", res)
	}
	_ = grouped.View(func(s *fsm.State) error {
		for region, n := range map[string]uint64{"east": 0, "west": 1, "north": 0} {
			r, err := s.Region(region)
			if err != nil || r.Conflicts != n {
				t.Errorf("region %s: %+v %v, want %d conflicts", region, r, err, n)
			}
		}
		return nil
	})
}

// binEntry returns the next entry of l: batch b as ingest_batch/bin.
func binEntry(tb testing.TB, l *logs, b *fsm.IngestBatch) *raft.Log {
	tb.Helper()
	data, err := fsm.EncodeCommandJSON(fsm.CmdIngestBatchBin, t0, fsm.EncodeIngestBatch(b))
	if err != nil {
		tb.Fatal(err)
	}
	l.index++
	return &raft.Log{Index: l.index, Term: 1, Type: raft.LogCommand, Data: data}
}

// withoutApplied drops the applied index from a rendered state (a group
// is one entry where the batches one by one are several).
func withoutApplied(s string) string {
	first, rest, _ := strings.Cut(s, "\n")
	_, seq, _ := strings.Cut(first, " seq ")
	return seq + "\n" + rest
}

// A group the store refuses (a row that does not decode: the leader checks
// rows before proposing, Apply leaves it to the store) fails whole: no
// batch of it is applied, every mark stays, and the entry after it applies
// as usual. The leader then fails every push of the group.
func TestFSM_IngestGroupFailsWhole(t *testing.T) {
	f, l := registered(t, "east", "west")
	entries := []*raft.Log{
		groupEntry(t, l.index+1, fsm.CommandVersion,
			&fsm.IngestBatch{Region: "west", FromSeq: 1, ToSeq: 1, Records: []*o211.Record{org(t, "west", "w", 1)}},
			&fsm.IngestBatch{Region: "east", FromSeq: 1, ToSeq: 2, Records: []*o211.Record{org(t, "east", "a", 1), badRow()}}),
		groupEntry(t, l.index+2, fsm.CommandVersion,
			&fsm.IngestBatch{Region: "west", FromSeq: 1, ToSeq: 1, Records: []*o211.Record{org(t, "west", "w", 1)}}),
	}
	out := f.ApplyBatch(entries)
	if r := out[0].(*fsm.Response); o211.ErrorCode(r.Err) != o211.EINVALID || r.Value != nil {
		t.Fatalf("group with a bad row = %+v, %v; want the whole entry refused (EINVALID)", r.Value, r.Err)
	}
	r := out[1].(*fsm.Response)
	if gr, _ := r.Value.(*fsm.GroupResult); r.Err != nil || gr == nil || gr.Batches[0].Err != nil ||
		gr.Batches[0].Value.(*fsm.IngestResult).Mark != 1 || gr.Batches[0].Value.(*fsm.IngestResult).Skipped {
		t.Fatalf("the next group = %+v, %v; want west applied to mark 1", r.Value, r.Err)
	}
	_ = f.View(func(s *fsm.State) error {
		if _, err := s.Tx().Get(o211.KindOrganization, "a"); err == nil {
			t.Error("a record of the refused group was stored")
		}
		if r, _ := s.Region("east"); r == nil || r.Mark != 0 {
			t.Errorf("east after the refused group: %+v, want mark 0", r)
		}
		return nil
	})
	if f.AppliedIndex() != l.index+2 {
		t.Errorf("applied index %d, want %d", f.AppliedIndex(), l.index+2)
	}
}

// A group in an envelope older than version 3 is refused the same way on
// every replica (no leader writes one), and a replica of a release that
// reads version 2 stops at a version 3 entry rather than skip it.
func TestFSM_IngestGroupNeedsVersion3(t *testing.T) {
	f, l := registered(t, "east")
	b := &fsm.IngestBatch{Region: "east", FromSeq: 1, ToSeq: 1, Records: []*o211.Record{org(t, "east", "a", 1)}}
	if r := apply(t, f, groupEntry(t, l.index+1, 2, b)); o211.ErrorCode(r.Err) != o211.EINVALID {
		t.Fatalf("a group at version 2 = %+v, %v; want EINVALID", r.Value, r.Err)
	}
	path := t.TempDir() + "/state.db"
	old, err := fsm.Open(fsm.Options{Path: path, NoSync: true, MaxCommandVersion: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	p, _ := json.Marshal(&fsm.PutRegion{Region: o211.Region{ID: "east", Name: "East"}})
	v2, _ := fsm.EncodeCommandVersion(2, fsm.CmdPutRegion, t0, p)
	if r := apply(t, old, &raft.Log{Index: 1, Type: raft.LogCommand, Data: v2}); r.Err != nil {
		t.Fatal(r.Err)
	}
	msg := mustStop(t, func() { old.Apply(groupEntry(t, 2, fsm.CommandVersion, b)) })
	if !strings.Contains(msg, "version 3") || old.AppliedIndex() != 1 {
		t.Errorf("an older replica met a group: %q, applied %d", msg, old.AppliedIndex())
	}
}

func TestIngestGroupCodec(t *testing.T) {
	b := fsm.EncodeIngestBatch(&fsm.IngestBatch{Region: "east", FromSeq: 1, ToSeq: 1, Records: []*o211.Record{org(t, "east", "a", 1)}})
	enc := fsm.EncodeIngestGroup([][]byte{b, b})
	f, l := registered(t, "east")
	for n := 0; n < len(enc); n++ {
		data, _ := fsm.EncodeCommandVersion(fsm.CommandVersion, fsm.CmdIngestGroup, t0, enc[:n])
		r := apply(t, f, &raft.Log{Index: l.index + uint64(n) + 1, Type: raft.LogCommand, Data: data})
		if o211.ErrorCode(r.Err) != o211.EINVALID {
			t.Fatalf("the first %d of %d bytes of a group: %+v %v, want EINVALID", n, len(enc), r.Value, r.Err)
		}
	}
}
