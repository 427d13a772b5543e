package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// runBenchChat measures the web chat of a real node process: it opens
// --sessions chat sessions over WebSocket (each routed and queued), then
// sends --messages messages at --rate a second from the sessions in turn,
// each stored durably (fsync on) and echoed with its sequence number;
// every tenth is followed by a navigator's reply posted through the
// conversations API. It prints the delivery times and the node's RSS.
func runBenchChat(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("bench chat", "bench chat [--sessions N] [--rate R] [--messages M]", stderr)
	sessions := fs.Int("sessions", 1000, "concurrent chat sessions")
	rate := fs.Float64("rate", 200, "messages a second, from the sessions in turn")
	messages := fs.Int("messages", 4000, "messages sent in the measured run")
	if err := parse(fs, args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "o211-bench-chat-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	nb := &contactBench{data: dir}
	proc, err := nb.startNode(ctx)
	if err != nil {
		return err
	}
	defer stopProcess(proc)
	idle := rssOf(proc.Process.Pid)
	cs, err := openChats(ctx, nb.base, *sessions)
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range cs {
			c.ws.CloseNow()
		}
	}()
	open := rssOf(proc.Process.Pid)
	c0, w0 := gatewayCommits(nb.base)
	echo, reply := chatLoad(ctx, nb, cs, *rate, *messages)
	c1, w1 := gatewayCommits(nb.base)
	fmt.Fprintf(stdout, "o211 bench chat: one node process (fsync on), %d sessions open, %d messages at %.0f/s\n", len(cs), *messages, *rate)
	fmt.Fprintf(stdout, "echo (browser sends, node stores, browser gets it back with its seq): p50 %s p99 %s max %s (%d)\n",
		micros(pct(echo, 50)), micros(pct(echo, 99)), micros(pct(echo, 100)), len(echo))
	fmt.Fprintf(stdout, "reply (navigator posts through the API, browser receives): p50 %s p99 %s max %s (%d)\n",
		micros(pct(reply, 50)), micros(pct(reply, 99)), micros(pct(reply, 100)), len(reply))
	all := append(append([]time.Duration(nil), echo...), reply...)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	fmt.Fprintf(stdout, "all deliveries: p50 %s p99 %s\n", micros(pct(all, 50)), micros(pct(all, 99)))
	fmt.Fprintf(stdout, "gateway store: %.0f commits for %.0f writes: %.2f fsyncs per message delivered, %.1f writes per commit\n",
		c1-c0, w1-w0, 2*(c1-c0)/float64(max(1, len(all))), (w1-w0)/max(1, c1-c0))
	fmt.Fprintf(stdout, "node RSS: %.0f MiB idle, %.0f MiB with the sessions open, %.0f MiB after the run\n", idle, open, rssOf(proc.Process.Pid))
	p50, p99, most, err := fsyncTail(dir, 300)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "this folder's fsync right after (4 KiB write + fsync, 300 times): p50 %s p99 %s max %s\n", micros(p50), micros(p99), micros(most))
	return nil
}

// gatewayCommits reads the node's gateway store commit counters from
// /metrics (zeros when it cannot).
func gatewayCommits(base string) (commits, writes float64) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	for _, l := range strings.Split(string(b), "\n") {
		name, v, ok := strings.Cut(l, " ")
		if !ok {
			continue
		}
		f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
		switch name {
		case "o211_gateway_store_commits_total":
			commits = f
		case "o211_gateway_store_writes_total":
			writes = f
		}
	}
	return commits, writes
}

