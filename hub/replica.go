// Package hub runs one replica of the provincial hub: hashicorp/raft over
// its TCP transport, the log and stable store in raft-boltdb/v2, file
// snapshots, the state machine of package hub/fsm in bbolt, and an HTTP API
// where writes are accepted on any replica (forwarded to the leader) and
// reads are served by the replica that receives them, saying how fresh they
// are. Client is a small client of that API for the command line.
//
// See DESIGN.md in this folder for the invariants.
package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/node/auth"
	"github.com/o211/o211/node/httpx"
)

// Replica is one hub replica. New allocates it; Start opens its files and
// listeners; Close hands leadership over and stops it.
//
// Lock order: Replica.mu, then nothing else (it guards only fields below;
// no call into raft, the FSM or the network is made while it is held).
type Replica struct {
	cfg     Config
	logger  *slog.Logger
	metrics *metrics

	fsm *fsm.FSM
	// sessions holds the replica's own console sessions (sessions.db);
	// accounts signs people in against the provincial users of fsm.
	sessions *replicaSessions
	accounts *auth.Service
	logs     *stableStore // raft.db: the Raft log and stable store
	snaps    *raft.FileSnapshotStore
	trans    *raft.NetworkTransport
	raft     *raft.Raft
	obs      *raft.Observer
	started  time.Time
	// http is the replica's one HTTP server, serving api (its own routes)
	// and the groups given to Mount; advertise is its address for the
	// other replicas.
	http      *httpx.Server
	api       *handlers
	groups    []httpx.Group
	advertise string

	// group gathers the regions' batches into group entries (group.go).
	group *grouper

	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	leaderCh chan struct{} // closed and replaced at each leadership change
	// stopped is closed once Raft has shut down: writes still waiting for
	// their commit then end (see propose).
	stopped  chan struct{}
	readyAt  uint64 // commit index to reach before /readyz says ready
	caughtUp bool
	// handedOver is set by Close when it transferred leadership (tests).
	handedOver bool
}

// New returns a replica configured by cfg, with defaults filled. It does no
// I/O; Start does.
func New(cfg Config) *Replica {
	cfg = cfg.withDefaults()
	r := &Replica{
		cfg:      cfg,
		logger:   cfg.Logger.With("replica", cfg.ID),
		leaderCh: make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	r.metrics = newMetrics(r)
	r.group = newGrouper(r)
	r.newAccounts()
	return r
}

// Start opens the state and Raft stores, binds the Raft and HTTP listeners,
// bootstraps the cluster from Config.Peers on a first start, and starts
// serving. It returns configuration, open and bind errors at once; on error
// the replica is left closed.
func (r *Replica) Start(ctx context.Context) (err error) {
	if err := r.cfg.validate(); err != nil {
		return err
	}
	r.mu.Lock()
	if r.closed || r.raft != nil {
		r.mu.Unlock()
		return fmt.Errorf("hub: start %s: a replica starts once: %w", r.cfg.ID, ErrClosed)
	}
	r.mu.Unlock()
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	if r.cfg.Token == "" {
		r.logger.Warn("hub: no API token is set: the write API is open to anyone who can reach it")
	}
	if err := os.MkdirAll(r.cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("hub: start: %w", err)
	}
	r.fsm, err = fsm.Open(fsm.Options{Path: filepath.Join(r.cfg.DataDir, "state.db"), Logger: r.logger,
		NoSync: r.cfg.NoSync, OnApply: r.cfg.OnApply, MaxCommandVersion: r.cfg.MaxCommandVersion})
	if err != nil {
		return fmt.Errorf("hub: start: %w", err)
	}
	if err := r.openAccounts(); err != nil {
		return err
	}
	if err := r.openRaft(); err != nil {
		return err
	}
	bg, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.observe(bg)
	if err := r.startHTTP(ctx); err != nil {
		return fmt.Errorf("hub: start: %w", err)
	}
	r.started = time.Now()
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		r.announceLoop(bg)
	}()
	go func() {
		defer r.wg.Done()
		r.group.run(bg)
	}()
	r.logger.Info("hub replica started", "raft", r.RaftAddr(), "http", r.HTTPAddr(), "data", r.cfg.DataDir)
	return nil
}

