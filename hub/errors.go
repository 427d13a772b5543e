package hub

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/raft"
)

// Infrastructure states of a replica. Raft's errors never leave this
// package: translate turns them into these.
var (
	// ErrNotLeader is returned by an operation that only the leader can do,
	// on a replica that is not the leader (or is handing leadership over).
	ErrNotLeader = errors.New("hub: this replica is not the leader")
	// ErrLeadershipLost is returned when the leader lost its leadership
	// while committing a write: the write may or may not have been applied.
	// Every hub command is idempotent, so retrying it is safe.
	ErrLeadershipLost = errors.New("hub: leadership was lost while committing; the write may or may not have been applied and is safe to retry")
	// ErrTimeout is returned when the cluster did not commit in time (no
	// majority reachable, or an election that did not end).
	ErrTimeout = errors.New("hub: timed out waiting for the cluster")
	// ErrClosed is returned by a replica that is closed or closing.
	ErrClosed = errors.New("hub: the replica is closed")
)

// translate maps an error of hashicorp/raft to this package's sentinels,
// wrapped with the operation.
func translate(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress), errors.Is(err, raft.ErrNotVoter):
		return fmt.Errorf("%s: %w", op, ErrNotLeader)
	case errors.Is(err, raft.ErrLeadershipLost), errors.Is(err, raft.ErrAbortedByRestore):
		return fmt.Errorf("%s: %w", op, ErrLeadershipLost)
	case errors.Is(err, raft.ErrEnqueueTimeout), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", op, ErrTimeout)
	case errors.Is(err, raft.ErrRaftShutdown):
		return fmt.Errorf("%s: %w", op, ErrClosed)
	default:
		return fmt.Errorf("%s: %s", op, err.Error())
	}
}

// retryable reports whether a write that failed with err can be tried again
// through whichever replica is leader now.
func retryable(err error) bool {
	return errors.Is(err, ErrNotLeader) || errors.Is(err, ErrLeadershipLost)
}
