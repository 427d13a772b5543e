package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
	"github.com/o211/o211/node/auth"
)

// Console sessions and sign-in counters (node/auth's Sessions), in a
// regional store and in a hub replica's sessions file:
//
//	sessions/<digest of the cookie>  -> codec(1) JSON of o211.Session
//	signins/<user id>                -> codec(1) JSON of o211.SignInState
//
// A regional store writes sign-in events to its audit log; a sessions
// file has its own:
//
//	signin_log/<time><n BE>          -> codec(1) JSON of o211.AuditEntry
var (
	bucketSessions = []byte("sessions")
	bucketSignIns  = []byte("signins")
	bucketSignLog  = []byte("signin_log")
)

var _ auth.Sessions = (*Store)(nil)
var _ auth.Sessions = (*SessionFile)(nil)
var _ auth.Users = (*Store)(nil)

// sessionDB holds the session methods shared by Store and SessionFile.
type sessionDB struct{ db *bolt.DB }

// PutSession stores s under key.
func (d sessionDB) PutSession(_ context.Context, key string, s *o211.Session) error {
	return closedErr(d.db.Update(func(tx *bolt.Tx) error { return putJSON(tx, bucketSessions, []byte(key), s) }))
}

// Session returns the session under key, or an ENOTFOUND error.
func (d sessionDB) Session(_ context.Context, key string) (*o211.Session, error) {
	s := new(o211.Session)
	err := d.db.View(func(tx *bolt.Tx) error {
		found, err := getJSON(tx, bucketSessions, []byte(key), s)
		if err == nil && !found {
			err = o211.Errorf(o211.ENOTFOUND, "no such session")
		}
		return err
	})
	if err != nil {
		return nil, closedErr(err)
	}
	return s, nil
}

// DeleteSession removes the session under key.
func (d sessionDB) DeleteSession(_ context.Context, key string) error {
	return closedErr(d.db.Update(func(tx *bolt.Tx) error {
		b, err := regional(tx, bucketSessions)
		if err != nil {
			return err
		}
		return b.Delete([]byte(key))
	}))
}

// PurgeSessions removes the sessions seen before idle or created before
// created, and returns how many it removed.
func (d sessionDB) PurgeSessions(_ context.Context, idle, created time.Time) (int, error) {
	n := 0
	err := d.db.Update(func(tx *bolt.Tx) error {
		b, err := regional(tx, bucketSessions)
		if err != nil {
			return err
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; {
			var s o211.Session
			if len(v) < 1 || json.Unmarshal(v[1:], &s) != nil || s.Seen.Before(idle) || s.Created.Before(created) {
				if err := c.Delete(); err != nil {
					return err
				}
				n++
				k, v = c.Seek(k) // Delete moves the cursor past the next key
				continue
			}
			k, v = c.Next()
		}
		return nil
	})
	return n, closedErr(err)
}

// SignInState returns a user's failed sign-ins (zero when none).
func (d sessionDB) SignInState(_ context.Context, userID string) (o211.SignInState, error) {
	var st o211.SignInState
	err := d.db.View(func(tx *bolt.Tx) error {
		_, err := getJSON(tx, bucketSignIns, []byte(userID), &st)
		return err
	})
	return st, closedErr(err)
}

// PutSignInState stores a user's failed sign-ins (zero: forgets them).
func (d sessionDB) PutSignInState(_ context.Context, userID string, st o211.SignInState) error {
	return closedErr(d.db.Update(func(tx *bolt.Tx) error {
		b, err := regional(tx, bucketSignIns)
		if err != nil {
			return err
		} else if st == (o211.SignInState{}) {
			return b.Delete([]byte(userID))
		}
		return putJSON(tx, bucketSignIns, []byte(userID), &st)
	}))
}

// signInAudit is the audit entry of a sign-in event.
func signInAudit(e auth.SignInEvent) o211.AuditEntry {
	actor := o211.Actor{ID: e.UserID, Username: e.Username}
	if e.UserID == "" { // a name no user has
		actor.ID = "unknown"
	}
	return o211.AuditEntry{Time: e.Time, Actor: actor, Action: e.Action, From: e.From}
}

// AuditSignIn appends a sign-in event to the region's audit log.
func (s *Store) AuditSignIn(ctx context.Context, e auth.SignInEvent) error {
	return s.AppendAudit(ctx, signInAudit(e))
}

// SessionFile is a hub replica's own file of console sessions, sign-in
// counters and sign-in log (sessions.db in its data folder). Sessions are
// not replicated: they change at every request, and a browser talks to one
// replica; the accounts they name are in the Raft state.
type SessionFile struct {
	sessionDB
	path string
}

const sessionFileVersion = "sessions 1"

// OpenSessionFile opens or creates a sessions file. It returns ErrLocked
// when another process holds it.
func OpenSessionFile(path string, opts Options) (*SessionFile, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, NoSync: opts.NoSync})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrLocked, path)
	} else if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if v := meta.Get(keyVersion); v != nil && string(v) != sessionFileVersion {
			return fmt.Errorf("store: %s is not a sessions file of this o211 (%s)", path, strconv.Quote(string(v)))
		} else if err := meta.Put(keyVersion, []byte(sessionFileVersion)); err != nil {
			return err
		}
		for _, name := range [][]byte{bucketSessions, bucketSignIns, bucketSignLog} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &SessionFile{sessionDB: sessionDB{db}, path: path}, nil
}

// Close closes the file. It is safe to call more than once.
func (f *SessionFile) Close() error {
	err := f.db.Close()
	if err == bolt.ErrDatabaseNotOpen {
		return nil
	}
	return err
}

// AuditSignIn appends a sign-in event to the file's sign-in log.
func (f *SessionFile) AuditSignIn(_ context.Context, e auth.SignInEvent) error {
	return closedErr(f.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSignLog)
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		entry := signInAudit(e)
		return putJSON(tx, bucketSignLog, binary.BigEndian.AppendUint64(timeKey(e.Time), n), &entry)
	}))
}

// SignInLog returns the last n entries of the sign-in log, newest first.
func (f *SessionFile) SignInLog(n int) ([]o211.AuditEntry, error) {
	var out []o211.AuditEntry
	err := f.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketSignLog).Cursor()
		for k, _ := c.Last(); k != nil && len(out) < n; k, _ = c.Prev() {
			var e o211.AuditEntry
			if _, err := getJSON(tx, bucketSignLog, k, &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, closedErr(err)
}
