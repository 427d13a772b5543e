package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/hub/internal/netproxy"
	"github.com/o211/o211/internal/testutil"
	o211node "github.com/o211/o211/node"
	"github.com/o211/o211/node/store"
	"github.com/o211/o211/replication"
	"github.com/o211/o211/replication/pki"
)

// connected is a connected province in this process over loopback: three
// hub replicas, each with its embedded NATS server in a cluster, and region
// nodes linked as leaves, with real TLS and JWT credentials. Each node's
// link to each hub goes through a TCP proxy the test can cut.
type connected struct {
	tb     testing.TB
	logger *slog.Logger
	pki    string

	opts connectedOpts

	mu    sync.Mutex
	hubs  map[string]*hubSite
	nodes map[string]*nodeSite
}

// hubSite is a hub replica. It listens on fresh ports at each start (the
// ones it had may be taken by then); its names, which the other replicas
// know, stay: Raft dials it where it listens now (Config.PeerAddr), the
// other NATS servers route to it through clusterName, and nodes link to it
// through their proxies, pointed at its leaf port at each start.
type hubSite struct {
	id          string
	raftName    *netproxy.Proxy // its Raft address in the configuration
	clusterName *netproxy.Proxy // its NATS route URL
	raft, leaf  string          // where it listens, or last listened
	cfg         Config
	r           *Replica
	x           *Replication
	rp          *Reports
}

type nodeSite struct {
	region  string
	dataDir string
	proxies []*netproxy.Proxy
	n       *o211node.Node
}

// newConnected starts three hub replicas and registers regions; nodes are
// started with startNode.
func newConnected(tb testing.TB, regions ...string) *connected {
	return newConnectedWith(tb, connectedOpts{}, regions...)
}

// connectedOpts change a connected province.
type connectedOpts struct {
	// onApply sees every replica's committed changes.
	onApply func(id string, e fsm.Event)
	// sync makes every store fsync its commits (benchmarks).
	sync bool
	// raftTimeout, when set, is the replicas' heartbeat, election and
	// lease timeouts (a whole province in one process on a loaded
	// machine misses the default 400 ms heartbeats).
	raftTimeout time.Duration
}

// newConnectedWith is newConnected with options.
func newConnectedWith(tb testing.TB, opts connectedOpts, regions ...string) *connected {
	tb.Helper()
	p := &connected{tb: tb, logger: testutil.Logger(tb), pki: tb.TempDir(), hubs: map[string]*hubSite{}, nodes: map[string]*nodeSite{},
		opts: opts}
	var hubs, sites []pki.Site
	for _, id := range []string{"h1", "h2", "h3"} {
		hubs = append(hubs, pki.Site{ID: id})
	}
	for _, r := range regions {
		sites = append(sites, pki.Site{ID: r})
	}
	if _, err := pki.Ensure(pki.Options{Dir: p.pki, Hubs: hubs, Regions: sites}); err != nil {
		tb.Fatal(err)
	}
	peers := map[string]string{}
	for _, h := range hubs {
		s := &hubSite{id: h.ID, raftName: newName(tb), clusterName: newName(tb)}
		peers[h.ID] = s.raftName.Addr()
		p.hubs[h.ID] = s
	}
	for _, s := range p.hubs {
		s.cfg = Config{ID: s.id, DataDir: tb.TempDir(), HTTPAddr: "127.0.0.1:0", Peers: peers,
			Token: testToken, Logger: p.logger.With("hub", s.id), NoSync: !opts.sync, ShutdownTimeout: 3 * time.Second}
		s.cfg.PeerAddr = p.peerAddr(s)
		if d := opts.raftTimeout; d > 0 {
			s.cfg.HeartbeatTimeout, s.cfg.ElectionTimeout, s.cfg.LeaderLeaseTimeout = d, d, d
		}
		if opts.onApply != nil {
			id := s.id
			s.cfg.OnApply = func(e fsm.Event) { opts.onApply(id, e) }
		}
	}
	tb.Cleanup(p.closeAll)
	for _, id := range p.hubIDs() {
		p.startHub(id)
	}
	leader := p.leader(15 * time.Second)
	cl := &Client{BaseURL: "http://" + leader.r.HTTPAddr(), Token: testToken}
	for _, r := range regions {
		testutil.CheckFor(tb, 15*time.Second, func() error {
			_, err := cl.PutRegion(context.Background(), o211.Region{ID: r, Name: "Region " + r})
			return err
		})
	}
	return p
}

