package fsm

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/o211/o211"
)

// CommandType names what a replicated command does.
type CommandType string

// The commands of the hub's state machine. Every one of them is idempotent:
// applying it twice in a row leaves the same state as applying it once, so a
// write whose outcome was unknown (the leader was lost while committing it)
// can always be retried.
const (
	// CmdPutRegion registers a region or updates its description.
	CmdPutRegion CommandType = "put_region"
	// CmdIngestBatch applies a batch of a region's directory records and
	// advances the region's ingest high-water mark.
	CmdIngestBatch CommandType = "ingest_batch"
	// CmdSetMember records the addresses of a hub replica.
	CmdSetMember CommandType = "set_member"
	// CmdDeleteMember forgets the addresses of a hub replica.
	CmdDeleteMember CommandType = "delete_member"
)

// CommandVersion is the newest version of the log entry envelope this
// package reads and writes. A replica announces it in its member entry
// (Member.Reads); a leader writes entries at the oldest version that every
// voter reads, so that a hub of mixed releases keeps applying the same
// entries during a rolling upgrade. A replica that meets an entry of a
// version it does not read stops applying (see FSM.ApplyBatch) rather than
// skip it and diverge.
//
//	version 1: version (1 byte) | len(type) (1 byte) | type | At, Unix ns (8 bytes BE) | payload JSON
//	version 2: as version 1, then the CRC-32C of the payload (4 bytes BE) before it: a
//	           log entry damaged on one replica's disk stops that replica
//	           instead of being applied there differently
//	version 3: as version 2; adds the command type ingest_group (CmdIngestGroup:
//	           the batches of many regions in one entry, the leader's group commit)
const CommandVersion = 3

// Command is the typed envelope of every entry of the Raft log: a type, the
// time the leader stamped on it, and the payload of that type as JSON.
// Apply never reads a clock: every time in the state comes from At.
//
// On the log a command is a small binary header followed by the payload
// (see CommandVersion), so that a large batch is parsed once.
type Command struct {
	V       int
	Type    CommandType
	At      time.Time
	Payload []byte
}

// EncodeCommand returns the log entry for a command of type typ carrying
// payload, stamped at (which the leader takes from its clock), at
// CommandVersion.
func EncodeCommand(typ CommandType, at time.Time, payload any) ([]byte, error) {
	if len(typ) == 0 || len(typ) > 255 {
		return nil, fmt.Errorf("fsm: encode: bad command type %q", typ)
	}
	p, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("fsm: encode %s: %w", typ, err)
	}
	return EncodeCommandJSON(typ, at, p)
}

// EncodeCommandJSON is EncodeCommand for a payload already encoded as JSON
// (a batch as a region sent it), which it does not check.
func EncodeCommandJSON(typ CommandType, at time.Time, p []byte) ([]byte, error) {
	return EncodeCommandVersion(CommandVersion, typ, at, p)
}

