package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// The region's user accounts and their personal API tokens (node/auth's
// Users). Every change is written with an entry in the audit log naming
// who made it.
//
//	users/<id>                  -> codec(1) JSON of o211.User
//	users_name/<username>       -> user id
//	tokens/<id>                 -> codec(1) JSON of o211.APIToken
//	tokens_user/<user id>|<id>  -> empty
var (
	bucketUsers      = []byte("users")
	bucketUserNames  = []byte("users_name")
	bucketTokens     = []byte("tokens")
	bucketTokensUser = []byte("tokens_user")
)

// accountActions are audit actions about accounts and sign-ins, and the
// report queries (node/report), which name no contact.
var accountActions = map[string]bool{"user_put": true, "token_put": true, "token_delete": true,
	"signin": true, "signin_failed": true, "signin_locked": true, "lockout": true, "signout": true,
	"report_query": true, "emergency_put": true, "emergency_delete": true}

// putJSON writes v as a codec(1) JSON value under key in bucket.
func putJSON(tx *bolt.Tx, bucket, key []byte, v any) error {
	b, err := regional(tx, bucket)
	if err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, append([]byte{codecV1}, data...))
}

// regional returns a bucket that only regional stores and sessions files
// have, or errReplicaContacts.
func regional(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	if b := tx.Bucket(name); b != nil {
		return b, nil
	}
	return nil, errReplicaContacts
}

// getJSON reads the codec(1) JSON value under key into v; found is false
// when there is none.
func getJSON(tx *bolt.Tx, bucket, key []byte, v any) (found bool, err error) {
	b := tx.Bucket(bucket)
	if b == nil {
		return false, errReplicaContacts
	}
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if raw[0] != codecV1 {
		return false, fmt.Errorf("%w: %s %x", errCorrupt, bucket, key)
	}
	if err := json.Unmarshal(raw[1:], v); err != nil {
		return false, fmt.Errorf("%w: %s %x: %v", errCorrupt, bucket, key, err)
	}
	return true, nil
}

// accountAudit writes the audit entry of an account change in tx.
func (s *Store) accountAudit(tx *bolt.Tx, a o211.Actor, action, what string) error {
	g := &groupTx{tx: tx}
	return g.putAudit(&o211.AuditEntry{Time: s.opts.Now().UTC(), Actor: a, Action: action, Path: what})
}

// User returns the user with id, or an ENOTFOUND error.
func (s *Store) User(_ context.Context, id string) (*o211.User, error) {
	u := new(o211.User)
	err := s.db.View(func(tx *bolt.Tx) error {
		found, err := getJSON(tx, bucketUsers, []byte(id), u)
		if err == nil && !found {
			err = o211.Errorf(o211.ENOTFOUND, "no user %q", short(id, 40))
		}
		return err
	})
	if err != nil {
		return nil, closedErr(err)
	}
	return u, nil
}

// UserByName returns the user with username (normalised), or ENOTFOUND.
func (s *Store) UserByName(ctx context.Context, username string) (*o211.User, error) {
	var id []byte
	if err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketUserNames); b != nil {
			id = append(id, b.Get([]byte(username))...)
		}
		return nil
	}); err != nil {
		return nil, closedErr(err)
	}
	if id == nil {
		return nil, o211.Errorf(o211.ENOTFOUND, "no user %q", short(username, 40))
	}
	return s.User(ctx, string(id))
}

// Users returns every user, by username.
func (s *Store) Users(context.Context) ([]*o211.User, error) {
	var out []*o211.User
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketUserNames) == nil {
			return errReplicaContacts
		}
		return tx.Bucket(bucketUserNames).ForEach(func(_, id []byte) error {
			u := new(o211.User)
			if _, err := getJSON(tx, bucketUsers, id, u); err != nil {
				return err
			}
			out = append(out, u)
			return nil
		})
	})
	return out, closedErr(err)
}

