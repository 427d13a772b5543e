package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/taxonomy"
)

// bench contacts: acknowledgement latency and throughput of contact
// writes at a real node (fsync on), beside the disk's plain fsync rate.
func runBenchContacts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("bench contacts", "bench contacts [--clients C] [--rate R] [--duration D] [--data DIR]", stderr)
	var b contactBench
	fs.StringVar(&b.data, "data", "", "data folder of the benchmark node (default: a new temporary folder, removed after)")
	fs.IntVar(&b.clients, "clients", 16, "concurrent HTTP clients")
	fs.Float64Var(&b.rate, "rate", 200, "total contacts per second of the paced run")
	fs.DurationVar(&b.duration, "duration", 20*time.Second, "measured duration of each run")
	fs.DurationVar(&b.warmup, "warmup", 2*time.Second, "unmeasured load before each run")
	if err := parse(fs, args); err != nil {
		return err
	}
	b.out, b.log = stdout, stderr
	return b.run(ctx)
}

type contactBench struct {
	data              string
	clients           int
	rate              float64
	duration, warmup  time.Duration
	out, log          io.Writer
	base, token       string
	codes             []string
	sent, errs, other atomic.Int64
}

func (b *contactBench) run(ctx context.Context) error {
	if b.data == "" {
		dir, err := os.MkdirTemp("", "o211-bench-contacts-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		b.data = dir
	}
	for _, t := range taxonomy.All() {
		if len(o211.TaxonomyAncestors(t.Code)) >= 3 {
			b.codes = append(b.codes, t.Code)
		}
	}
	proc, err := b.startNode(ctx)
	if err != nil {
		return err
	}
	defer stopProcess(proc)
	fmt.Fprintf(b.out, "o211 bench contacts: node in %s (fsync on), %d clients, each request creates a closed contact (its report in the same commit)\n", b.data, b.clients)

	lat, n, took, err := b.load(ctx, b.rate)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "paced %.0f/s for %s: %d contacts (%.1f/s), acknowledgement p50 %s p90 %s p99 %s max %s, errors %d\n",
		b.rate, b.duration, n, float64(n)/took.Seconds(), micros(pct(lat, 50)), micros(pct(lat, 90)), micros(pct(lat, 99)), micros(pct(lat, 100)), b.errs.Load())

	lat, n, took, err = b.load(ctx, 0)
	if err != nil {
		return err
	}
	sustained := float64(n) / took.Seconds()
	fmt.Fprintf(b.out, "unpaced for %s: %.0f contacts/s, acknowledgement p50 %s p99 %s, errors %d\n",
		b.duration, sustained, micros(pct(lat, 50)), micros(pct(lat, 99)), b.errs.Load())

	fsyncs, err := fsyncRate(filepath.Join(b.data, "fsync-probe"), min(b.duration, 10*time.Second))
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "plain fsync loop (1 KiB write + fsync, one goroutine, same folder): %.0f fsyncs/s\n", fsyncs)
	fmt.Fprintf(b.out, "contacts/s over fsyncs/s: %.2f\n", sustained/fsyncs)
	return nil
}

// startNode starts `o211 node` with fsync on and waits until it is ready.
func (b *contactBench) startNode(ctx context.Context) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	if b.token, err = randomToken(); err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.CommandContext(ctx, exe, "node", "--region", "bench", "--data", b.data, "--http", addr,
		"--token", b.token, "--log", "json")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b.base = "http://" + addr
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(60 * time.Second)
	for {
		if resp, err := client.Get(b.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, nil
			}
		}
		select {
		case <-tick.C:
		case <-deadline:
			stopProcess(cmd)
			return nil, fmt.Errorf("the node at %s was not ready within 60 s", b.base)
		case <-ctx.Done():
			stopProcess(cmd)
			return nil, ctx.Err()
		}
	}
}

// load runs the clients for warmup plus duration, at rate contacts/s in
// all (0: each sends its next request when the last is answered), and
// returns the latencies of the measured part, their count and its length.
func (b *contactBench) load(ctx context.Context, rate float64) ([]time.Duration, int, time.Duration, error) {
	b.errs.Store(0)
	tr := &http.Transport{MaxIdleConnsPerHost: b.clients, MaxConnsPerHost: b.clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	begin := time.Now()
	measureFrom, end := begin.Add(b.warmup), begin.Add(b.warmup+b.duration)
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	for c := 0; c < b.clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), uint64(begin.UnixNano())))
			var lat []time.Duration
			var every time.Duration
			next := begin
			if rate > 0 {
				every = time.Duration(float64(b.clients) / rate * float64(time.Second))
				next = begin.Add(every * time.Duration(c) / time.Duration(b.clients)) // spread the clients
			}
			for ctx.Err() == nil {
				if rate > 0 {
					if d := time.Until(next); d > 0 {
						t := time.NewTimer(d)
						select {
						case <-t.C:
						case <-ctx.Done():
							t.Stop()
							return
						}
					}
				}
				sent := time.Now()
				if !sent.Before(end) {
					break
				}
				if rate > 0 {
					sent = next // latency counts from when the request was due
					next = next.Add(every)
				}
				err := b.create(ctx, client, rng)
				d := time.Since(sent)
				if err != nil {
					b.errs.Add(1)
					fmt.Fprintln(b.log, "bench contacts:", err)
					continue
				}
				if !sent.Before(measureFrom) {
					lat = append(lat, d)
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, 0, 0, err
	}
	if len(all) == 0 {
		return nil, 0, 0, fmt.Errorf("bench contacts: no request succeeded")
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return all, len(all), b.duration, nil
}

// create posts one closed contact and checks the answer.
func (b *contactBench) create(ctx context.Context, client *http.Client, rng *rand.Rand) error {
	start := time.Now().Add(-time.Duration(5+rng.IntN(20)) * time.Minute)
	end := start.Add(time.Duration(2+rng.IntN(15)) * time.Minute)
	need := o211.Need{Code: b.codes[rng.IntN(len(b.codes))], Status: o211.NeedMet}
	if rng.IntN(20) == 0 {
		need.Status, need.Reason = o211.NeedUnmet, o211.UnmetReasons[rng.IntN(len(o211.UnmetReasons))]
	}
	c := &o211.Contact{Status: o211.ContactClosed, Channel: o211.Channels[rng.IntN(len(o211.Channels))],
		Start: start, End: &end, Navigator: "nav-" + strconv.Itoa(rng.IntN(40)),
		Caller: o211.Caller{FirstName: "Caller", Callback: "613-555-" + fmt.Sprintf("%04d", rng.IntN(10000)),
			PostalCode: "K1N 5T5", AgeBand: o211.AgeBands[rng.IntN(len(o211.AgeBands))], Language: "en"},
		Needs: []o211.Need{need}, Notes: "Benchmark contact."}
	body, _ := json.Marshal(c)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/api/v1/contacts", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("status %d: %s", resp.StatusCode, msg)
	}
	return nil
}

// fsyncRate appends 1 KiB and fsyncs, in a loop, for d, and returns
// fsyncs per second.
func fsyncRate(path string, d time.Duration) (float64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer os.Remove(path)
	defer f.Close()
	buf := make([]byte, 1024)
	n, start := 0, time.Now()
	for time.Since(start) < d {
		if _, err := f.Write(buf); err != nil {
			return 0, err
		}
		if err := f.Sync(); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// pct returns the p-th percentile of sorted durations (100: the largest).
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
