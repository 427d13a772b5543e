package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/hub/internal/netproxy"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/httpx"
)

const testToken = "test-token"

// freeAddr returns a loopback address with a port free at the time of the
// call. Another process may take the port before it is bound: start
// listeners with startFresh, which chooses again when that happens.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startFresh calls start with n fresh loopback addresses, and again with
// new ones while it fails because one of them was taken between choosing
// it and binding it. It returns the addresses start listens on. A replica
// restarts on fresh ports too: the ones it had may be taken by then.
func startFresh(tb testing.TB, n int, start func(addrs []string) error) []string {
	tb.Helper()
	for attempt := 1; ; attempt++ {
		addrs := make([]string, n)
		for i := range addrs {
			addrs[i] = freeAddr(tb)
		}
		err := start(addrs)
		if err == nil {
			return addrs
		}
		if !addrInUse(err) || attempt == 5 {
			tb.Fatalf("start on %v: %v", addrs, err)
		}
		tb.Logf("start on %v: %v; again on other ports", addrs, err)
	}
}

// addrInUse reports whether err says that an address was in use (the NATS
// server only says that it did not start listening).
func addrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "address in use")
}

// newName returns a proxy whose address names a replica's listener across
// its restarts (its Raft address in the cluster configuration, its NATS
// route URL): the proxy holds the port for the test's life and forwards to
// wherever the replica listens now (SetTarget; "" refuses while it is
// down).
func newName(tb testing.TB) *netproxy.Proxy {
	tb.Helper()
	p, err := netproxy.New("")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// cluster is a hub cluster in this process over loopback TCP. With proxied
// links, each directed Raft link goes through a TCP proxy the test can cut.
type cluster struct {
	tb      testing.TB
	logger  *slog.Logger
	mu      sync.Mutex
	nodes   map[string]*node
	links   map[[2]string]*netproxy.Proxy
	cut     map[string]bool // replicas whose links are cut
	proxied bool
	mod     func(*Config)
	groups  []httpx.Group // mounted on every replica
}

type node struct {
	cfg   Config
	name  *netproxy.Proxy // the Raft address the others know it by
	bound string          // where it listens, or last listened ("" before its first start)
	r     *Replica
}

type clusterOpt func(*cluster)

// withProxies routes every Raft link through a proxy.
func withProxies() clusterOpt { return func(c *cluster) { c.proxied = true } }

// withConfig changes every replica's configuration.
func withConfig(f func(*Config)) clusterOpt { return func(c *cluster) { c.mod = f } }

// withGroups mounts route groups on every replica's HTTP server.
func withGroups(groups ...httpx.Group) clusterOpt {
	return func(c *cluster) { c.groups = groups }
}

// routesFunc adapts a test's routes to httpx.Group.
type routesFunc func(chi.Router)

func (f routesFunc) Routes(r chi.Router) { f(r) }

// newCluster starts n replicas h1..hn bootstrapped together, and waits for
// a leader.
func newCluster(tb testing.TB, n int, opts ...clusterOpt) *cluster {
	tb.Helper()
	c := &cluster{tb: tb, logger: testutil.Logger(tb), nodes: map[string]*node{},
		links: map[[2]string]*netproxy.Proxy{}, cut: map[string]bool{}}
	for _, o := range opts {
		o(c)
	}
	peers, names := map[string]string{}, map[string]*netproxy.Proxy{}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("h%d", i)
		names[id] = newName(tb)
		peers[id] = names[id].Addr()
	}
	tb.Cleanup(c.closeAll)
	for id := range peers {
		c.add(id, names[id], peers)
	}
	for _, id := range c.ids() {
		c.start(id)
	}
	c.leader(10 * time.Second)
	return c
}

