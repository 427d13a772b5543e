package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/o211/o211/cmd/o211/internal/gen"
	"github.com/o211/o211/node"
	"github.com/o211/o211/node/gateway/twiliotest"
	"github.com/o211/o211/node/geo"
	"github.com/o211/o211/node/importer"
	"github.com/o211/o211/node/store"
	"github.com/o211/o211/replication/pki"
)

// demoManifest is what demo.json holds (DESIGN.md fixes its fields).
type demoManifest struct {
	Hubs  []demoHub  `json:"hubs"`
	Nodes []demoNode `json:"nodes"`
	Users []demoUser `json:"users"`
	Token string     `json:"token"`
}

type demoHub struct {
	ID   string `json:"id"`
	HTTP string `json:"http"`
}

type demoNode struct {
	Region  string      `json:"region"`
	HTTP    string      `json:"http"`
	Gateway demoGateway `json:"gateway"`
}

// demoGateway is how to reach a demo node's channels: the auth token that
// signs its Twilio webhooks, its SMTP listener, and the demo's Twilio
// stand-in (account, REST API, the centre's number).
type demoGateway struct {
	TwilioAuthToken  string `json:"twilio_auth_token"`
	SMTP             string `json:"smtp"`
	Mailbox          string `json:"mailbox"`
	TwilioAccountSID string `json:"twilio_account_sid"`
	TwilioAPI        string `json:"twilio_api"`
	Number           string `json:"number"`
}

