package hub

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// pendingFuture is a write that Raft never answers: what hashicorp/raft
// leaves behind in its batched apply channel when it shuts down.
type pendingFuture struct{ raft.ApplyFuture }

func (pendingFuture) Error() error { select {} }

func TestReplica_WaitEndsAtShutdown(t *testing.T) {
	r := New(Config{ID: "h1"})
	done := make(chan error, 1)
	go func() { done <- r.wait(context.Background(), pendingFuture{}) }()
	close(r.stopped)
	select {
	case err := <-done:
		if !errors.Is(err, raft.ErrRaftShutdown) {
			t.Fatalf("got %v, want raft.ErrRaftShutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write queued at shutdown is still waiting")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := New(Config{ID: "h2"}).wait(ctx, pendingFuture{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("with its context ended: got %v", err)
	}
}
