package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/o211/o211/node"
)

// gatewayFlags are the node's channel flags: the Twilio account of the
// voice and text webhooks and the e-mail listener.
type gatewayFlags struct {
	accountSID, authToken, api, number, publicURL, peers, peerSecret, defaultRegion *string
	smtp, mailbox, relay                                                            *string
}

func addGatewayFlags(fs *flag.FlagSet) *gatewayFlags {
	return &gatewayFlags{
		accountSID:    fs.String("twilio-account-sid", "", "Twilio account SID (voice and text channels)"),
		authToken:     fs.String("twilio-auth-token", "", "Twilio auth token: signs the webhooks and authenticates the REST API; the voice and text webhooks answer 503 without it"),
		api:           fs.String("twilio-api", "", "Twilio REST API base URL (default https://api.twilio.com)"),
		number:        fs.String("twilio-number", "", "the centre's phone number texts are sent from (E.164, +1...)"),
		publicURL:     fs.String("public-url", "", "the node's base URL as Twilio calls it (https://...), when behind a proxy"),
		peers:         fs.String("gateway-peers", "", "other regions' nodes that take their callers, texts, chats and e-mails: region=https://url,..."),
		peerSecret:    fs.String("gateway-peer-secret", "", "secret shared by the peers that signs hand-offs of texts, chats and e-mails (default: the Twilio auth token)"),
		defaultRegion: fs.String("default-region", "", "region of contacts that give no usable postal or area code (default: this node's)"),
		smtp:          fs.String("smtp", "", "SMTP listen address of the e-mail channel (off when empty)"),
		mailbox:       fs.String("smtp-mailbox", "", "the one address the SMTP listener accepts mail for"),
		relay:         fs.String("smtp-relay", "", "SMTP relay (host:port) that e-mail replies are sent through"),
	}
}

// config returns the gateway configuration the flags give.
func (f *gatewayFlags) config() (node.GatewayConfig, error) {
	c := node.GatewayConfig{TwilioAccountSID: *f.accountSID, TwilioAuthToken: *f.authToken, TwilioAPI: *f.api,
		Number: *f.number, PublicURL: *f.publicURL, PeerSecret: *f.peerSecret, DefaultRegion: *f.defaultRegion,
		SMTPAddr: *f.smtp, SMTPMailbox: *f.mailbox, SMTPRelay: *f.relay}
	if c.SMTPAddr != "" && c.SMTPMailbox == "" {
		return c, fmt.Errorf("--smtp needs --smtp-mailbox, the address mail is accepted for")
	}
	if *f.peers != "" {
		c.Peers = map[string]string{}
		for _, p := range strings.Split(*f.peers, ",") {
			region, u, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || region == "" || !strings.HasPrefix(u, "http") {
				return c, fmt.Errorf("--gateway-peers %q: use region=https://url,...", p)
			}
			c.Peers[region] = u
		}
	}
	return c, nil
}
