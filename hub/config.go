package hub

import (
	"log/slog"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/node/auth"
)

// Default timings. Raft's own defaults (1 s heartbeat and election, 500 ms
// lease) fail over in a median 2.6 s on this machine class; these fail over
// well inside the hub's targets (median 1.5 s, worst 3 s) while leaving a
// follower several missed heartbeats before it starts an election.
const (
	DefaultHeartbeatTimeout   = 400 * time.Millisecond
	DefaultElectionTimeout    = 400 * time.Millisecond
	DefaultLeaderLeaseTimeout = 400 * time.Millisecond
	DefaultCommitTimeout      = 20 * time.Millisecond
	DefaultSnapshotInterval   = 30 * time.Second
	DefaultSnapshotThreshold  = 1024
	DefaultTrailingLogs       = 1024
	DefaultSnapshotRetain     = 2
	DefaultWriteTimeout       = 10 * time.Second
	DefaultShutdownTimeout    = 5 * time.Second
	DefaultMaxBodyBytes       = 16 << 20
)

// Config configures one hub replica. New fills the zero fields with
// defaults; nothing in it is read from the environment.
type Config struct {
	// ID names the replica in the Raft configuration ("h1"). Required.
	ID string
	// DataDir holds raft.db (log and stable store), snapshots/ and state.db
	// (the state machine's bbolt file). Required.
	DataDir string

	// RaftAddr is the address the Raft TCP transport listens on (":0"
	// picks a free port).
	RaftAddr string
	// RaftAdvertise is the address the other replicas dial to reach this
	// one. Default: this replica's entry in Peers, else RaftAddr with an
	// unspecified host replaced by 127.0.0.1.
	RaftAdvertise string
	// HTTPAddr is the address of the HTTP API (":0" picks a free port).
	HTTPAddr string
	// HTTPAdvertise is the address the other replicas use to forward
	// writes here. Default: HTTPAddr as bound, with an unspecified host
	// replaced by 127.0.0.1.
	HTTPAdvertise string

	// Peers maps replica ids to Raft addresses. On the first start of a
	// replica with an empty data folder, it bootstraps a cluster of these
	// voters (every replica given the same Peers bootstraps the same
	// cluster; doing it twice is harmless). A restart reads its
	// configuration from disk and ignores Peers. Leave it empty for a
	// replica that joins an existing cluster through AddMember.
	Peers map[string]string

	// Token protects the write API: requests must carry
	// "Authorization: Bearer <Token>". Empty leaves writes open (a warning
	// is logged). Every replica of a cluster must have the same token.
	Token string
	// Hasher hashes the provincial users' passwords (default
	// auth.DefaultParams, two at once); tests use cheaper costs.
	Hasher *auth.Hasher

	// Raft timings; zero values take the defaults above.
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration
	// MaxAppendEntries bounds the entries sent in one AppendEntries and
	// applied in one state transaction (default 64).
	MaxAppendEntries int

	// Log compaction: a snapshot is taken every SnapshotInterval when
	// SnapshotThreshold entries were written since the last one, and the
	// log keeps TrailingLogs entries behind it (a replica further behind
	// catches up by snapshot). SnapshotRetain snapshots are kept.
	SnapshotInterval  time.Duration
	SnapshotThreshold uint64
	TrailingLogs      uint64
	SnapshotRetain    int

	// HTTPReadHeaderTimeout bounds the reading of a request's headers
	// (default 10 s); HTTPIdleTimeout closes keep-alive connections idle
	// that long (default 2 min): a client that opens connections and
	// sends nothing cannot hold them.
	HTTPReadHeaderTimeout time.Duration
	HTTPIdleTimeout       time.Duration

	// WriteTimeout bounds a write: waiting for a leader during an
	// election, forwarding and committing (default 10 s).
	WriteTimeout time.Duration
	// ShutdownTimeout bounds the leadership transfer and the draining of
	// HTTP requests in Close (default 5 s).
	ShutdownTimeout time.Duration
	// MaxBodyBytes bounds a request body, and so a directory batch and the
	// Raft entry it becomes (default 16 MiB).
	MaxBodyBytes int64

	// NoSync skips fsync in the log and state stores: tests only.
	NoSync bool
	// Logger receives operational messages (default slog.Default()).
	Logger *slog.Logger
	// Now stamps commands proposed by this replica when leader (default
	// time.Now).
	Now func() time.Time
	// OnApply, when set, is called after each committed change of the
	// state (see fsm.Event), on the goroutine that applies the log.
	OnApply func(fsm.Event)
	// MaxCommandVersion is the newest log command version this replica
	// reads and announces (default fsm.CommandVersion). Lower it only to
	// play an older release in tests of a rolling upgrade.
	MaxCommandVersion int
	// PeerAddr, when set and returning non-empty, overrides the address
	// dialled to reach replica id. Tests route each link through a proxy
	// they can cut; leave it nil otherwise.
	PeerAddr func(id string) string
}