// openRaft opens the log, stable and snapshot stores and the transport,
// bootstraps on a first start, and starts Raft.
func (r *Replica) openRaft() error {
	var err error
	bs, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(r.cfg.DataDir, "raft.db"),
		BoltOptions: &bolt.Options{Timeout: 2 * time.Second, NoFreelistSync: true}, NoSync: r.cfg.NoSync})
	if errors.Is(err, bolt.ErrTimeout) {
		return fmt.Errorf("hub: start: %s is in use by another process", filepath.Join(r.cfg.DataDir, "raft.db"))
	} else if err != nil {
		return fmt.Errorf("hub: start: raft log: %w", err)
	}
	r.logs = newStableStore(bs, r.logger)
	r.snaps, err = raft.NewFileSnapshotStoreWithLogger(r.cfg.DataDir, r.cfg.SnapshotRetain, newHclog(r.logger, "raft-snapshot"))
	if err != nil {
		return fmt.Errorf("hub: start: snapshots: %w", err)
	}
	if err := r.openTransport(); err != nil {
		return err
	}
	conf := r.raftConfig()
	logs := raft.LogStore(r.logs)
	if cache, err := raft.NewLogCache(512, r.logs); err == nil {
		logs = cache
	}
	if err := r.recoverPeers(logs); err != nil {
		return err
	}
	existing, err := raft.HasExistingState(logs, r.logs, r.snaps)
	if err != nil {
		return fmt.Errorf("hub: start: read raft state: %w", err)
	}
	r.raft, err = raft.NewRaft(conf, r.fsm, logs, r.logs, r.snaps, r.trans)
	if err != nil {
		return fmt.Errorf("hub: start: raft: %w", err)
	}
	if !existing && len(r.cfg.Peers) > 0 {
		var servers []raft.Server
		for id, addr := range r.cfg.Peers {
			servers = append(servers, raft.Server{ID: raft.ServerID(id), Address: raft.ServerAddress(addr), Suffrage: raft.Voter})
		}
		err := r.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error()
		if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
			return fmt.Errorf("hub: start: bootstrap: %w", err)
		}
		r.logger.Info("hub: bootstrapped a new cluster", "peers", FormatPeers(r.cfg.Peers))
	} else if existing && len(r.cfg.Peers) > 0 {
		r.logger.Info("hub: the cluster configuration is read from disk; peers are used on a first start only")
	}
	return nil
}

// PeersFile is the name, in a replica's data folder, of the configuration
// an operator writes to recover a hub that lost its quorum (hashicorp/raft's
// peers.json, version 3: [{"id": ..., "address": ..., "non_voter": false}]).
const PeersFile = "peers.json"

// recoverPeers, when the data folder holds PeersFile, replaces the cluster's
// configuration with it (raft.RecoverCluster: the state is kept, the log's
// configuration entries are overridden) and renames the file so that it
// is applied once. Every surviving replica gets the same file, then they
// are started.
func (r *Replica) recoverPeers(logs raft.LogStore) error {
	path := filepath.Join(r.cfg.DataDir, PeersFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	conf, err := raft.ReadConfigJSON(path)
	if err != nil {
		return fmt.Errorf("hub: start: %s: %w", path, err)
	}
	r.fsm.Quiet(true) // nothing listens yet
	err = raft.RecoverCluster(r.raftConfig(), r.fsm, logs, r.logs, r.snaps, r.trans, conf)
	r.fsm.Quiet(false)
	if err != nil {
		return fmt.Errorf("hub: start: recover the cluster from %s: %w", path, err)
	}
	done := fmt.Sprintf("%s.applied-%s", path, time.Now().UTC().Format("20060102T150405Z"))
	if err := os.Rename(path, done); err != nil {
		return fmt.Errorf("hub: start: %w", err)
	}
	var ids []string
	for _, s := range conf.Servers {
		ids = append(ids, string(s.ID)+"="+string(s.Address))
	}
	r.logger.Warn("hub: the cluster's configuration was replaced from "+PeersFile+" (recovery after a lost quorum)",
		"servers", strings.Join(ids, ","), "file", done)
	return nil
}

func (r *Replica) openTransport() error {
	conf := &raft.NetworkTransportConfig{MaxPool: 3, Timeout: 10 * time.Second,
		Logger: newHclog(r.logger, "raft-net")}
	if r.cfg.PeerAddr != nil {
		conf.ServerAddressProvider = peerAddrFunc(r.cfg.PeerAddr)
	}
	bind, adv := r.cfg.RaftAddr, r.cfg.RaftAdvertise
	var advAddr net.Addr // nil: the transport advertises its bound address
	if adv == "" {
		host, port, err := net.SplitHostPort(bind)
		if err != nil {
			return fmt.Errorf("hub: start: raft address %q is not host:port", bind)
		}
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			if port == "0" {
				// Listening on every interface at a port to be chosen:
				// choose it first, so it can be advertised.
				ln, err := net.Listen("tcp", bind)
				if err != nil {
					return fmt.Errorf("hub: start: raft listen %s: %w", bind, err)
				}
				bind = ln.Addr().String()
				ln.Close()
			}
			adv = advertisable(bind)
		}
	}
	if adv != "" {
		tcp, err := net.ResolveTCPAddr("tcp", adv)
		if err != nil {
			return fmt.Errorf("hub: start: raft advertise address %s: %w", adv, err)
		}
		advAddr = tcp
	}
	var err error
	r.trans, err = raft.NewTCPTransportWithConfig(bind, advAddr, conf)
	if err != nil {
		return fmt.Errorf("hub: start: raft listen %s: %w", bind, err)
	}
	return nil
}

