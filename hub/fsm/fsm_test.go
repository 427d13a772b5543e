package fsm_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func mustOpen(tb testing.TB) *fsm.FSM {
	tb.Helper()
	f, err := fsm.Open(fsm.Options{Path: filepath.Join(tb.TempDir(), "state.db"), NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

// logs numbers commands as consecutive log entries from index first.
type logs struct {
	tb    testing.TB
	index uint64
}

func (l *logs) next(typ fsm.CommandType, at time.Time, payload any) *raft.Log {
	l.tb.Helper()
	b, err := fsm.EncodeCommand(typ, at, payload)
	if err != nil {
		l.tb.Fatal(err)
	}
	l.index++
	return &raft.Log{Index: l.index, Term: 1, Type: raft.LogCommand, Data: b}
}

func apply(tb testing.TB, f *fsm.FSM, l *raft.Log) *fsm.Response {
	tb.Helper()
	resp, _ := f.Apply(l).(*fsm.Response)
	if resp == nil {
		tb.Fatalf("log %d: no response", l.Index)
	}
	return resp
}

func org(tb testing.TB, region, id string, version uint64) *o211.Record {
	tb.Helper()
	data, err := json.Marshal(&o211.Organization{ID: id, Name: "Org " + id, Description: "x"})
	if err != nil {
		tb.Fatal(err)
	}
	return &o211.Record{Kind: o211.KindOrganization, ID: id, Region: region, Version: version, Modified: t0, Data: data}
}

func registerRegion(tb testing.TB, f *fsm.FSM, l *logs, id string) {
	tb.Helper()
	resp := apply(tb, f, l.next(fsm.CmdPutRegion, t0, &fsm.PutRegion{Region: o211.Region{ID: id, Name: "Region " + id}}))
	if resp.Err != nil {
		tb.Fatal(resp.Err)
	}
}

func TestFSM_PutRegion(t *testing.T) {
	f := mustOpen(t)
	l := &logs{tb: t}
	put := func(at time.Time, r o211.Region) *fsm.Response {
		return apply(t, f, l.next(fsm.CmdPutRegion, at, &fsm.PutRegion{Region: r}))
	}
	resp := put(t0, o211.Region{ID: "east", Name: " Eastern Ontario ", City: "Ottawa", Lat: 45.4, Lon: -75.7})
	reg, _ := resp.Value.(*fsm.Region)
	if resp.Err != nil || reg == nil || reg.Name != "Eastern Ontario" || !reg.Registered.Equal(t0) || !reg.Updated.Equal(t0) {
		t.Fatalf("put = %+v, %v; want the region registered at %s", reg, resp.Err, t0)
	}
	t.Run("UnchangedKeepsTimes", func(t *testing.T) {
		resp := put(t0.Add(time.Hour), o211.Region{ID: "east", Name: "Eastern Ontario", City: "Ottawa", Lat: 45.4, Lon: -75.7})
		reg := resp.Value.(*fsm.Region)
		if !reg.Updated.Equal(t0) {
			t.Fatalf("updated = %s, want %s (nothing changed)", reg.Updated, t0)
		}
	})
	t.Run("ChangeKeepsRegistered", func(t *testing.T) {
		later := t0.Add(2 * time.Hour)
		reg := put(later, o211.Region{ID: "east", Name: "East"}).Value.(*fsm.Region)
		if !reg.Registered.Equal(t0) || !reg.Updated.Equal(later) {
			t.Fatalf("registered %s updated %s; want %s and %s", reg.Registered, reg.Updated, t0, later)
		}
	})
	for _, tc := range []struct {
		name, field string
		region      o211.Region
	}{
		{"ErrInvalidID", "id", o211.Region{ID: "East!", Name: "x"}},
		{"ErrNameRequired", "name", o211.Region{ID: "west", Name: "  "}},
		{"ErrLatitude", "lat", o211.Region{ID: "west", Name: "x", Lat: 91}},
		{"ErrLongitude", "lon", o211.Region{ID: "west", Name: "x", Lon: -181}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := put(t0, tc.region)
			var e *o211.Error
			if !errorsAs(resp.Err, &e) || e.Code != o211.EINVALID || e.Field != tc.field {
				t.Fatalf("got %v, want EINVALID on field %s", resp.Err, tc.field)
			}
		})
	}
	t.Run("ReplayIsSkipped", func(t *testing.T) {
		before := f.AppliedIndex()
		old := &raft.Log{Index: 1, Term: 1, Type: raft.LogCommand, Data: mustEncode(t, fsm.CmdPutRegion, &fsm.PutRegion{Region: o211.Region{ID: "east", Name: "Replayed"}})}
		if got := f.Apply(old); got != nil {
			t.Fatalf("replayed entry answered %v, want nil", got)
		}
		f.View(func(s *fsm.State) error {
			r, _ := s.Region("east")
			if r.Name != "East" || s.AppliedIndex() != before {
				t.Fatalf("replay changed the state: %+v at %d", r, s.AppliedIndex())
			}
			return nil
		})
	})
}

func errorsAs(err error, e **o211.Error) bool {
	x, ok := err.(*o211.Error)
	if ok {
		*e = x
	}
	return ok
}

func mustEncode(tb testing.TB, typ fsm.CommandType, payload any) []byte {
	b, err := fsm.EncodeCommand(typ, t0, payload)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestFSM_IngestBatch(t *testing.T) {
	f := mustOpen(t)
	l := &logs{tb: t}
	ingest := func(b *fsm.IngestBatch) *fsm.Response {
		return apply(t, f, l.next(fsm.CmdIngestBatch, t0.Add(time.Duration(l.index)*time.Second), b))
	}
	t.Run("ErrNotRegistered", func(t *testing.T) {
		resp := ingest(&fsm.IngestBatch{Region: "east", FromSeq: 1, ToSeq: 1, Records: []*o211.Record{org(t, "east", "a", 1)}})
		if o211.ErrorCode(resp.Err) != o211.ENOTFOUND {
			t.Fatalf("got %v, want ENOTFOUND", resp.Err)
		}
	})
	registerRegion(t, f, l, "east")
	registerRegion(t, f, l, "west")
	first := &fsm.IngestBatch{Region: "east", FromSeq: 1, ToSeq: 3, Records: []*o211.Record{org(t, "east", "a", 1), org(t, "east", "b", 1), org(t, "east", "a", 2)}}
	resp := ingest(first)
	res := resp.Value.(*fsm.IngestResult)
	if resp.Err != nil || res.Mark != 3 || res.Applied != 3 || res.Skipped {
		t.Fatalf("first batch = %+v, %v; want 3 applied, mark 3", res, resp.Err)
	}
	t.Run("HistoryNamesTheSystem", func(t *testing.T) {
		h, err := f.History(o211.HistoryQuery{Kind: o211.KindOrganization, ID: "a"})
		if err != nil || len(h.Entries) != 2 {
			t.Fatalf("History = %+v, %v; want versions 1 and 2", h, err)
		}
		for _, e := range h.Entries {
			if e.Actor != o211.System("replication") || !e.Time.Equal(t0) {
				t.Errorf("entry %+v: want actor system:replication at the record's time", e)
			}
		}
	})
	t.Run("SameBatchTwiceAppliesOnce", func(t *testing.T) {
		resp := ingest(first)
		res := resp.Value.(*fsm.IngestResult)
		if resp.Err != nil || !res.Skipped || res.Mark != 3 || res.Applied != 0 {
			t.Fatalf("replayed batch = %+v, %v; want skipped at mark 3", res, resp.Err)
		}
		var seq uint64
		f.View(func(s *fsm.State) error { seq = s.Tx().Seq(); return nil })
		if seq != 3 {
			t.Fatalf("store sequence %d, want 3 (nothing written twice)", seq)
		}
	})
	t.Run("ErrGap", func(t *testing.T) {
		resp := ingest(&fsm.IngestBatch{Region: "east", FromSeq: 5, ToSeq: 6, Records: []*o211.Record{org(t, "east", "c", 1)}})
		res, _ := resp.Value.(*fsm.IngestResult)
		if o211.ErrorCode(resp.Err) != o211.ECONFLICT || res == nil || res.Mark != 3 {
			t.Fatalf("got %+v, %v; want ECONFLICT naming mark 3", res, resp.Err)
		}
	})
	t.Run("OverlapIsVersionGated", func(t *testing.T) {
		resp := ingest(&fsm.IngestBatch{Region: "east", FromSeq: 2, ToSeq: 4, Records: []*o211.Record{org(t, "east", "a", 1), org(t, "east", "c", 1)}})
		res := resp.Value.(*fsm.IngestResult)
		if resp.Err != nil || res.Mark != 4 || res.Applied != 1 || res.Stale != 1 {
			t.Fatalf("got %+v, %v; want 1 applied, 1 stale, mark 4", res, resp.Err)
		}
	})
	t.Run("ErrForeignRecord", func(t *testing.T) {
		resp := ingest(&fsm.IngestBatch{Region: "east", FromSeq: 5, ToSeq: 5, Records: []*o211.Record{org(t, "west", "w", 1)}})
		if o211.ErrorCode(resp.Err) != o211.EFORBIDDEN {
			t.Fatalf("got %v, want EFORBIDDEN", resp.Err)
		}
	})
	t.Run("OtherRegionsRecordIsAConflict", func(t *testing.T) {
		resp := ingest(&fsm.IngestBatch{Region: "west", FromSeq: 1, ToSeq: 1, Records: []*o211.Record{org(t, "west", "a", 9)}})
		res := resp.Value.(*fsm.IngestResult)
		if resp.Err != nil || len(res.Conflicts) != 1 || res.Conflicts[0].Owner != "east" || res.Mark != 1 {
			t.Fatalf("got %+v, %v; want one conflict owned by east, mark 1", res, resp.Err)
		}
		f.View(func(s *fsm.State) error {
			rec, _ := s.Tx().Get(o211.KindOrganization, "a")
			if rec.Region != "east" || rec.Version != 2 {
				t.Fatalf("east's record was overwritten: %+v", rec)
			}
			return nil
		})
	})
	t.Run("RegistryShowsMark", func(t *testing.T) {
		f.View(func(s *fsm.State) error {
			r, err := s.Region("east")
			if err != nil || r.Mark != 4 || r.Ingested == nil {
				t.Fatalf("region = %+v, %v; want mark 4", r, err)
			}
			return nil
		})
	})
	t.Run("SharedTaxonomyIsNotAConflict", func(t *testing.T) {
		term := func(region string) *o211.Record {
			data, _ := json.Marshal(&o211.TaxonomyTerm{ID: "term-bd", Code: "BD", Name: "Food"})
			return &o211.Record{Kind: o211.KindTaxonomyTerm, ID: "term-bd", Region: region, Version: 1, Data: data}
		}
		ingest(&fsm.IngestBatch{Region: "east", FromSeq: 5, ToSeq: 5, Records: []*o211.Record{term("east")}})
		resp := ingest(&fsm.IngestBatch{Region: "west", FromSeq: 2, ToSeq: 2, Records: []*o211.Record{term("west")}})
		res := resp.Value.(*fsm.IngestResult)
		if resp.Err != nil || res.Shared != 1 || len(res.Conflicts) != 0 || res.Mark != 2 {
			t.Fatalf("got %+v, %v; want one shared row, no conflict, mark 2", res, resp.Err)
		}
	})
}

// TestFSM_ApplyBatchIsApplyOneByOne checks determinism across batching: the
// same log applied in one batch and one entry at a time gives the same
// responses and the same state.
func TestFSM_ApplyBatchIsApplyOneByOne(t *testing.T) {
	l := &logs{tb: t}
	entries := []*raft.Log{
		l.next(fsm.CmdPutRegion, t0, &fsm.PutRegion{Region: o211.Region{ID: "east", Name: "East"}}),
		l.next(fsm.CmdIngestBatch, t0, &fsm.IngestBatch{Region: "east", FromSeq: 1, ToSeq: 2, Records: []*o211.Record{org(t, "east", "a", 1), org(t, "east", "b", 1)}}),
		{Index: 3, Term: 1, Type: raft.LogConfiguration},
		l.next(fsm.CmdIngestBatch, t0, &fsm.IngestBatch{Region: "east", FromSeq: 1, ToSeq: 2, Records: []*o211.Record{org(t, "east", "a", 1)}}),
		l.next(fsm.CmdIngestBatch, t0, &fsm.IngestBatch{Region: "east", FromSeq: 3, ToSeq: 3, Records: []*o211.Record{org(t, "east", "a", 3), org(t, "east", "a", 2)}}),
		l.next(fsm.CmdIngestBatch, t0, &fsm.IngestBatch{Region: "east", FromSeq: 4, ToSeq: 4, Records: []*o211.Record{org(t, "east", "c", 1), badRow()}}),
		l.next(fsm.CmdIngestBatch, t0, &fsm.IngestBatch{Region: "east", FromSeq: 4, ToSeq: 4, Records: []*o211.Record{org(t, "east", "d", 1)}}),
		l.next(fsm.CmdPutRegion, t0, &fsm.PutRegion{Region: o211.Region{ID: "east", Name: ""}}),
		l.next(fsm.CmdSetMember, t0, &fsm.Member{ID: "h1", Raft: "127.0.0.1:7001", HTTP: "127.0.0.1:8001"}),
		l.next(fsm.CmdDeleteMember, t0, &fsm.DeleteMember{ID: "h1"}),
		l.next(fsm.CmdSetMember, t0, &fsm.Member{ID: "h2", Raft: "127.0.0.1:7002"}),
		{Index: 10, Term: 1, Type: raft.LogCommand, Data: []byte("garbage")},
	}
	for i, e := range entries {
		e.Index = uint64(i + 1)
	}
	batched, single := mustOpen(t), mustOpen(t)
	got := batched.ApplyBatch(entries)
	var want []any
	for _, e := range entries {
		want = append(want, single.Apply(e))
	}
	if !reflect.DeepEqual(dump(t, got), dump(t, want)) {
		t.Fatalf("batched responses\n%s\nwant\n%s", dump(t, got), dump(t, want))
	}
	if a, b := stateOf(t, batched), stateOf(t, single); a != b {
		t.Fatalf("batched state\n%s\none by one\n%s", a, b)
	}
	if batched.AppliedIndex() != 12 {
		t.Fatalf("applied index %d, want 12", batched.AppliedIndex())
	}
	// The batch with a row the store refuses failed alone, applying nothing.
	if r := got[5].(*fsm.Response); o211.ErrorCode(r.Err) != o211.EINVALID {
		t.Fatalf("batch with a bad row = %v, want EINVALID", r.Err)
	}
	if r := got[6].(*fsm.Response); r.Err != nil || r.Value.(*fsm.IngestResult).Mark != 4 {
		t.Fatalf("next batch = %+v, %v; want mark 4", r.Value, r.Err)
	}
	batched.View(func(s *fsm.State) error {
		if _, err := s.Tx().Get(o211.KindOrganization, "c"); err == nil {
			t.Fatal("a record of the refused batch was stored")
		}
		return nil
	})
}

// badRow returns a record whose row does not decode into its kind.
func badRow() *o211.Record {
	return &o211.Record{Kind: o211.KindOrganization, ID: "bad", Region: "east", Version: 1, Modified: t0, Data: []byte(`{"name":5}`)}
}

func dump(tb testing.TB, v []any) string {
	var b bytes.Buffer
	for i, x := range v {
		r, _ := x.(*fsm.Response)
		if r == nil {
			fmt.Fprintf(&b, "%d: nil\n", i)
			continue
		}
		js, _ := json.Marshal(r.Value)
		fmt.Fprintf(&b, "%d: %s err=%v\n", i, js, r.Err)
	}
	return b.String()
}

// stateOf renders every record and side-table entry of the state.
func stateOf(tb testing.TB, f *fsm.FSM) string {
	tb.Helper()
	var b bytes.Buffer
	err := f.View(func(s *fsm.State) error {
		fmt.Fprintf(&b, "applied %d seq %d\n", s.AppliedIndex(), s.Tx().Seq())
		for _, ki := range o211.Kinds() {
			s.Tx().Scan(ki.Kind, "", func(r *o211.Record) error {
				fmt.Fprintf(&b, "%s/%s %s v%d seq %d %s\n", r.Kind, r.ID, r.Region, r.Version, r.Seq, r.Data)
				return nil
			})
		}
		regs, _ := s.Regions()
		ms, _ := s.Members()
		js, _ := json.Marshal([]any{regs, ms})
		b.Write(js)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

type bufSink struct {
	bytes.Buffer
	closed, cancelled bool
}

func (s *bufSink) ID() string    { return "test" }
func (s *bufSink) Close() error  { s.closed = true; return nil }
func (s *bufSink) Cancel() error { s.cancelled = true; return nil }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func TestFSM_SnapshotRestore(t *testing.T) {
	src := mustOpen(t)
	l := &logs{tb: t}
	registerRegion(t, src, l, "east")
	apply(t, src, l.next(fsm.CmdIngestBatch, t0, &fsm.IngestBatch{Region: "east", FromSeq: 1, ToSeq: 1, Records: []*o211.Record{org(t, "east", "a", 1)}}))
	snap, err := src.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	// Written after the snapshot began: not in it.
	apply(t, src, l.next(fsm.CmdPutRegion, t0, &fsm.PutRegion{Region: o211.Region{ID: "later", Name: "Later"}}))
	sink := &bufSink{}
	if err := snap.Persist(sink); err != nil || !sink.closed {
		t.Fatalf("persist: %v (closed %v)", err, sink.closed)
	}
	snap.Release()

	dst := mustOpen(t)
	ld := &logs{tb: t}
	registerRegion(t, dst, ld, "gone")
	if err := dst.Restore(nopCloser{bytes.NewReader(sink.Bytes())}); err != nil {
		t.Fatal(err)
	}
	if dst.Restores() != 1 || src.Snapshots() != 1 {
		t.Fatalf("restores %d snapshots %d, want 1 and 1", dst.Restores(), src.Snapshots())
	}
	want := stateOf(t, src) // one entry past the snapshot
	dst.View(func(s *fsm.State) error {
		if _, err := s.Region("gone"); o211.ErrorCode(err) != o211.ENOTFOUND {
			t.Fatalf("state not replaced: region gone = %v", err)
		}
		if _, err := s.Region("later"); o211.ErrorCode(err) != o211.ENOTFOUND {
			t.Fatalf("snapshot holds a later write")
		}
		if _, err := s.Tx().Get(o211.KindOrganization, "a"); err != nil {
			t.Fatalf("restored state lacks record a: %v", err)
		}
		if s.AppliedIndex() != 2 {
			t.Fatalf("restored applied index %d, want 2", s.AppliedIndex())
		}
		return nil
	})
	// Replaying the entry after the snapshot makes both states equal.
	dst.Apply(&raft.Log{Index: 3, Term: 1, Type: raft.LogCommand, Data: mustEncode(t, fsm.CmdPutRegion, &fsm.PutRegion{Region: o211.Region{ID: "later", Name: "Later"}})})
	if got := stateOf(t, dst); got != want {
		t.Fatalf("after replay\n%s\nwant\n%s", got, want)
	}
	t.Run("ErrNotASnapshot", func(t *testing.T) {
		if err := dst.Restore(nopCloser{bytes.NewReader([]byte("garbage\n"))}); err == nil {
			t.Fatal("restored garbage")
		}
		if stateOf(t, dst) != want {
			t.Fatal("a failed restore changed the state")
		}
	})
}
