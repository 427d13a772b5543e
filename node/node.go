package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/o211/o211"
	"github.com/o211/o211/node/auth"
	"github.com/o211/o211/node/contacts"
	"github.com/o211/o211/node/gateway"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/queue"
	"github.com/o211/o211/node/report"
	"github.com/o211/o211/replication"
)

// Config configures a Node.
type Config struct {
	// Region is the region the node serves (required on first start; the
	// data folder remembers it).
	Region string
	// DataDir holds the node's files: node.db (the store), node.db.idx (the
	// search index), token (the API token when none is given).
	DataDir string
	// HTTPAddr is the listen address of the HTTP API (":0" picks a port).
	HTTPAddr string
	// Token protects the write and import APIs. When empty, the token in
	// DataDir/token is used, created on first start.
	Token string
	// Replication, when set, links the node to the provincial hub: its
	// changes are pushed to the hub and a copy of the provincial directory
	// (DataDir/province.db) is pulled from it. Nil runs the node alone.
	Replication *ReplicationConfig
	// IndexSaveInterval is how often a changed search index is saved
	// (default 5 minutes; it is also saved at Close).
	IndexSaveInterval time.Duration
	// ContactRetention is how long the personal fields of a contact are
	// kept after it ended (default contacts.DefaultRetention, two years);
	// a negative value disables the purge.
	ContactRetention time.Duration
	// VerifyMonths is how long a service's verification (its HSDS
	// assured_date) holds before the service enters the console's
	// verification queue (default 12 months).
	VerifyMonths int
	Logger       *slog.Logger
	Now          func() time.Time
	// Hasher hashes the region's users' passwords (default
	// auth.DefaultParams, two at once); tests use cheaper costs.
	Hasher *auth.Hasher
	// NoSync skips fsync: tests and benchmarks only.
	NoSync bool
	// QueueOfferTimeout is how long an offer of a queued contact stands
	// (default 20 s).
	QueueOfferTimeout time.Duration
	// Gateway configures the channels: voice, text, chat, e-mail.
	Gateway GatewayConfig
}

// Node is a running regional node.
type Node struct {
	cfg  Config
	log  *slog.Logger
	dir  *Directory
	http *httpx.Server
	// province and link exist when the node is linked to the hub.
	province *Directory
	link     *replication.Node
	contacts *contacts.Service
	reports  *report.Cube
	// accounts signs the region's users in (node/auth over the store).
	accounts *auth.Service
	// queue is the region's contact queue; routeTime times its routing.
	queue     *queue.Queue
	gateway   *gateway.Gateway
	routeTime prometheus.Histogram
	// onReport, when set, receives each report record written as a
	// contact closes (the node's report cube).
	onReport func(*o211.Report)

	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
	err    error
}

// New returns a node for cfg with defaults filled in; Start opens it.
func New(cfg Config) *Node {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IndexSaveInterval <= 0 {
		cfg.IndexSaveInterval = 5 * time.Minute
	}
	return &Node{cfg: cfg, log: cfg.Logger.With("region", cfg.Region)}
}

