// Package auth signs people in to a node or the hub and says who a request
// comes from: users with roles, argon2id password hashes, server-side
// sessions behind a cookie, personal API tokens, the sign-in lockout, the
// cross-site request checks and the security headers of every response.
//
// It depends on two narrow stores declared here: Users (a node's bbolt
// store for its region's users; the hub's Raft state for the province's)
// and Sessions (sessions, sign-in counters and the sign-in audit: a node's
// store, or a hub replica's own file, since sessions change at every
// request and belong to the replica that a browser talks to).
//
// Service implements the Authenticator of the HTTP middleware
// (node/httpx): a request carries a personal token ("Authorization: Bearer
// o211_<id>_<secret>"), a session cookie, or another credential that the
// Fallback authenticator (the bootstrap administrator's shared token) reads.
package auth

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
)

// Users holds user accounts and their personal API tokens.
type Users interface {
	// User returns the user with id, or an ENOTFOUND error.
	User(ctx context.Context, id string) (*o211.User, error)
	// UserByName returns the user with a normalised username, or ENOTFOUND.
	UserByName(ctx context.Context, username string) (*o211.User, error)
	// Users returns every user, by username.
	Users(ctx context.Context) ([]*o211.User, error)
	// PutUser creates or replaces u (by ID), written durably. It returns an
	// ECONFLICT error when another user has u's username.
	PutUser(ctx context.Context, a o211.Actor, u *o211.User) error
	// Token returns the token with id, or an ENOTFOUND error.
	Token(ctx context.Context, id string) (*o211.APIToken, error)
	// Tokens returns the tokens of a user, oldest first.
	Tokens(ctx context.Context, userID string) ([]*o211.APIToken, error)
	// PutToken stores t durably.
	PutToken(ctx context.Context, a o211.Actor, t *o211.APIToken) error
	// DeleteToken removes token id (no error when there is none).
	DeleteToken(ctx context.Context, a o211.Actor, id string) error
}

// Sessions holds sessions, sign-in counters and the sign-in audit.
type Sessions interface {
	// PutSession stores s under key (the digest of the cookie's value).
	PutSession(ctx context.Context, key string, s *o211.Session) error
	// Session returns the session under key, or an ENOTFOUND error.
	Session(ctx context.Context, key string) (*o211.Session, error)
	// DeleteSession removes the session under key (none: no error).
	DeleteSession(ctx context.Context, key string) error
	// PurgeSessions removes sessions seen before idle or created before
	// created, and returns how many it removed.
	PurgeSessions(ctx context.Context, idle, created time.Time) (int, error)
	// SignInState returns a user's failed sign-ins (zero when none).
	SignInState(ctx context.Context, userID string) (o211.SignInState, error)
	// PutSignInState stores a user's failed sign-ins (zero: forget them).
	PutSignInState(ctx context.Context, userID string, st o211.SignInState) error
	// AuditSignIn appends a sign-in event to the audit log.
	AuditSignIn(ctx context.Context, e SignInEvent) error
}

// SignInEvent is a sign-in attempt or a sign-out, for the audit log.
type SignInEvent struct {
	Time time.Time `json:"time"`
	// Action is "signin", "signin_failed", "signin_locked" (refused while
	// locked), "lockout" (the failure that locked the account) or "signout".
	Action string `json:"action"`
	// Username is the name given (cut to 64 bytes); UserID is set when it
	// names a user.
	Username string `json:"username"`
	UserID   string `json:"user_id,omitempty"`
	// From is the client's address.
	From string `json:"from,omitempty"`
}

// Authenticator says who a request's credential names.
type Authenticator = httpx.Authenticator

// Config configures a Service.
type Config struct {
	// Region is the node's region, or o211.ProvinceRegion on the hub:
	// only its users are accepted.
	Region string
	// Users and Sessions are required (Sessions may be nil for a Service
	// used only to manage accounts, as `o211 users` does).
	Users    Users
	Sessions Sessions
	// Hasher hashes passwords (default NewHasher(DefaultParams, 2)).
	Hasher *Hasher
	// IdleTimeout ends a session unused for this long (default 30 min);
	// MaxAge ends any session this long after sign-in (default 12 h).
	IdleTimeout, MaxAge time.Duration
	// MaxFailures failed sign-ins within FailureWindow lock an account for
	// LockFor (defaults 5, 15 min, 15 min).
	MaxFailures   int
	FailureWindow time.Duration
	LockFor       time.Duration
	// SecureCookies marks cookies Secure even on plain HTTP requests (a
	// TLS-terminating proxy in front). Requests over TLS always get them.
	SecureCookies bool
	// Fallback reads credentials that are not a personal token or a
	// session (the bootstrap administrator's token); nil refuses them.
	Fallback Authenticator
	Logger   *slog.Logger
	Now      func() time.Time
}

// Service signs users in and out, authenticates requests and manages
// accounts and tokens. It is safe for concurrent use.
type Service struct {
	cfg Config
	log *slog.Logger
	// dummy is a hash verified for unknown usernames, so that their
	// answer takes as long as a wrong password's.
	dummy     string
	dummyOnce sync.Once
	// purged is when expired sessions were last removed.
	mu     sync.Mutex
	purged time.Time
}

var _ Authenticator = (*Service)(nil)

// New returns a service for cfg with defaults filled in.
func New(cfg Config) *Service {
	if cfg.Hasher == nil {
		cfg.Hasher = NewHasher(DefaultParams, 2)
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 12 * time.Hour
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.FailureWindow <= 0 {
		cfg.FailureWindow = 15 * time.Minute
	}
	if cfg.LockFor <= 0 {
		cfg.LockFor = 15 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, log: cfg.Logger}
}

// Region returns the region whose users the service accepts.
func (s *Service) Region() string { return s.cfg.Region }

// Hasher returns the service's password hasher.
func (s *Service) Hasher() *Hasher { return s.cfg.Hasher }
