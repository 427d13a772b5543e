package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
)

// observe registers a Raft observer and starts the goroutine that turns its
// observations into leadership-change notifications and metrics.
func (r *Replica) observe(ctx context.Context) {
	ch := make(chan raft.Observation, 64)
	r.obs = raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		switch o.Data.(type) {
		case raft.LeaderObservation, raft.RaftState:
			return true
		}
		return false
	})
	r.raft.RegisterObserver(r.obs)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case o := <-ch:
				if lo, ok := o.Data.(raft.LeaderObservation); ok && lo.LeaderID != "" {
					r.metrics.leaderChanges.Inc()
				}
				r.notifyLeaderChange()
			}
		}
	}()
}

// notifyLeaderChange wakes everything waiting in LeaderChanged.
func (r *Replica) notifyLeaderChange() {
	r.mu.Lock()
	close(r.leaderCh)
	r.leaderCh = make(chan struct{})
	r.mu.Unlock()
}

// LeaderChanged returns a channel that is closed at the next change of
// leader or of this replica's Raft state. Take it before looking at the
// leader, so that a change in between is not missed.
func (r *Replica) LeaderChanged() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.leaderCh
}

// IsLeader reports whether this replica is the leader now.
func (r *Replica) IsLeader() bool {
	return r.raft != nil && r.raft.State() == raft.Leader
}

// Leader returns the id of the leader as this replica knows it ("" during
// an election or when cut off from it).
func (r *Replica) Leader() string {
	if r.raft == nil {
		return ""
	}
	_, id := r.raft.LeaderWithID()
	return string(id)
}

// leaderHTTP returns the leader's id, whether it is this replica, and the
// HTTP address recorded for it ("" if none yet).
func (r *Replica) leaderHTTP() (id string, self bool, http string) {
	id = r.Leader()
	if id == "" {
		return "", false, ""
	}
	if id == r.cfg.ID {
		// Named leader but not (or no longer) leading: wait for the next.
		return id, r.IsLeader(), ""
	}
	_ = r.fsm.View(func(s *fsm.State) error {
		if m, _ := s.Member(id); m != nil {
			http = m.HTTP
		}
		return nil
	})
	return id, false, http
}

// Ready returns nil once the replica knows a leader and has applied the log
// up to the commit index it first saw with a leader, and an EUNAVAILABLE
// error saying why not otherwise.
func (r *Replica) Ready() error {
	if r.raft == nil {
		return o211.Errorf(o211.EUNAVAILABLE, "the replica is not started")
	}
	if r.Leader() == "" {
		return o211.Errorf(o211.EUNAVAILABLE, "no leader is known: an election is in progress or this replica is cut off from the majority")
	}
	commit, applied := r.raft.CommitIndex(), r.raft.AppliedIndex()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.caughtUp {
		return nil
	}
	if r.readyAt == 0 {
		if commit == 0 {
			return o211.Errorf(o211.EUNAVAILABLE, "waiting to hear the commit index from the leader")
		}
		r.readyAt = commit
	}
	if applied < r.readyAt {
		return o211.Errorf(o211.EUNAVAILABLE, "catching up: applied %d of %d", applied, r.readyAt)
	}
	r.caughtUp = true
	return nil
}

// propose commits a command through Raft on this replica, which must be the
// leader, and returns the state machine's response and the entry's index.
// The command is stamped with this replica's clock.
func (r *Replica) propose(ctx context.Context, typ fsm.CommandType, payload any) (*fsm.Response, uint64, error) {
	op := fmt.Sprintf("hub: %s", typ)
	if !r.IsLeader() {
		return nil, 0, fmt.Errorf("%s: %w", op, ErrNotLeader)
	}
	var b []byte
	var err error
	raw, ok := payload.(encoded)
	if !ok {
		raw, err = json.Marshal(payload)
	}
	if err == nil {
		// The oldest version every voter reads: a hub of mixed releases
		// (a rolling upgrade) applies the same entries everywhere.
		b, err = fsm.EncodeCommandVersion(r.commandVersion(), typ, r.cfg.Now(), raw)
	}
	if err != nil {
		return nil, 0, err
	}
	timeout := r.cfg.WriteTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if timeout <= 0 {
		return nil, 0, fmt.Errorf("%s: %w", op, ErrTimeout)
	}
	start := time.Now()
	f := r.raft.Apply(b, timeout)
	if err := r.wait(ctx, f); err != nil {
		return nil, 0, translate(op, err)
	}
	r.metrics.applySeconds.Observe(time.Since(start).Seconds())
	resp, _ := f.Response().(*fsm.Response)
	if resp == nil {
		return nil, 0, fmt.Errorf("%s: no response from the state machine at index %d", op, f.Index())
	}
	return resp, f.Index(), nil
}