// peerAddrFunc adapts Config.PeerAddr to raft.ServerAddressProvider.
type peerAddrFunc func(id string) string

// ServerAddr implements raft.ServerAddressProvider.
func (f peerAddrFunc) ServerAddr(id raft.ServerID) (raft.ServerAddress, error) {
	if a := f(string(id)); a != "" {
		return raft.ServerAddress(a), nil
	}
	return "", fmt.Errorf("no override for %s", id)
}

func (r *Replica) raftConfig() *raft.Config {
	c := raft.DefaultConfig()
	c.LocalID = raft.ServerID(r.cfg.ID)
	c.HeartbeatTimeout = r.cfg.HeartbeatTimeout
	c.ElectionTimeout = r.cfg.ElectionTimeout
	c.LeaderLeaseTimeout = r.cfg.LeaderLeaseTimeout
	c.CommitTimeout = r.cfg.CommitTimeout
	c.MaxAppendEntries = r.cfg.MaxAppendEntries
	c.SnapshotInterval = r.cfg.SnapshotInterval
	c.SnapshotThreshold = r.cfg.SnapshotThreshold
	c.TrailingLogs = r.cfg.TrailingLogs
	c.BatchApplyCh = true
	c.Logger = newHclog(r.logger, "raft")
	return c
}

// Close hands leadership to another voter if this replica leads, then stops
// the HTTP API, the background work, Raft, the transport and the stores, in
// that order. It is idempotent and safe on a replica that failed to start.
func (r *Replica) Close() error {
	if !r.markClosed() {
		return nil
	}
	if r.raft != nil && r.raft.State() == raft.Leader && r.otherVoters() > 0 {
		r.handedOver = r.handOver()
	}
	return r.shutdown(true)
}

// handOver transfers leadership to another voter, waiting at most
// ShutdownTimeout, and reports whether it succeeded.
func (r *Replica) handOver() bool {
	start := time.Now()
	f := r.raft.LeadershipTransfer()
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		if err != nil {
			r.logger.Warn("hub: leadership transfer failed", "error", translate("hub: transfer", err))
			return false
		}
		r.logger.Info("hub: leadership handed over", "took", time.Since(start))
		return true
	case <-time.After(r.cfg.ShutdownTimeout):
		r.logger.Warn("hub: leadership transfer timed out")
		return false
	}
}

// markClosed marks the replica closed and reports whether it was open.
func (r *Replica) markClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.closed = true
	return true
}

// shutdown stops everything in reverse order of Start. graceful drains the
// HTTP requests in flight; otherwise connections are cut.
func (r *Replica) shutdown(graceful bool) error {
	var errs []error
	errs = append(errs, r.closeHTTP(graceful))
	if r.cancel != nil {
		r.cancel()
	}
	if r.raft != nil {
		if r.obs != nil {
			r.raft.DeregisterObserver(r.obs)
		}
		errs = append(errs, r.raft.Shutdown().Error())
	}
	close(r.stopped)
	r.wg.Wait()
	if r.trans != nil {
		r.trans.CloseStreams()
		errs = append(errs, r.trans.Close())
	}
	if r.logs != nil {
		errs = append(errs, r.logs.Close())
	}
	if r.fsm != nil {
		errs = append(errs, r.fsm.Close())
	}
	if r.sessions.SessionFile != nil {
		errs = append(errs, r.sessions.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("hub: close %s: %w", r.cfg.ID, err)
	}
	return nil
}

// kill stops the replica the way a crash would, for tests: the transport
// and the HTTP listener go first, without handing leadership over, so that
// the peers just stop hearing from it.
func (r *Replica) kill() {
	if !r.markClosed() {
		return
	}
	if r.trans != nil {
		r.trans.CloseStreams()
		r.trans.Close()
	}
	r.closeHTTP(false)
	r.shutdown(false)
}

// otherVoters counts the voters of the configuration other than this one.
func (r *Replica) otherVoters() int {
	f := r.raft.GetConfiguration()
	if f.Error() != nil {
		return 0
	}
	n := 0
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter && s.ID != raft.ServerID(r.cfg.ID) {
			n++
		}
	}
	return n
}

// ID returns the replica's id.
func (r *Replica) ID() string { return r.cfg.ID }

// RaftAddr returns the address at which the other replicas reach this one's
// Raft transport.
func (r *Replica) RaftAddr() string {
	if r.trans == nil {
		return ""
	}
	return string(r.trans.LocalAddr())
}

// HTTPAddr returns the address of the HTTP API as advertised to the other
// replicas ("" before Start).
func (r *Replica) HTTPAddr() string {
	if r.http == nil {
		return ""
	}
	return r.advertise
}

// FSM returns the replica's state machine, for reads (FSM.View).
func (r *Replica) FSM() *fsm.FSM { return r.fsm }