// add configures replica id, known to the others by name, without
// starting it.
func (c *cluster) add(id string, name *netproxy.Proxy, peers map[string]string) *node {
	cfg := Config{
		ID: id, DataDir: c.tb.TempDir(), RaftAdvertise: name.Addr(), HTTPAddr: "127.0.0.1:0",
		Peers: peers, Token: testToken, Logger: c.logger, NoSync: true,
		ShutdownTimeout: 3 * time.Second,
	}
	if c.mod != nil {
		c.mod(&cfg)
	}
	// Raft dials a replica where it listens now, or through a proxy the
	// test can cut; its name is what the configuration holds, and what a
	// replica calls itself in its requests (Raft asks PeerAddr for its own
	// address too, and voters compare it with the leader's).
	cfg.PeerAddr = func(to string) string {
		switch {
		case to == id:
			return name.Addr()
		case c.proxied:
			return c.link(id, to)
		}
		return c.addrOf(to)
	}
	n := &node{cfg: cfg, name: name}
	c.mu.Lock()
	c.nodes[id] = n
	c.mu.Unlock()
	return n
}

// link returns the address of the proxy from replica a to replica b,
// creating it on first use.
func (c *cluster) link(a, b string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := [2]string{a, b}
	if p := c.links[k]; p != nil {
		return p.Addr()
	}
	to := c.nodes[b]
	if to == nil {
		return ""
	}
	p, err := netproxy.New(to.bound)
	if err != nil {
		c.tb.Errorf("proxy %s->%s: %v", a, b, err)
		return ""
	}
	if c.cut[a] || c.cut[b] {
		p.Cut()
	}
	c.links[k] = p
	return p.Addr()
}

// isolate cuts every Raft link to and from replica id, present and future
// (cut: false heals them).
func (c *cluster) isolate(id string, cut bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut[id] = cut
	for k, p := range c.links {
		if k[0] == id && !c.cut[k[1]] || k[1] == id && !c.cut[k[0]] {
			if cut {
				p.Cut()
			} else {
				p.Heal()
			}
		}
	}
}

// addrOf returns where replica id listens (or last listened), else its
// name.
func (c *cluster) addrOf(id string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodes[id]
	if n == nil {
		return ""
	}
	if n.bound != "" {
		return n.bound
	}
	return n.name.Addr()
}

// start starts (or restarts) replica id on a fresh Raft port, and points
// its name and the links to it there.
func (c *cluster) start(id string) *Replica {
	c.tb.Helper()
	n := c.node(id)
	var r *Replica
	addrs := startFresh(c.tb, 1, func(addrs []string) error {
		cfg := n.cfg
		cfg.RaftAddr = addrs[0]
		r = New(cfg)
		r.Mount(c.groups...)
		if err := r.Start(context.Background()); err != nil {
			r.Close()
			return fmt.Errorf("start %s: %w", id, err)
		}
		return nil
	})
	c.setBound(n, id, addrs[0])
	c.mu.Lock()
	n.r = r
	c.mu.Unlock()
	return r
}

// setBound records where replica id listens and points its name and the
// links to it there. They stay there while it is stopped: a dial is
// refused, as it would be by a stopped server (a proxy that accepted and
// closed would have Raft send a snapshot to nobody, again and again).
func (c *cluster) setBound(n *node, id, addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n.bound = addr
	n.name.SetTarget(addr)
	for k, p := range c.links {
		if k[1] == id {
			p.SetTarget(addr)
		}
	}
}

func (c *cluster) node(id string) *node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[id]
}

// r returns the running replica id (nil when stopped).
func (c *cluster) r(id string) *Replica {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := c.nodes[id]; n != nil {
		return n.r
	}
	return nil
}

// stop closes replica id gracefully (kill: false) or kills it.
func (c *cluster) stop(id string, kill bool) {
	c.tb.Helper()
	c.mu.Lock()
	n := c.nodes[id]
	r := n.r
	n.r = nil
	c.mu.Unlock()
	if kill {
		r.kill()
	} else if err := r.Close(); err != nil {
		c.tb.Errorf("close %s: %v", id, err)
	}
}