// Start opens the directory, loads the search index and starts serving
// HTTP. It returns open and bind errors at once.
func (n *Node) Start(ctx context.Context) error {
	if n.cfg.DataDir == "" {
		return o211.Errorf(o211.EINVALID, "a data folder is required (--data)")
	}
	if n.cfg.Region != "" && !o211.ValidRegionID(n.cfg.Region) {
		return o211.Errorf(o211.EINVALID, "region %q: use lower-case letters, digits and hyphens", n.cfg.Region)
	}
	token, err := loadToken(n.cfg.DataDir, n.cfg.Token)
	if err != nil {
		return err
	}
	n.dir, err = OpenDirectory(ctx, DirectoryConfig{Path: filepath.Join(n.cfg.DataDir, "node.db"),
		Region: n.cfg.Region, Logger: n.log, Now: n.cfg.Now, NoSync: n.cfg.NoSync})
	if err != nil {
		return err
	}
	n.cfg.Region = n.dir.Region()
	if n.cfg.Replication != nil {
		if err := n.startReplication(ctx); err != nil {
			n.closeReplication()
			n.dir.Close()
			return err
		}
	}
	if err := n.openReports(); err != nil {
		n.closeReplication()
		n.dir.Close()
		return fmt.Errorf("node: loading the region's reports: %w", err)
	}
	n.accounts = auth.New(auth.Config{Region: n.cfg.Region, Users: n.dir.Store(), Sessions: n.dir.Store(),
		Hasher: n.cfg.Hasher, Fallback: httpx.NewTokenAuthenticator(token, n.cfg.Region), Logger: n.log, Now: n.cfg.Now})
	n.contacts = contacts.New(contacts.Config{Store: n.dir.Store(), Retention: n.cfg.ContactRetention,
		OnReport: n.reportWritten, OnOutbox: n.outboxWritten, Logger: n.log, Now: n.cfg.Now})
	if err := n.openQueue(); err != nil {
		n.closeReplication()
		n.dir.Close()
		return err
	}
	if err := n.openGateway(ctx); err != nil {
		n.queue.Close()
		n.closeReplication()
		n.dir.Close()
		return err
	}
	if err := n.startHTTP(ctx, token); err != nil {
		n.gateway.Close()
		n.queue.Close()
		n.closeReplication()
		n.dir.Close()
		return err
	}
	n.contacts.Start()
	bg, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.wg.Add(1)
	go n.saveIndexEvery(bg, n.cfg.IndexSaveInterval)
	n.log.Info("node started", "http", n.URL(), "data", n.cfg.DataDir, "docs", n.dir.IndexLen())
	return nil
}

// saveIndexEvery saves the search index when it has changed, until ctx ends.
func (n *Node) saveIndexEvery(ctx context.Context, every time.Duration) {
	defer n.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n.dir.IndexStale() {
				if err := n.dir.SaveIndex(); err != nil {
					n.log.Error("saving the search index", "err", err)
				}
			}
		}
	}
}

// Close stops serving (letting requests in flight finish), saves the index
// and closes the store. It is safe to call more than once and on a node
// whose Start failed.
func (n *Node) Close() error {
	n.once.Do(func() {
		var errs []error
		if n.http != nil {
			errs = append(errs, n.http.Close())
		}
		if n.cancel != nil {
			n.cancel()
			n.wg.Wait()
		}
		if n.contacts != nil {
			errs = append(errs, n.contacts.Close())
		}
		if n.gateway != nil {
			errs = append(errs, n.gateway.Close())
		}
		if n.queue != nil {
			errs = append(errs, n.queue.Close())
		}
		if n.dir != nil {
			errs = append(errs, n.closeReplication())
			errs = append(errs, n.dir.Close())
		}
		n.err = errors.Join(errs...)
	})
	return n.err
}

// reportWritten passes a report record just written to the node's
// report cube, if any.
func (n *Node) reportWritten(r *o211.Report) {
	if err := n.reports.Add(r); err != nil {
		n.log.Error("a report record was not added to the region's reports", "id", r.ID, "err", err)
	}
	if n.onReport != nil {
		n.onReport(r)
	}
}

// outboxWritten tells the pusher, when linked, that the outbox has a new
// entry.
func (n *Node) outboxWritten(seq uint64) {
	if f := n.dir.onWrite.Load(); f != nil {
		(*f)(seq)
	}
}

// Accounts returns the node's accounts service: sign-in, sessions,
// personal tokens and the region's users.
func (n *Node) Accounts() *auth.Service { return n.accounts }

// Contacts returns the node's contact service.
func (n *Node) Contacts() *contacts.Service { return n.contacts }

// URL returns the base URL of the node's HTTP API.
func (n *Node) URL() string { return n.http.URL() }

// Region returns the region the node serves.
func (n *Node) Region() string { return n.cfg.Region }

// Directory returns the node's directory.
func (n *Node) Directory() *Directory { return n.dir }

// loadToken returns the given token, or the one saved in dir, creating it
// on first use.
func loadToken(dir, given string) (string, error) {
	if given != "" {
		return given, nil
	}
	path := filepath.Join(dir, "token")
	if b, err := os.ReadFile(path); err == nil {
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("node: read API token: %w", err)
	}
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	t := hex.EncodeToString(buf)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("node: %w", err)
	}
	if err := os.WriteFile(path, []byte(t+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("node: save API token: %w", err)
	}
	return t, nil
}
