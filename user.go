package o211

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// User is a person who signs in to the console or calls the API with a
// personal token. A node holds its region's users; the hub holds the
// province's (Region is ProvinceRegion).
type User struct {
	// ID is a random id, fixed for the account's life.
	ID string `json:"id"`
	// Username is the sign-in name: unique among the users of a region or
	// of the hub, compared as lower case (NormalizeUsername).
	Username string `json:"username"`
	Role     Role   `json:"role"`
	Region   string `json:"region"`
	// PasswordHash is the PHC string of the password's argon2id hash
	// ("$argon2id$v=19$m=...,t=...,p=...$salt$hash"). It is stored, never
	// served: API views of a user leave it out.
	PasswordHash string `json:"password_hash,omitempty"`
	// Disabled users cannot sign in; their sessions and tokens stop working.
	Disabled bool      `json:"disabled,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
	// PasswordChanged is when the password was last set; sessions begun
	// before it end.
	PasswordChanged time.Time `json:"password_changed"`
	// Languages and Skills are what an administrator or a supervisor
	// gave a navigator ("fr", "crisis"): the contacts the queue may route
	// to them. A navigator may narrow them for a shift, never add to them.
	// No languages means English only.
	Languages []string `json:"languages,omitempty"`
	Skills    []string `json:"skills,omitempty"`
}

// GrantedLanguages returns the languages u was given, English when none.
func (u *User) GrantedLanguages() []string {
	if len(u.Languages) == 0 {
		return []string{"en"}
	}
	return u.Languages
}

// Actor returns the actor the user acts as.
func (u *User) Actor() Actor {
	return Actor{ID: u.ID, Username: u.Username, Role: u.Role, Region: u.Region}
}

// Public returns a copy of u without its password hash, for API answers.
func (u *User) Public() *User {
	c := *u
	c.PasswordHash = ""
	return &c
}

// APIToken is a personal API token as it is stored: never its secret, only
// the SHA-256 of it. The token the holder sends is "o211_<id>_<secret>".
type APIToken struct {
	ID     string `json:"id"`
	UserID string `json:"user_id"`
	// Name is what the holder calls it ("import script").
	Name string `json:"name"`
	// Role is the token's scope: the role its requests act with, the
	// user's own or one the user's role covers (Role.Covers).
	Role Role `json:"role"`
	// Hash is the SHA-256 of the secret, hex-encoded.
	Hash    string    `json:"hash,omitempty"`
	Created time.Time `json:"created"`
	// Expires, when set, ends the token.
	Expires *time.Time `json:"expires,omitempty"`
}

// Public returns a copy of t without its hash, for API answers.
func (t *APIToken) Public() *APIToken {
	c := *t
	c.Hash = ""
	return &c
}

// Session is a signed-in browser's server-side session. It is stored under
// the SHA-256 of the cookie's random value, so that a copy of the data file
// holds no live session.
type Session struct {
	UserID string `json:"user_id"`
	// FormToken is the cross-site request token the session's forms carry.
	FormToken string    `json:"form_token"`
	Created   time.Time `json:"created"`
	// Seen is the time of the session's last request (idle expiry).
	Seen time.Time `json:"seen"`
}

// SignInState counts a user's recent failed sign-ins, for the lockout.
type SignInState struct {
	// Failures counts failed attempts since the last success, within the
	// lockout window that started at First.
	Failures int       `json:"failures"`
	First    time.Time `json:"first"`
	// LockedUntil, when in the future, refuses every sign-in of the user.
	LockedUntil time.Time `json:"locked_until,omitempty"`
}

// Covers reports whether a holder of role r may hand out a token that acts
// with role o: every role covers itself, a supervisor also covers the
// region's navigators and resource specialists, an administrator every role.
func (r Role) Covers(o Role) bool {
	switch {
	case !o.Valid():
		return false
	case r == o, r == RoleAdmin:
		return true
	case r == RoleSupervisor:
		return o == RoleNavigator || o == RoleResourceSpecialist
	}
	return false
}

// Who may do what: every surface checks these (httpx.Require) on top of
// the region, which a credential of another region never passes.
var (
	// ContactRoles create, read and change a region's 211 contacts.
	ContactRoles = []Role{RoleNavigator, RoleSupervisor, RoleAdmin}
	// AuditRoles read the audit log.
	AuditRoles = []Role{RoleSupervisor, RoleAdmin}
	// DirectoryRoles write the directory and import into it.
	DirectoryRoles = []Role{RoleResourceSpecialist, RoleSupervisor, RoleAdmin}
)

// HasRole reports whether a acts with one of roles.
func (a Actor) HasRole(roles ...Role) bool { return slices.Contains(roles, a.Role) }

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{1,63}$`)

