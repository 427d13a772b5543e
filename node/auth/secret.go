package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// TokenPrefix starts every personal API token, so that a token pasted in
// the wrong place is recognisable (and secret scanners can find it).
const TokenPrefix = "o211_"

// randomString returns n random bytes, URL-safe base64 encoded.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewID returns a random id for a user or token (16 hex digits).
func NewID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// digest returns the hex SHA-256 of s: how session keys and token secrets
// are stored. They are 256-bit random values, so a fast hash suffices; a
// copy of the data file then holds nothing that opens a session.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// newToken returns a personal API token's id, the token its holder sends,
// and the hash stored.
func newToken() (id, token, hash string) {
	id = NewID()
	secret := randomString(32)
	return id, TokenPrefix + id + "_" + secret, digest(secret)
}

// parseToken splits a personal API token into its id and secret.
func parseToken(token string) (id, secret string, ok bool) {
	rest, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok {
		return "", "", false
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || len(id) != 16 || len(secret) != 43 {
		return "", "", false
	}
	return id, secret, true
}

// sameDigest reports, in constant time, whether secret's digest is want.
func sameDigest(secret, want string) bool {
	return subtle.ConstantTimeCompare([]byte(digest(secret)), []byte(want)) == 1
}
