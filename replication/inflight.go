package replication

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// inflight sends the one request a pusher or puller has in flight at a
// time, and lets LinkDown abandon it: its reply cannot come over a link
// that dropped. Its mutex is taken last: nothing else is locked under it.
type inflight struct {
	mu     sync.Mutex
	cancel context.CancelFunc // cancels the request in flight; nil when none is
}

// request sends m on conn and returns the reply, waiting at most timeout,
// until ctx ends, or until abandon is called.
func (f *inflight) request(ctx context.Context, conn *nats.Conn, m *nats.Msg, timeout time.Duration) (*nats.Msg, error) {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	f.mu.Lock()
	f.cancel = cancel
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.cancel = nil
		f.mu.Unlock()
		cancel()
	}()
	return conn.RequestMsgWithContext(rctx, m)
}

// abandon cancels the request in flight, if there is one.
func (f *inflight) abandon() {
	f.mu.Lock()
	if f.cancel != nil {
		f.cancel()
	}
	f.mu.Unlock()
}
