package fsm

import (
	"github.com/o211/o211"
)

// The province's user accounts and personal API tokens, in side tables of
// the state (every replica accepts the same users and tokens):
//
//	users/<user id>              -> userEntry (JSON)
//	usernames/<username>         -> user id
//	tokens/<token id>            -> tokenEntry (JSON)
//	user_tokens/<user id>|<id>   -> empty ("|" is the byte 0x00)
//
// Passwords are hashed, and tokens' secrets digested, by the replica that
// takes the request, before it proposes the command: Apply only stores
// what the command carries, so it stays deterministic and cheap.
const (
	tableUsers      = "users"
	tableUsernames  = "usernames"
	tableTokens     = "tokens"
	tableUserTokens = "user_tokens"
)

// The account commands.
const (
	// CmdPutUser creates or replaces a provincial user.
	CmdPutUser CommandType = "put_user"
	// CmdPutToken stores a provincial user's personal API token.
	CmdPutToken CommandType = "put_token"
	// CmdDeleteToken removes a personal API token.
	CmdDeleteToken CommandType = "delete_token"
)

// PutUser is the payload of CmdPutUser: the whole user, password hash
// included. Its Region must be o211.ProvinceRegion.
type PutUser struct {
	User o211.User `json:"user"`
}

// PutToken is the payload of CmdPutToken (the token's Hash, never its
// secret). Its user must exist.
type PutToken struct {
	Token o211.APIToken `json:"token"`
}

// DeleteToken is the payload of CmdDeleteToken.
type DeleteToken struct {
	ID string `json:"id"`
}

type userEntry struct {
	V    int       `json:"v"`
	User o211.User `json:"user"`
}

type tokenEntry struct {
	V     int           `json:"v"`
	Token o211.APIToken `json:"token"`
}

func userTokenKey(userID, id string) []byte { return []byte(userID + "\x00" + id) }

func findUser(get getter, id string) (*o211.User, error) {
	b := get(tableUsers, []byte(id))
	if b == nil {
		return nil, o211.Errorf(o211.ENOTFOUND, "no user %q", id)
	}
	e := new(userEntry)
	if err := decodeEntry(b, e); err != nil {
		return nil, err
	}
	return &e.User, nil
}

func findToken(get getter, id string) (*o211.APIToken, error) {
	b := get(tableTokens, []byte(id))
	if b == nil {
		return nil, o211.Errorf(o211.ENOTFOUND, "no token %q", id)
	}
	e := new(tokenEntry)
	if err := decodeEntry(b, e); err != nil {
		return nil, err
	}
	return &e.Token, nil
}

// ValidateUser checks a provincial user before it is proposed (and again
// when applied).
func ValidateUser(u *o211.User) error {
	name, err := o211.NormalizeUsername(u.Username)
	switch {
	case err != nil:
		return err
	case name != u.Username:
		return o211.FieldErrorf("username", "is not in its normal form %q", name)
	case u.ID == "" || len(u.ID) > 64:
		return o211.FieldErrorf("id", "is required (at most 64 characters)")
	case !u.Role.Valid():
		return o211.FieldErrorf("role", "unknown role %q", u.Role)
	case u.Region != o211.ProvinceRegion:
		return o211.FieldErrorf("region", "a hub user's region is %q", o211.ProvinceRegion)
	case u.PasswordHash == "":
		return o211.FieldErrorf("password_hash", "is required")
	}
	return nil
}

func (p *plan) putUser(c *Command) *Response {
	var pu PutUser
	if err := c.decodePayload(&pu); err != nil {
		return &Response{Err: err}
	}
	u := pu.User
	if err := ValidateUser(&u); err != nil {
		return &Response{Err: err}
	}
	if id := p.get(tableUsernames, []byte(u.Username)); id != nil && string(id) != u.ID {
		return &Response{Err: o211.Errorf(o211.ECONFLICT, "the username %q is taken", u.Username)}
	}
	if old, err := findUser(p.get, u.ID); err == nil && old.Username != u.Username {
		p.put(tableUsernames, []byte(old.Username), nil)
	} else if err != nil && o211.ErrorCode(err) != o211.ENOTFOUND {
		return &Response{Err: err}
	}
	p.put(tableUsernames, []byte(u.Username), []byte(u.ID))
	p.put(tableUsers, []byte(u.ID), encodeEntry(&userEntry{V: entryVersion, User: u}))
	return &Response{Value: u.Public()}
}

func (p *plan) putToken(c *Command) *Response {
	var pt PutToken
	if err := c.decodePayload(&pt); err != nil {
		return &Response{Err: err}
	}
	t := pt.Token
	if t.ID == "" || len(t.ID) > 64 || t.Hash == "" || !t.Role.Valid() {
		return &Response{Err: o211.Errorf(o211.EINVALID, "a token needs an id, a hash and a role")}
	}
	if _, err := findUser(p.get, t.UserID); err != nil {
		return &Response{Err: err}
	}
	p.put(tableTokens, []byte(t.ID), encodeEntry(&tokenEntry{V: entryVersion, Token: t}))
	p.put(tableUserTokens, userTokenKey(t.UserID, t.ID), []byte{})
	return &Response{Value: t.Public()}
}

func (p *plan) deleteToken(c *Command) *Response {
	var dt DeleteToken
	if err := c.decodePayload(&dt); err != nil {
		return &Response{Err: err}
	}
	t, err := findToken(p.get, dt.ID)
	if o211.ErrorCode(err) == o211.ENOTFOUND {
		return &Response{} // already gone: idempotent
	} else if err != nil {
		return &Response{Err: err}
	}
	p.put(tableTokens, []byte(dt.ID), nil)
	p.put(tableUserTokens, userTokenKey(t.UserID, t.ID), nil)
	return &Response{}
}

// User returns the provincial user id, or an ENOTFOUND error.
func (s *State) User(id string) (*o211.User, error) { return findUser(s.get, id) }

// UserByName returns the provincial user with a normalised username, or
// an ENOTFOUND error.
func (s *State) UserByName(name string) (*o211.User, error) {
	id := s.get(tableUsernames, []byte(name))
	if id == nil {
		return nil, o211.Errorf(o211.ENOTFOUND, "no user %q", name)
	}
	return findUser(s.get, string(id))
}

// Users returns every provincial user, by username.
func (s *State) Users() ([]*o211.User, error) {
	var out []*o211.User
	err := s.tx.AuxScan(tableUsernames, nil, func(_, id []byte) error {
		u, err := findUser(s.get, string(id))
		if err == nil {
			out = append(out, u)
		}
		return err
	})
	return out, err
}

// Token returns the personal token id, or an ENOTFOUND error.
func (s *State) Token(id string) (*o211.APIToken, error) { return findToken(s.get, id) }

// Tokens returns the personal tokens of a provincial user, in id order.
func (s *State) Tokens(userID string) ([]*o211.APIToken, error) {
	var out []*o211.APIToken
	prefix := userTokenKey(userID, "")
	err := s.tx.AuxScan(tableUserTokens, prefix, func(k, _ []byte) error {
		t, err := findToken(s.get, string(k[len(prefix):]))
		if err == nil {
			out = append(out, t)
		}
		return err
	})
	return out, err
}
