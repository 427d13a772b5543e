// Package fsm is the provincial hub's Raft state machine. Its state lives in
// a bbolt replica store (node/store opened with Replica: true): the
// provincial directory, every region's records keyed by kind and id with
// their owning region and version, and side tables in the same file for the
// region registry, the regions' ingest high-water marks, the hub replicas'
// addresses and the index of the last applied log entry.
//
// Apply is thin and deterministic: it decodes a typed Command, plans it
// against the state and writes in one transaction; it reads no clock (the
// leader stamps times into commands) and draws no random numbers. Business
// errors are returned in the Response, never as panics. A failure to write
// the state file is not a business error: it panics, since a replica that
// skipped an entry would diverge from the others.
package fsm

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/o211/o211"
	"github.com/o211/o211/node/store"
)

// snapshotHeader starts every snapshot; the bbolt file follows it.
const snapshotHeader = "o211-hub-state 1\n"

// Options configure an FSM.
type Options struct {
	// Path is the state file (state.db in the replica's data folder).
	Path string
	// Logger receives operational messages (default slog.Default()).
	Logger *slog.Logger
	// NoSync skips fsync on commit: for tests only.
	NoSync bool
	// OnApply, when set, is called after each committed state change, on
	// the goroutine that applies the log: it must return quickly.
	OnApply func(Event)
	// MaxCommandVersion is the newest command version this state machine
	// applies (default CommandVersion). Lower only to play an older
	// release in tests of mixed-release hubs.
	MaxCommandVersion int
}

// Event describes a committed change of the state.
type Event struct {
	// Index is the last log index now applied.
	Index uint64
	// Changed names the directory records written, in store sequence order.
	Changed []store.ChangeRef
	// Reports are the anonymised report records counted, in log order.
	Reports []*o211.Report
	// Restored is set when the whole state was replaced from a snapshot.
	Restored bool
}

// FSM is the hub's state machine. It implements raft.BatchingFSM.
type FSM struct {
	opts Options
	// mu is held shared by View and exclusively by Restore, which replaces
	// the store's file. Apply and Snapshot need not take it: Raft calls
	// them on the same goroutine as Restore.
	mu sync.RWMutex
	st *store.Store

	applied   atomic.Uint64
	snapshots atomic.Int64
	restores  atomic.Int64
	// quiet stops OnApply calls (while a replica recovers its cluster
	// before anything listens).
	quiet atomic.Bool
}

// Quiet stops (true) or resumes OnApply calls.
func (f *FSM) Quiet(q bool) { f.quiet.Store(q) }

var (
	_ raft.BatchingFSM = (*FSM)(nil)
	_ raft.FSMSnapshot = (*snapshot)(nil)
)

// Open opens or creates the state file. It returns store.ErrLocked when
// another process holds it.
func Open(opts Options) (*FSM, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	st, err := store.Open(opts.Path, store.Options{Replica: true, NoSync: opts.NoSync, Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("fsm: open state: %w", err)
	}
	f := &FSM{opts: opts, st: st}
	_ = f.View(func(s *State) error {
		f.applied.Store(s.AppliedIndex())
		return nil
	})
	return f, nil
}

// Close closes the state file. It is safe to call more than once.
func (f *FSM) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st.Close()
}

// View runs fn with a consistent read-only view of the state.
func (f *FSM) View(fn func(*State) error) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.st.View(func(tx *store.Tx) error { return fn(&State{tx: tx}) })
}

// History returns a page of the change history of a record of the
// provincial directory: each change as replicated, by
// o211.System("replication"), at the time its region stamped. See
// store.Store.History for the errors.
func (f *FSM) History(q o211.HistoryQuery) (*o211.HistoryPage, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.st.History(q)
}

// AppliedIndex returns the index of the last log entry applied.
func (f *FSM) AppliedIndex() uint64 { return f.applied.Load() }

// Snapshots returns how many snapshots the FSM has begun.
func (f *FSM) Snapshots() int64 { return f.snapshots.Load() }

// Restores returns how many times the state was replaced from a snapshot.
func (f *FSM) Restores() int64 { return f.restores.Load() }

// replicationCtx names the actor of the records' history entries: the
// system's replication (the time of each is the record's own, so that
// Apply stays deterministic).
var replicationCtx = o211.WithActor(context.Background(), o211.System("replication"))

// Apply applies one log entry; see ApplyBatch.
func (f *FSM) Apply(l *raft.Log) any { return f.ApplyBatch([]*raft.Log{l})[0] }

// ApplyBatch applies committed log entries in one store transaction and
// returns a *Response for each command entry (nil for other entries and for
// entries at or below the applied index, which a restart replays).
func (f *FSM) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	if len(logs) == 0 {
		return out
	}
	p, last, err := f.plan(logs, out)
	if err != nil {
		// A replica that skipped the entry would diverge: it stops here
		// and, restarted (upgraded, repaired), replays the log from it.
		f.opts.Logger.Error("HUB STATE STOPPED: "+err.Error(), "index", logs[0].Index)
		panic(fmt.Sprintf("fsm: cannot apply the log from index %d: %v", logs[0].Index, err))
	}
	if p == nil {
		return out // a replay of entries already applied
	}
	res, err := f.st.Apply(replicationCtx, p.recs, p.aux...)
	if err != nil && len(logs) > 1 && isBusiness(err) {
		// A store rule the plan did not foresee: apply the entries one by
		// one so that only the offending command fails.
		f.opts.Logger.Warn("hub state: batch refused by the store, applying one by one", "error", err)
		for i, l := range logs {
			out[i] = f.ApplyBatch([]*raft.Log{l})[0]
		}
		return out
	}
	if err != nil && isBusiness(err) {
		out[0] = &Response{Err: err}
		p = newPlan(nil)
		p.put(tableRaft, keyApplied, u64(last))
		res, err = f.st.Apply(replicationCtx, nil, p.aux...)
	}
	if err != nil {
		panic(fmt.Sprintf("fsm: write state at log index %d: %v", last, err))
	}
	f.applied.Store(last)
	if f.opts.OnApply != nil && !f.quiet.Load() {
		f.opts.OnApply(Event{Index: last, Changed: res.Changed, Reports: p.reports})
	}
	return out
}

