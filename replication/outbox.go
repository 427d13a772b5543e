package replication

import (
	"context"

	"github.com/o211/o211"
)

// Entry is an outbox entry: a change of the region's directory that the
// hub has not acknowledged yet.
type Entry struct {
	Seq     uint64
	Kind    o211.Kind
	ID      string
	Version uint64
}

// Ref names a record.
type Ref struct {
	Kind o211.Kind
	ID   string
}

// Change is an entry of a store's change feed: the latest change of a
// record, by sequence number.
type Change struct {
	Seq  uint64
	Kind o211.Kind
	ID   string
}

// Outbox is what the pusher needs of a node: its durable outbox and the
// records and change feed of its store (node/store, adapted by package
// node).
type Outbox interface {
	// Pending returns up to limit entries with a sequence number above
	// after, in order.
	Pending(after uint64, limit int) ([]Entry, error)
	// Records returns the records named by refs as they now stand
	// (tombstones included; nil for one the store never held), read in
	// one consistent view.
	Records(refs []Ref) ([]*o211.Record, error)
	// Ack removes the entries up to and including seq.
	Ack(seq uint64) error
	// Backlog returns the number of entries waiting, the first one's
	// sequence number (0 when none) and the store's last sequence number.
	Backlog() (n int, first, head uint64, err error)
	// Head returns the store's last sequence number (cheaper than
	// Backlog, which counts).
	Head() (uint64, error)
	// Changes returns up to limit entries of the change feed after seq,
	// in order.
	Changes(after uint64, limit int) ([]Change, error)
}

// Replica is what the puller needs of a node's copy of the provincial
// directory (a replica store with its search index, adapted by package
// node).
type Replica interface {
	// Position returns the hub sequence number the copy has reached.
	Position() (uint64, error)
	// Apply stores replicated records, an older version never replacing
	// a newer one, and the new position, in one transaction. More says
	// that another page follows at once (a long catch-up), so work that
	// can wait for the last page (indexing) may.
	Apply(ctx context.Context, recs []*o211.Record, position uint64, more bool) error
}

// Feed is a consistent read view of the hub's provincial directory, from
// which pulls are answered.
type Feed interface {
	// Seq returns the store's last change sequence number.
	Seq() uint64
	// Index returns the Raft log index the view reflects.
	Index() uint64
	// ChangesSince calls fn for the latest change of every record changed
	// after seq, in order, until fn returns an error.
	ChangesSince(seq uint64, fn func(Change) error) error
	// GetAny returns a record, tombstones included, or nil.
	GetAny(kind o211.Kind, id string) (*o211.Record, error)
}

// Ingester applies a region's batch through the hub's Raft log. It is
// called on the leader only.
type Ingester interface {
	// Ingest applies raw, the JSON of an IngestBatch from region's node,
	// and says what happened. It must refuse (EFORBIDDEN) a batch whose
	// region is not region: the subject, which the sender's credentials
	// limit, is what names the region.
	Ingest(ctx context.Context, region string, raw []byte) *IngestReply
}