// fsyncTail times n fsyncs of a file in dir: p50, p99 and max.
func fsyncTail(dir string, n int) (p50, p99, most time.Duration, err error) {
	f, err := os.CreateTemp(dir, "fsync-probe-")
	if err != nil {
		return 0, 0, 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	ds := make([]time.Duration, 0, n)
	buf := make([]byte, 4096)
	for i := 0; i < n; i++ {
		if _, err := f.Write(buf); err != nil {
			return 0, 0, 0, err
		}
		t := time.Now()
		if err := f.Sync(); err != nil {
			return 0, 0, 0, err
		}
		ds = append(ds, time.Since(t))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return pct(ds, 50), pct(ds, 99), pct(ds, 100), nil
}

// chatClient is one browser's chat session.
type chatClient struct {
	mu sync.Mutex
	ws *websocket.Conn
	id string
}

// chatBenchFrame is the part of a chat frame the benchmark reads.
type chatBenchFrame struct {
	Type    string `json:"type"`
	Session string `json:"session"`
	Secret  string `json:"secret"`
	Seq     uint64 `json:"seq"`
	CID     string `json:"cid"`
	Body    string `json:"body"`
}

// until reads frames until ok says one is the awaited one.
func (c *chatClient) until(ctx context.Context, ok func(chatBenchFrame) bool) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		_, b, err := c.ws.Read(ctx)
		if err != nil {
			return err
		}
		var f chatBenchFrame
		if json.Unmarshal(b, &f) == nil && ok(f) {
			return nil
		}
	}
}

func (c *chatClient) send(ctx context.Context, v any) error {
	b, _ := json.Marshal(v)
	return c.ws.Write(ctx, websocket.MessageText, b)
}

// openChats opens n sessions, 50 at a time, each queued (postal code
// skipped).
func openChats(ctx context.Context, base string, n int) ([]*chatClient, error) {
	u := "ws" + strings.TrimPrefix(base, "http") + "/gateway/chat"
	cs := make([]*chatClient, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 50)
	var wg sync.WaitGroup
	for i := range cs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ws, _, err := websocket.Dial(ctx, u, nil)
			if err != nil {
				errs <- err
				return
			}
			c := &chatClient{ws: ws}
			cs[i] = c
			err = c.send(ctx, map[string]string{"type": "hello"})
			if err == nil {
				err = c.until(ctx, func(f chatBenchFrame) bool { c.id = f.Session; return f.Type == "welcome" })
			}
			if err == nil {
				err = c.send(ctx, map[string]string{"type": "msg", "cid": "p", "body": "skip"})
			}
			if err == nil {
				err = c.until(ctx, func(f chatBenchFrame) bool { return f.Type == "msg" && f.Seq == 3 })
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return cs, fmt.Errorf("bench chat: opening a session: %w", err)
		}
	}
	return cs, nil
}

// chatLoad sends the paced messages and returns the sorted echo and reply
// delivery times.
func chatLoad(ctx context.Context, nb *contactBench, cs []*chatClient, rate float64, messages int) (echo, reply []time.Duration) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for n := 0; n < messages; n++ {
		<-tick.C
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			c := cs[n%len(cs)]
			c.mu.Lock()
			e, r := chatOnce(ctx, nb, c, n, n%10 == 0)
			c.mu.Unlock()
			mu.Lock()
			echo, reply = append(echo, e...), append(reply, r...)
			mu.Unlock()
		}(n)
	}
	wg.Wait()
	sort.Slice(echo, func(i, j int) bool { return echo[i] < echo[j] })
	sort.Slice(reply, func(i, j int) bool { return reply[i] < reply[j] })
	return echo, reply
}

// chatOnce sends one message, and a reply when asked; it returns the
// delivery times it measured.
func chatOnce(ctx context.Context, nb *contactBench, c *chatClient, n int, withReply bool) (echo, reply []time.Duration) {
	cid := "m" + strconv.Itoa(n)
	t0 := time.Now()
	if c.send(ctx, map[string]string{"type": "msg", "cid": cid, "body": "message " + cid}) != nil ||
		c.until(ctx, func(f chatBenchFrame) bool { return f.CID == cid }) != nil {
		return nil, nil
	}
	echo = append(echo, time.Since(t0))
	if !withReply {
		return echo, nil
	}
	body := "reply " + cid
	t1 := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, nb.base+"/api/v1/conversations/"+c.id+"/messages",
		strings.NewReader(`{"body":"`+body+`"}`))
	req.Header.Set("Authorization", "Bearer "+nb.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return echo, nil
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusCreated && c.until(ctx, func(f chatBenchFrame) bool { return f.Body == body }) == nil {
		reply = append(reply, time.Since(t1))
	}
	return echo, reply
}

// rssOf returns a process's resident set size in MiB (Linux), or 0.
func rssOf(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
