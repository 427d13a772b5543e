package fsm

import (
	"encoding/binary"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/binread"
)

// CmdIngestGroup carries the batches of many regions (or several of one
// region) in one log entry: the leader gathers the batches pushed while the
// previous entry commits and proposes them together, so that one commit
// (one append and fsync on a majority, one state transaction on each
// replica) acknowledges them all. Each batch is applied, in order, exactly
// as an ingest_batch entry of its own would be, with its own response (see
// GroupResult); a batch refused (a gap, an unregistered region) plans no
// write and leaves the others applied. It needs command version 3: a
// leader proposes it only when every voter reads version 3.
const CmdIngestGroup CommandType = "ingest_group"

// GroupCommandVersion is the first command version that carries
// ingest_group.
const GroupCommandVersion = 3

// groupCodecV1 is the version of the group's binary form.
const groupCodecV1 = 1

// GroupResult is the value of an ingest_group command: the response of
// each of its batches, in the group's order.
type GroupResult struct {
	Batches []*Response
}

// EncodeIngestGroup returns the payload of an ingest_group command from
// batches in the binary form of EncodeIngestBatch:
//
//	version(1) count, then per batch: len(batch) batch
//
// with the count and lengths as unsigned varints.
func EncodeIngestGroup(batches [][]byte) []byte {
	n := 1 + binary.MaxVarintLen64
	for _, b := range batches {
		n += binary.MaxVarintLen64 + len(b)
	}
	out := make([]byte, 0, n)
	out = append(out, groupCodecV1)
	out = binary.AppendUvarint(out, uint64(len(batches)))
	for _, b := range batches {
		out = binary.AppendUvarint(out, uint64(len(b)))
		out = append(out, b...)
	}
	return out
}

// decodeIngestGroup splits a group into its batches' binary forms (which
// share p's memory).
func decodeIngestGroup(p []byte) ([][]byte, error) {
	if len(p) == 0 || p[0] != groupCodecV1 {
		return nil, o211.Errorf(o211.EINVALID, "ingest group: unknown binary form")
	}
	d := binread.NewReader(p[1:])
	count := d.Uvarint()
	if count == 0 || count > uint64(len(d.Rest())) {
		return nil, o211.Errorf(o211.EINVALID, "ingest group: %d batches in %d bytes", count, len(d.Rest()))
	}
	out := make([][]byte, 0, count)
	for i := uint64(0); i < count && !d.Bad(); i++ {
		out = append(out, d.Bytes(int(d.Uvarint())))
	}
	if d.Bad() || len(d.Rest()) != 0 {
		return nil, o211.Errorf(o211.EINVALID, "ingest group: truncated or trailing bytes")
	}
	return out, nil
}

// ingestGroup plans each batch of a group in order, as its own command.
func (p *plan) ingestGroup(c *Command) *Response {
	if c.V < GroupCommandVersion {
		// A leader never writes one: refused the same on every replica.
		return &Response{Err: o211.Errorf(o211.EINVALID, "%s needs command version %d, not %d", c.Type, GroupCommandVersion, c.V)}
	}
	parts, err := decodeIngestGroup(c.Payload)
	if err != nil {
		return &Response{Err: err}
	}
	res := &GroupResult{Batches: make([]*Response, len(parts))}
	for i, part := range parts {
		b, err := decodeIngestBatch(part)
		if err == nil {
			err = validateBatch(b, false)
		}
		if err != nil {
			res.Batches[i] = &Response{Err: err}
			continue
		}
		res.Batches[i] = p.ingestBatch(b, c.At)
	}
	return &Response{Value: res}
}