// PutUser creates or replaces u (by ID), with an audit entry naming a.
//
// Errors: ECONFLICT when another user has u's username, EINVALID for a
// user without id, username or valid role.
func (s *Store) PutUser(_ context.Context, a o211.Actor, u *o211.User) error {
	if u.ID == "" || u.Username == "" || !u.Role.Valid() {
		return o211.Errorf(o211.EINVALID, "a user needs an id, a username and a role")
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		names := tx.Bucket(bucketUserNames)
		if names == nil {
			return errReplicaContacts
		}
		if id := names.Get([]byte(u.Username)); id != nil && string(id) != u.ID {
			return o211.Errorf(o211.ECONFLICT, "the username %q is taken", u.Username)
		}
		old := new(o211.User)
		if found, err := getJSON(tx, bucketUsers, []byte(u.ID), old); err != nil {
			return err
		} else if found && old.Username != u.Username {
			if err := names.Delete([]byte(old.Username)); err != nil {
				return err
			}
		}
		if err := names.Put([]byte(u.Username), []byte(u.ID)); err != nil {
			return err
		}
		if err := putJSON(tx, bucketUsers, []byte(u.ID), u); err != nil {
			return err
		}
		return s.accountAudit(tx, a, "user_put", fmt.Sprintf("user %s (%s, disabled=%t)", u.Username, u.Role, u.Disabled))
	})
	return closedErr(err)
}

// Token returns the personal token with id, or an ENOTFOUND error.
func (s *Store) Token(_ context.Context, id string) (*o211.APIToken, error) {
	t := new(o211.APIToken)
	err := s.db.View(func(tx *bolt.Tx) error {
		found, err := getJSON(tx, bucketTokens, []byte(id), t)
		if err == nil && !found {
			err = o211.Errorf(o211.ENOTFOUND, "no token %q", short(id, 40))
		}
		return err
	})
	if err != nil {
		return nil, closedErr(err)
	}
	return t, nil
}

// Tokens returns the personal tokens of a user, in id order.
func (s *Store) Tokens(_ context.Context, userID string) ([]*o211.APIToken, error) {
	var out []*o211.APIToken
	prefix := append([]byte(userID), sep)
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketTokensUser) == nil {
			return errReplicaContacts
		}
		c := tx.Bucket(bucketTokensUser).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			t := new(o211.APIToken)
			if _, err := getJSON(tx, bucketTokens, k[len(prefix):], t); err != nil {
				return err
			}
			out = append(out, t)
		}
		return nil
	})
	return out, closedErr(err)
}

// PutToken stores a personal token, with an audit entry naming a.
func (s *Store) PutToken(_ context.Context, a o211.Actor, t *o211.APIToken) error {
	if t.ID == "" || t.UserID == "" || t.Hash == "" {
		return o211.Errorf(o211.EINVALID, "a token needs an id, a user and a hash")
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketTokens) == nil {
			return errReplicaContacts
		}
		if err := putJSON(tx, bucketTokens, []byte(t.ID), t); err != nil {
			return err
		}
		if err := tx.Bucket(bucketTokensUser).Put(join(t.UserID, t.ID), nil); err != nil {
			return err
		}
		return s.accountAudit(tx, a, "token_put", fmt.Sprintf("token %s of user %s (%s)", t.ID, t.UserID, t.Role))
	})
	return closedErr(err)
}

// DeleteToken removes a personal token, with an audit entry naming a.
func (s *Store) DeleteToken(_ context.Context, a o211.Actor, id string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		t := new(o211.APIToken)
		found, err := getJSON(tx, bucketTokens, []byte(id), t)
		if err != nil || !found {
			return err
		}
		if err := tx.Bucket(bucketTokens).Delete([]byte(id)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketTokensUser).Delete(join(t.UserID, id)); err != nil {
			return err
		}
		return s.accountAudit(tx, a, "token_delete", fmt.Sprintf("token %s of user %s", id, t.UserID))
	})
	return closedErr(err)
}

// closedErr translates bbolt's closed-database error to ErrClosed.
func closedErr(err error) error {
	if err == bolt.ErrDatabaseNotOpen {
		return ErrClosed
	}
	return err
}

// short returns at most n bytes of s, for error messages.
func short(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
