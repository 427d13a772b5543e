package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/cmd/o211/internal/sim"
	"github.com/o211/o211/node/gateway/twiliotest"
)

// simDoors are the flags of one node's channels (--url mode).
type simDoors struct {
	twilio, sid, authToken, number, smtp, mailbox string
}

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("sim", "sim (--demo DIR | --url URL --region R --token T [channel flags]) [--navigators N] [--per-hour A] [--mix M] [--duration D] [--scale S]", stderr)
	var cfg sim.Config
	var demo, url, region, mix string
	var d simDoors
	fs.StringVar(&demo, "demo", "", "drive every node of the demo whose data folder is DIR (its demo.json names them, their channels and the token)")
	fs.StringVar(&url, "url", "", "drive this one running node")
	fs.StringVar(&region, "region", "", "the region of --url (with --demo: only this region)")
	fs.StringVar(&cfg.Token, "token", "", "the node's API token (the bootstrap token; the demo's is read from demo.json)")
	fs.StringVar(&d.twilio, "twilio", "", "with --url: the Twilio stand-in (o211's twiliotest) the node's --twilio-api names, whose phone network calls and texts go through")
	fs.StringVar(&d.sid, "twilio-account-sid", "", "with --twilio: the account's SID")
	fs.StringVar(&d.authToken, "twilio-auth-token", "", "with --twilio: the account's auth token")
	fs.StringVar(&d.number, "twilio-number", "", "with --twilio: the centre's number people call and text")
	fs.StringVar(&d.smtp, "smtp", "", "with --url: the node's SMTP listener (host:port)")
	fs.StringVar(&d.mailbox, "smtp-mailbox", "", "with --smtp: the centre's mailbox")
	fs.StringVar(&mix, "mix", "phone=0.55,chat=0.25,text=0.15,email=0.05", "share of contacts by channel (phone, text, chat, email, api: the queue API); a channel without a door goes to chat")
	fs.IntVar(&cfg.Navigators, "navigators", 6, "navigators a region (accounts sim-nav-01... are added when missing)")
	fs.IntVar(&cfg.FrenchEvery, "french-every", 3, "every Nth navigator also speaks French (0: none)")
	fs.Float64Var(&cfg.FrenchShare, "french", 0.15, "share of contacts in French")
	fs.Float64Var(&cfg.PerHour, "per-hour", 40, "mean contacts an hour a region over the day (the daily curve shapes it)")
	fs.Float64Var(&cfg.Surge, "surge", 1, "surge factor on the arrival rate (2: twice the contacts, as in an emergency)")
	fs.BoolVar(&cfg.Flat, "flat", false, "a constant arrival rate instead of the daily curve (and the Erlang-A model's figures beside)")
	fs.IntVar(&cfg.StartHour, "start-hour", 8, "hour of the day the simulation starts at")
	fs.DurationVar(&cfg.Handle, "handle", 6*time.Minute, "mean handle time (exponential)")
	fs.DurationVar(&cfg.Patience, "patience", 4*time.Minute, "mean patience of a caller or chatter before they leave (exponential; texts and e-mails wait)")
	fs.DurationVar(&cfg.Duration, "duration", 24*time.Hour, "simulated time during which contacts arrive")
	fs.Float64Var(&cfg.Scale, "scale", 240, "simulated time per real time (240: a day in 6 minutes)")
	fs.Float64Var(&cfg.WarmUp, "warm-up", 0.05, "share of the first contacts left out of the figures")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	fs.DurationVar(&cfg.Retry, "retry", 30*time.Second, "how long to retry a queue API request while a node cannot be reached")
	if err := parse(fs, args); err != nil {
		return err
	}
	var err error
	if cfg.Mix, err = parseMix(mix); err != nil {
		return err
	}
	if cfg.Targets, err = simTargets(demo, url, region, &cfg.Token, d); err != nil {
		return err
	}
	cfg.Log = stderr
	fmt.Fprintf(stderr, "o211 sim: %d region(s), %v simulated in about %v\n", len(cfg.Targets), cfg.Duration,
		time.Duration(float64(cfg.Duration)/cfg.Scale).Round(time.Second))
	res, err := sim.Run(ctx, cfg)
	sim.Print(stdout, cfg, res)
	return err
}

// parseMix reads "phone=0.5,chat=0.5".
func parseMix(s string) (map[string]float64, error) {
	mix := map[string]float64{}
	for _, part := range strings.Split(s, ",") {
		ch, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		f, err := strconv.ParseFloat(w, 64)
		if !ok || err != nil || f < 0 {
			return nil, o211.Errorf(o211.EINVALID, "--mix %q: use channel=share,... such as phone=0.6,chat=0.4", part)
		}
		mix[ch] = f
	}
	return mix, nil
}

// simTargets reads the nodes to drive from the demo's manifest or the
// flags.
func simTargets(demo, url, region string, token *string, d simDoors) ([]sim.Target, error) {
	if demo == "" {
		if url == "" || region == "" || *token == "" {
			return nil, o211.Errorf(o211.EINVALID, "give --demo DIR, or --url, --region and --token")
		}
		t := sim.Target{Region: region, URL: strings.TrimRight(url, "/"), Number: d.number, SMTP: d.smtp, Mailbox: d.mailbox}
		if d.twilio != "" {
			t.Phone = &twiliotest.Phone{URL: d.twilio, AccountSID: d.sid, AuthToken: d.authToken}
		}
		return []sim.Target{t}, nil
	}
	b, err := os.ReadFile(filepath.Join(demo, "demo.json"))
	if err != nil {
		return nil, fmt.Errorf("reading the demo's manifest (is the demo running with --data %s?): %w", demo, err)
	}
	var m demoManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(demo, "demo.json"), err)
	}
	if *token == "" {
		*token = m.Token
	}
	var ts []sim.Target
	for _, n := range m.Nodes {
		if region == "" || region == n.Region {
			g := n.Gateway
			t := sim.Target{Region: n.Region, URL: n.HTTP, Number: g.Number, SMTP: g.SMTP, Mailbox: g.Mailbox}
			if g.TwilioAPI != "" {
				t.Phone = &twiliotest.Phone{URL: g.TwilioAPI, AccountSID: g.TwilioAccountSID, AuthToken: g.TwilioAuthToken}
			}
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		return nil, o211.Errorf(o211.EINVALID, "the demo in %s has no node of region %q", demo, region)
	}
	return ts, nil
}
