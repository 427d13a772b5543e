package queue

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211/internal/boltfile"
)

// The queue's bbolt file (queue.db in the node's data folder), every
// commit fsync'd:
//
//	meta/
//	  version              -> schema version, decimal ("1")
//	items/                 (its bucket sequence numbers the item ids)
//	  <id>                 -> JSON of record (v 1): waiting and active items
//	ended/
//	  <ended ns BE>|<id>   -> JSON of record: finished items (done,
//	                          abandoned, transferred), for the service level
//	ended_id/
//	  <id>                 -> <ended ns BE>
//
// "|" is the byte 0x00. Offers and navigator presence are not stored.

var (
	bucketItems   = []byte("items")
	bucketEnded   = []byte("ended")
	bucketEndedID = []byte("ended_id")
)

const (
	schemaVersion = "1"
	recordVersion = 1
)

// State is where a contact is in the queue.
type State string

// The states of a queue item.
const (
	StateWaiting     State = "waiting"     // waits for a navigator
	StateActive      State = "active"      // with a navigator
	StateDone        State = "done"        // the navigator finished with it
	StateAbandoned   State = "abandoned"   // the person left
	StateTransferred State = "transferred" // handed to a program's phone number
)

// record is the stored state of an item.
type record struct {
	V     int   `json:"v"`
	Item  Item  `json:"item"`
	State State `json:"state"`
	// Navigator is the navigator who has the item (active).
	Navigator     string `json:"navigator,omitempty"`
	NavigatorName string `json:"navigator_name,omitempty"`
	// Answered is when a navigator first accepted it; Wait how long it
	// waited before (or before it was abandoned).
	Answered time.Time     `json:"answered,omitzero"`
	Wait     time.Duration `json:"wait,omitempty"`
	// Offered is when the offer that was first accepted was made: the
	// moment the queue gave the contact a navigator (Answered is when the
	// navigator took it, a request later).
	Offered time.Time `json:"offered,omitzero"`
	// Accepted is when the current navigator accepted it.
	Accepted time.Time `json:"accepted,omitzero"`
	// Handle is how long navigators had it.
	Handle time.Duration `json:"handle,omitempty"`
	// Target is the navigator a transfer is offered to ("" anyone); Warm
	// says the item stays with Navigator until Target accepts.
	Target    string    `json:"target,omitempty"`
	Warm      bool      `json:"warm,omitempty"`
	Transfers int       `json:"transfers,omitempty"`
	Ended     time.Time `json:"ended,omitzero"`
	Outcome   string    `json:"outcome,omitempty"`

	// In memory only: an offer stands for it; its routing class (set
	// when it enters the routing order or its target changes).
	offered bool
	cls     class
}

// openDB opens the file, with a timeout on its lock, and makes the
// buckets.
func openDB(path string, noSync bool) (*bolt.DB, error) {
	return boltfile.Open(path, boltfile.Schema{Owner: "queue", Version: schemaVersion,
		Buckets: [][]byte{bucketItems, bucketEnded, bucketEndedID}}, noSync)
}

func encode(r *record) ([]byte, error) {
	r.V = recordVersion
	return json.Marshal(r)
}

func decode(b []byte) (*record, error) {
	r := new(record)
	if err := json.Unmarshal(b, r); err != nil {
		return nil, err
	}
	if r.V != recordVersion {
		return nil, fmt.Errorf("record version %d", r.V)
	}
	return r, nil
}

// putLive stores a waiting or active item.
func putLive(tx *bolt.Tx, r *record) error {
	b, err := encode(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketItems).Put([]byte(r.Item.ID), b)
}

// putEnded moves a finished item from items/ to ended/.
func putEnded(tx *bolt.Tx, r *record) error {
	b, err := encode(r)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketItems).Delete([]byte(r.Item.ID)); err != nil {
		return err
	}
	t := timeKey(r.Ended)
	if err := tx.Bucket(bucketEnded).Put(append(append(t, 0), r.Item.ID...), b); err != nil {
		return err
	}
	return tx.Bucket(bucketEndedID).Put([]byte(r.Item.ID), t)
}

func timeKey(t time.Time) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.UnixNano()))
	return b[:]
}

// load reads the live items back (a crash leaves no offer standing: an
// offered item is simply waiting) and the finished items of the stats
// window.
func (q *Queue) load() error {
	now := q.cfg.Now().UTC()
	return q.db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketItems).ForEach(func(k, v []byte) error {
			r, err := decode(v)
			if err != nil {
				return fmt.Errorf("queue: item %q: %w", k, err)
			}
			q.live[r.Item.ID] = r
			if r.State == StateWaiting || (r.State == StateActive && r.Target != "") {
				q.needOffer(r)
			}
			if !r.Answered.IsZero() {
				q.events = append(q.events, event{at: r.Item.Enqueued, key: keyOf(r.Item), kind: evArrived})
				q.events = append(q.events, event{at: r.Answered, key: keyOf(r.Item), kind: evAnswered, wait: r.Wait})
			} else {
				q.events = append(q.events, event{at: r.Item.Enqueued, key: keyOf(r.Item), kind: evArrived})
			}
			return nil
		})
		if err != nil {
			return err
		}
		c := tx.Bucket(bucketEnded).Cursor()
		for k, v := c.Seek(timeKey(now.Add(-q.cfg.StatsWindow))); k != nil; k, v = c.Next() {
			r, err := decode(v)
			if err != nil {
				return fmt.Errorf("queue: ended item %q: %w", k[9:], err)
			}
			q.events = append(q.events, endedEvents(r)...)
		}
		sortEvents(q.events)
		return nil
	})
}
