package replication

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// NodeConfig configures a node's side of replication.
type NodeConfig struct {
	// Region is the node's region.
	Region string
	// Server configures the node's embedded server (HubURLs, Creds, TLS;
	// Name defaults to "node-<region>").
	Server ServerConfig
	// Outbox feeds the pusher; Replica receives the puller's pages.
	Outbox  Outbox
	Replica Replica
	// Push and Pull tune the pusher and the puller; their Region, Outbox,
	// Replica, Logger and Now are filled from here.
	Push PusherConfig
	Pull PullerConfig
	// ReportEvery is how often the node reports its status to the hub
	// when nothing changes (default 5 s; after a change, within 1 s).
	ReportEvery time.Duration
	Logger      *slog.Logger
	Now         func() time.Time
}

// Node is a region node's end of replication: its embedded server, a leaf
// of the hub cluster, and the pusher, puller and reporter that use it.
type Node struct {
	cfg    NodeConfig
	log    *slog.Logger
	srv    *Server
	conn   *nats.Conn
	push   *Pusher
	pull   *Puller
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	linked    bool
	linkedAt  time.Time
	closeOnce sync.Once
}

// StartNode starts the node's embedded server (which links to the hub on
// its own, and again whenever the link drops), the pusher, the puller and
// the reporter. It returns configuration and start errors at once; the hub
// being unreachable is not one.
func StartNode(cfg NodeConfig) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ReportEvery <= 0 {
		cfg.ReportEvery = 5 * time.Second
	}
	if cfg.Outbox == nil || cfg.Replica == nil {
		return nil, fmt.Errorf("replication: a node needs an outbox and a replica")
	}
	if len(cfg.Server.HubURLs) == 0 {
		return nil, fmt.Errorf("replication: no hub address is configured")
	}
	if cfg.Server.Name == "" {
		cfg.Server.Name = "node-" + cfg.Region
	}
	cfg.Server.Logger = cfg.Logger
	srv, err := StartServer(cfg.Server)
	if err != nil {
		return nil, err
	}
	conn, err := srv.Connect("o211-node-"+cfg.Region, nats.CustomInboxPrefix(InboxPrefix(cfg.Region)))
	if err != nil {
		srv.Close()
		return nil, err
	}
	n := &Node{cfg: cfg, log: cfg.Logger, srv: srv, conn: conn}
	pc := cfg.Push
	pc.Region, pc.Outbox, pc.Logger, pc.Now = cfg.Region, cfg.Outbox, cfg.Logger, cfg.Now
	n.push = NewPusher(pc, conn)
	lc := cfg.Pull
	lc.Region, lc.Replica, lc.Logger, lc.Now = cfg.Region, cfg.Replica, cfg.Logger, cfg.Now
	if lc.NewLeader == nil {
		// A push in flight to the old leader gets no answer: send it
		// again to the new one (safe: the hub skips what it has).
		lc.NewLeader = func() {
			n.log.Info("replication: the hub has a new leader")
			n.push.LinkDown()
			n.push.Kick()
		}
	}
	if lc.Defer == nil {
		// Push a backlog of more than a batch before pulling.
		batch := n.push.cfg.BatchEntries
		lc.Defer = func() bool {
			k, _, _, err := cfg.Outbox.Backlog()
			return err == nil && k > batch && n.Linked()
		}
	}
	n.pull = NewPuller(lc, conn)
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	for _, run := range []func(context.Context){n.push.Run, n.pull.Run, n.watch} {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			run(ctx)
		}()
	}
	return n, nil
}

// Committed tells the pusher that the changes up to seq were just
// committed (and the outbox has new entries).
func (n *Node) Committed(seq uint64) { n.push.Committed(seq, n.cfg.Now()) }

// Server returns the node's embedded server.
func (n *Node) Server() *Server { return n.srv }

// Linked reports whether the node has a leaf connection to a hub replica.
func (n *Node) Linked() bool { return n.srv.Leafs() > 0 }

// Close stops the pusher, the puller and the reporter, then the server.
// It is safe to call more than once.
func (n *Node) Close() {
	n.closeOnce.Do(func() {
		n.cancel()
		n.wg.Wait()
		n.conn.Close()
		n.srv.Close()
	})
}

