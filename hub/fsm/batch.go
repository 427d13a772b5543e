package fsm

import (
	"encoding/binary"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/binread"
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
	d := binread.NewReader(p[1:])
	b := &IngestBatch{Region: d.Str(), FromSeq: d.Uvarint(), ToSeq: d.Uvarint()}
	count := d.Uvarint()
	if count > uint64(len(d.Rest())) {
		return nil, o211.Errorf(o211.EINVALID, "ingest batch: truncated")
	}
	b.Records = make([]*o211.Record, 0, count)
	for i := uint64(0); i < count && !d.Bad(); i++ {
		flags := d.Byte()
		r := &o211.Record{Deleted: flags&1 != 0, Kind: o211.Kind(d.Str()), ID: d.Str(), Region: d.Str(), Version: d.Uvarint()}
		r.Modified = time.Unix(0, d.Varint()).UTC()
		if data := d.Bytes(int(d.Uvarint())); len(data) > 0 {
			r.Data = data
		}
		b.Records = append(b.Records, r)
	}
	if d.Bad() || len(d.Rest()) != 0 {
		return nil, o211.Errorf(o211.EINVALID, "ingest batch: truncated or trailing bytes")
	}
	return b, nil
}
