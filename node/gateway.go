package node

import (
	"context"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/o211/o211"
	"github.com/o211/o211/node/gateway"
)

// GatewayConfig configures the node's channel gateway (node/gateway): the
// Twilio account of the voice and text channels, the SMTP listener of the
// e-mail channel. The web chat needs nothing.
type GatewayConfig struct {
	// TwilioAccountSID and TwilioAuthToken are the Twilio account's
	// credentials; without a token the voice and text webhooks answer 503.
	TwilioAccountSID string
	TwilioAuthToken  string
	// TwilioAPI is the REST API's base URL (default https://api.twilio.com).
	TwilioAPI string
	// Number is the centre's phone number (E.164) texts are sent from.
	Number string
	// PublicURL is the node's base URL as Twilio calls it (the signature
	// covers it); empty: the request's own scheme and host.
	PublicURL string
	// Peers are the public base URLs of other regions' nodes (region ->
	// URL): a call whose postal code one of them serves goes there, and a
	// text, chat or e-mail is handed to it.
	Peers map[string]string
	// PeerSecret authenticates the hand-offs between peers (the same on
	// every node; default: TwilioAuthToken, which the peers share).
	PeerSecret string
	// DefaultRegion receives contacts that gave no usable postal code or
	// area code (default: the node's region).
	DefaultRegion string
	// SMTPAddr is the e-mail listener's address ("" turns e-mail off);
	// SMTPMailbox the address it accepts; SMTPRelay the server replies go
	// through.
	SMTPAddr, SMTPMailbox, SMTPRelay string
}

// openGateway opens the channel gateway (DataDir/gateway.db) and makes it
// the queue's connector of every channel.
func (n *Node) openGateway(ctx context.Context) error {
	gc := n.cfg.Gateway
	cfg := gateway.Config{Region: n.cfg.Region, Queue: n.queue, Path: filepath.Join(n.cfg.DataDir, "gateway.db"),
		Number: gc.Number, PublicURL: gc.PublicURL, Peers: gc.Peers, PeerSecret: gc.PeerSecret, Router: gateway.Router{Default: gc.DefaultRegion},
		Retention: n.cfg.ContactRetention, NoSync: n.cfg.NoSync, Logger: n.log, Now: n.cfg.Now, Audit: n.dir.Store(),
		SMTP: gateway.SMTPConfig{Addr: gc.SMTPAddr, Mailbox: gc.SMTPMailbox, Relay: gc.SMTPRelay}}
	if cfg.PeerSecret == "" {
		cfg.PeerSecret = gc.TwilioAuthToken
	}
	if gc.TwilioAuthToken != "" {
		cfg.Provider = &gateway.Twilio{AccountSID: gc.TwilioAccountSID, AuthToken: gc.TwilioAuthToken, BaseURL: gc.TwilioAPI}
	}
	g := gateway.New(cfg)
	if err := g.Start(ctx); err != nil {
		return err
	}
	n.gateway = g
	for _, ch := range []o211.Channel{o211.ChannelPhone, o211.ChannelText, o211.ChannelChat, o211.ChannelEmail} {
		n.queue.SetConnector(ch, g)
	}
	return nil
}

// Gateway returns the node's channel gateway (nil before Start).
func (n *Node) Gateway() *gateway.Gateway { return n.gateway }

// gatewayCollectors are the gateway store's commit counters: each commit
// is two fsyncs, shared by the writes it carries (chat messages,
// conversation updates).
func (n *Node) gatewayCollectors() []prometheus.Collector {
	stat := func(commits bool) func() float64 {
		return func() float64 {
			if n.gateway == nil || n.gateway.Store() == nil {
				return 0
			}
			c, w := n.gateway.Store().CommitStats()
			if commits {
				return float64(c)
			}
			return float64(w)
		}
	}
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "o211_gateway_store_commits_total",
			Help: "Transactions committed by the gateway store's group commit (two fsyncs each)."}, stat(true)),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "o211_gateway_store_writes_total",
			Help: "Writes (messages, conversation updates) carried by those transactions."}, stat(false)),
	}
}
