package replication

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"

	"github.com/o211/o211"
)

// Every message carries its kind and version in the O211-Envelope header
// ("ingest/1"); the body is JSON. A receiver refuses a kind or version it
// does not know with an EINVALID error naming both, so that a node and a
// hub of different releases fail loudly rather than misread each other.
const (
	headerEnvelope = "O211-Envelope"
	// headerHead carries the node's last change sequence number on ingest
	// requests (for the hub's lag figures).
	headerHead = "O211-Head"

	envIngest      = "ingest/1"
	envIngestReply = "ingest-reply/1"
	envSync        = "sync/1"
	envSyncPage    = "sync-page/1"
	envNotify      = "notify/1"
	envStatus      = "status/1"
)

// IngestBatch is the body of an ingest request: the records, as they stood
// when the batch was made, of a region's outbox entries FromSeq to ToSeq.
// Its JSON is the hub's Raft command payload as is (hub/fsm.IngestBatch),
// so the hub logs the bytes it received without encoding them again.
type IngestBatch struct {
	Region  string         `json:"region"`
	FromSeq uint64         `json:"from_seq"`
	ToSeq   uint64         `json:"to_seq"`
	Records []*o211.Record `json:"records"`
}

// IngestReply is the hub's answer to an ingest request.
type IngestReply struct {
	// Mark is the region's high-water mark at the hub after the batch:
	// every outbox entry up to it is applied. Nil when unknown (an error
	// that happened before the state was read).
	Mark *uint64 `json:"mark,omitempty"`
	// Skipped says the whole batch was at or below the mark (a retry).
	Skipped bool `json:"skipped,omitempty"`
	// Applied and Stale count the records stored and those the hub held
	// at the same or a newer version.
	Applied int `json:"applied"`
	Stale   int `json:"stale"`
	// Reports counts the anonymised report records the hub counted.
	Reports int `json:"reports,omitempty"`
	// Conflicts names records skipped because another region owns them,
	// as text ("organization org-1 (owned by east)"), as the previous
	// release sent them; ConflictRecords are the same records, each with
	// its table, id, regions and time.
	Conflicts       []string   `json:"conflicts,omitempty"`
	ConflictRecords []Conflict `json:"conflict_records,omitempty"`
	// Index is the Raft log index at which the batch was applied.
	Index uint64 `json:"index,omitempty"`
	// Error is set when the batch was refused or its outcome is unknown.
	Error *WireError `json:"error,omitempty"`
}

// WireError is an error sent across: an o211 error code (or CodeNotLeader)
// and a message.
type WireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// CodeNotLeader says the replica that answered no longer leads: the
// request can be sent again at once.
const CodeNotLeader = "not_leader"

func (e *WireError) Error() string { return e.Code + ": " + e.Message }

// wireError converts err for the wire, keeping o211 codes.
func wireError(err error) *WireError {
	if err == nil {
		return nil
	}
	return &WireError{Code: o211.ErrorCode(err), Message: o211.ErrorMessage(err)}
}

// SyncRequest is the body of a pull: the records changed after the hub
// store's sequence number After, at most Limit of them.
type SyncRequest struct {
	After uint64 `json:"after"`
	Limit int    `json:"limit,omitempty"`
}

// SyncPage is the answer to a pull: the records (tombstones included)
// whose latest change is after the request's After, as they now stand, in
// change order. Reached is the sequence number up to which the page brings
// a copy; Head the hub store's last; More says another page follows.
// Sequence numbers are the same on every hub replica at the same Raft
// index, so pages of different replicas can follow each other.
type SyncPage struct {
	After   uint64         `json:"after"`
	Reached uint64         `json:"reached"`
	Head    uint64         `json:"head"`
	More    bool           `json:"more,omitempty"`
	Index   uint64         `json:"index"`
	Records []*o211.Record `json:"records"`
	Error   *WireError     `json:"error,omitempty"`
}

// Notice is what the hub leader publishes after applying changes, and when
// it becomes leader: the hub store's sequence number now, and which
// replica's server leads.
type Notice struct {
	Seq    uint64 `json:"seq"`
	Index  uint64 `json:"index"`
	Leader string `json:"leader,omitempty"`
}

// NodeReport is a node's replication status as it reports it to the hub.
type NodeReport struct {
	Region string `json:"region"`
	// Head is the node's last change sequence number; Mark the last the
	// hub acknowledged to it.
	Head uint64 `json:"head"`
	Mark uint64 `json:"mark"`
	// Backlog counts outbox entries not yet acknowledged; Oldest is when
	// the oldest of them was committed (zero when none).
	Backlog int       `json:"backlog"`
	Oldest  time.Time `json:"oldest,omitzero"`
	// Position is how far the node's provincial copy has pulled.
	Position uint64    `json:"position"`
	At       time.Time `json:"at"`
}

// newMsg returns a message of envelope kind env with body b.
func newMsg(subject, env string, b []byte) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Header.Set(headerEnvelope, env)
	m.Data = b
	return m
}

// checkEnvelope returns an EINVALID error unless m is of envelope kind env.
func checkEnvelope(m *nats.Msg, env string) error {
	got := ""
	if m.Header != nil {
		got = m.Header.Get(headerEnvelope)
	}
	if got != env {
		return o211.Errorf(o211.EINVALID, "expected a %q message, got %q: is the other side a different o211 release?", env, got)
	}
	return nil
}

// decode checks m's envelope and decodes its JSON body into v.
func decode(m *nats.Msg, env string, v any) error {
	if err := checkEnvelope(m, env); err != nil {
		return err
	}
	if err := json.Unmarshal(m.Data, v); err != nil {
		return o211.Errorf(o211.EINVALID, "undecodable %s message: %v", env, err)
	}
	return nil
}

// encodeJSON encodes v; the types here always encode.
func encodeJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("replication: encode %T: %v", v, err))
	}
	return b
}

// appendBatchHead starts the JSON of an IngestBatch; appendRecord adds a
// record (after the first, with a comma); appendBatchTail closes it. The
// encoding is written by hand: the rows come from the node's own store as
// valid JSON, and encoding/json would check every byte of them again.
func appendBatchHead(b []byte, region string, from, to uint64) []byte {
	b = append(b, `{"region":`...)
	b = appendString(b, region)
	b = append(b, `,"from_seq":`...)
	b = strconv.AppendUint(b, from, 10)
	b = append(b, `,"to_seq":`...)
	b = strconv.AppendUint(b, to, 10)
	return append(b, `,"records":[`...)
}

func appendBatchTail(b []byte) []byte { return append(b, "]}"...) }

// appendRecord appends r as JSON (its store sequence number left out: it
// is the sender's and means nothing to the receiver).
func appendRecord(b []byte, r *o211.Record) []byte {
	b = append(b, `{"kind":`...)
	b = appendString(b, string(r.Kind))
	b = append(b, `,"id":`...)
	b = appendString(b, r.ID)
	b = append(b, `,"region":`...)
	b = appendString(b, r.Region)
	b = append(b, `,"version":`...)
	b = strconv.AppendUint(b, r.Version, 10)
	b = append(b, `,"last_modified":"`...)
	b = r.Modified.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if r.Deleted {
		b = append(b, `,"deleted":true`...)
	}
	if len(r.Data) > 0 {
		b = append(b, `,"data":`...)
		b = append(b, r.Data...)
	}
	return append(b, '}')
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