// plan plans the entries of logs, filling out with their responses. It
// returns a nil plan when every entry was applied before.
func (f *FSM) plan(logs []*raft.Log, out []any) (*plan, uint64, error) {
	var p *plan
	last := logs[len(logs)-1].Index
	err := f.st.View(func(tx *store.Tx) error {
		applied := findApplied(tx.AuxGet)
		if last <= applied {
			return nil
		}
		p = newPlan(tx)
		for i, l := range logs {
			if l.Type == raft.LogCommand && l.Index > applied {
				if err := f.readable(l); err != nil {
					return err
				}
				out[i] = p.command(l.Data)
			}
		}
		p.put(tableRaft, keyApplied, u64(last))
		return nil
	})
	return p, last, err
}

// maxEnvelope bounds the command versions that may yet come.
const maxEnvelope = 31

// readable checks that a command entry is of a version this state machine
// applies and undamaged: an error means the replica must stop, not answer.
func (f *FSM) readable(l *raft.Log) error {
	max := f.opts.MaxCommandVersion
	if max == 0 {
		max = CommandVersion
	}
	// A first byte past maxEnvelope is no envelope at all: the entry is
	// refused as a business error, the same on every replica.
	if v := CommandVersionOf(l.Data); v > max && v <= maxEnvelope {
		return fmt.Errorf("log entry %d is a command of version %d, written by a newer o211 (this one reads up to %d): "+
			"upgrade this replica; it stops rather than skip the entry", l.Index, v, max)
	} else if v < 2 {
		return nil
	}
	if _, err := DecodeCommand(l.Data); errors.Is(err, ErrCorruptCommand) {
		return fmt.Errorf("log entry %d: %w (this replica's raft.db is damaged: replace the replica)", l.Index, err)
	}
	return nil
}

// isBusiness reports whether err is a domain error (a rule of the data),
// as opposed to a failure to read or write the file.
func isBusiness(err error) bool {
	var e *o211.Error
	return errors.As(err, &e)
}

// Snapshot begins a point-in-time copy of the state. It returns at once;
// the copy is written by Persist.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	sn, err := f.st.BeginSnapshot()
	if err != nil {
		return nil, fmt.Errorf("fsm: snapshot: %w", err)
	}
	f.snapshots.Add(1)
	return &snapshot{sn: sn, logger: f.opts.Logger}, nil
}

// Restore replaces the whole state with a snapshot written by Persist.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	start := time.Now()
	br := bufio.NewReaderSize(rc, 1<<20)
	head, err := br.ReadString('\n')
	if err != nil || head != snapshotHeader {
		return fmt.Errorf("fsm: restore: not a hub state snapshot (header %q)", head)
	}
	f.mu.Lock()
	err = f.st.Restore(br)
	var applied uint64
	if err == nil {
		err = f.st.View(func(tx *store.Tx) error {
			applied = findApplied(tx.AuxGet)
			return nil
		})
	}
	f.mu.Unlock()
	if err != nil {
		return fmt.Errorf("fsm: restore: %w", err)
	}
	f.applied.Store(applied)
	f.restores.Add(1)
	f.opts.Logger.Info("hub state restored from a snapshot", "applied_index", applied, "took", time.Since(start))
	if f.opts.OnApply != nil && !f.quiet.Load() {
		f.opts.OnApply(Event{Index: applied, Restored: true})
	}
	return nil
}

// snapshot is a state snapshot in the making: a bbolt read transaction.
type snapshot struct {
	sn     *store.Snapshot
	logger *slog.Logger
}

// Persist streams the state file to the sink, and ends the read
// transaction (raft.RecoverCluster never calls Release: a transaction left
// open would block the restore that follows it forever).
func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	_, err := io.WriteString(sink, snapshotHeader)
	if err == nil {
		_, err = s.sn.WriteTo(sink)
	}
	s.sn.Release()
	if err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("fsm: persist snapshot: %w", err)
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("fsm: persist snapshot: %w", err)
	}
	return nil
}

// Release ends the snapshot's read transaction.
func (s *snapshot) Release() { s.sn.Release() }

// BeginBackup begins a consistent copy of the whole state for a backup: the
// snapshot (release it) and the index of the last log entry it holds, read
// in the same transaction. Applying goes on meanwhile.
func (f *FSM) BeginBackup() (*store.Snapshot, uint64, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	sn, err := f.st.BeginSnapshot()
	if err != nil {
		return nil, 0, fmt.Errorf("fsm: backup: %w", err)
	}
	var applied uint64
	_ = sn.View(func(tx *store.Tx) error {
		applied = findApplied(tx.AuxGet)
		return nil
	})
	return sn, applied, nil
}

// SnapshotHeader is the line a Raft snapshot of the state starts with,
// before the state file (for tools that write snapshots, such as restore).
const SnapshotHeader = snapshotHeader
