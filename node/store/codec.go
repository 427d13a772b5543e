package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/binread"
)

// Stored records and outbox entries are small binary envelopes, read on
// every lookup, so they are cheap to decode; the row itself stays JSON.
//
//	record:  codec(1) flags(1) version(uvarint) seq(uvarint)
//	         modified(varint, Unix ns) len(region)(uvarint) region data...
//	outbox:  codec(1) op(1) version(uvarint) len(kind)(uvarint) kind id...
//
// The record's kind and id are its bucket and key; the outbox entry's
// sequence number is its key.
const (
	codecV1     = 1
	flagDeleted = 1 << 0
)

var errCorrupt = errors.New("store: corrupt entry")

// encodeRecord and decodeRecord are the codec pair of stored records.
func encodeRecord(r *o211.Record) []byte {
	b := make([]byte, 0, 2+3*binary.MaxVarintLen64+1+len(r.Region)+len(r.Data))
	var flags byte
	if r.Deleted {
		flags |= flagDeleted
	}
	b = append(b, codecV1, flags)
	b = binary.AppendUvarint(b, r.Version)
	b = binary.AppendUvarint(b, r.Seq)
	b = binary.AppendVarint(b, r.Modified.UnixNano())
	b = binary.AppendUvarint(b, uint64(len(r.Region)))
	b = append(b, r.Region...)
	return append(b, r.Data...)
}

func decodeRecord(kind o211.Kind, id string, b []byte) (*o211.Record, error) {
	if len(b) < 2 || b[0] != codecV1 {
		return nil, fmt.Errorf("%w: %s %q", errCorrupt, kind, id)
	}
	r := &o211.Record{Kind: kind, ID: id, Deleted: b[1]&flagDeleted != 0}
	d := binread.NewReader(b[2:])
	r.Version = d.Uvarint()
	r.Seq = d.Uvarint()
	r.Modified = time.Unix(0, d.Varint()).UTC()
	r.Region = d.Str()
	if d.Bad() {
		return nil, fmt.Errorf("%w: %s %q", errCorrupt, kind, id)
	}
	if rest := d.Rest(); len(rest) > 0 {
		r.Data = append([]byte(nil), rest...)
	}
	return r, nil
}

// encodeOutboxEntry and decodeOutboxEntry are the codec pair of outbox
// entries (Seq and Region are not stored in the value).
func encodeOutboxEntry(e OutboxEntry) []byte {
	b := make([]byte, 0, 2+2*binary.MaxVarintLen64+len(e.Kind)+len(e.ID))
	op := byte(0)
	if e.Op == o211.OpDelete {
		op = 1
	}
	b = append(b, codecV1, op)
	b = binary.AppendUvarint(b, e.Version)
	b = binary.AppendUvarint(b, uint64(len(e.Kind)))
	b = append(b, e.Kind...)
	return append(b, e.ID...)
}

func decodeOutboxEntry(b []byte) (OutboxEntry, error) {
	if len(b) < 2 || b[0] != codecV1 || b[1] > 1 {
		return OutboxEntry{}, errCorrupt
	}
	e := OutboxEntry{Op: o211.OpUpsert}
	if b[1] == 1 {
		e.Op = o211.OpDelete
	}
	d := binread.NewReader(b[2:])
	e.Version = d.Uvarint()
	e.Kind = o211.Kind(d.Str())
	if d.Bad() {
		return OutboxEntry{}, errCorrupt
	}
	e.ID = string(d.Rest())
	return e, nil
}
