package gateway

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/boltfile"
)

// The gateway keeps the conversations of the text, chat and email channels
// and the calls it has queued in its own bbolt file beside the node's
// store (DataDir/gateway.db). Transcripts are personal information: they
// stay in the region and are deleted whole once a conversation has been
// inactive for the node's contact retention period.
//
// Bucket schema ("|" is the separator byte 0x00; times Unix ns, uint64 BE):
//
//	meta/
//	  version              -> "1"
//	conv/
//	  <id>                 -> JSON of Conversation
//	conv_ref/
//	  <channel>|<key>      -> <id>: the person's open conversation on a
//	                          channel (key: phone number, e-mail address,
//	                          CallSid, chat session)
//	msg/
//	  <id>|<seq BE>        -> JSON of Message
//	activity/
//	  <updated>|<id>       -> empty, for the retention purge
var (
	bucketConv     = []byte("conv")
	bucketConvRef  = []byte("conv_ref")
	bucketMsg      = []byte("msg")
	bucketActivity = []byte("activity")
)

const storeVersion = "1"

// Conversation is one person's exchange with the centre on one channel: a
// call held in the queue, a text thread, a chat or an e-mail thread.
type Conversation struct {
	ID      string       `json:"id"`
	Channel o211.Channel `json:"channel"`
	// Key identifies the person on the channel (phone number, e-mail
	// address, chat session, CallSid); personal.
	Key string `json:"key"`
	// Ref is the provider's reference of a call (CallSid).
	Ref      string `json:"ref,omitempty"`
	Language string `json:"language,omitempty"`
	Postal   string `json:"postal,omitempty"`
	Region   string `json:"region"`
	RoutedBy string `json:"routed_by,omitempty"`
	// Subject is the subject of an e-mail thread.
	Subject string `json:"subject,omitempty"`
	// State: "postal" (asked for a postal code), "handing" (being handed
	// to the region that serves it), "handed" (that region has it; later
	// messages are relayed there), "waiting" (queued),
	// "connected" (a navigator took it), "ended".
	State     string `json:"state"`
	ItemID    string `json:"item_id,omitempty"`
	Navigator string `json:"navigator,omitempty"`
	// Seq is the sequence number of the last message; ReadPerson and
	// ReadNavigator the last each side has read.
	Seq           uint64 `json:"seq"`
	ReadPerson    uint64 `json:"read_person"`
	ReadNavigator uint64 `json:"read_navigator"`
	Secret        string `json:"secret,omitempty"` // a chat's resume secret
	// Moved is where a chat handed to another region continues.
	Moved *ChatMove `json:"moved,omitempty"`
	// Conference is the provider's conference a call was moved into for
	// a warm transfer.
	Conference string    `json:"conference,omitempty"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
}

// Message is one message of a conversation's transcript.
type Message struct {
	Seq uint64 `json:"seq"`
	// From is "person", "navigator" or "system".
	From string    `json:"from"`
	Body string    `json:"body"`
	At   time.Time `json:"at"`
	// CID is the sender's own id of the message (a chat client's), so
	// that one sent again after a reconnection is stored once.
	CID string `json:"cid,omitempty"`
}

// ErrNotFound is the error of a conversation that does not exist.
var ErrNotFound = o211.Errorf(o211.ENOTFOUND, "no such conversation")

// Store keeps the gateway's conversations. It is safe for concurrent use.
type Store struct {
	db     *bolt.DB
	commit *boltfile.Committer
	now    func() time.Time
}

// OpenStore opens (creating it if need be) the gateway's file at path.
func OpenStore(path string, noSync bool, now func() time.Time) (*Store, error) {
	db, err := boltfile.Open(path, boltfile.Schema{Owner: "gateway", Version: storeVersion,
		Buckets: [][]byte{bucketConv, bucketConvRef, bucketMsg, bucketActivity}}, noSync)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	// Concurrent writes (chat messages of many sessions) share a commit.
	return &Store{db: db, now: now, commit: boltfile.NewCommitter(db, 0)}, nil
}

// Close closes the file once the writes in progress are committed.
func (s *Store) Close() error {
	s.commit.Close()
	return s.db.Close()
}

// CommitStats returns how many transactions the store's shared writes
// (messages, conversation updates) took and how many writes they carried:
// each transaction costs two fsyncs.
func (s *Store) CommitStats() (commits, writes uint64) { return s.commit.Stats() }

func refKey(ch o211.Channel, key string) []byte {
	return append(append([]byte(ch), 0), key...)
}

func msgKey(id string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(id), 0), seq)
}

func activityKey(t time.Time, id string) []byte {
	return append(append(binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())), 0), id...)
}

func newID(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// findConv reads a conversation.
func findConv(tx *bolt.Tx, id string) (*Conversation, error) {
	v := tx.Bucket(bucketConv).Get([]byte(id))
	if v == nil {
		return nil, ErrNotFound
	}
	var c Conversation
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, fmt.Errorf("gateway: conversation %s: %w", id, err)
	}
	return &c, nil
}

// putConv writes a conversation, moving its activity entry from old.
func putConv(tx *bolt.Tx, c *Conversation, old time.Time) error {
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	act := tx.Bucket(bucketActivity)
	if !old.IsZero() {
		if err := act.Delete(activityKey(old, c.ID)); err != nil {
			return err
		}
	}
	if err := act.Put(activityKey(c.Updated, c.ID), nil); err != nil {
		return err
	}
	return tx.Bucket(bucketConv).Put([]byte(c.ID), v)
}

// Create stores a new conversation (its ID assigned when empty) as the
// person's open one on its channel.
func (s *Store) Create(c *Conversation) error {
	if c.ID == "" {
		c.ID = newID("cv_")
	}
	c.Created, c.Updated = s.now().UTC(), s.now().UTC()
	return s.commit.Do(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketConvRef).Put(refKey(c.Channel, c.Key), []byte(c.ID)); err != nil {
			return err
		}
		return putConv(tx, c, time.Time{})
	})
}

// CreateWith stores a new conversation, as Create, with the transcript
// msgs (renumbered from 1), in one commit.
func (s *Store) CreateWith(c *Conversation, msgs []Message) error {
	if c.ID == "" {
		c.ID = newID("cv_")
	}
	now := s.now().UTC()
	c.Created, c.Updated, c.Seq = now, now, 0
	return s.commit.Do(func(tx *bolt.Tx) error {
		c.Seq = 0
		for _, m := range msgs {
			c.Seq++
			m.Seq = c.Seq
			if m.At.IsZero() {
				m.At = now
			}
			v, err := json.Marshal(m)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketMsg).Put(msgKey(c.ID, m.Seq), v); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketConvRef).Put(refKey(c.Channel, c.Key), []byte(c.ID)); err != nil {
			return err
		}
		return putConv(tx, c, time.Time{})
	})
}

// Get returns the conversation id, or ErrNotFound.
func (s *Store) Get(id string) (*Conversation, error) {
	var c *Conversation
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		c, err = findConv(tx, id)
		return err
	})
	return c, err
}

// Open returns the person's open conversation on a channel, or
// ErrNotFound.
func (s *Store) Open(ch o211.Channel, key string) (*Conversation, error) {
	var c *Conversation
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketConvRef).Get(refKey(ch, key))
		if id == nil {
			return ErrNotFound
		}
		var err error
		c, err = findConv(tx, string(id))
		return err
	})
	return c, err
}

// Update changes a conversation with f in one transaction and returns it
// as stored. Ending it (State "ended") closes it as the person's open one.
func (s *Store) Update(id string, f func(*Conversation) error) (*Conversation, error) {
	var c *Conversation
	err := s.commit.Do(func(tx *bolt.Tx) error {
		var err error
		if c, err = findConv(tx, id); err != nil {
			return err
		}
		old := c.Updated
		if err := f(c); err != nil {
			return err
		}
		c.Updated = s.now().UTC()
		if c.State == "ended" {
			refs := tx.Bucket(bucketConvRef)
			if string(refs.Get(refKey(c.Channel, c.Key))) == c.ID {
				if err := refs.Delete(refKey(c.Channel, c.Key)); err != nil {
					return err
				}
			}
		}
		return putConv(tx, c, old)
	})
	return c, err
}

// Append adds a message to a conversation's transcript, durably, and
// returns it with its sequence number. A message whose CID is one of the
// conversation's last 64 is not stored again: the stored one is returned.
func (s *Store) Append(id string, m Message) (Message, error) {
	err := s.commit.Do(func(tx *bolt.Tx) error {
		c, err := findConv(tx, id)
		if err != nil {
			return err
		}
		if m.CID != "" {
			if dup, ok := findCID(tx, id, c.Seq, m.CID); ok {
				m = dup
				return nil
			}
		}
		old := c.Updated
		c.Seq++
		m.Seq, m.At = c.Seq, s.now().UTC()
		c.Updated = m.At
		v, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketMsg).Put(msgKey(id, m.Seq), v); err != nil {
			return err
		}
		return putConv(tx, c, old)
	})
	return m, err
}

// findCID looks for a message with the client id among the last 64.
func findCID(tx *bolt.Tx, id string, last uint64, cid string) (Message, bool) {
	cur := tx.Bucket(bucketMsg).Cursor()
	prefix := append([]byte(id), 0)
	k, v := cur.Seek(msgKey(id, last))
	for n := 0; n < 64 && k != nil && bytes.HasPrefix(k, prefix); n++ {
		var m Message
		if json.Unmarshal(v, &m) == nil && m.CID == cid {
			return m, true
		}
		k, v = cur.Prev()
	}
	return Message{}, false
}

// Messages returns up to limit messages of a conversation after seq.
func (s *Store) Messages(id string, after uint64, limit int) ([]Message, error) {
	var out []Message
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := append([]byte(id), 0)
		cur := tx.Bucket(bucketMsg).Cursor()
		for k, v := cur.Seek(msgKey(id, after+1)); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = cur.Next() {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("gateway: message of %s: %w", id, err)
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// Purge deletes, whole, up to limit conversations inactive since before
// cutoff (their transcripts and references) and returns how many.
func (s *Store) Purge(cutoff time.Time, limit int) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bucketActivity).Cursor()
		end := binary.BigEndian.AppendUint64(nil, uint64(cutoff.UnixNano()))
		for k, _ := cur.First(); k != nil && bytes.Compare(k, end) < 0 && n < limit; k, _ = cur.First() {
			if err := deleteConv(tx, string(k[9:])); err != nil {
				return err
			}
			if err := cur.Delete(); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// deleteConv deletes a conversation, its messages and its reference.
func deleteConv(tx *bolt.Tx, id string) error {
	c, err := findConv(tx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	refs := tx.Bucket(bucketConvRef)
	if string(refs.Get(refKey(c.Channel, c.Key))) == id {
		if err := refs.Delete(refKey(c.Channel, c.Key)); err != nil {
			return err
		}
	}
	msgs := tx.Bucket(bucketMsg).Cursor()
	prefix := append([]byte(id), 0)
	for k, _ := msgs.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = msgs.Seek(prefix) {
		if err := msgs.Delete(); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketConv).Delete([]byte(id))
}