func (p *connected) hubIDs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []string
	for id := range p.hubs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// startHub starts (or restarts, on its data folder) replica id on fresh
// ports, and points its names and the nodes' links to it there.
func (p *connected) startHub(id string) {
	p.tb.Helper()
	p.mu.Lock()
	s := p.hubs[id]
	var routes []string
	for _, o := range p.hubs {
		if o.id != id {
			routes = append(routes, o.clusterName.Addr())
		}
	}
	p.mu.Unlock()
	tlsc, trust, creds, err := pki.HubFiles(p.pki, id)
	if err != nil {
		p.tb.Fatal(err)
	}
	var (
		r  *Replica
		x  *Replication
		rp *Reports
	)
	addrs := startFresh(p.tb, 3, func(addrs []string) error {
		cfg := s.cfg
		cfg.RaftAddr = addrs[0]
		r = New(cfg)
		rp = r.ServeReports(nil)
		x = r.ServeReplication(ReplicationConfig{NATS: replication.ServerConfig{ClusterAddr: addrs[1], Routes: routes,
			LeafAddr: addrs[2], TLS: tlsc, Trust: trust, Creds: creds, Compression: linkCompression()}})
		if err := r.Start(context.Background()); err != nil {
			r.Close()
			return fmt.Errorf("start %s: %w", id, err)
		}
		if err := rp.Load(); err != nil {
			r.Close()
			p.tb.Fatalf("start %s reports: %v", id, err)
		}
		if err := x.Start(context.Background()); err != nil {
			r.Close()
			return fmt.Errorf("start %s replication: %w", id, err)
		}
		return nil
	})
	p.setBound(s, addrs[0], addrs[1], addrs[2])
	p.mu.Lock()
	s.r, s.x, s.rp = r, x, rp
	p.mu.Unlock()
}

// setBound records where hub s listens and points its names and the
// nodes' links to it there. They stay there while it is stopped: a dial
// is refused, as it would be by a stopped server (a proxy that accepted
// and closed would have Raft send a snapshot to nobody, again and again).
func (p *connected) setBound(s *hubSite, raft, cluster, leaf string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s.raft, s.leaf = raft, leaf
	s.raftName.SetTarget(raft)
	s.clusterName.SetTarget(cluster)
	i := slices.Index(p.hubIDsLocked(), s.id)
	for _, n := range p.nodes {
		n.proxies[i].SetTarget(leaf)
	}
}

// peerAddr returns replica self's Config.PeerAddr: where replica id
// listens now, else its name; and its own name for itself (Raft asks
// PeerAddr for its own address too, to put it in its requests, and voters
// compare it with the leader's).
func (p *connected) peerAddr(self *hubSite) func(id string) string {
	return func(id string) string {
		p.mu.Lock()
		defer p.mu.Unlock()
		s := p.hubs[id]
		switch {
		case s == nil:
			return ""
		case s != self && s.raft != "":
			return s.raft
		}
		return s.raftName.Addr()
	}
}

// stopHub stops replica id: gracefully, or (kill) the way a crash would:
// Raft's transport first, then its NATS server, without a hand-over.
func (p *connected) stopHub(id string, kill bool) {
	p.mu.Lock()
	s := p.hubs[id]
	r, x := s.r, s.x
	s.r, s.x = nil, nil
	p.mu.Unlock()
	if r == nil {
		return
	}
	if kill {
		r.kill()
		x.Close()
		return
	}
	x.Close()
	if err := r.Close(); err != nil {
		p.tb.Errorf("close %s: %v", id, err)
	}
}

