package replication

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/o211/o211"
)

// FuzzEnvelopeDecode sends arbitrary bytes, under an arbitrary envelope
// header, to the decoder of every message kind. It must never panic; a
// message it refuses gets an EINVALID error; one it accepts encodes and
// decodes again to the same value.
func FuzzEnvelopeDecode(f *testing.F) {
	one := uint64(7)
	seeds := []struct {
		env string
		v   any
	}{
		{envIngest, IngestBatch{Region: "east", FromSeq: 1, ToSeq: 2, Records: []*o211.Record{{Kind: o211.KindService, ID: "a",
			Region: "east", Version: 1, Modified: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Data: json.RawMessage(`{"id":"a"}`)}}}},
		{envIngestReply, IngestReply{Mark: &one, Applied: 3, Conflicts: []string{"service/a"}, Error: &WireError{Code: CodeNotLeader, Message: "no"}}},
		{envSync, SyncRequest{After: 9, Limit: 100}},
		{envSyncPage, SyncPage{After: 1, Reached: 2, Head: 3, More: true, Records: []*o211.Record{{Kind: o211.KindOrganization, ID: "b", Deleted: true}}}},
		{envNotify, Notice{Seq: 4, Index: 5, Leader: "h1"}},
		{envStatus, NodeReport{Region: "east", Head: 10, Mark: 8, Backlog: 2}},
	}
	for _, s := range seeds {
		f.Add(s.env, encodeJSON(s.v))
	}
	f.Add(envIngest, []byte(`{"records":[null,{"data":[1,2]}]}`))
	f.Add(envSyncPage, []byte(`{"records":[{"last_modified":"not a time"}]}`))
	f.Add("ingest/2", []byte(`{}`))
	f.Fuzz(func(t *testing.T, env string, data []byte) {
		for _, kind := range []struct {
			env string
			new func() any
		}{
			{envIngest, func() any { return new(IngestBatch) }},
			{envIngestReply, func() any { return new(IngestReply) }},
			{envSync, func() any { return new(SyncRequest) }},
			{envSyncPage, func() any { return new(SyncPage) }},
			{envNotify, func() any { return new(Notice) }},
			{envStatus, func() any { return new(NodeReport) }},
		} {
			v := kind.new()
			err := decode(newMsg("o211.test", env, data), kind.env, v)
			if err != nil {
				if o211.ErrorCode(err) != o211.EINVALID {
					t.Fatalf("decode %s: %v, want an EINVALID error", kind.env, err)
				}
				continue
			}
			if env != kind.env {
				t.Fatalf("decode %s accepted a %q envelope", kind.env, env)
			}
			again := kind.new()
			if err := decode(newMsg("o211.test", env, encodeJSON(v)), kind.env, again); err != nil {
				t.Fatalf("decode %s of its own encoding: %v", kind.env, err)
			}
			if !reflect.DeepEqual(normalized(t, v), normalized(t, again)) {
				t.Fatalf("%s does not survive encoding:\n%+v\n%+v", kind.env, v, again)
			}
		}
	})
}

// normalized re-encodes v, so that values equal on the wire compare equal
// (raw JSON kept byte for byte, times with their location).
func normalized(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// FuzzBatchEncoding checks the hand-written encoder of an ingest batch:
// for any region, ids and row it writes JSON that decodes to the same
// batch, as encoding/json would have written it.
func FuzzBatchEncoding(f *testing.F) {
	f.Add("east", "service", "a", uint64(1), int64(0), false, []byte(`{"id":"a","name":"Food"}`))
	f.Add("é\"\\\n", "organization", "\x00\xff", uint64(1<<63), int64(-1), true, []byte(nil))
	f.Add("east", "service", "<b>&</b>\u2028", uint64(0), int64(1e18), false, []byte(` [1, "x"] `))
	f.Fuzz(func(t *testing.T, region, kind, id string, version uint64, nanos int64, deleted bool, data []byte) {
		if len(data) > 0 && !json.Valid(data) {
			data = nil // the store's rows are valid JSON
		}
		r := &o211.Record{Kind: o211.Kind(kind), ID: id, Region: region, Version: version,
			Modified: time.Unix(0, nanos).UTC(), Deleted: deleted, Data: data}
		if r.Modified.Year() > 9999 || r.Modified.Year() < 0 {
			return // beyond RFC 3339
		}
		b := appendBatchHead(nil, region, 1, 2)
		b = appendRecord(b, r)
		b = append(b, ',')
		b = appendRecord(b, r)
		b = appendBatchTail(b)
		if !json.Valid(b) {
			t.Fatalf("invalid JSON: %q", b)
		}
		var got IngestBatch
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%v: %q", err, b)
		}
		want := IngestBatch{Region: region, FromSeq: 1, ToSeq: 2, Records: []*o211.Record{r, r}}
		var wantBack IngestBatch
		if err := json.Unmarshal(encodeJSON(want), &wantBack); err != nil {
			t.Fatal(err)
		}
		if g, w := normalized(t, got), normalized(t, wantBack); g != w {
			t.Fatalf("hand-written batch decodes to\n%s\nencoding/json's to\n%s", g, w)
		}
	})
}