// withDefaults returns cfg with zero fields filled.
func (cfg Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.HeartbeatTimeout, DefaultHeartbeatTimeout)
	def(&cfg.ElectionTimeout, DefaultElectionTimeout)
	def(&cfg.LeaderLeaseTimeout, DefaultLeaderLeaseTimeout)
	def(&cfg.CommitTimeout, DefaultCommitTimeout)
	def(&cfg.SnapshotInterval, DefaultSnapshotInterval)
	def(&cfg.WriteTimeout, DefaultWriteTimeout)
	def(&cfg.ShutdownTimeout, DefaultShutdownTimeout)
	if cfg.MaxAppendEntries == 0 {
		cfg.MaxAppendEntries = 64
	}
	if cfg.SnapshotThreshold == 0 {
		cfg.SnapshotThreshold = DefaultSnapshotThreshold
	}
	if cfg.TrailingLogs == 0 {
		cfg.TrailingLogs = DefaultTrailingLogs
	}
	if cfg.SnapshotRetain == 0 {
		cfg.SnapshotRetain = DefaultSnapshotRetain
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RaftAdvertise == "" && cfg.Peers[cfg.ID] != "" {
		cfg.RaftAdvertise = cfg.Peers[cfg.ID]
	}
	return cfg
}

// validate returns an EINVALID error describing the first unusable setting.
func (cfg *Config) validate() error {
	switch {
	case !fsm.ValidServerID(cfg.ID):
		return o211.Errorf(o211.EINVALID, "hub: replica id %q is not valid: use letters, digits, '.', '-' and '_'", cfg.ID)
	case cfg.DataDir == "":
		return o211.Errorf(o211.EINVALID, "hub: a data folder is required")
	case cfg.RaftAddr == "":
		return o211.Errorf(o211.EINVALID, "hub: a Raft listen address is required")
	case cfg.HTTPAddr == "":
		return o211.Errorf(o211.EINVALID, "hub: an HTTP listen address is required")
	case cfg.LeaderLeaseTimeout > cfg.HeartbeatTimeout:
		return o211.Errorf(o211.EINVALID, "hub: the leader lease (%s) cannot be longer than the heartbeat timeout (%s)", cfg.LeaderLeaseTimeout, cfg.HeartbeatTimeout)
	case cfg.ElectionTimeout < cfg.HeartbeatTimeout:
		return o211.Errorf(o211.EINVALID, "hub: the election timeout (%s) cannot be shorter than the heartbeat timeout (%s)", cfg.ElectionTimeout, cfg.HeartbeatTimeout)
	}
	if len(cfg.Peers) > 0 {
		if _, ok := cfg.Peers[cfg.ID]; !ok {
			return o211.Errorf(o211.EINVALID, "hub: the peers (%s) do not include this replica %q", FormatPeers(cfg.Peers), cfg.ID)
		}
		if cfg.RaftAdvertise != cfg.Peers[cfg.ID] {
			return o211.Errorf(o211.EINVALID, "hub: the peers give %s the Raft address %s, but it advertises %s", cfg.ID, cfg.Peers[cfg.ID], cfg.RaftAdvertise)
		}
		for id, addr := range cfg.Peers {
			if err := fsm.ValidateHostPort(addr); err != nil {
				return o211.Errorf(o211.EINVALID, "hub: peer %s: %s", id, o211.ErrorMessage(err))
			}
		}
	}
	return nil
}

// ParsePeers parses the --peers flag: comma-separated id=host:port pairs
// ("h1=10.0.0.1:7000,h2=10.0.0.2:7000,h3=10.0.0.3:7000"). It returns an
// EINVALID error naming the offending pair for a missing "=", an invalid
// id, an address that is not host:port, and a repeated id or address. An
// empty string gives an empty map.
func ParsePeers(s string) (map[string]string, error) {
	peers := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return peers, nil
	}
	byAddr := map[string]string{}
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		id, addr, ok := strings.Cut(part, "=")
		id, addr = strings.TrimSpace(id), strings.TrimSpace(addr)
		switch {
		case part == "":
			return nil, o211.Errorf(o211.EINVALID, "peers: entry %d is empty (write id=host:port,id=host:port)", i+1)
		case !ok:
			return nil, o211.Errorf(o211.EINVALID, "peers: %q is not id=host:port", part)
		case !fsm.ValidServerID(id):
			return nil, o211.Errorf(o211.EINVALID, "peers: %q: %q is not a valid replica id", part, id)
		}
		if err := fsm.ValidateHostPort(addr); err != nil {
			return nil, o211.Errorf(o211.EINVALID, "peers: %s: %s", id, o211.ErrorMessage(err))
		}
		if _, dup := peers[id]; dup {
			return nil, o211.Errorf(o211.EINVALID, "peers: replica %q is listed twice", id)
		}
		if other, dup := byAddr[addr]; dup {
			return nil, o211.Errorf(o211.EINVALID, "peers: %s and %s have the same address %s", other, id, addr)
		}
		peers[id], byAddr[addr] = addr, id
	}
	return peers, nil
}

// FormatPeers renders peers as ParsePeers reads them, in id order.
func FormatPeers(peers map[string]string) string {
	ids := make([]string, 0, len(peers))
	for id := range peers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id + "=" + peers[id]
	}
	return strings.Join(parts, ",")
}

// advertisable returns addr with an empty or unspecified host replaced by
// 127.0.0.1, so that a replica listening on ":0" can be dialled locally.
func advertisable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