// EncodeCommandVersion is EncodeCommandJSON at envelope version v (1 to
// CommandVersion).
func EncodeCommandVersion(v int, typ CommandType, at time.Time, p []byte) ([]byte, error) {
	if len(typ) == 0 || len(typ) > 255 {
		return nil, fmt.Errorf("fsm: encode: bad command type %q", typ)
	}
	if v < 1 || v > CommandVersion {
		return nil, fmt.Errorf("fsm: encode: command version %d; this o211 writes 1 to %d", v, CommandVersion)
	}
	b := make([]byte, 0, 2+len(typ)+8+4+len(p))
	b = append(b, byte(v), byte(len(typ)))
	b = append(b, typ...)
	b = binary.BigEndian.AppendUint64(b, uint64(at.UnixNano()))
	if v >= 2 {
		b = binary.BigEndian.AppendUint32(b, crc32.Checksum(p, castagnoli))
	}
	return append(b, p...), nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CommandVersionOf returns the envelope version of a log entry (0 for an
// empty one).
func CommandVersionOf(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	return int(b[0])
}

// ErrCorruptCommand is returned by DecodeCommand for an entry whose
// checksum does not match its payload.
var ErrCorruptCommand = errors.New("fsm: the log entry's payload does not match its checksum")

// DecodeCommand decodes a log entry. It returns an EINVALID error for an
// entry that is not a command of a version this package reads, and
// ErrCorruptCommand for one damaged since it was written. The payload
// shares b's memory.
func DecodeCommand(b []byte) (*Command, error) {
	v := CommandVersionOf(b)
	if len(b) < 2 || v < 1 || v > CommandVersion {
		if len(b) == 0 {
			v = -1
		}
		return nil, o211.Errorf(o211.EINVALID, "command version %d; this o211 reads versions 1 to %d", v, CommandVersion)
	}
	n := int(b[1])
	head := 2 + n + 8
	if v >= 2 {
		head += 4
	}
	if len(b) < head {
		return nil, o211.Errorf(o211.EINVALID, "truncated command")
	}
	c := &Command{
		V:       v,
		Type:    CommandType(b[2 : 2+n]),
		At:      time.Unix(0, int64(binary.BigEndian.Uint64(b[2+n:]))).UTC(),
		Payload: b[head:],
	}
	if v >= 2 && binary.BigEndian.Uint32(b[2+n+8:]) != crc32.Checksum(c.Payload, castagnoli) {
		return nil, ErrCorruptCommand
	}
	return c, nil
}

// decodePayload decodes the command's payload into v.
func (c *Command) decodePayload(v any) error {
	if err := json.Unmarshal(c.Payload, v); err != nil {
		return o211.Errorf(o211.EINVALID, "%s: undecodable payload: %v", c.Type, err)
	}
	return nil
}

// PutRegion is the payload of CmdPutRegion.
type PutRegion struct {
	Region o211.Region `json:"region"`
}

// IngestBatch is the payload of CmdIngestBatch: the records that a region's
// node sent for its outbox entries FromSeq to ToSeq. A batch whose ToSeq is
// at or below the region's mark is skipped; one that starts past mark+1 is
// refused (a gap); otherwise its records are applied (an older version never
// overwrites a newer one) and the mark becomes ToSeq, in one transaction.
type IngestBatch struct {
	Region  string         `json:"region"`
	FromSeq uint64         `json:"from_seq"`
	ToSeq   uint64         `json:"to_seq"`
	Records []*o211.Record `json:"records"`
}

// Member is the payload of CmdSetMember, and a hub replica as the state
// knows it: its Raft server id and the addresses at which the other
// replicas reach its Raft transport and its HTTP API.
type Member struct {
	ID      string    `json:"id"`
	Raft    string    `json:"raft"`
	HTTP    string    `json:"http"`
	Updated time.Time `json:"updated,omitempty"`
	// Reads is the newest command version the replica's o211 reads (0:
	// announced by a release before versions were announced, which reads
	// version 1).
	Reads int `json:"reads,omitempty"`
}

// DeleteMember is the payload of CmdDeleteMember.
type DeleteMember struct {
	ID string `json:"id"`
}

// Response is what applying one command returned: a value on success (a
// *Region, *IngestResult or *Member), or a business error (an *o211.Error),
// possibly with a value too (an IngestResult naming the mark of a refused
// batch). Responses are the same on every replica.
type Response struct {
	Value any
	Err   error
}

// IngestResult says what an IngestBatch did.
type IngestResult struct {
	Region string `json:"region"`
	// Mark is the region's high-water mark after the batch: the last outbox
	// sequence number of the region that the hub holds.
	Mark uint64 `json:"mark"`
	// Skipped is set when the whole batch was at or below the mark (a
	// replay): nothing was applied.
	Skipped bool `json:"skipped,omitempty"`
	// Applied counts records stored; Stale counts records skipped because
	// the hub held the same or a newer version.
	Applied int `json:"applied"`
	Stale   int `json:"stale"`
	// Reports counts anonymised report records added to the aggregates
	// (a report counted before counts as stale).
	Reports int `json:"reports,omitempty"`
	// Shared counts rows of shared reference tables (the 211 HSIS taxonomy
	// and its terms, which every region holds under the same ids) that
	// another region already supplied: kept once, not a conflict.
	Shared int `json:"shared,omitempty"`
	// Conflicts lists records skipped because another region owns a record
	// with the same kind and id.
	Conflicts []Conflict `json:"conflicts,omitempty"`
	// At is the leader's time of the batch's command.
	At time.Time `json:"at,omitzero"`
}

// Conflict is a record of a batch that was not applied because another
// region owns its kind and id.
type Conflict struct {
	Kind  o211.Kind `json:"kind"`
	ID    string    `json:"id"`
	Owner string    `json:"owner"`
}
