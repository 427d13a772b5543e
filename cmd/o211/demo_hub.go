package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/o211/o211/hub"
	"github.com/o211/o211/node/geo"
	"github.com/o211/o211/replication"
	"github.com/o211/o211/replication/pki"
)

// demoHubs is the demo's three hub replicas.
type demoHubs struct {
	replicas  []*hub.Replica
	provinces []*hub.Province
	links     []*hub.Replication
	token     string
}

// startDemoHubs starts the three replicas of the provincial hub, each with
// its data folder under the demo's, and waits for a leader.
func startDemoHubs(ctx context.Context, cfg demoConfig, token string) (*demoHubs, error) {
	h := &demoHubs{token: token}
	ids := []string{"h1", "h2", "h3"}
	peers := map[string]string{}
	for i, id := range ids {
		addr, err := demoRaftAddr(cfg, i+1)
		if err != nil {
			return h, err
		}
		peers[id] = addr
	}
	nats := map[string]hub.ReplicationConfig{}
	for i, id := range ids {
		link, err := demoHubLink(cfg, id, i+1)
		if err != nil {
			return h, err
		}
		nats[id] = link
	}
	for _, id := range ids {
		for _, other := range ids {
			if other != id {
				c := nats[id]
				c.NATS.Routes = append(c.NATS.Routes, nats[other].NATS.ClusterAddr)
				nats[id] = c
			}
		}
	}
	for i, id := range ids {
		r := hub.New(hub.Config{ID: id, DataDir: filepath.Join(cfg.data, "hubs", id), RaftAddr: peers[id],
			HTTPAddr: demoAddr(cfg, -10+i+1), Peers: peers, Token: token, Logger: cfg.logger.With("hub", id)})
		p := r.ServeProvince()
		rp := r.ServeReports(p)
		x := r.ServeReplication(nats[id])
		if err := r.Start(ctx); err != nil {
			r.Close()
			return h, fmt.Errorf("starting hub replica %s: %w", id, err)
		}
		p.Start(ctx)
		if err := rp.Load(); err != nil {
			return h, fmt.Errorf("starting hub replica %s: %w", id, err)
		}
		h.replicas, h.provinces = append(h.replicas, r), append(h.provinces, p)
		if err := x.Start(ctx); err != nil {
			return h, fmt.Errorf("starting hub replica %s: %w", id, err)
		}
		h.links = append(h.links, x)
	}
	return h, nil
}

// demoHubLink returns replica id's NATS settings: its route and leaf
// ports (port-base-990+i and port-base-790+i: 7221 and 7421 for h1 with the
// default base, or free ports) and its files in the demo's PKI.
func demoHubLink(cfg demoConfig, id string, i int) (hub.ReplicationConfig, error) {
	cluster, err := demoPort(cfg, -990+i)
	if err != nil {
		return hub.ReplicationConfig{}, err
	}
	leaf, err := demoPort(cfg, -790+i)
	if err != nil {
		return hub.ReplicationConfig{}, err
	}
	tlsc, trust, creds, err := pki.HubFiles(demoPKI(cfg), id)
	if err != nil {
		return hub.ReplicationConfig{}, err
	}
	return hub.ReplicationConfig{NATS: replication.ServerConfig{ClusterAddr: cluster, LeafAddr: leaf,
		TLS: tlsc, Trust: trust, Creds: creds, Compression: "off"}}, nil
}

// leafAddrs returns the replicas' NATS leaf addresses, for the nodes.
func (h *demoHubs) leafAddrs() []string {
	var out []string
	for _, x := range h.links {
		out = append(out, x.Server().LeafAddr())
	}
	return out
}

// demoPort returns host:port-base+offset, or a free port when the base is 0.
func demoPort(cfg demoConfig, offset int) (string, error) {
	if cfg.portBase == 0 {
		port, err := freePort()
		if err != nil {
			return "", err
		}
		return net.JoinHostPort(cfg.host, strconv.Itoa(port)), nil
	}
	return net.JoinHostPort(cfg.host, strconv.Itoa(cfg.portBase+offset)), nil
}

// demoRaftAddr returns replica i's Raft address: port-base-210+i (7001 with
// the default base), or a free port.
func demoRaftAddr(cfg demoConfig, i int) (string, error) {
	if cfg.portBase == 0 {
		port, err := freePort()
		if err != nil {
			return "", err
		}
		return net.JoinHostPort(cfg.host, strconv.Itoa(port)), nil
	}
	return net.JoinHostPort(cfg.host, strconv.Itoa(cfg.portBase-1210+i)), nil
}

// registerRegions puts the six regions in the hub's registry, through any
// replica (writes are forwarded to the leader).
func (h *demoHubs) registerRegions(ctx context.Context) error {
	cl := &hub.Client{BaseURL: "http://" + h.replicas[0].HTTPAddr(), Token: h.token}
	deadline := time.Now().Add(30 * time.Second)
	for _, r := range geo.Regions() {
		for {
			_, err := cl.PutRegion(ctx, r)
			if err == nil {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("registering region %s with the hub: %w", r.ID, err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

func (h *demoHubs) close() {
	for _, x := range h.links {
		x.Close()
	}
	for i := range h.replicas {
		h.provinces[i].Close()
	}
	// Followers first, so the leader's hand-over has nobody to wait for.
	for _, r := range h.replicas {
		if !r.IsLeader() {
			r.Close()
		}
	}
	for _, r := range h.replicas {
		r.Close()
	}
}
