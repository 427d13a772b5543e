package fsm

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/store"
)

// Side tables of the state, kept in the replica store's file beside the
// directory records and written in the same transactions:
//
//	regions/<region id>  -> regionEntry (JSON): the region registry
//	marks/<region id>    -> markEntry (JSON): the region's ingest high-water mark
//	conflicts/<region id> -> conflictEntry (JSON): the region's records skipped
//	                        because another region owns them: a count and the latest
//	members/<server id>  -> memberEntry (JSON): hub replicas' addresses
//	raft/applied         -> uint64 BE: index of the last log entry applied
//
// and the provincial accounts (users/, usernames/, tokens/, user_tokens/),
// drawn in users.go.
const (
	tableRegions   = "regions"
	tableMarks     = "marks"
	tableMembers   = "members"
	tableConflicts = "conflicts"
	tableRaft      = "raft"
)

var keyApplied = []byte("applied")

// entryVersion is the version of the side-table entries this package writes.
const entryVersion = 1

// Region is a registered region as the hub knows it: its description, when
// it was registered and last changed (leader times), and how far the hub
// has ingested its directory.
type Region struct {
	o211.Region
	Registered time.Time `json:"registered"`
	Updated    time.Time `json:"updated"`
	// Mark is the region's ingest high-water mark (0 before its first batch).
	Mark uint64 `json:"ingest_mark"`
	// Ingested is when the mark last advanced.
	Ingested *time.Time `json:"ingested,omitempty"`
	// Conflicts counts the region's records the hub skipped because
	// another region owns them; Latest are the newest few.
	Conflicts uint64         `json:"conflicts"`
	Latest    []ConflictSeen `json:"latest_conflicts,omitempty"`
}

// ConflictSeen is a conflict as the state keeps it: the record, the
// region that owns it and the leader's time of the batch that sent it.
type ConflictSeen struct {
	Kind  o211.Kind `json:"kind"`
	ID    string    `json:"id"`
	Owner string    `json:"owner"`
	At    time.Time `json:"at"`
}

type conflictEntry struct {
	V      int            `json:"v"`
	Count  uint64         `json:"count"`
	Latest []ConflictSeen `json:"latest"`
}

// latestConflicts is how many conflicts a region's entry keeps.
const latestConflicts = 5

type regionEntry struct {
	V          int         `json:"v"`
	Region     o211.Region `json:"region"`
	Registered time.Time   `json:"registered"`
	Updated    time.Time   `json:"updated"`
}

type markEntry struct {
	V   int       `json:"v"`
	Seq uint64    `json:"seq"`
	At  time.Time `json:"at"`
}

type memberEntry struct {
	V       int       `json:"v"`
	Raft    string    `json:"raft"`
	HTTP    string    `json:"http"`
	Updated time.Time `json:"updated"`
	Reads   int       `json:"reads,omitempty"`
}

// encodeEntry and decodeEntry are the codec pair of every side-table entry:
// a versioned JSON struct.
func encodeEntry(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("fsm: encode side-table entry: %v", err)) // plain structs always encode
	}
	return b
}

func decodeEntry(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("fsm: corrupt side-table entry: %w", err)
	}
	var head struct {
		V int `json:"v"`
	}
	_ = json.Unmarshal(b, &head)
	if head.V != entryVersion {
		return fmt.Errorf("fsm: side-table entry version %d; this o211 reads version %d", head.V, entryVersion)
	}
	return nil
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// getter reads a side-table value (nil when absent).
type getter func(table string, key []byte) []byte

func findRegion(get getter, id string) (*regionEntry, error) {
	b := get(tableRegions, []byte(id))
	if b == nil {
		return nil, nil
	}
	e := new(regionEntry)
	return e, decodeEntry(b, e)
}

func findMark(get getter, region string) (*markEntry, error) {
	b := get(tableMarks, []byte(region))
	if b == nil {
		return &markEntry{V: entryVersion}, nil
	}
	e := new(markEntry)
	return e, decodeEntry(b, e)
}

func findConflicts(get getter, region string) (*conflictEntry, error) {
	b := get(tableConflicts, []byte(region))
	if b == nil {
		return &conflictEntry{V: entryVersion}, nil
	}
	e := new(conflictEntry)
	return e, decodeEntry(b, e)
}

func findMember(get getter, id string) (*Member, error) {
	b := get(tableMembers, []byte(id))
	if b == nil {
		return nil, nil
	}
	e := new(memberEntry)
	if err := decodeEntry(b, e); err != nil {
		return nil, err
	}
	return &Member{ID: id, Raft: e.Raft, HTTP: e.HTTP, Updated: e.Updated, Reads: e.Reads}, nil
}

func findApplied(get getter) uint64 {
	if b := get(tableRaft, keyApplied); len(b) == 8 {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// State is a consistent read-only view of the hub's state: the provincial
// directory (through Tx) and the side tables. It is valid only inside the
// View call that made it.
type State struct {
	tx *store.Tx
}

func (s *State) get(table string, key []byte) []byte { return s.tx.AuxGet(table, key) }

// Tx returns the view of the provincial directory.
func (s *State) Tx() *store.Tx { return s.tx }

// AppliedIndex returns the index of the last Raft log entry applied to this
// view of the state: how fresh it is.
func (s *State) AppliedIndex() uint64 { return findApplied(s.get) }

// Region returns the registered region id, or an ENOTFOUND error.
func (s *State) Region(id string) (*Region, error) {
	e, err := findRegion(s.get, id)
	if err != nil {
		return nil, err
	} else if e == nil {
		return nil, o211.Errorf(o211.ENOTFOUND, "region %q is not registered", id)
	}
	return s.withMark(e)
}

func (s *State) withMark(e *regionEntry) (*Region, error) {
	m, err := findMark(s.get, e.Region.ID)
	if err != nil {
		return nil, err
	}
	r := &Region{Region: e.Region, Registered: e.Registered, Updated: e.Updated, Mark: m.Seq}
	if m.Seq > 0 {
		at := m.At
		r.Ingested = &at
	}
	c, err := findConflicts(s.get, e.Region.ID)
	if err != nil {
		return nil, err
	}
	r.Conflicts, r.Latest = c.Count, c.Latest
	return r, nil
}

// Regions returns every registered region in id order.
func (s *State) Regions() ([]*Region, error) {
	var out []*Region
	err := s.tx.AuxScan(tableRegions, nil, func(_, v []byte) error {
		e := new(regionEntry)
		if err := decodeEntry(v, e); err != nil {
			return err
		}
		r, err := s.withMark(e)
		if err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// Member returns the recorded addresses of hub replica id, or nil.
func (s *State) Member(id string) (*Member, error) { return findMember(s.get, id) }

// Members returns every recorded hub replica in id order.
func (s *State) Members() ([]*Member, error) {
	var out []*Member
	err := s.tx.AuxScan(tableMembers, nil, func(k, _ []byte) error {
		m, err := findMember(s.get, string(k))
		if err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}
