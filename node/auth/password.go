package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's costs. They are written into every hash, so a
// change applies to passwords set afterwards and old hashes still verify.
type Params struct {
	// Memory is the memory cost in KiB.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the degree of parallelism.
	Threads uint8
}

// DefaultParams are the costs of new hashes: 64 MiB, one pass, two lanes
// (RFC 9106's second recommended option uses 64 MiB; OWASP asks for at
// least 19 MiB with two passes or 46 MiB with one). A sign-in takes about
// 50 ms on one core of the project's benchmark machine (BENCHMARKS.md).
var DefaultParams = Params{Memory: 64 * 1024, Time: 1, Threads: 2}

const (
	saltLen = 16
	keyLen  = 32
)

// Hasher hashes and verifies passwords with argon2id. It bounds the number
// of hashes computed at once (each holds Params.Memory), so that a flood of
// sign-ins queues instead of exhausting memory. It is safe for concurrent use.
type Hasher struct {
	params Params
	slots  chan struct{}
}

// NewHasher returns a hasher with params (zero: DefaultParams) that
// computes at most concurrent hashes at once (at least one).
func NewHasher(params Params, concurrent int) *Hasher {
	if params == (Params{}) {
		params = DefaultParams
	}
	return &Hasher{params: params, slots: make(chan struct{}, max(concurrent, 1))}
}

// Params returns the costs of new hashes.
func (h *Hasher) Params() Params { return h.params }

// Hash returns the PHC string of password's argon2id hash with a fresh
// random salt. It returns ctx's error when ctx ends while waiting for a slot.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	p := h.params
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var b64 = base64.RawStdEncoding

// errBadHash is returned for a stored hash this package cannot read.
var errBadHash = errors.New("auth: stored password hash is not an argon2id PHC string")

// Verify reports whether password matches the PHC string encoded, comparing
// in constant time. It returns an error for a malformed or unreasonably
// costly hash, or ctx's error.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (bool, error) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Outdated reports whether encoded was hashed with other costs than the
// hasher's (the password is re-hashed at the next sign-in).
func (h *Hasher) Outdated(encoded string) bool {
	p, _, _, err := decodeHash(encoded)
	return err != nil || p != h.params
}

func decodeHash(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	var p Params
	var v int
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errBadHash
	}
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	// Bounds keep a tampered file from asking for gigabytes or hours.
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 ||
		p.Memory < 8 || p.Memory > 1<<20 || p.Time < 1 || p.Time > 16 || p.Threads < 1 {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }
