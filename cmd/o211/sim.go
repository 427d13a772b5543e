package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/cmd/o211/internal/sim"
)

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("sim", "sim (--demo DIR | --url URL --region R --token T) [--navigators N] [--per-hour A] [--duration D] [--scale S]", stderr)
	var cfg sim.Config
	var demo, url, region string
	fs.StringVar(&demo, "demo", "", "drive every node of the demo whose data folder is DIR (its demo.json names them and the token)")
	fs.StringVar(&url, "url", "", "drive this one running node")
	fs.StringVar(&region, "region", "", "the region of --url")
	fs.StringVar(&cfg.Token, "token", "", "the node's API token (the bootstrap token; the demo's is read from demo.json)")
	fs.IntVar(&cfg.Navigators, "navigators", 6, "navigators a region (accounts sim-nav-01... are added when missing)")
	fs.IntVar(&cfg.FrenchEvery, "french-every", 3, "every Nth navigator also speaks French (0: none)")
	fs.Float64Var(&cfg.FrenchShare, "french", 0.15, "share of contacts in French")
	fs.Float64Var(&cfg.PerHour, "per-hour", 40, "mean calls an hour a region over the day (the daily curve shapes it)")
	fs.Float64Var(&cfg.Surge, "surge", 1, "surge factor on the arrival rate (2: twice the calls, as in an emergency)")
	fs.BoolVar(&cfg.Flat, "flat", false, "a constant arrival rate instead of the daily curve (and the Erlang-A model's figures beside)")
	fs.IntVar(&cfg.StartHour, "start-hour", 8, "hour of the day the simulation starts at")
	fs.DurationVar(&cfg.Handle, "handle", 6*time.Minute, "mean handle time (exponential)")
	fs.DurationVar(&cfg.Patience, "patience", 4*time.Minute, "mean patience of a caller before hanging up (exponential)")
	fs.DurationVar(&cfg.Duration, "duration", 24*time.Hour, "simulated time during which calls arrive")
	fs.Float64Var(&cfg.Scale, "scale", 240, "simulated time per real time (240: a day in 6 minutes)")
	fs.Float64Var(&cfg.WarmUp, "warm-up", 0.05, "share of the first calls left out of the figures")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	fs.DurationVar(&cfg.Retry, "retry", 30*time.Second, "how long to retry a request while a node cannot be reached")
	if err := parse(fs, args); err != nil {
		return err
	}
	var err error
	if cfg.Targets, err = simTargets(demo, url, region, &cfg.Token); err != nil {
		return err
	}
	cfg.Log = stderr
	fmt.Fprintf(stderr, "o211 sim: %d region(s), %v simulated in about %v\n", len(cfg.Targets), cfg.Duration,
		time.Duration(float64(cfg.Duration)/cfg.Scale).Round(time.Second))
	res, err := sim.Run(ctx, cfg)
	sim.Print(stdout, cfg, res)
	return err
}

// simTargets reads the nodes to drive from the demo's manifest or the
// flags.
func simTargets(demo, url, region string, token *string) ([]sim.Target, error) {
	if demo == "" {
		if url == "" || region == "" || *token == "" {
			return nil, o211.Errorf(o211.EINVALID, "give --demo DIR, or --url, --region and --token")
		}
		return []sim.Target{{Region: region, URL: strings.TrimRight(url, "/")}}, nil
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
			ts = append(ts, sim.Target{Region: n.Region, URL: n.HTTP})
		}
	}
	if len(ts) == 0 {
		return nil, o211.Errorf(o211.EINVALID, "the demo in %s has no node of region %q", demo, region)
	}
	return ts, nil
}
