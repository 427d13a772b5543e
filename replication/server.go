package replication

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// TLS holds the TLS settings of a site's embedded server. pki builds them
// from certificate files.
type TLS struct {
	// Server is presented by the hub's leaf and client listeners; it must
	// require and verify client certificates.
	Server *tls.Config
	// Cluster secures the routes between hub replicas, both ways.
	Cluster *tls.Config
	// Client is presented by a node's leaf connection to the hub.
	Client *tls.Config
}

// Trust is what a hub's embedded server needs to check credentials:
// the operator's JWT and the JWTs of its accounts (JWT authentication,
// see package pki).
type Trust struct {
	Operator string `json:"operator"`
	// SystemAccount is the public key of the servers' own account.
	SystemAccount string `json:"system_account"`
	// Account is the public key of the account that hubs and regions use.
	Account string `json:"account"`
	// Accounts maps account public keys to their JWTs.
	Accounts map[string]string `json:"accounts"`
}

// ServerConfig configures an embedded NATS server: a hub replica's (a
// member of the hub cluster, with a leaf listener) or a node's (a leaf of
// the hub, with no listener of its own: its clients are in process).
type ServerConfig struct {
	// Name is the server's name, unique in the province ("hub-h1",
	// "node-east").
	Name string

	// ClusterAddr is the hub's route listen address (":0" picks a port);
	// Routes the route addresses (host:port) of the other replicas.
	ClusterAddr string
	Routes      []string
	// LeafAddr is the hub's leaf listen address.
	LeafAddr string
	// ClientAddr is the hub's client listener (for operators' tools; every
	// client needs credentials and, with TLS, a certificate). A hub always
	// has one: nats-server starts routing only after it; when empty it is
	// on loopback at a free port.
	ClientAddr string
	// Trust turns on JWT authentication (hubs). Nil accepts anyone: tests
	// only.
	Trust *Trust

	// HubURLs are the leaf addresses (host:port) of the hub replicas a
	// node connects to, one at a time, moving to another when the link
	// drops.
	HubURLs []string

	// Creds is the credentials file of this site: a node's leaf
	// connection, or a hub's own in-process connections.
	Creds string
	// TLS secures every link; nil means plain TCP (tests only).
	TLS *TLS

	// Compression of the links between sites (routes and leaf
	// connections): "s2_fast" by default, which shrinks the JSON of batches
	// and pages several times for little CPU; "off" for sites on one
	// machine (the demo, tests). nats-server's own default adapts the
	// level to the round-trip time and reaches "best" on a loaded machine,
	// which costs more CPU than the link saves.
	Compression string
	// MaxPayload bounds a message (default DefaultMaxPayload).
	MaxPayload int32
	// LeafReconnect is the wait between a node's attempts to reach a hub
	// (default 1 s).
	LeafReconnect time.Duration
	Logger        *slog.Logger
}

// DefaultMaxPayload is the largest message the embedded servers accept.
// Batches and pages are cut well below it.
const DefaultMaxPayload = 8 << 20

// clusterName names the hub replicas' NATS cluster.
const clusterName = "o211-hub"

// Server is an embedded nats-server. Its clients connect in process.
type Server struct {
	cfg  ServerConfig
	opts *server.Options
	ns   *server.Server

	mu     sync.Mutex
	closed bool
}

// StartServer starts an embedded server and waits until it accepts
// connections. It returns configuration and listen errors at once.
func StartServer(cfg ServerConfig) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxPayload == 0 {
		cfg.MaxPayload = DefaultMaxPayload
	}
	if cfg.LeafReconnect == 0 {
		cfg.LeafReconnect = time.Second
	}
	if cfg.Compression == "" {
		cfg.Compression = server.CompressionS2Fast
	}
	if cfg.Creds != "" {
		// Checked now: nats-server would only log it at every attempt.
		b, err := os.ReadFile(cfg.Creds)
		if err != nil {
			return nil, fmt.Errorf("replication: credentials: %w", err)
		}
		if _, err := jwt.ParseDecoratedJWT(b); err != nil {
			return nil, fmt.Errorf("replication: %s is not a NATS credentials file: %w", cfg.Creds, err)
		}
		if _, err := jwt.ParseDecoratedUserNKey(b); err != nil {
			return nil, fmt.Errorf("replication: %s holds no user key: %w", cfg.Creds, err)
		}
	}
	opts, err := cfg.options()
	if err != nil {
		return nil, err
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("replication: nats server %s: %w", cfg.Name, err)
	}
	ns.SetLoggerV2(&natsLogger{log: cfg.Logger.With("nats", cfg.Name)}, false, false, false)
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("replication: nats server %s did not start listening (is an address in use?)", cfg.Name)
	}
	return &Server{cfg: cfg, opts: opts, ns: ns}, nil
}

