package fsm

import (
	"reflect"
	"testing"
	"time"

	"github.com/o211/o211"
)

func TestIngestBatchCodec(t *testing.T) {
	b := &IngestBatch{Region: "east", FromSeq: 7, ToSeq: 9, Records: []*o211.Record{
		{Kind: o211.KindService, ID: "s1", Region: "east", Version: 3, Modified: time.Date(2026, 11, 28, 1, 2, 3, 4, time.UTC), Data: []byte(`{"id":"s1","name":"Food"}`)},
		{Kind: o211.KindPhone, ID: "p1", Region: "east", Version: 2, Deleted: true, Modified: time.Unix(0, 0).UTC()},
	}}
	enc := EncodeIngestBatch(b)
	got, err := decodeIngestBatch(enc)
	if err != nil || !reflect.DeepEqual(got, b) {
		t.Fatalf("round trip gave %+v, %v", got, err)
	}
	t.Run("ErrTruncated", func(t *testing.T) {
		for n := 0; n < len(enc); n++ {
			if _, err := decodeIngestBatch(enc[:n]); err == nil {
				t.Fatalf("decoding the first %d of %d bytes: want an error", n, len(enc))
			}
		}
		if _, err := decodeIngestBatch(append(enc, 0)); err == nil {
			t.Fatal("trailing byte: want an error")
		}
	})
}