type demoConfig struct {
	data     string
	services int
	seed     int64
	host     string
	portBase int
	// contactsPerDay is the province's contacts a day loaded on first
	// start (0: none).
	contactsPerDay int
	logger         *slog.Logger
	// twilio is the demo's stand-in for Twilio's REST API: the province
	// has one account and number, as Ontario has one 211 number.
	twilio *twiliotest.Server
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("demo", "demo [--data DIR] [--services N]", stderr)
	var cfg demoConfig
	fs.StringVar(&cfg.data, "data", "o211-demo", "data folder of the whole demo province")
	fs.IntVar(&cfg.services, "services", 12000, "services generated for the province on first start")
	fs.Int64Var(&cfg.seed, "seed", 1, "random seed of the generated data")
	fs.StringVar(&cfg.host, "host", "127.0.0.1", "address to serve on")
	fs.IntVar(&cfg.portBase, "port-base", 8210, "nodes listen on port-base+1.. (0: any free port)")
	fs.IntVar(&cfg.contactsPerDay, "contacts-per-day", 400, "contacts a day in the province over the last 8 weeks, loaded on first start (0: none)")
	logFormat := fs.String("log", "text", "log format: text or json")
	if err := parse(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(*logFormat, stderr)
	if err != nil {
		return err
	}
	cfg.logger = logger
	return demo(ctx, cfg, stdout)
}

// demo loads the province on first start, starts every node and waits for
// ctx to end.
func demo(ctx context.Context, cfg demoConfig, stdout io.Writer) error {
	if err := os.MkdirAll(cfg.data, 0o755); err != nil {
		return err
	}
	token, err := demoToken(cfg.data)
	if err != nil {
		return err
	}
	if err := ensureDemoPKI(cfg, stdout); err != nil {
		return err
	}
	if cfg.twilio, err = twiliotest.NewServer(twiliotest.Config{Numbers: []string{demoNumber}}); err != nil {
		return err
	}
	defer cfg.twilio.Close()
	manifest := demoManifest{Hubs: []demoHub{}, Token: token}
	hubs, err := startDemoHubs(ctx, cfg, token)
	defer hubs.close()
	if err != nil {
		return err
	}
	for _, r := range hubs.replicas {
		manifest.Hubs = append(manifest.Hubs, demoHub{ID: r.ID(), HTTP: "http://" + r.HTTPAddr()})
	}
	if err := hubs.registerRegions(ctx); err != nil {
		return err
	}
	known, err := readDemoUsers(cfg)
	if err != nil {
		return err
	}
	if manifest.Users, err = ensureDemoUsers(ctx, hubs.replicas[0].Accounts(), known); err != nil {
		return fmt.Errorf("adding the hub's demo users: %w", err)
	}
	nodes, err := startDemoNodes(ctx, cfg, token, hubs, known, &manifest, stdout)
	defer func() {
		for i := len(nodes) - 1; i >= 0; i-- {
			nodes[i].Close()
		}
	}()
	if err != nil {
		return err
	}
	if err := writeDemoUsers(cfg, manifest.Users); err != nil {
		return err
	}
	if err := writeJSONFile(filepath.Join(cfg.data, "demo.json"), manifest); err != nil {
		return err
	}
	printDemo(stdout, cfg, manifest)
	loaders := loadDemoContacts(ctx, cfg, nodes)
	defer loaders.Wait()
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping the demo province")
	return nil
}

// startDemoNodes loads and starts the node of every region, linked to the
// hubs, and adds them and their demo users to the manifest. It returns the
// nodes it started, also on error (the caller closes them).
func startDemoNodes(ctx context.Context, cfg demoConfig, token string, hubs *demoHubs, known map[string]demoUser,
	manifest *demoManifest, stdout io.Writer) ([]*node.Node, error) {
	var nodes []*node.Node
	for i, r := range geo.Regions() {
		dataDir := filepath.Join(cfg.data, "nodes", r.ID)
		if err := seedRegion(ctx, cfg, r.ID, dataDir, stdout); err != nil {
			return nodes, fmt.Errorf("loading %s: %w", r.ID, err)
		}
		users, err := ensureNodeDemoUsers(ctx, r.ID, dataDir, known)
		if err != nil {
			return nodes, fmt.Errorf("adding the demo users of %s: %w", r.ID, err)
		}
		manifest.Users = append(manifest.Users, users...)
		tlsc, creds, err := pki.NodeFiles(demoPKI(cfg), r.ID)
		if err != nil {
			return nodes, err
		}
		gw := demoGatewayConfig(cfg, r.ID)
		n := node.New(node.Config{Region: r.ID, DataDir: dataDir, HTTPAddr: demoAddr(cfg, i+1), Token: token, Logger: cfg.logger,
			Replication: &node.ReplicationConfig{HubURLs: hubs.leafAddrs(), TLS: tlsc, Creds: creds, Compression: "off"}, Gateway: gw})
		if err := n.Start(ctx); err != nil {
			n.Close()
			return nodes, fmt.Errorf("starting node %s: %w", r.ID, err)
		}
		nodes = append(nodes, n)
		manifest.Nodes = append(manifest.Nodes, demoNode{Region: r.ID, HTTP: n.URL(), Gateway: demoGateway{
			TwilioAuthToken: gw.TwilioAuthToken, SMTP: n.Gateway().SMTPAddr(), Mailbox: gw.SMTPMailbox,
			TwilioAccountSID: gw.TwilioAccountSID, TwilioAPI: gw.TwilioAPI, Number: gw.Number}})
	}
	return nodes, nil
}

// loadDemoContacts loads generated contacts into every node in the
// background; the caller waits for the loaders once ctx has ended.
func loadDemoContacts(ctx context.Context, cfg demoConfig, nodes []*node.Node) *sync.WaitGroup {
	var loaders sync.WaitGroup
	for _, n := range nodes {
		loaders.Add(1)
		go func() {
			defer loaders.Done()
			start := time.Now()
			if err := seedContacts(ctx, cfg, n); err != nil {
				cfg.logger.Error("demo: loading generated contacts failed", "region", n.Region(), "err", err)
			} else if ctx.Err() == nil {
				cfg.logger.Info("demo: generated contacts loaded", "region", n.Region(), "contacts", n.Reports().Contacts(),
					"took", time.Since(start).Round(time.Millisecond))
			}
		}()
	}
	return &loaders
}

// demoNumber is the demo province's 211 number (a fictional toll-free one).
const demoNumber = "+18005550211"

// demoGatewayConfig is a demo node's channels: the Twilio stand-in's
// account, and an SMTP listener on any free port.
func demoGatewayConfig(cfg demoConfig, region string) node.GatewayConfig {
	return node.GatewayConfig{TwilioAccountSID: cfg.twilio.AccountSID(), TwilioAuthToken: cfg.twilio.AuthToken(),
		TwilioAPI: cfg.twilio.URL(), Number: demoNumber, SMTPAddr: net.JoinHostPort(cfg.host, "0"),
		SMTPMailbox: "help@" + region + ".211.example"}
}

// demoPKI is the demo's PKI folder.
func demoPKI(cfg demoConfig) string { return filepath.Join(cfg.data, "pki") }

// ensureDemoPKI creates, on first start, the certificates and NATS
// credentials of the demo's three hub replicas and six regions.
func ensureDemoPKI(cfg demoConfig, stdout io.Writer) error {
	opts := pki.Options{Dir: demoPKI(cfg)}
	var hosts []string
	if ip := net.ParseIP(cfg.host); cfg.host != "" && (ip == nil || !ip.IsLoopback() && !ip.IsUnspecified()) {
		hosts = append(hosts, cfg.host)
	}
	for _, id := range []string{"h1", "h2", "h3"} {
		opts.Hubs = append(opts.Hubs, pki.Site{ID: id, Hosts: hosts})
	}
	for _, r := range geo.Regions() {
		opts.Regions = append(opts.Regions, pki.Site{ID: r.ID, Hosts: hosts})
	}
	created, err := pki.Ensure(opts)
	if err != nil {
		return fmt.Errorf("creating the demo's certificates and credentials: %w", err)
	}
	if len(created) > 0 {
		fmt.Fprintf(stdout, "created the demo's certificates and NATS credentials in %s\n", demoPKI(cfg))
	}
	return nil
}

func demoAddr(cfg demoConfig, offset int) string {
	if cfg.portBase == 0 {
		return net.JoinHostPort(cfg.host, "0")
	}
	return net.JoinHostPort(cfg.host, strconv.Itoa(cfg.portBase+offset))
}

// seedRegion generates and imports the region's share of the province when
// its data folder has no store yet.
func seedRegion(ctx context.Context, cfg demoConfig, region, dataDir string, stdout io.Writer) error {
	if _, err := os.Stat(filepath.Join(dataDir, "node.db")); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	start := time.Now()
	pkg := filepath.Join(cfg.data, "generated", region)
	if _, err := gen.WriteDatapackage(pkg, gen.Options{Services: cfg.services, Seed: cfg.seed, Region: region}); err != nil {
		return err
	}
	// The store alone: the node builds its search index when it starts.
	dir, err := store.Open(filepath.Join(dataDir, "node.db"), store.Options{Region: region, Logger: cfg.logger})
	if err != nil {
		return err
	}
	rep, err := importer.Import(ctx, importer.Store(dir), "hsds-csv", pkg, importer.Options{Region: region, TempDir: dataDir})
	if err != nil {
		dir.Close()
		os.Remove(filepath.Join(dataDir, "node.db"))
		return err
	}
	if err := dir.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loaded %-13s %6d records in %s\n", region, rep.Created, time.Since(start).Round(time.Millisecond))
	return nil
}

func demoToken(dir string) (string, error) {
	path := filepath.Join(dir, "token")
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
		return string(trimNewline(b)), nil
	}
	tok, err := randomToken()
	if err != nil {
		return "", err
	}
	return tok, os.WriteFile(path, []byte(tok+"\n"), 0o600)
}

