package gateway

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter keeps a token bucket per key (a phone number, an e-mail sender)
// and forgets the buckets that have filled up again. It is safe for
// concurrent use.
type limiter struct {
	r   Rate
	now func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	swept   time.Time
}

func newLimiter(r Rate, now func() time.Time) *limiter {
	return &limiter{r: r, now: now, buckets: make(map[string]*rate.Limiter)}
}

// Allow takes a token of key's bucket and reports whether there was one.
func (l *limiter) Allow(key string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		b = rate.NewLimiter(rate.Limit(l.r.PerMinute/60), l.r.Burst)
		l.buckets[key] = b
	}
	return b.AllowN(now, 1)
}

// sweep drops full buckets: they are what a new one would be.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.r.Burst) {
			delete(l.buckets, k)
		}
	}
	l.swept = now
}