var errNoLeader = errors.New("no running replica leads")

// ingestRetrying applies b through whichever running replica leads, again
// while the answer is that it does not lead or lost the lead while
// committing (safe to retry: the hub skips what it holds), until timeout.
// It may be called from any goroutine.
func (c *cluster) ingestRetrying(ctx context.Context, b *fsm.IngestBatch, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := errNoLeader
		for _, id := range c.running() {
			if r := c.r(id); r != nil && r.IsLeader() {
				_, _, err = r.IngestBatch(ctx, b)
				break
			}
		}
		if err == nil || time.Now().After(deadline) || !retryable(err) && err != errNoLeader {
			return err
		}
		t := time.NewTimer(20 * time.Millisecond)
		<-t.C
	}
}

// closeAll closes the followers, then the leader (whose hand-over then
// fails at once), then the proxies.
func (c *cluster) closeAll() {
	var leaders []*Replica
	for _, id := range c.ids() {
		if r := c.r(id); r != nil && r.IsLeader() {
			leaders = append(leaders, r)
		} else if r != nil {
			r.Close()
		}
	}
	for _, r := range leaders {
		r.Close()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.links {
		p.Close()
	}
}

// ids returns the configured replicas' ids in order.
func (c *cluster) ids() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []string
	for id := range c.nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// running returns the ids of the running replicas.
func (c *cluster) running() []string {
	var out []string
	for _, id := range c.ids() {
		if c.r(id) != nil {
			out = append(out, id)
		}
	}
	return out
}

// leader waits until the running replicas among ids (all if none given)
// agree on one leader that is among them, and returns it.
func (c *cluster) leader(timeout time.Duration, ids ...string) *Replica {
	c.tb.Helper()
	if len(ids) == 0 {
		ids = c.running()
	}
	var leader *Replica
	testutil.CheckFor(c.tb, timeout, func() error {
		seen := map[string]bool{}
		for _, id := range ids {
			seen[c.r(id).Leader()] = true
		}
		if len(seen) != 1 || seen[""] {
			return fmt.Errorf("replicas %v see leaders %v", ids, seen)
		}
		for id := range seen {
			for _, x := range ids {
				if x == id && c.r(id).IsLeader() {
					leader = c.r(id)
					return nil
				}
			}
			return fmt.Errorf("leader %s is not among %v", id, ids)
		}
		return nil
	})
	return leader
}

// client returns an API client of replica id.
func (c *cluster) client(id string) *Client {
	return &Client{BaseURL: "http://" + c.r(id).HTTPAddr(), Token: testToken}
}

// org returns a directory record of region with the given id and version.
func org(tb testing.TB, region, id string, version uint64) *o211.Record {
	tb.Helper()
	data, err := json.Marshal(&o211.Organization{ID: id, Name: "Organisation " + id, Description: "Test organisation."})
	if err != nil {
		tb.Fatal(err)
	}
	return &o211.Record{Kind: o211.KindOrganization, ID: id, Region: region, Version: version,
		Modified: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Data: data}
}

// hasRecords returns an error naming the first of ids that replica r does
// not hold as a live organisation record.
func hasRecords(r *Replica, ids []string) error {
	return r.FSM().View(func(s *fsm.State) error {
		for _, id := range ids {
			if _, err := s.Tx().Get(o211.KindOrganization, id); err != nil {
				return fmt.Errorf("replica %s: %v", r.ID(), err)
			}
		}
		return nil
	})
}

// registerRegions registers regions through replica r's API.
func registerRegions(tb testing.TB, cl *Client, ids ...string) {
	tb.Helper()
	for _, id := range ids {
		if _, err := cl.PutRegion(context.Background(), o211.Region{ID: id, Name: "Region " + id}); err != nil {
			tb.Fatalf("register %s: %v", id, err)
		}
	}
}
