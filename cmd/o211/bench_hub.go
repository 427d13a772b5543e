package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/hub"
	"github.com/o211/o211/hub/fsm"
)

// hubBench runs three `o211 hub` processes and measures failover, graceful
// hand-over and batched write throughput against them.
type hubBench struct {
	exe      string // the o211 binary (default: this one)
	dir      string
	trials   int
	batch    int
	writers  int
	duration time.Duration
	out      io.Writer
	token    string

	ids   []string
	raft  map[string]string
	http  map[string]string
	procs map[string]*exec.Cmd
	seq   map[string]uint64 // next outbox sequence per bench region
	mu    sync.Mutex
}

func runBenchHub(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("bench hub", "bench hub [--trials N] [--batch N] [--duration D]", stderr)
	b := &hubBench{out: stdout, token: "bench"}
	fs.StringVar(&b.dir, "data", "", "data folder of the three replicas (default: a new temporary folder)")
	fs.IntVar(&b.trials, "trials", 20, "leader kills (and graceful hand-overs) to time")
	fs.IntVar(&b.batch, "batch", 500, "records per directory batch in the throughput run")
	fs.IntVar(&b.writers, "writers", 4, "concurrent batch writers (one region each) in the throughput run")
	fs.DurationVar(&b.duration, "duration", 20*time.Second, "length of the throughput run")
	if err := parse(fs, args); err != nil {
		return err
	}
	if b.dir == "" {
		d, err := os.MkdirTemp("", "o211-bench-hub-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		b.dir = d
	}
	defer b.stopAll()
	if err := b.startCluster(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "o211 bench hub: three `o211 hub` processes on loopback, real fsync, %d trials\n", b.trials)
	kill, err := b.failovers(ctx, syscall.SIGKILL)
	if err != nil {
		return err
	}
	report(stdout, "leader killed (SIGKILL) -> first acknowledged write on the new leader", kill)
	grace, err := b.failovers(ctx, syscall.SIGTERM)
	if err != nil {
		return err
	}
	report(stdout, "leader stopped (SIGTERM, hands leadership over) -> writes resume", grace)
	return b.throughput(ctx)
}

func report(w io.Writer, what string, ds []time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	fmt.Fprintf(w, "%s, %d trials: median %s, worst %s, best %s\n", what, len(ds),
		ds[len(ds)/2].Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond), ds[0].Round(time.Millisecond))
}

func (b *hubBench) startCluster(ctx context.Context) error {
	b.ids = []string{"h1", "h2", "h3"}
	b.raft, b.http, b.procs, b.seq = map[string]string{}, map[string]string{}, map[string]*exec.Cmd{}, map[string]uint64{}
	for _, id := range b.ids {
		for _, m := range []map[string]string{b.raft, b.http} {
			port, err := freePort()
			if err != nil {
				return err
			}
			m[id] = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		}
	}
	for _, id := range b.ids {
		if err := b.start(ctx, id); err != nil {
			return err
		}
	}
	if _, err := b.leader(ctx, "", 30*time.Second); err != nil {
		return err
	}
	cl := b.client(b.ids[0])
	for w := 0; w < b.writers; w++ {
		if _, err := cl.PutRegion(ctx, o211.Region{ID: benchRegion(w), Name: "Bench " + strconv.Itoa(w)}); err != nil {
			return err
		}
	}
	return nil
}

func benchRegion(w int) string { return "bench-" + strconv.Itoa(w) }

// start runs replica id as a process.
func (b *hubBench) start(ctx context.Context, id string) error {
	exe := b.exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, exe, "hub", "--id", id, "--data", filepath.Join(b.dir, id),
		"--raft", b.raft[id], "--http", b.http[id], "--token", b.token, "--log", "json",
		"--peers", hub.FormatPeers(b.raft))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return err
	}
	b.procs[id] = cmd
	return nil
}

func (b *hubBench) stopAll() {
	for _, cmd := range b.procs {
		stopProcess(cmd)
	}
}

func (b *hubBench) client(id string) *hub.Client {
	return &hub.Client{BaseURL: "http://" + b.http[id], Token: b.token, HTTP: &http.Client{Timeout: 15 * time.Second}}
}

// leader waits for a leader other than not, as the replicas report it.
func (b *hubBench) leader(ctx context.Context, not string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		for _, id := range b.ids {
			if id == not || b.procs[id] == nil {
				continue
			}
			c := b.client(id)
			c.HTTP = &http.Client{Timeout: time.Second}
			if st, err := c.Cluster(ctx); err == nil && st.Leader != "" && st.Leader != not {
				return st.Leader, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", fmt.Errorf("no leader within %s", timeout)
}

// write sends one small directory batch through replica via and returns
// when the hub acknowledged it.
func (b *hubBench) write(ctx context.Context, via string, region string, n int) error {
	b.mu.Lock()
	from := b.seq[region] + 1
	b.seq[region] += uint64(n)
	b.mu.Unlock()
	recs := make([]*o211.Record, n)
	for i := range recs {
		id := fmt.Sprintf("%s-org-%d", region, from+uint64(i))
		data, _ := json.Marshal(&o211.Organization{ID: id, Name: "Benchmark organization " + id, Description: "A record written by o211 bench hub."})
		recs[i] = &o211.Record{Kind: o211.KindOrganization, ID: id, Region: region, Version: 1, Modified: time.Now().UTC(), Data: data}
	}
	_, err := b.client(via).ApplyBatch(ctx, &fsm.IngestBatch{Region: region, FromSeq: from, ToSeq: from + uint64(n) - 1, Records: recs})
	if err != nil {
		b.mu.Lock()
		b.seq[region] = from - 1 // not applied: send the same sequence numbers again
		b.mu.Unlock()
	}
	return err
}