// NormalizeUsername returns the username s in its stored form (trimmed,
// lower case), or an EINVALID error: 2 to 64 letters, digits, '.', '_',
// '@' or '-', starting with a letter or digit.
func NormalizeUsername(s string) (string, error) {
	u := strings.ToLower(strings.TrimSpace(s))
	if !usernamePattern.MatchString(u) {
		return "", FieldErrorf("username", "%q is not a username: use 2 to 64 letters, digits, '.', '_', '@' or '-'", truncate(s, 40))
	}
	return u, nil
}

// Password length limits, in characters (MaxPasswordLen bounds the work of
// hashing what a stranger sends).
const (
	MinPasswordLen = 10
	MaxPasswordLen = 128
)

// ValidatePassword checks a new password for user username: between
// MinPasswordLen and MaxPasswordLen characters, and not the username.
// It returns an EINVALID error on field "password" that never echoes it.
func ValidatePassword(username, password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return FieldErrorf("password", "is not valid UTF-8 text")
	case n < MinPasswordLen:
		return FieldErrorf("password", "is too short: use at least %d characters", MinPasswordLen)
	case n > MaxPasswordLen:
		return FieldErrorf("password", "is too long: use at most %d characters", MaxPasswordLen)
	case strings.EqualFold(strings.TrimSpace(password), username):
		return FieldErrorf("password", "must not be the username")
	}
	return nil
}

// Sign-in refusals, the same in every language's words: the console picks
// its message by errors.Is, the API shows the Message.
var (
	// ErrWrongCredentials refuses a sign-in whose username or password is
	// wrong (or whose account is disabled: the answer does not say which).
	ErrWrongCredentials = &Error{Code: EUNAUTHORIZED, Message: "The username or password is wrong."}
	// ErrAccountLocked refuses every sign-in of an account locked after
	// repeated failures, until the lock ends.
	ErrAccountLocked = &Error{Code: EUNAUTHORIZED, Message: "This account is locked after too many failed sign-ins: try again later, or ask a supervisor."}
	// ErrFormToken refuses a form or a session's write that lacks the
	// session's cross-site request token, or carries a wrong one.
	ErrFormToken = &Error{Code: EFORBIDDEN, Message: "The form has expired or came from another site: reload the page and try again."}
	// ErrSessionEnded says a session expired or was ended: sign in again.
	ErrSessionEnded = &Error{Code: EUNAUTHORIZED, Message: "Your session has ended: sign in again."}
)

// ValidQualification reports whether s is a language or a skill as the
// queue routes by them: 1 to 20 lower-case letters, digits or hyphens
// ("fr", "crisis").
func ValidQualification(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// ParseQualifications trims, lower-cases, checks (ValidQualification) and de-duplicates a
// list of at most 20 languages or skills; field names the list in the
// EINVALID error. The result is never nil.
func ParseQualifications(field string, in []string) ([]string, error) {
	if len(in) > 20 {
		return nil, FieldErrorf(field, "at most 20, not %d", len(in))
	}
	out := make([]string, 0, len(in))
	for i, s := range in {
		s = strings.ToLower(strings.TrimSpace(s))
		if !ValidQualification(s) {
			return nil, FieldErrorf(field, "%d: %q is not a short lower-case word", i+1, truncate(s, 40))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}