// hub returns running replica id (nil when stopped).
func (p *connected) hub(id string) *hubSite {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.hubs[id]; s.r != nil {
		return s
	}
	return nil
}

// running returns the running replicas.
func (p *connected) running() []*hubSite {
	var out []*hubSite
	for _, id := range p.hubIDs() {
		if s := p.hub(id); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// leader waits until the running replicas agree on a leader among them.
func (p *connected) leader(timeout time.Duration) *hubSite {
	p.tb.Helper()
	var leader *hubSite
	testutil.CheckFor(p.tb, timeout, func() error {
		seen := map[string]bool{}
		for _, s := range p.running() {
			seen[s.r.Leader()] = true
		}
		if len(seen) != 1 || seen[""] {
			return fmt.Errorf("replicas see leaders %v", seen)
		}
		for _, s := range p.running() {
			if s.r.IsLeader() {
				leader = s
				return nil
			}
		}
		return fmt.Errorf("the leader is not running")
	})
	return leader
}

// startNode starts (or restarts) region's node, linked to every hub
// replica through its proxies.
func (p *connected) startNode(region string, tune func(*o211node.ReplicationConfig)) *o211node.Node {
	p.tb.Helper()
	p.mu.Lock()
	s := p.nodes[region]
	if s == nil {
		s = &nodeSite{region: region, dataDir: p.tb.TempDir()}
		for _, id := range p.hubIDsLocked() {
			px, err := netproxy.New(p.hubs[id].leaf) // "" refuses until the hub starts
			if err != nil {
				p.mu.Unlock()
				p.tb.Fatal(err)
			}
			s.proxies = append(s.proxies, px)
		}
		p.nodes[region] = s
	}
	p.mu.Unlock()
	tlsc, creds, err := pki.NodeFiles(p.pki, region)
	if err != nil {
		p.tb.Fatal(err)
	}
	rc := &o211node.ReplicationConfig{TLS: tlsc, Creds: creds, Compression: linkCompression()}
	for _, px := range s.proxies {
		rc.HubURLs = append(rc.HubURLs, px.Addr())
	}
	rc.Push.MaxBackoff = time.Second
	rc.Pull.Poll = 2 * time.Second
	if tune != nil {
		tune(rc)
	}
	n := o211node.New(o211node.Config{Region: region, DataDir: s.dataDir, HTTPAddr: "127.0.0.1:0", Token: testToken,
		Replication: rc, Logger: p.logger.With("node", region), NoSync: !p.opts.sync})
	if err := n.Start(context.Background()); err != nil {
		p.tb.Fatalf("start node %s: %v", region, err)
	}
	p.mu.Lock()
	s.n = n
	p.mu.Unlock()
	return n
}

func (p *connected) hubIDsLocked() []string {
	var ids []string
	for id := range p.hubs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// node returns region's running node.
func (p *connected) node(region string) *o211node.Node {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nodes[region].n
}

// stopNode closes region's node.
func (p *connected) stopNode(region string) {
	p.mu.Lock()
	s := p.nodes[region]
	n := s.n
	s.n = nil
	p.mu.Unlock()
	if n != nil {
		n.Close()
	}
}

// cut cuts (or heals) every link of region's node to the hub.
func (p *connected) cut(region string, cut bool) {
	p.mu.Lock()
	s := p.nodes[region]
	p.mu.Unlock()
	for _, px := range s.proxies {
		if cut {
			px.Cut()
		} else {
			px.Heal()
		}
	}
}

func (p *connected) closeAll() {
	p.mu.Lock()
	var nodes []*nodeSite
	for _, s := range p.nodes {
		nodes = append(nodes, s)
	}
	p.mu.Unlock()
	for _, s := range nodes {
		if s.n != nil {
			s.n.Close()
		}
	}
	// Followers first, so the leader's hand-over has nobody to wait for.
	for _, s := range p.running() {
		if !s.r.IsLeader() {
			p.stopHub(s.id, false)
		}
	}
	for _, s := range p.running() {
		p.stopHub(s.id, false)
	}
	for _, s := range nodes {
		for _, px := range s.proxies {
			px.Close()
		}
	}
}

// orgChange returns an upsert of organisation region-org-k, named after
// round so that every round changes it.
func orgChange(region string, k, round int) o211.Change {
	return o211.Upsert(&o211.Organization{ID: fmt.Sprintf("%s-org-%d", region, k),
		Name: fmt.Sprintf("Organisation %d of %s, round %d", k, region, round), Description: "A test organisation."})
}

// foodBank returns the changes that create a searchable food bank of
// region: an organisation, its service, a location and the service there.
func foodBank(region, name string, lat, lon float64) []o211.Change {
	return []o211.Change{
		o211.Upsert(&o211.Organization{ID: region + "-fb-org", Name: name + " Society", Description: "Feeds people."}),
		o211.Upsert(&o211.Service{ID: region + "-fb-svc", OrganizationID: region + "-fb-org", Name: name, Status: "active"}),
		o211.Upsert(&o211.Location{ID: region + "-fb-loc", OrganizationID: region + "-fb-org", LocationType: "physical", Latitude: &lat, Longitude: &lon}),
		o211.Upsert(&o211.ServiceAtLocation{ID: region + "-fb-sal", ServiceID: region + "-fb-svc", LocationID: region + "-fb-loc"}),
	}
}

// writeChanges writes n changes to region's node in writes of per changes:
// upserts of ids cycling over `ids` organisations, every seventh change a
// deletion of one written before, and after each write a contact closed
// (whose report record is a change too). It returns the changes written (the
// growth of the store's sequence number), retrying a write that fails
// because the node is being restarted.
func writeChanges(ctx context.Context, get func() *o211node.Node, region string, n, per, ids int, done *atomic.Int64) (int, error) {
	written := 0
	round := 0
	for written < n {
		nd := get()
		if nd == nil {
			select {
			case <-ctx.Done():
				return written, ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
			continue
		}
		var cs []o211.Change
		seen := map[string]bool{}
		for len(cs) < min(per, n-written) {
			round++
			k := round % ids
			id := fmt.Sprintf("%s-org-%d", region, k)
			if seen[id] {
				break
			}
			seen[id] = true
			if round%7 == 0 && round > ids {
				cs = append(cs, o211.Delete(o211.KindOrganization, id))
			} else {
				cs = append(cs, orgChange(region, k, round))
			}
		}
		before, err := nd.Directory().Store().Seq()
		if err != nil {
			return written, err
		}
		_, err = nd.Directory().Write(o211.WithActor(ctx, o211.System("test")), cs, o211.WriteOptions{SkipInvalid: true})
		if err != nil {
			if ctx.Err() != nil {
				return written, ctx.Err()
			}
			continue
		}
		// Each write also closes a contact, whose report record travels
		// with the directory changes (a failure here is a restart: the
		// contact was not acknowledged and counts nowhere).
		if mid, _ := nd.Directory().Store().Seq(); written+int(mid-before) < n {
			_, _ = nd.Directory().Store().CreateContact(o211.WithActor(ctx, o211.System("test")), testContact(region, round), store.ContactOptions{})
		}
		after, _ := nd.Directory().Store().Seq()
		written += int(after - before)
		if done != nil {
			done.Store(int64(written))
		}
	}
	return written, nil
}

// regionRecords returns every record of region that st holds (tombstones
// included), keyed kind/id, with version, deletion and data.
func siteRecords(view func(fn func(*store.Tx) error) error, region string) (map[string]string, error) {
	out := map[string]string{}
	err := view(func(tx *store.Tx) error {
		return tx.ChangesSince(0, func(c store.ChangeRef) error {
			if c.Kind == o211.KindReport {
				return nil // counted, not stored, by the hub: see sameAggregates
			}
			r, err := tx.GetAny(c.Kind, c.ID)
			if err != nil || r == nil {
				return fmt.Errorf("%s %s: %v", c.Kind, c.ID, err)
			}
			if region != "" && r.Region != region {
				return nil
			}
			var data bytes.Buffer
			if len(r.Data) > 0 {
				if err := json.Compact(&data, r.Data); err != nil {
					return err
				}
			}
			out[string(c.Kind)+"/"+c.ID] = fmt.Sprintf("v%d deleted=%v %s", r.Version, r.Deleted, data.String())
			return nil
		})
	})
	return out, err
}

// hubView reads replica s's directory.
func hubView(s *hubSite) func(fn func(*store.Tx) error) error {
	return func(fn func(*store.Tx) error) error {
		return s.r.FSM().View(func(st *fsm.State) error { return fn(st.Tx()) })
	}
}

// sameRecords compares two record sets and describes the first differences.
func sameRecords(what string, got, want map[string]string) error {
	var diffs []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			diffs = append(diffs, k+" missing")
		} else if g != w {
			diffs = append(diffs, fmt.Sprintf("%s: %s, want %s", k, g, w))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, k+" extra")
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		return fmt.Errorf("%s: %d records differ (%d held, %d expected): %s", what, len(diffs), len(got), len(want),
			strings.Join(diffs[:min(5, len(diffs))], "; "))
	}
	return nil
}

// converged checks, for every region given, that the node's outbox is
// empty, every running replica's mark equals the node's last change, and
// every running replica holds exactly the node's records (same versions,
// tombstones and data): nothing lost, nothing duplicated, no gap. It
// returns the number of changes and live records checked.
func (p *connected) converged(regions ...string) (changes, live int, err error) {
	for _, region := range regions {
		nd := p.node(region)
		st := nd.Directory().Store()
		backlog, _, err := st.OutboxStats()
		if err != nil {
			return 0, 0, err
		}
		seq, err := st.Seq()
		if err != nil {
			return 0, 0, err
		}
		if backlog != 0 {
			return 0, 0, fmt.Errorf("%s: %d outbox entries wait", region, backlog)
		}
		want, err := siteRecords(st.View, region)
		if err != nil {
			return 0, 0, err
		}
		for _, s := range p.running() {
			var mark uint64
			err := s.r.FSM().View(func(st *fsm.State) error {
				reg, err := st.Region(region)
				if err == nil {
					mark = reg.Mark
				}
				return err
			})
			if err != nil {
				return 0, 0, err
			}
			if mark != seq {
				return 0, 0, fmt.Errorf("replica %s: %s mark %d, node seq %d", s.id, region, mark, seq)
			}
			got, err := siteRecords(hubView(s), region)
			if err != nil {
				return 0, 0, err
			}
			if err := sameRecords(fmt.Sprintf("replica %s, region %s", s.id, region), got, want); err != nil {
				return 0, 0, err
			}
			if err := sameAggregates(s, st, region); err != nil {
				return 0, 0, err
			}
		}
		changes += int(seq)
		for _, v := range want {
			if !strings.Contains(v, "deleted=true") {
				live++
			}
		}
	}
	return changes, live, nil
}

// copiesConverged checks that each region's provincial copy holds exactly
// the leader's provincial directory, at its sequence number.
func (p *connected) copiesConverged(regions ...string) error {
	leader := p.leader(15 * time.Second)
	var seq uint64
	_ = leader.r.FSM().View(func(s *fsm.State) error { seq = s.Tx().Seq(); return nil })
	want, err := siteRecords(hubView(leader), "")
	if err != nil {
		return err
	}
	for _, region := range regions {
		st, err := p.node(region).ReplicationStatus()
		if err != nil {
			return err
		}
		if st.Pull.Position != seq {
			return fmt.Errorf("the provincial copy of %s is at %d, the leader at %d", region, st.Pull.Position, seq)
		}
		prov := p.node(region).Province()
		got, err := siteRecords(prov.Store().View, "")
		if err != nil {
			return err
		}
		if err := sameRecords("provincial copy of "+region, got, want); err != nil {
			return err
		}
	}
	return nil
}

// linkCompression is the compression of the province's NATS links: off
// (one machine), or O211_TEST_COMPRESSION.
func linkCompression() string {
	if c := os.Getenv("O211_TEST_COMPRESSION"); c != "" {
		return c
	}
	return "off"
}