// watch follows the link to the hub, kicking the pusher and the puller
// when it comes back, and reports the node's status to the hub.
func (n *Node) watch(ctx context.Context) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	var last NodeReport
	var sent time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		linked := n.Linked()
		n.mu.Lock()
		was := n.linked
		n.linked = linked
		if linked && !was {
			n.linkedAt = n.cfg.Now()
		}
		n.mu.Unlock()
		switch {
		case linked && !was:
			n.log.Info("replication: linked to the hub")
			n.push.Kick()
			n.pull.Kick()
		case !linked && was:
			n.log.Warn("replication: the link to the hub is down; changes wait in the outbox")
			n.push.LinkDown()
			n.pull.LinkDown()
		}
		if !linked {
			continue
		}
		now := n.cfg.Now()
		rep, err := n.report()
		if err != nil {
			continue
		}
		changed := rep.Head != last.Head || rep.Mark != last.Mark || rep.Position != last.Position || rep.Backlog != last.Backlog
		if (changed && now.Sub(sent) >= time.Second) || now.Sub(sent) >= n.cfg.ReportEvery {
			rep.At = now
			if err := n.conn.PublishMsg(newMsg(StatusSubject(n.cfg.Region), envStatus, encodeJSON(rep))); err == nil {
				last, sent = rep, now
			}
		}
	}
}

// report returns the node's report (At unset).
func (n *Node) report() (NodeReport, error) {
	st, err := n.Status()
	if err != nil {
		return NodeReport{}, err
	}
	return NodeReport{Region: n.cfg.Region, Head: st.Head, Mark: st.Push.Mark, Backlog: st.Backlog,
		Oldest: st.Oldest, Position: st.Pull.Position}, nil
}

// NodeStatus is a node's replication status: the push of its changes (its
// lag behind the hub, in records and seconds) and the pull of the
// provincial directory.
type NodeStatus struct {
	Region string `json:"region"`
	Linked bool   `json:"hub_linked"`
	// Head is the node's last change; Backlog the changes the hub has not
	// acknowledged; Oldest when the oldest of them was committed.
	Head    uint64     `json:"head"`
	Backlog int        `json:"backlog"`
	Oldest  time.Time  `json:"oldest_pending,omitzero"`
	Push    PushStatus `json:"push"`
	Pull    PullStatus `json:"pull"`
	// PushLag and PullLag are the lags in records and seconds.
	PushLag Lag `json:"push_lag"`
	PullLag Lag `json:"pull_lag"`
}

// Lag is how far behind something is.
type Lag struct {
	Records uint64  `json:"records"`
	Seconds float64 `json:"seconds"`
}

// Status returns the node's replication status. It reads the outbox.
func (n *Node) Status() (*NodeStatus, error) {
	cnt, first, head, err := n.cfg.Outbox.Backlog()
	if err != nil {
		return nil, err
	}
	now := n.cfg.Now()
	st := &NodeStatus{Region: n.cfg.Region, Linked: n.Linked(), Head: head, Backlog: cnt,
		Push: n.push.Status(), Pull: n.pull.Status()}
	if at, ok := n.push.OldestCommit(first); cnt > 0 && ok {
		st.Oldest = at
	} else if cnt > 0 {
		// Restarted with a backlog: the oldest entry's record was
		// modified at its commit, or later if changed again since.
		es, err := n.cfg.Outbox.Pending(first-1, 1)
		if err != nil {
			return nil, err
		}
		if len(es) == 1 {
			recs, err := n.cfg.Outbox.Records([]Ref{{es[0].Kind, es[0].ID}})
			if err != nil {
				return nil, err
			}
			if recs[0] != nil {
				st.Oldest = recs[0].Modified
			}
		}
	}
	if cnt > 0 {
		st.PushLag.Records = uint64(cnt)
		if !st.Oldest.IsZero() {
			st.PushLag.Seconds = max(0, now.Sub(st.Oldest).Seconds())
		}
	}
	if st.Pull.Head > st.Pull.Position {
		st.PullLag.Records = st.Pull.Head - st.Pull.Position
		if !st.Pull.Behind.IsZero() {
			st.PullLag.Seconds = max(0, now.Sub(st.Pull.Behind).Seconds())
		}
	}
	return st, nil
}
