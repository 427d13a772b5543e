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
)

// demoHubs is the demo's three hub replicas.
type demoHubs struct {
	replicas  []*hub.Replica
	provinces []*hub.Province
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
	for i, id := range ids {
		r := hub.New(hub.Config{ID: id, DataDir: filepath.Join(cfg.data, "hubs", id), RaftAddr: peers[id],
			HTTPAddr: demoAddr(cfg, -10+i+1), Peers: peers, Token: token, Logger: cfg.logger.With("hub", id)})
		p := r.ServeProvince()
		if err := r.Start(ctx); err != nil {
			r.Close()
			return h, fmt.Errorf("starting hub replica %s: %w", id, err)
		}
		p.Start(ctx)
		h.replicas, h.provinces = append(h.replicas, r), append(h.provinces, p)
	}
	return h, nil
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
