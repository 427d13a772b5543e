package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/o211/o211"
)

func TestRecordCodec(t *testing.T) {
	for _, r := range []*o211.Record{
		{Kind: o211.KindService, ID: "s1", Region: "east", Version: 7, Seq: 1 << 40,
			Modified: time.Date(2026, 11, 28, 5, 0, 0, 123456789, time.UTC), Data: []byte(`{"id":"s1"}`)},
		{Kind: o211.KindPhone, ID: "p", Region: "north", Version: 2, Seq: 3, Deleted: true,
			Modified: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		got, err := decodeRecord(r.Kind, r.ID, encodeRecord(r))
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Fatalf("round trip of %+v gave %+v, %v", r, got, err)
		}
	}
	t.Run("ErrCorrupt", func(t *testing.T) {
		for _, b := range [][]byte{nil, {codecV1}, {9, 0}, {codecV1, 0, 0x80}, {codecV1, 0, 1, 1, 2, 50, 'x'}} {
			if _, err := decodeRecord(o211.KindService, "s", b); err == nil {
				t.Errorf("decodeRecord(%x): want an error", b)
			}
		}
	})
}

func TestOutboxEntryCodec(t *testing.T) {
	for _, e := range []OutboxEntry{
		{Kind: o211.KindService, ID: "s1", Op: o211.OpUpsert, Version: 1},
		{Kind: o211.KindServiceAtLocation, ID: "x:y", Op: o211.OpDelete, Version: 300},
	} {
		got, err := decodeOutboxEntry(encodeOutboxEntry(e))
		if err != nil || got != e {
			t.Fatalf("round trip of %+v gave %+v, %v", e, got, err)
		}
	}
	if _, err := decodeOutboxEntry([]byte{codecV1, 7}); err == nil {
		t.Fatal("want an error for an unknown op")
	}
}