// options translates the configuration into nats-server options.
func (cfg *ServerConfig) options() (*server.Options, error) {
	clientAddr := cfg.ClientAddr
	if clientAddr == "" && cfg.ClusterAddr != "" {
		// nats-server starts its routes only once its client listener is
		// open: a hub always has one, on loopback unless configured.
		clientAddr = "127.0.0.1:0"
	}
	opts := &server.Options{
		ServerName:            cfg.Name,
		DontListen:            clientAddr == "",
		NoSigs:                true,
		NoSystemAccount:       cfg.Trust == nil,
		MaxPayload:            cfg.MaxPayload,
		ReconnectErrorReports: 30,
		PingInterval:          2 * time.Second,
		MaxPingsOut:           3,
		WriteDeadline:         5 * time.Second,
	}
	if clientAddr != "" {
		h, p, err := splitAddr(clientAddr)
		if err != nil {
			return nil, err
		}
		opts.Host, opts.Port = h, p
		if cfg.TLS != nil {
			opts.TLSConfig, opts.TLSVerify, opts.TLSTimeout = cfg.TLS.Server, true, 5
		}
	}
	if err := cfg.clusterOptions(opts); err != nil {
		return nil, err
	}
	if err := cfg.leafOptions(opts); err != nil {
		return nil, err
	}
	if err := cfg.trustOptions(opts); err != nil {
		return nil, err
	}
	return opts, nil
}

// clusterOptions sets the route listener and the routes to the other
// replicas of a hub.
func (cfg *ServerConfig) clusterOptions(opts *server.Options) error {
	if cfg.ClusterAddr == "" {
		return nil
	}
	h, p, err := splitAddr(cfg.ClusterAddr)
	if err != nil {
		return err
	}
	opts.Cluster = server.ClusterOpts{Name: clusterName, Host: h, Port: p, NoAdvertise: true,
		Compression: server.CompressionOpts{Mode: cfg.Compression}}
	if cfg.TLS != nil {
		opts.Cluster.TLSConfig, opts.Cluster.TLSTimeout = cfg.TLS.Cluster, 5
	}
	for _, r := range cfg.Routes {
		if _, _, err := splitAddr(r); err != nil {
			return err
		}
		opts.Routes = append(opts.Routes, &url.URL{Scheme: "nats-route", Host: r})
	}
	return nil
}

// leafOptions sets a hub's leaf listener and a node's links to the hub.
func (cfg *ServerConfig) leafOptions(opts *server.Options) error {
	if cfg.LeafAddr != "" {
		h, p, err := splitAddr(cfg.LeafAddr)
		if err != nil {
			return err
		}
		opts.LeafNode.Host, opts.LeafNode.Port, opts.LeafNode.NoAdvertise = h, p, true
		opts.LeafNode.Compression = server.CompressionOpts{Mode: cfg.Compression}
		if cfg.TLS != nil {
			opts.LeafNode.TLSConfig, opts.LeafNode.TLSTimeout = cfg.TLS.Server, 5
		}
	}
	if len(cfg.HubURLs) == 0 {
		return nil
	}
	remote := &server.RemoteLeafOpts{Credentials: cfg.Creds, Compression: server.CompressionOpts{Mode: cfg.Compression}}
	for _, u := range cfg.HubURLs {
		if _, _, err := splitAddr(u); err != nil {
			return err
		}
		remote.URLs = append(remote.URLs, &url.URL{Scheme: "nats-leaf", Host: u})
	}
	if cfg.TLS != nil {
		remote.TLS, remote.TLSConfig, remote.TLSTimeout = true, cfg.TLS.Client.Clone(), 5
	}
	opts.LeafNode.Remotes = []*server.RemoteLeafOpts{remote}
	opts.LeafNode.ReconnectInterval = cfg.LeafReconnect
	return nil
}

