package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "hub" {
		return runBenchHub(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "contacts" {
		return runBenchContacts(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "chat" {
		return runBenchChat(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "search" {
		fmt.Fprintln(stderr, "Usage: o211 bench search|hub|contacts|chat [flags]   (run 'o211 bench search --help')")
		return errUsage
	}
	fs := flagSet("bench search", "bench search [--services N] [--clients C] [--duration D] [--during-import] [--data DIR | --url URL]", stderr)
	var b searchBench
	fs.StringVar(&b.data, "data", filepath.Join(os.TempDir(), "o211-bench"), "data folder of the benchmark node (generated and imported when empty)")
	fs.StringVar(&b.url, "url", "", "benchmark this running node instead of starting one")
	fs.IntVar(&b.services, "services", 60000, "services to generate into the node when its data folder is empty")
	fs.IntVar(&b.clients, "clients", 8, "concurrent clients, each sending its next query when the last is answered")
	fs.DurationVar(&b.duration, "duration", 20*time.Second, "measured load duration")
	fs.DurationVar(&b.warmup, "warmup", 3*time.Second, "unmeasured load before measuring")
	fs.IntVar(&b.starts, "starts", 5, "times to start the node to measure start to ready (the median is reported)")
	fs.StringVar(&b.kind, "query", "full", "query mix: full (text + taxonomy + 25 km of an FSA + open at a time) or text")
	fs.BoolVar(&b.duringImport, "during-import", false, "after the idle load, measure again while the node imports another generated province through its API (then removes it)")
	fs.BoolVar(&b.duringBackup, "during-backup", false, "after the idle load, measure again while 'o211 backup' copies the node (backups one after another, for at least --duration)")
	fs.StringVar(&b.surface, "surface", "api", "what the clients load: api (GET /api/v1/search, JSON) or portal (GET /search, the public portal's results page, HTML sent compressed)")
	fs.StringVar(&b.openAt, "open-at", "tuesday-11", "the time of the open filter: tuesday-11 (next Tuesday 11:00 in Toronto, when services keep hours), now, or RFC 3339")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	b.out = stdout
	b.log = stderr
	return b.run(ctx)
}

type searchBench struct {
	data, url, kind   string
	surface           string
	openAt, openTime  string
	services, clients int
	starts            int
	duringImport      bool
	duringBackup      bool
	pid               int // the benchmark node's process, when this command started it
	nodeLog           io.Writer
	// until, when set, ends the measured load early when it is closed.
	until            <-chan struct{}
	duration, warmup time.Duration
	out, log         io.Writer
}

func (b *searchBench) run(ctx context.Context) error {
	if b.surface != "api" && b.surface != "portal" {
		return fmt.Errorf("--surface %q: use api or portal", b.surface)
	}
	fmt.Fprintf(b.out, "o211 bench search: %s, %d clients, %s, query mix %q, open at %s\n", b.surface, b.clients, b.duration, b.kind, b.openAt)
	if b.url != "" {
		return b.load(ctx, b.url)
	}
	if err := b.prepare(ctx); err != nil {
		return err
	}
	nodeLog, err := os.OpenFile(filepath.Join(b.data, "bench-node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer nodeLog.Close() // after the node has stopped (deferred below)
	b.nodeLog = nodeLog
	var readies []time.Duration
	var proc *exec.Cmd
	var base string
	for i := 0; i < b.starts; i++ {
		if proc != nil {
			stopProcess(proc)
		}
		var ready time.Duration
		var err error
		proc, base, ready, err = b.startNode(ctx)
		if err != nil {
			return err
		}
		readies = append(readies, ready)
	}
	defer stopProcess(proc)
	b.pid = proc.Process.Pid
	sort.Slice(readies, func(i, j int) bool { return readies[i] < readies[j] })
	fmt.Fprintf(b.out, "start to ready (data on disk), %d starts: median %s, min %s, max %s\n", len(readies),
		readies[len(readies)/2].Round(time.Millisecond), readies[0].Round(time.Millisecond), readies[len(readies)-1].Round(time.Millisecond))
	rss, hwm := memoryOf(proc.Process.Pid)
	fmt.Fprintf(b.out, "node resident memory after start: %.0f MB (peak %.0f MB)\n", rss, hwm)
	if err := b.load(ctx, base); err != nil {
		return err
	}
	rss, hwm = memoryOf(proc.Process.Pid)
	fmt.Fprintf(b.out, "node resident memory after load: %.0f MB (peak %.0f MB)\n", rss, hwm)
	if b.duringBackup {
		if err := b.loadDuringBackup(ctx, base, b.duration); err != nil {
			return err
		}
	}
	if !b.duringImport {
		return nil
	}
	if err := b.loadDuringImport(ctx, base); err != nil {
		return err
	}
	rss, hwm = memoryOf(proc.Process.Pid)
	fmt.Fprintf(b.out, "node resident memory after the import and its removal: %.0f MB (peak %.0f MB)\n", rss, hwm)
	return nil
}

// prepare generates and imports the province into the data folder when it
// has no store yet, timing the import.
func (b *searchBench) prepare(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(b.data, "node.db")); err == nil {
		fmt.Fprintf(b.out, "using the node in %s\n", b.data)
		return nil
	}
	pkg := filepath.Join(b.data, "datapackage")
	if _, err := os.Stat(filepath.Join(pkg, "services.csv")); err != nil {
		if err := b.self(ctx, "gen", "--services", strconv.Itoa(b.services), "--seed", "1", "--out", pkg); err != nil {
			return err
		}
	}
	start := time.Now()
	if err := b.self(ctx, "import", "--data", b.data, "--region", "central", "--format", "hsds-csv", pkg); err != nil {
		return err
	}
	fmt.Fprintf(b.out, "import of %d generated services (datapackage, one node): %s\n", b.services, time.Since(start).Round(time.Millisecond))
	return nil
}

// self runs another o211 subcommand of this binary, showing its output.
func (b *searchBench) self(ctx context.Context, args ...string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stdout, cmd.Stderr = b.out, b.log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("o211 %s: %w", args[0], err)
	}
	return nil
}

// startNode starts `o211 node` on a free port and waits until /readyz says
// ready, returning the time that took.
func (b *searchBench) startNode(ctx context.Context) (*exec.Cmd, string, time.Duration, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", 0, err
	}
	port, err := freePort()
	if err != nil {
		return nil, "", 0, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	start := time.Now()
	cmd := exec.CommandContext(ctx, exe, "node", "--data", b.data, "--http", addr, "--log", "json")
	// The node's log, but for its request lines, goes beside its data to
	// read after the benchmark (how long its index took to build or to
	// follow an import).
	log := &logFilter{w: b.nodeLog, drop: []byte(`"msg":"http request"`)}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, "", 0, err
	}
	base := "http://" + addr
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if resp, err := client.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, base, time.Since(start), nil
			}
		}
	}
	stopProcess(cmd)
	return nil, "", 0, fmt.Errorf("the node at %s was not ready within 60 s", base)
}

// logFilter writes the lines written to it to w, but for those holding
// drop.
type logFilter struct {
	w    io.Writer
	drop []byte
	part []byte // an unfinished line
}

func (f *logFilter) Write(p []byte) (int, error) {
	f.part = append(f.part, p...)
	for {
		i := bytes.IndexByte(f.part, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line := f.part[:i+1]; !bytes.Contains(line, f.drop) {
			if _, err := f.w.Write(line); err != nil {
				return len(p), err
			}
		}
		f.part = f.part[i+1:]
	}
}

func stopProcess(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// memoryOf returns the resident and peak resident memory of a process in
// MB, from /proc.
// cpuOf returns the CPU time (user and system) a process has used, from
// /proc (clock ticks of 10 ms), or 0 when it cannot be read.
func cpuOf(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	user, _ := strconv.ParseInt(f[11], 10, 64)
	sys, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(user+sys) * 10 * time.Millisecond
}

func memoryOf(pid int) (rss, hwm float64) {
	m := procStatus(pid, "VmRSS:", "VmHWM:")
	return m[0], m[1]
}

// procStatus returns the figures of /proc/PID/status named by fields (in
// kB there), in MB; 0 for those it cannot read.
func procStatus(pid int, fields ...string) []float64 {
	out := make([]float64, len(fields))
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		for i, name := range fields {
			if f[0] == name {
				kb, _ := strconv.ParseFloat(f[1], 64)
				out[i] = kb / 1024
			}
		}
	}
	return out
}
