package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/o211/o211/hub"
	"github.com/o211/o211/hub/fsm"
)

func runHub(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "members" {
		return runHubMembers(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "regions" {
		return runHubRegions(ctx, args[1:], stdout, stderr)
	}
	fs := flagSet("hub", "hub --id ID --data DIR --raft ADDR --http ADDR --peers h1=addr,h2=addr,h3=addr [flags]\n       o211 hub members list|add|remove [flags]\n       o211 hub regions list|put [flags]", stderr)
	id := fs.String("id", "", "this replica's id in the cluster, e.g. h1 (required)")
	data := fs.String("data", "", "data folder (required)")
	raftAddr := fs.String("raft", "127.0.0.1:7001", "Raft TCP listen address")
	raftAdvertise := fs.String("raft-advertise", "", "Raft address the other replicas dial (default: this replica's entry in --peers)")
	httpAddr := fs.String("http", "127.0.0.1:8201", "HTTP listen address")
	httpAdvertise := fs.String("http-advertise", "", "HTTP address the other replicas forward writes to (default: --http as bound)")
	peers := fs.String("peers", "", "the first cluster: id=raftaddr,... of all voters, used on first start only")
	token := fs.String("token", "", "API token of the write APIs (the same on every replica)")
	nats := addHubLinkFlags(fs)
	logFormat := fs.String("log", "text", "log format: text or json")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" || *data == "" {
		fs.Usage()
		return fmt.Errorf("--id and --data are required")
	}
	logger, err := newLogger(*logFormat, stderr)
	if err != nil {
		return err
	}
	cfg := hub.Config{ID: *id, DataDir: *data, RaftAddr: *raftAddr, RaftAdvertise: *raftAdvertise,
		HTTPAddr: *httpAddr, HTTPAdvertise: *httpAdvertise, Token: *token, Logger: logger}
	if *peers != "" {
		if cfg.Peers, err = hub.ParsePeers(*peers); err != nil {
			return err
		}
	}
	link, err := nats.config(*id)
	if err != nil {
		return err
	}
	return serveHub(ctx, cfg, link, stdout)
}

// serveHub runs a hub replica with the provincial directory, reports and,
// when link is set, replication over NATS, until ctx ends.
func serveHub(ctx context.Context, cfg hub.Config, link *hub.ReplicationConfig, stdout io.Writer) error {
	r := hub.New(cfg)
	prov := r.ServeProvince()
	reports := r.ServeReports(prov)
	var repl *hub.Replication
	if link != nil {
		repl = r.ServeReplication(*link)
	}
	if err := r.Start(ctx); err != nil {
		r.Close()
		return err
	}
	prov.Start(ctx)
	if err := reports.Load(); err != nil {
		prov.Close()
		r.Close()
		return err
	}
	if repl != nil {
		if err := repl.Start(ctx); err != nil {
			prov.Close()
			r.Close()
			return err
		}
	}
	fmt.Fprintf(stdout, "o211 hub replica %s: HTTP http://%s, Raft %s\n", cfg.ID, r.HTTPAddr(), r.RaftAddr())
	if repl != nil {
		fmt.Fprintf(stdout, "NATS: leaf %s (region nodes), routes %s, client %s\n", repl.Server().LeafAddr(),
			repl.Server().ClusterAddr(), repl.Server().ClientAddr())
	}
	<-ctx.Done()
	if repl != nil {
		repl.Close()
	}
	prov.Close()
	return r.Close()
}

func runHubMembers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("hub members", "hub members list|add|remove --url URL [--token T] [--id ID --raft ADDR --http ADDR]", stderr)
	url := fs.String("url", "http://127.0.0.1:8201", "HTTP address of any replica")
	token := fs.String("token", "", "API token")
	id := fs.String("id", "", "replica id to add or remove")
	raftAddr := fs.String("raft", "", "Raft address of the replica to add")
	httpAddr := fs.String("http", "", "HTTP address of the replica to add")
	action, cl, err := hubAdminArgs(fs, args, url, token)
	if err != nil {
		return err
	}
	switch action {
	case "list":
		st, err := cl.Cluster(ctx)
		if err != nil {
			return err
		}
		return printIndented(stdout, st)
	case "add":
		if *id == "" || *raftAddr == "" || *httpAddr == "" {
			return fmt.Errorf("add needs --id, --raft and --http")
		}
		if err := cl.AddMember(ctx, fsm.Member{ID: *id, Raft: *raftAddr, HTTP: *httpAddr}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s\n", *id)
		return nil
	case "remove":
		if *id == "" {
			return fmt.Errorf("remove needs --id")
		}
		if err := cl.RemoveMember(ctx, *id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %s\n", *id)
		return nil
	}
	return fmt.Errorf("unknown action %q: use list, add or remove", action)
}

// hubAdminArgs reads the action (args[0]) and the flags after it of a
// command that administers the hub through a replica's API, and returns
// the action with a client of the replica named by url and token.
func hubAdminArgs(fs *flag.FlagSet, args []string, url, token *string) (string, *hub.Client, error) {
	if len(args) == 0 {
		fs.Usage()
		return "", nil, errUsage
	}
	if err := parse(fs, args[1:]); err != nil {
		return "", nil, err
	}
	return args[0], &hub.Client{BaseURL: strings.TrimRight(*url, "/"), Token: *token}, nil
}

// printIndented prints v as indented JSON.
func printIndented(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}
