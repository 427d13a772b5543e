package gateway

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// SignatureHeader is the header in which Twilio sends a webhook's
// signature.
const SignatureHeader = "X-Twilio-Signature"

// IdempotencyHeader is the header in which Twilio sends the same token on
// every retry of one webhook.
const IdempotencyHeader = "I-Twilio-Idempotency-Token"

// Sign returns Twilio's signature of a webhook: the base64 of the
// HMAC-SHA1, keyed with the account's auth token, of the full URL Twilio
// called followed by each POST parameter's name and value, sorted by name
// (a name with several values: each value, in order, after the name).
func Sign(authToken, fullURL string, form url.Values) string {
	names := make([]string, 0, len(form))
	for k := range form {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range names {
		for _, v := range form[k] {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	m := hmac.New(sha1.New, []byte(authToken))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// ValidSignature reports whether sig is the signature of the webhook, in
// constant time.
func ValidSignature(authToken, fullURL string, form url.Values, sig string) bool {
	if sig == "" || authToken == "" {
		return false
	}
	want := Sign(authToken, fullURL, form)
	return hmac.Equal([]byte(want), []byte(sig))
}

// ReplayGuard remembers keys for a while (the webhooks already answered,
// by signature and call or message SID, and Twilio's idempotency tokens)
// so that a replay of one is refused. It keeps at most max keys, dropping
// the oldest. It is safe for concurrent use.
type ReplayGuard struct {
	ttl time.Duration
	max int

	mu    sync.Mutex
	keys  map[string]time.Time // key -> when it expires
	order []string             // insertion order, for expiry
}

// NewReplayGuard returns a guard that remembers a key for ttl.
func NewReplayGuard(ttl time.Duration, max int) *ReplayGuard {
	return &ReplayGuard{ttl: ttl, max: max, keys: make(map[string]time.Time)}
}

// Len returns how many keys the guard holds.
func (s *ReplayGuard) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

// Add records key at now and reports whether it was new (false: seen
// within the TTL, a replay).
func (s *ReplayGuard) Add(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.keys[key]; ok && now.Before(exp) {
		return false
	}
	s.keys[key] = now.Add(s.ttl)
	s.order = append(s.order, key)
	s.expire(now)
	return true
}

// Forget drops a key: the request it stood for failed and may be sent
// again.
func (s *ReplayGuard) Forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, key)
}

// expire drops the expired keys, and the oldest ones beyond max.
func (s *ReplayGuard) expire(now time.Time) {
	n := 0
	for n < len(s.order) {
		k := s.order[n]
		exp, ok := s.keys[k]
		if ok && now.Before(exp) && len(s.keys) <= s.max {
			break
		}
		if ok && (!now.Before(exp) || len(s.keys) > s.max) {
			delete(s.keys, k)
		}
		n++
	}
	if n > 0 {
		s.order = append(s.order[:0:0], s.order[n:]...)
	}
}
