package replication_test

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/replication"
	"github.com/o211/o211/replication/pki"
)

// quiet drops the servers' logs: the refusals they log are expected here.
var quiet = slog.New(slog.DiscardHandler)

// echoHub answers every push with the mark it names, recording regions.
type echoHub struct {
	mu   sync.Mutex
	seen []string
}

func (h *echoHub) Ingest(_ context.Context, region string, raw []byte) *replication.IngestReply {
	h.mu.Lock()
	h.seen = append(h.seen, region)
	h.mu.Unlock()
	m := uint64(1)
	return &replication.IngestReply{Mark: &m}
}

func (h *echoHub) regions() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.seen...)
}

type emptyFeed struct{}

func (emptyFeed) Seq() uint64                                               { return 7 }
func (emptyFeed) Index() uint64                                             { return 7 }
func (emptyFeed) ChangesSince(uint64, func(replication.Change) error) error { return nil }
func (emptyFeed) GetAny(o211.Kind, string) (*o211.Record, error)            { return nil, nil }
func emptyView(fn func(replication.Feed) error) error                       { return fn(emptyFeed{}) }

// securedHub starts a hub server with TLS and JWT authentication, from a
// new PKI of one hub and regions a and b, and the hub service over echo.
func securedHub(t *testing.T) (string, *replication.Server, *replication.Hub, *echoHub) {
	t.Helper()
	dir := t.TempDir()
	if _, err := pki.Ensure(pki.Options{Dir: dir, Hubs: []pki.Site{{ID: "h1"}}, Regions: []pki.Site{{ID: "a"}, {ID: "b"}}}); err != nil {
		t.Fatal(err)
	}
	tlsc, trust, creds, err := pki.HubFiles(dir, "h1")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := replication.StartServer(replication.ServerConfig{Name: "hub-h1", ClusterAddr: "127.0.0.1:0",
		LeafAddr: "127.0.0.1:0", ClientAddr: "127.0.0.1:0", TLS: tlsc, Trust: trust, Creds: creds, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	echo := &echoHub{}
	hub := replication.NewHub(replication.HubConfig{Server: srv, Ingest: echo, View: emptyView,
		Regions: func() []string { return []string{"a", "b"} }, Logger: quiet})
	if err := hub.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	hub.SetLeader(true)
	return dir, srv, hub, echo
}

// regionLeaf starts an embedded server that links to the hub as a leaf
// with region's credentials and certificate, as a node does, and returns
// an in-process client of it with the region's inbox prefix.
func regionLeaf(t *testing.T, dir string, srv *replication.Server, region string) *nats.Conn {
	t.Helper()
	tlsc, creds, err := pki.NodeFiles(dir, region)
	if err != nil {
		t.Fatal(err)
	}
	before := srv.Leafs()
	leaf, err := replication.StartServer(replication.ServerConfig{Name: "node-" + region, HubURLs: []string{srv.LeafAddr()},
		TLS: tlsc, Creds: creds, LeafReconnect: 50 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(leaf.Close)
	testutil.WaitFor(t, 10*time.Second, "the leaf did not link", func() bool { return srv.Leafs() == before+1 })
	nc, err := leaf.Connect("local", nats.CustomInboxPrefix(replication.InboxPrefix(region)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// noLeafLinks fails if srv gains a leaf link within a second: what a leaf
// that must be refused would do by then, as it retries every 50 ms.
func noLeafLinks(t *testing.T, srv *replication.Server, what string) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if srv.Leafs() != 0 {
			t.Fatalf("a leaf linked %s", what)
		}
		tm := time.NewTimer(20 * time.Millisecond)
		<-tm.C
	}
}

func ingestMsg(region string) *nats.Msg {
	m := nats.NewMsg(replication.IngestSubject(region))
	m.Header.Set("O211-Envelope", "ingest/1")
	m.Data = []byte(`{"region":"` + region + `","from_seq":1,"to_seq":1,"records":[]}`)
	return m
}

// A node linked as a leaf with region a's credentials may push, pull and
// hear notices on a's subjects; the hub neither takes its messages on b's
// subjects nor sends it b's.
func TestPermissions_RegionOwnSubjectsOnly(t *testing.T) {
	dir, srv, hub, echo := securedHub(t)
	nc := regionLeaf(t, dir, srv, "a")

	t.Run("OwnSubjectsWork", func(t *testing.T) {
		var resp *nats.Msg
		testutil.CheckFor(t, 10*time.Second, func() (err error) { resp, err = nc.RequestMsg(ingestMsg("a"), 2*time.Second); return err })
		if !strings.Contains(string(resp.Data), `"mark":1`) {
			t.Fatalf("reply %s", resp.Data)
		}
		sub, err := nc.SubscribeSync(replication.NotifySubject("a"))
		if err != nil {
			t.Fatal(err)
		}
		testutil.CheckFor(t, 10*time.Second, func() error {
			hub.Notify()
			_, err := sub.NextMsg(200 * time.Millisecond)
			return err
		})
	})

	t.Run("PublishOnOtherRegionRefused", func(t *testing.T) {
		if _, err := nc.RequestMsg(ingestMsg("b"), 2*time.Second); !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, nats.ErrTimeout) {
			t.Fatalf("push on b's subject through a's leaf: %v", err)
		}
		for _, r := range echo.regions() {
			if r != "a" {
				t.Fatalf("the hub received a batch on region %s's subject", r)
			}
		}
	})

	t.Run("SubscribeToOtherRegionRefused", func(t *testing.T) {
		// The hub's own connection publishes on b's subjects, then on a's
		// notice subject. The leaf link carries messages in order, so
		// once a's notice is in, any of b's would be too.
		hc, err := srv.Connect("hub")
		if err != nil {
			t.Fatal(err)
		}
		defer hc.Close()
		subjects := []string{replication.NotifySubject("b"), replication.InboxPrefix("b") + ".>", ">", "o211.hub.ingest.*"}
		var subs []*nats.Subscription
		for _, subj := range subjects {
			sub, err := nc.SubscribeSync(subj)
			if err != nil {
				t.Fatal(err)
			}
			subs = append(subs, sub)
		}
		own, err := nc.SubscribeSync(replication.NotifySubject("a"))
		if err != nil {
			t.Fatal(err)
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		testutil.CheckFor(t, 10*time.Second, func() error {
			for _, subj := range []string{replication.NotifySubject("b"), replication.InboxPrefix("b") + ".x", "o211.hub.ingest.b"} {
				if err := hc.Publish(subj, []byte("for b")); err != nil {
					return err
				}
			}
			if err := hc.Publish(replication.NotifySubject("a"), []byte("for a")); err != nil {
				return err
			}
			_, err := own.NextMsg(200 * time.Millisecond)
			return err
		})
		for i, sub := range subs {
			for {
				m, err := sub.NextMsg(time.Millisecond)
				if err != nil {
					break
				}
				if string(m.Data) == "for b" {
					t.Errorf("a's leaf, subscribed to %q, received %s's message on %s", subjects[i], "b", m.Subject)
				}
			}
		}
	})

	t.Run("NoCredentialsRefused", func(t *testing.T) {
		dir, srv, _, _ := securedHub(t)
		tlsc, _, err := pki.NodeFiles(dir, "a")
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := replication.StartServer(replication.ServerConfig{Name: "node-a", HubURLs: []string{srv.LeafAddr()},
			TLS: tlsc, LeafReconnect: 50 * time.Millisecond, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		defer leaf.Close()
		noLeafLinks(t, srv, "without credentials")
	})

	t.Run("NoCertificateRefused", func(t *testing.T) {
		dir, srv, _, _ := securedHub(t)
		tlsc, creds, err := pki.NodeFiles(dir, "a")
		if err != nil {
			t.Fatal(err)
		}
		noCert := &replication.TLS{Client: &tls.Config{RootCAs: tlsc.Client.RootCAs, ServerName: tlsc.Client.ServerName, MinVersion: tls.VersionTLS12}}
		leaf, err := replication.StartServer(replication.ServerConfig{Name: "node-a", HubURLs: []string{srv.LeafAddr()},
			TLS: noCert, Creds: creds, LeafReconnect: 50 * time.Millisecond, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		defer leaf.Close()
		noLeafLinks(t, srv, "without a client certificate")
	})
}

// A region's credentials link a leaf only: a plain client connection to
// the hub's client port with them, certificate and all, is refused (issue
// 11.4), while the hubs' own credentials still connect there.
func TestPermissions_RegionCredentialsLeafOnly(t *testing.T) {
	dir, srv, _, _ := securedHub(t)
	l := pki.Layout{Dir: dir}
	tlsc, creds, err := pki.NodeFiles(dir, "a")
	if err != nil {
		t.Fatal(err)
	}
	_, err = nats.Connect("tls://"+srv.ClientAddr(), nats.UserCredentials(creds), nats.Secure(tlsc.Client), nats.MaxReconnects(0))
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "authorization") {
		t.Fatalf("a plain client connection with region a's credentials: %v, want an authorization violation", err)
	}
	nc, err := nats.Connect("tls://"+srv.ClientAddr(), nats.UserCredentials(l.HubCreds()), nats.Secure(tlsc.Client), nats.MaxReconnects(0))
	if err != nil {
		t.Fatalf("the hubs' own credentials on the client port: %v", err)
	}
	nc.Close()
}

// A node linked as a leaf with region a's credentials cannot reach b's
// subjects through the hub either: the hub gives the leaf its permissions
// and the leaf does not forward what they forbid.
func TestPermissions_LeafLimitedToItsRegion(t *testing.T) {
	dir, srv, _, echo := securedHub(t)
	tlsc, creds, err := pki.NodeFiles(dir, "a")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := replication.StartServer(replication.ServerConfig{Name: "node-a", HubURLs: []string{srv.LeafAddr()},
		TLS: tlsc, Creds: creds, LeafReconnect: 50 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(leaf.Close)
	testutil.WaitFor(t, 10*time.Second, "the leaf did not link", func() bool { return srv.Leafs() == 1 })
	nc, err := leaf.Connect("local", nats.CustomInboxPrefix(replication.InboxPrefix("a")))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := func(region string) error {
		m := nats.NewMsg(replication.IngestSubject(region))
		m.Header.Set("O211-Envelope", "ingest/1")
		m.Data = []byte(`{}`)
		_, err := nc.RequestMsg(m, 2*time.Second)
		return err
	}
	testutil.WaitFor(t, 10*time.Second, "a's push did not reach the hub over the leaf", func() bool { return req("a") == nil })
	if err := req("b"); !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, nats.ErrTimeout) {
		t.Fatalf("push on b's subject through a's leaf: %v", err)
	}
	for _, r := range echo.regions() {
		if r != "a" {
			t.Fatalf("the hub received a batch on region %s's subject", r)
		}
	}
	if srv.Leafs() != 1 {
		t.Fatal("the leaf was cut off")
	}
}

// A node's certificate does not open the hubs' route port.
func TestPermissions_RoutesNeedHubCertificate(t *testing.T) {
	dir, srv, _, _ := securedHub(t)
	tlsc, _, err := pki.NodeFiles(dir, "a")
	if err != nil {
		t.Fatal(err)
	}
	l := pki.Layout{Dir: dir}
	trustFile := l.Trust()
	trust, err := pki.LoadTrust(trustFile)
	if err != nil {
		t.Fatal(err)
	}
	// A server posing as a hub replica with a node's certificate.
	fake := &replication.TLS{Server: tlsc.Client.Clone(), Cluster: tlsc.Client.Clone()}
	fake.Cluster.ClientCAs = tlsc.Client.RootCAs
	fake.Cluster.ClientAuth = tls.RequireAndVerifyClientCert
	fake.Server.ClientCAs = tlsc.Client.RootCAs
	rogue, err := replication.StartServer(replication.ServerConfig{Name: "rogue", ClusterAddr: "127.0.0.1:0",
		Routes: []string{srv.ClusterAddr()}, LeafAddr: "127.0.0.1:0", TLS: fake, Trust: trust, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rogue.Close)
	// Give the route every chance: it must stay down.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if srv.Routes() != 0 || rogue.Routes() != 0 {
			t.Fatal("a server with a node certificate joined the hub cluster")
		}
		t := time.NewTimer(50 * time.Millisecond)
		<-t.C
	}
}

// The hubs' own credentials, without limits, cannot link a leaf.
func TestPermissions_HubCredentialsNotForLeaves(t *testing.T) {
	dir, srv, _, _ := securedHub(t)
	l := pki.Layout{Dir: dir}
	tlsc, err := pki.NodeTLS(l.CA(), l.NodeCert("a"), l.NodeKey("a"))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := replication.StartServer(replication.ServerConfig{Name: "node-x", HubURLs: []string{srv.LeafAddr()},
		TLS: tlsc, Creds: l.HubCreds(), LeafReconnect: 50 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(leaf.Close)
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if srv.Leafs() != 0 {
			t.Fatal("a leaf linked with the hubs' own credentials")
		}
		t := time.NewTimer(20 * time.Millisecond)
		<-t.C
	}
}