func printDemo(w io.Writer, cfg demoConfig, m demoManifest) {
	fmt.Fprintln(w, "\nThe o211 demo province is running. Public portal and console:")
	for _, h := range m.Hubs[:min(1, len(m.Hubs))] {
		fmt.Fprintf(w, "  %-14s %s/   console: %s/console/\n", "province", h.HTTP, h.HTTP)
	}
	for _, n := range m.Nodes {
		fmt.Fprintf(w, "  %-14s %s/   console: %s/console/\n", n.Region, n.HTTP, n.HTTP)
	}
	if len(m.Users) > 0 {
		u := m.Users[0]
		for _, c := range m.Users {
			if c.Role == "navigator" && c.Region != "hub" {
				u = c
				break
			}
		}
		fmt.Fprintf(w, "Sign in as %s / %s (%s of %s); every user and password is in demo.json.\n", u.Username, u.Password, u.Role, u.Region)
	}
	fmt.Fprintln(w, "\nProvincial hub replicas:")
	for _, h := range m.Hubs {
		fmt.Fprintf(w, "  %-14s %s   (cluster: %s/api/v1/cluster)\n", h.ID, h.HTTP, h.HTTP)
	}
	fmt.Fprintln(w, "Regional nodes:")
	for _, n := range m.Nodes {
		fmt.Fprintf(w, "  %-14s %s   (search: %s/api/v1/search?q=food+bank&near=K1N)\n", n.Region, n.HTTP, n.HTTP)
	}
	if len(m.Hubs) > 0 {
		fmt.Fprintf(w, "Provincial reports (generated contacts load in the background on first start):\n  %s/api/v1/reports/needs?by=region,category\n  %s/api/v1/reports/emerging\n",
			m.Hubs[0].HTTP, m.Hubs[0].HTTP)
	}
	fmt.Fprintf(w, "\nAPI token for the write APIs: %s\nURLs saved in %s. Press Ctrl-C to stop.\n",
		m.Token, filepath.Join(cfg.data, "demo.json"))
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
