package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/queue"
)

// Queue is what the gateway needs of the region's queue.
type Queue interface {
	Enqueue(ctx context.Context, it queue.Item) (queue.Item, error)
	Abandon(ctx context.Context, id, reason string) error
	AbandonIfWaiting(ctx context.Context, id, reason string) error
	Waiting(ctx context.Context, id string) (queue.Item, bool)
	// Snapshot and Mine tell whether a navigator still has an item.
	Snapshot() queue.Snapshot
	Mine(nav string) []queue.Item
}

var _ Queue = (*queue.Queue)(nil)

// Config configures a Gateway.
type Config struct {
	// Region is the node's region (required).
	Region string
	// Queue is the region's queue (required).
	Queue Queue
	// Path is the gateway's bbolt file (required; DataDir/gateway.db).
	Path string
	// Provider carries the voice and text channels; nil turns them off
	// (their webhooks answer 503).
	Provider Provider
	// Number is the centre's phone number (E.164) that texts are sent from.
	Number string
	// PublicURL is the base URL the provider calls (https://211.example);
	// the signature covers it. Empty: the request's own scheme and host.
	PublicURL string
	// Peers are the public base URLs of the other regions' nodes: a call
	// whose postal code another region serves is redirected there.
	Peers map[string]string
	// PeerSecret authenticates hand-offs between the peers (the same on
	// every node); without it texts, chats and e-mails of other regions
	// are answered here.
	PeerSecret string
	// Router decides a contact's region (its Default defaults to Region).
	Router Router
	// Retention is how long a conversation is kept after its last message
	// (default two years; negative keeps them).
	Retention time.Duration
	// ReplayWindow is how long a webhook is remembered to refuse its
	// replay (default 24 h).
	ReplayWindow time.Duration
	// PerNumber limits the webhooks of one phone number or sender (default
	// 20 a minute, bursts of 10).
	PerNumber Rate
	// Chat limits the chat (see ChatLimits).
	Chat ChatLimits
	// SMTP configures the e-mail channel; an empty Addr turns it off.
	SMTP SMTPConfig
	// Audit, when set, records each read of a transcript and each reply
	// in the region's audit log (the node's store); a transcript is not
	// served when its read cannot be recorded.
	Audit Auditor
	// NoSync skips fsync: tests and benchmarks only.
	NoSync bool
	Logger *slog.Logger
	Now    func() time.Time
}

// Auditor is the audit log of reads of personal information.
type Auditor interface {
	AppendAudit(ctx context.Context, entries ...o211.AuditEntry) error
}

// Rate is a token bucket: Per events a minute, bursts of Burst.
type Rate struct {
	PerMinute float64
	Burst     int
}