// trustOptions sets the operator and the accounts of a hub that checks
// the regions' credentials.
func (cfg *ServerConfig) trustOptions(opts *server.Options) error {
	t := cfg.Trust
	if t == nil {
		return nil
	}
	op, err := jwt.DecodeOperatorClaims(t.Operator)
	if err != nil {
		return fmt.Errorf("replication: operator JWT: %w", err)
	}
	res := &server.MemAccResolver{}
	for pub, a := range t.Accounts {
		if err := res.Store(pub, a); err != nil {
			return err
		}
	}
	opts.TrustedOperators, opts.SystemAccount, opts.AccountResolver = []*jwt.OperatorClaims{op}, t.SystemAccount, res
	return nil
}

// splitAddr splits host:port, taking port 0 as "any free port".
func splitAddr(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("replication: %q is not host:port", addr)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("replication: %q has no valid port", addr)
	}
	if port == 0 {
		port = -1 // nats-server's "random port"
	}
	if h == "" {
		h = "0.0.0.0"
	}
	return h, port, nil
}

// Connect opens a connection to the server in process, with the site's
// credentials when it has any. Extra options come after the defaults.
func (s *Server) Connect(name string, extra ...nats.Option) (*nats.Conn, error) {
	o := []nats.Option{nats.Name(name), nats.InProcessServer(s.ns), nats.MaxReconnects(-1),
		nats.ReconnectWait(100 * time.Millisecond)}
	if s.cfg.Trust != nil && s.cfg.Creds != "" {
		o = append(o, nats.UserCredentials(s.cfg.Creds))
	}
	nc, err := nats.Connect("", append(o, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("replication: connect to %s: %w", s.cfg.Name, err)
	}
	return nc, nil
}

// ClusterAddr returns the route listener's address ("" without one).
func (s *Server) ClusterAddr() string {
	if a := s.ns.ClusterAddr(); a != nil {
		return advertisable(a.String())
	}
	return ""
}

// LeafAddr returns the leaf listener's address ("" without one).
func (s *Server) LeafAddr() string {
	if s.cfg.LeafAddr == "" {
		return ""
	}
	h := s.opts.LeafNode.Host
	return advertisable(net.JoinHostPort(h, strconv.Itoa(s.opts.LeafNode.Port)))
}

// ClientAddr returns the client listener's address ("" without one).
func (s *Server) ClientAddr() string {
	if a := s.ns.Addr(); a != nil {
		return advertisable(a.String())
	}
	return ""
}

// Routes returns the number of routes to other hub replicas.
func (s *Server) Routes() int { return s.ns.NumRoutes() }

// Leafs returns the number of leaf connections: a hub's nodes, or 1 when
// a node is linked to a hub.
func (s *Server) Leafs() int { return s.ns.NumLeafNodes() }

// Name returns the server's name.
func (s *Server) Name() string { return s.cfg.Name }

// Close shuts the server down, closing every connection. It is safe to
// call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

// advertisable replaces an unspecified host by 127.0.0.1.
func advertisable(addr string) string {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(h); h == "" || ip != nil && ip.IsUnspecified() {
		h = "127.0.0.1"
	}
	return net.JoinHostPort(h, p)
}

// natsLogger sends nats-server's log to slog: notices at debug level (the
// server is chatty at start), errors as warnings (they are mostly links
// going down, which replication rides out).
type natsLogger struct{ log *slog.Logger }

func (l *natsLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Errorf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	if strings.Contains(msg, "Permissions Violation") || strings.Contains(msg, "Authorization") {
		l.log.Error(msg)
		return
	}
	l.log.Warn(msg)
}
func (l *natsLogger) Debugf(format string, v ...any) {}
func (l *natsLogger) Tracef(format string, v ...any) {}
