// Package store keeps a regional node's HSDS directory in a bbolt file: every
// row of every HSDS table with its owning region, version and modification
// time, reverse indexes for foreign keys, a change feed by sequence number,
// and the outbox that replication drains to the provincial hub.
//
// Bucket schema (keys are bytes; "|" is the separator byte 0x00):
//
//	meta/
//	  version          -> schema version, decimal ("1")
//	  region           -> the region that owns records written here
//	  seq              -> uint64 BE, last change sequence number assigned
//	  emergencies      -> JSON list of the emergency tags contacts may carry
//	rec/<kind>/
//	  <id>             -> record (JSON of o211.Record, Data = the flat row)
//	ref/<kind>.<field>/
//	  <target id>|<id> -> empty; rows of <kind> whose <field> is <target id>
//	changes/
//	  <seq BE>         -> <kind>|<id>: the latest change of each record
//	outbox/
//	  <seq BE>         -> JSON of OutboxEntry, until the hub acknowledges it
//	counts/
//	  <kind>           -> uint64 BE, number of live records of the kind
//	history/<kind>/
//	  <id>|<seq BE>    -> codec(1) JSON of o211.HistoryEntry: who made each
//	                      change of the record, when, and the old and new
//	                      values of the fields it changed (report records
//	                      have none)
//
// A regional store also keeps the region's 211 contacts (o211.Contact, the
// conversations navigators record; not the HSDS "contact" rows of rec/)
// and the audit log of reads of their personal fields. They never enter
// changes/ or outbox/: only a closed contact's anonymised report travels,
// as a record rec/report/<random id> with its sequence number, change and
// outbox entry, written in the transaction that closes the contact.
// Times in keys are Unix nanoseconds, uint64 BE.
//
//	contacts/
//	  <id>                       -> codec(1) JSON of o211.Contact
//	contacts_start/
//	  <start>|<id>               -> empty
//	contacts_navigator/
//	  <navigator>|<start>|<id>   -> empty
//	contacts_due/
//	  <due YYYY-MM-DD>|<id>      -> empty, while the follow-up has no outcome
//	contacts_retain/
//	  <end, or start>|<id>       -> empty, until the personal fields are purged
//	audit/
//	  <time><n BE>               -> codec(2) JSON of o211.AuditEntry (n: the bucket's sequence;
//	                                codec(1): written before, its actor a string)
//	audit_contact/
//	  <contact id>|<time><n BE>  -> empty
//
// The audit log also records account changes and sign-ins (entries that
// name no contact). The region's users, tokens and console sessions have
// their own buckets, drawn in users.go and sessions.go: users/,
// users_name/, tokens/, tokens_user/, sessions/, signins/.
//
// A regional store also remembers the import source of each record
// (source_of/, drawn in source.go), added in place to older
// files as the contacts' buckets were.
//
// Deleted rows stay in rec/ as tombstones (Deleted, version+1, last data kept)
// so that deletions replicate and so that what pointed at them can be found.
package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// SchemaVersion is the version of the bucket layout this package writes.
// Open upgrades a file of an older version in place, after keeping a copy
// of it beside it (<file>.v<old>-<time>.bak), and refuses a file of a newer
// version (written by a newer o211) with ErrNewerSchema.
//
//	1: the first layout. The buckets added since (history/, the contacts',
//	   users', sessions' and source_of/) were created in place when such a
//	   file was opened.
//	2: every bucket of the layout exists from the file's creation; meta/
//	   upgrades lists the upgrades the file went through (upgrade.go).
const SchemaVersion = 2

var (
	bucketMeta    = []byte("meta")
	bucketRec     = []byte("rec")
	bucketRef     = []byte("ref")
	bucketChanges = []byte("changes")
	bucketOutbox  = []byte("outbox")
	bucketCounts  = []byte("counts")
	bucketHistory = []byte("history")

	bucketContacts     = []byte("contacts")
	bucketContactStart = []byte("contacts_start")
	bucketContactNav   = []byte("contacts_navigator")
	bucketContactDue   = []byte("contacts_due")
	bucketContactKeep  = []byte("contacts_retain")
	bucketAudit        = []byte("audit")
	bucketAuditContact = []byte("audit_contact")

	keyVersion = []byte("version")
	keyRegion  = []byte("region")
	keySeq     = []byte("seq")
)

// replicaMark is the region recorded for replica stores; it is not a valid
// region id.
const replicaMark = "*"

// sep separates the parts of composite keys. Ids never hold it (o211.ValidID).
const sep = 0x00

// ErrLocked is returned by Open when another process holds the file.
var ErrLocked = errors.New("store: the data file is in use by another process")

// Options configure a Store.
type Options struct {
	// Region owns the records written through Write. Required for a new
	// regional file; an existing file remembers its region and refuses
	// another.
	Region string
	// Replica opens a store of records replicated from many regions (the
	// hub's provincial directory, a node's copy of it): it takes records
	// through Apply only, never through Write.
	Replica bool
	// Timeout bounds the wait for the file lock (default 2 s).
	Timeout time.Duration
	// Now stamps modification times (default time.Now).
	Now func() time.Time
	// Logger receives operational messages (default slog.Default()).
	Logger *slog.Logger
	// NoSync skips fsync on commit: for tests and benchmarks only.
	NoSync bool
}