// wait waits for a write's commit, or for ctx to end, or for Raft to shut
// down. With BatchApplyCh, hashicorp/raft never answers a write still
// queued in its apply channel when it shuts down, so f.Error alone could
// wait forever. A write abandoned this way may or may not be committed;
// every command is idempotent, so the caller may retry it.
func (r *Replica) wait(ctx context.Context, f raft.ApplyFuture) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-r.stopped:
		return raft.ErrRaftShutdown
	case <-ctx.Done():
		return context.DeadlineExceeded
	}
}

// encoded is a payload already encoded as JSON.
type encoded []byte

// IngestBatch applies a region's batch through Raft on this replica, which
// must be the leader (ErrNotLeader otherwise: batches from region nodes are
// answered by the leader only). It returns the result with the region's
// mark and the log index it was applied at; for a refused batch an
// *o211.Error and, where known, the result with the mark.
func (r *Replica) IngestBatch(ctx context.Context, b *fsm.IngestBatch) (*fsm.IngestResult, uint64, error) {
	return r.ingest(ctx, b)
}

// IngestBatchJSON is IngestBatch for a batch encoded as JSON (the body of
// an HTTP request or of a NATS message): it is decoded strictly and checked.
func (r *Replica) IngestBatchJSON(ctx context.Context, raw []byte) (*fsm.IngestResult, uint64, error) {
	var b fsm.IngestBatch
	if err := decodeStrict(raw, &b); err != nil {
		return nil, 0, err
	}
	return r.ingest(ctx, &b)
}

func (r *Replica) ingest(ctx context.Context, b *fsm.IngestBatch) (*fsm.IngestResult, uint64, error) {
	if err := fsm.ValidateBatch(b); err != nil {
		return nil, 0, err
	}
	// The log carries the batch in binary form: every replica then applies
	// it without scanning the rows' JSON again (the leader checked them).
	bin := fsm.EncodeIngestBatch(b)
	if !r.IsLeader() {
		return nil, 0, fmt.Errorf("hub: %s: %w", fsm.CmdIngestBatchBin, ErrNotLeader)
	}
	if r.commandVersion() >= fsm.GroupCommandVersion {
		// Every voter reads ingest_group: the batch goes in the next
		// group entry (group.go).
		return r.group.ingest(ctx, bin)
	}
	resp, index, err := r.propose(ctx, fsm.CmdIngestBatchBin, encoded(bin))
	if err != nil {
		return nil, 0, err
	}
	res, _ := resp.Value.(*fsm.IngestResult)
	return res, index, resp.Err
}

// PutRegion registers or updates a region through Raft on this replica,
// which must be the leader (ErrNotLeader otherwise).
func (r *Replica) PutRegion(ctx context.Context, reg o211.Region) (*fsm.Region, uint64, error) {
	if err := fsm.ValidateRegion(&reg); err != nil {
		return nil, 0, err
	}
	resp, index, err := r.propose(ctx, fsm.CmdPutRegion, &fsm.PutRegion{Region: reg})
	if err != nil {
		return nil, 0, err
	}
	if resp.Err != nil {
		return nil, index, resp.Err
	}
	res, _ := resp.Value.(*fsm.Region)
	return res, index, nil
}

// Barrier waits until this replica, which must be the leader, is still the
// leader and has applied every entry committed before the call: a read
// after it sees every acknowledged write.
func (r *Replica) Barrier(ctx context.Context) error {
	if !r.IsLeader() {
		return fmt.Errorf("hub: barrier: %w", ErrNotLeader)
	}
	if err := r.raft.VerifyLeader().Error(); err != nil {
		return translate("hub: barrier", err)
	}
	timeout := r.cfg.WriteTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	return translate("hub: barrier", r.raft.Barrier(timeout).Error())
}

// TransferLeadership hands leadership to the voter id ("" for any), and
// waits until it is done. This replica must be the leader.
func (r *Replica) TransferLeadership(id string) error {
	if !r.IsLeader() {
		return fmt.Errorf("hub: transfer leadership: %w", ErrNotLeader)
	}
	var f raft.Future
	if id == "" {
		f = r.raft.LeadershipTransfer()
	} else {
		addr, err := r.serverAddr(id)
		if err != nil {
			return err
		}
		f = r.raft.LeadershipTransferToServer(raft.ServerID(id), raft.ServerAddress(addr))
	}
	return translate("hub: transfer leadership", f.Error())
}

// Snapshot takes a snapshot now and compacts the log behind it.
func (r *Replica) Snapshot() error {
	return translate("hub: snapshot", r.raft.Snapshot().Error())
}