// Gateway is the channel gateway of a node. It is safe for concurrent
// use.
type Gateway struct {
	cfg    Config
	log    *slog.Logger
	store  *Store
	replay *ReplayGuard
	limits *limiter
	chat   *chatHub
	smtp   *smtpServer
	// transfers are the warm transfers in progress; lastBase the scheme
	// and host of the last signed webhook.
	transfers transfers
	lastBase  atomic.Pointer[string]
	// peerClient sends hand-offs to peer nodes.
	peerClient *http.Client

	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// New returns a gateway for cfg with defaults filled in. It does no I/O.
func New(cfg Config) *Gateway {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Retention == 0 {
		cfg.Retention = 2 * 365 * 24 * time.Hour
	}
	if cfg.ReplayWindow <= 0 {
		cfg.ReplayWindow = 24 * time.Hour
	}
	if cfg.PerNumber.PerMinute <= 0 {
		cfg.PerNumber = Rate{PerMinute: 20, Burst: 10}
	}
	if cfg.Router.Default == "" {
		cfg.Router.Default = cfg.Region
	}
	cfg.Chat.fill()
	cfg.SMTP.fill()
	log := cfg.Logger.With("component", "gateway")
	return &Gateway{cfg: cfg, log: log, replay: NewReplayGuard(cfg.ReplayWindow, 1<<20),
		limits: newLimiter(cfg.PerNumber, cfg.Now), chat: newChatHub(),
		peerClient: &http.Client{Timeout: 10 * time.Second}}
}

// Start opens the gateway's file, starts the SMTP listener when one is
// configured and the retention purge. It returns open and bind errors.
func (g *Gateway) Start(ctx context.Context) error {
	if g.cfg.Queue == nil || g.cfg.Path == "" || g.cfg.Region == "" {
		return errors.New("gateway: a region, a queue and a path are required")
	}
	s, err := OpenStore(g.cfg.Path, g.cfg.NoSync, g.cfg.Now)
	if err != nil {
		return err
	}
	g.store = s
	if g.cfg.SMTP.Addr != "" {
		if g.smtp, err = g.startSMTP(ctx); err != nil {
			s.Close()
			return err
		}
	}
	bg, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	if g.cfg.Retention > 0 {
		g.wg.Add(1)
		go g.purgeEvery(bg, time.Hour)
	}
	return nil
}

// Close stops the SMTP listener, closes the chats and the file. It is
// safe to call more than once and on a gateway whose Start failed.
func (g *Gateway) Close() error {
	var errs []error
	g.once.Do(func() {
		if g.smtp != nil {
			errs = append(errs, g.smtp.Close())
		}
		g.chat.closeAll()
		if g.cancel != nil {
			g.cancel()
		}
		g.wg.Wait()
		if g.store != nil {
			errs = append(errs, g.store.Close())
		}
	})
	return errors.Join(errs...)
}

// Store returns the gateway's conversation store.
func (g *Gateway) Store() *Store { return g.store }

// SMTPAddr returns the SMTP listener's address, or "" when it has none.
func (g *Gateway) SMTPAddr() string {
	if g.smtp == nil {
		return ""
	}
	return g.smtp.ln.Addr().String()
}

// purgeEvery deletes the conversations inactive for the retention period.
func (g *Gateway) purgeEvery(ctx context.Context, every time.Duration) {
	defer g.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := g.Purge()
		if err != nil {
			g.log.Error("gateway: purging old conversations", "err", err)
		} else if n > 0 {
			g.log.Info("gateway: conversations deleted under the retention policy", "conversations", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Purge deletes the conversations inactive for longer than the retention
// period and returns how many.
func (g *Gateway) Purge() (int, error) {
	if g.cfg.Retention < 0 {
		return 0, nil
	}
	total := 0
	for {
		n, err := g.store.Purge(g.cfg.Now().Add(-g.cfg.Retention), 500)
		total += n
		if err != nil || n < 500 {
			return total, err
		}
	}
}

// route decides a contact's region from what the person gave, for a
// contact answered here (see here).
func (g *Gateway) route(postal, phone string) Route {
	return g.here(g.cfg.Router.Route(postal, phone))
}

// here is the route of a contact answered in this node's region: one that
// another region serves (no peer took it: none is configured, or it could
// not be reached) keeps why in RoutedBy.
func (g *Gateway) here(r Route) Route {
	if r.Region != g.cfg.Region {
		r.RoutedBy = fmt.Sprintf("%s (served by %s; answered here)", r.RoutedBy, r.Region)
		r.Region = g.cfg.Region
	}
	return r
}

// fullURL is the URL the provider called: PublicURL, else the request's
// scheme (X-Forwarded-Proto behind a proxy) and host, with path and query.
func (g *Gateway) fullURL(r *http.Request) string {
	if g.cfg.PublicURL != "" {
		return strings.TrimRight(g.cfg.PublicURL, "/") + r.URL.RequestURI()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

// clip returns at most n bytes of s, at a rune boundary, for logs and
// errors that must not echo what was sent.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// actorOf is the navigator of a request.
func actorOf(ctx context.Context) string {
	a, _ := o211.ActorFrom(ctx)
	return a.ID
}

// hostOf returns the host of an address, for the e-mail's domain.
func hostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}