// Store is a bbolt-backed HSDS directory. It is safe for concurrent use.
type Store struct {
	sessionDB // console sessions and sign-in counters (sessions.go)

	path   string
	opts   Options
	db     *bolt.DB
	region string

	mu     sync.Mutex // serialises Write, Ack, Apply, group commits and Close
	closed bool
	// commit runs the group commits of contacts and audit entries (nil on
	// a replica store).
	commit *committer
}

// Open opens or creates the store at path. It checks the schema version,
// and returns ErrLocked when another process has the file open.
func Open(path string, opts Options) (*Store, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{path: path, opts: opts}
	db, err := bolt.Open(path, 0o600, s.boltOptions())
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrLocked, path)
	} else if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.db, s.sessionDB = db, sessionDB{db}
	if err := s.upgrade(true); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.Update(s.init); err != nil {
		db.Close()
		return nil, err
	}
	if s.region != replicaMark {
		s.commit = newCommitter(s)
	}
	return s, nil
}

// boltOptions are the bbolt settings: a large initial mmap so that long
// read transactions (snapshots) rarely block writers on a remap.
func (s *Store) boltOptions() *bolt.Options {
	return &bolt.Options{Timeout: s.opts.Timeout, NoSync: s.opts.NoSync,
		FreelistType: bolt.FreelistMapType, InitialMmapSize: 1 << 30}
}

func (s *Store) init(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	switch v := meta.Get(keyVersion); {
	case v == nil:
		if err := meta.Put(keyVersion, []byte(strconv.Itoa(SchemaVersion))); err != nil {
			return err
		}
	case string(v) != strconv.Itoa(SchemaVersion): // upgrade ran before init
		return fmt.Errorf("store: %s has schema version %.10q; this o211 reads version %d", s.path, v, SchemaVersion)
	}
	want := s.opts.Region
	if s.opts.Replica {
		want = replicaMark
	}
	switch r := meta.Get(keyRegion); {
	case r == nil && want == "":
		return fmt.Errorf("store: %s is new and no region was given", s.path)
	case r == nil:
		if want != replicaMark && !o211.ValidRegionID(want) {
			return o211.Errorf(o211.EINVALID, "region %q is not a valid region id", want)
		}
		if err := meta.Put(keyRegion, []byte(want)); err != nil {
			return err
		}
		s.region = want
	case string(r) == replicaMark && !s.opts.Replica:
		return fmt.Errorf("store: %s is a replica store of many regions, not a regional one", s.path)
	case string(r) != replicaMark && s.opts.Replica:
		return fmt.Errorf("store: %s belongs to region %q; it is not a replica store", s.path, r)
	case want != "" && string(r) != want:
		return fmt.Errorf("store: %s belongs to region %q, not %q", s.path, r, want)
	default:
		s.region = string(r)
	}
	// A new file gets every bucket; an upgraded one got them in upgrade.
	for _, name := range layoutBuckets(s.region) {
		if tx.Bucket(name) != nil {
			continue
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	if s.region != replicaMark {
		return initReferrals(tx) // referrals.go
	}
	return nil
}

// layoutBuckets names the top-level buckets of a store of region (replicaMark
// for a replica store) besides meta/.
func layoutBuckets(region string) [][]byte {
	names := [][]byte{bucketRec, bucketRef, bucketChanges, bucketOutbox, bucketCounts, bucketHistory}
	if region != replicaMark {
		names = append(names, bucketContacts, bucketContactStart, bucketContactNav, bucketContactDue,
			bucketContactKeep, bucketAudit, bucketAuditContact,
			bucketUsers, bucketUserNames, bucketTokens, bucketTokensUser, bucketSessions, bucketSignIns, bucketSourceOf)
	}
	return names
}

// Close closes the file. It is safe to call more than once.
func (s *Store) Close() error {
	if s.commit != nil {
		s.commit.close() // before the lock: a commit in progress holds it
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.db == nil {
		return nil
	}
	s.closed = true
	return s.db.Close()
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// Region returns the region that owns the records written here, or "" for
// a replica store.
func (s *Store) Region() string {
	if s.region == replicaMark {
		return ""
	}
	return s.region
}

// Seq returns the last change sequence number assigned.
func (s *Store) Seq() (seq uint64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		seq = getSeq(tx)
		return nil
	})
	return seq, err
}

// Size returns the size of the data file in bytes.
func (s *Store) Size() int64 {
	var n int64
	_ = s.db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}

func getSeq(tx *bolt.Tx) uint64 {
	if v := tx.Bucket(bucketMeta).Get(keySeq); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func putSeq(tx *bolt.Tx, seq uint64) error {
	return tx.Bucket(bucketMeta).Put(keySeq, u64(seq))
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func join(parts ...string) []byte {
	var b bytes.Buffer
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(sep)
		}
		b.WriteString(p)
	}
	return b.Bytes()
}
