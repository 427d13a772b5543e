package fsm

import (
	"encoding/binary"
	"time"

	"github.com/o211/o211"
)

// CmdIngestBatchBin is CmdIngestBatch with its payload in the compact
// binary form of EncodeIngestBatch, which every replica decodes without
// scanning the rows' JSON (they are checked once, by the leader).
const CmdIngestBatchBin CommandType = "ingest_batch/bin"

// batchCodecV1 is the version of the binary batch form.
const batchCodecV1 = 1

// EncodeIngestBatch returns the binary form of a batch:
//
//	version(1) len(region) region from_seq to_seq count, then per record:
//	flags(1: deleted) len(kind) kind len(id) id len(region) region
//	version modified(varint Unix ns) len(data) data
//
// with lengths and numbers as unsigned varints.
func EncodeIngestBatch(b *IngestBatch) []byte {
	n := 32 + len(b.Region)
	for _, r := range b.Records {
		n += 40 + len(r.Kind) + len(r.ID) + len(r.Region) + len(r.Data)
	}
	out := make([]byte, 0, n)
	out = append(out, batchCodecV1)
	out = appendString(out, b.Region)
	out = binary.AppendUvarint(out, b.FromSeq)
	out = binary.AppendUvarint(out, b.ToSeq)
	out = binary.AppendUvarint(out, uint64(len(b.Records)))
	for _, r := range b.Records {
		var flags byte
		if r.Deleted {
			flags = 1
		}
		out = append(out, flags)
		out = appendString(out, string(r.Kind))
		out = appendString(out, r.ID)
		out = appendString(out, r.Region)
		out = binary.AppendUvarint(out, r.Version)
		out = binary.AppendVarint(out, r.Modified.UnixNano())
		out = binary.AppendUvarint(out, uint64(len(r.Data)))
		out = append(out, r.Data...)
	}
	return out
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decodeIngestBatch reads the binary form of a batch. Records' data share
// p's memory.
func decodeIngestBatch(p []byte) (*IngestBatch, error) {
	if len(p) == 0 || p[0] != batchCodecV1 {
		return nil, o211.Errorf(o211.EINVALID, "ingest batch: unknown binary form")
	}
	d := &reader{b: p[1:]}
	b := &IngestBatch{Region: d.str(), FromSeq: d.uvarint(), ToSeq: d.uvarint()}
	count := d.uvarint()
	if count > uint64(len(d.b)) {
		return nil, o211.Errorf(o211.EINVALID, "ingest batch: truncated")
	}
	b.Records = make([]*o211.Record, 0, count)
	for i := uint64(0); i < count && !d.bad; i++ {
		flags := d.byte()
		r := &o211.Record{Deleted: flags&1 != 0, Kind: o211.Kind(d.str()), ID: d.str(), Region: d.str(), Version: d.uvarint()}
		r.Modified = time.Unix(0, d.varint()).UTC()
		if data := d.bytes(int(d.uvarint())); len(data) > 0 {
			r.Data = data
		}
		b.Records = append(b.Records, r)
	}
	if d.bad || len(d.b) != 0 {
		return nil, o211.Errorf(o211.EINVALID, "ingest batch: truncated or trailing bytes")
	}
	return b, nil
}

// reader reads the binary batch form, remembering a short read.
type reader struct {
	b   []byte
	bad bool
}

func (d *reader) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *reader) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *reader) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *reader) bytes(n int) []byte {
	if n < 0 || n > len(d.b) {
		d.bad = true
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *reader) str() string { return string(d.bytes(int(d.uvarint()))) }
