package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/hub"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node"
	"github.com/o211/o211/node/store"
)

// proc is an o211 process the test starts, kills and restarts itself.
type proc struct {
	t    *testing.T
	args []string
	// wrap, when set, runs the binary through it (e.g. ip netns exec NS).
	wrap []string
	// bin, when set, is the binary to run instead of the one built.
	bin  string
	cmd  *exec.Cmd
	logs *bytes.Buffer
	done chan struct{}
}

func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, args: args}
	p.start()
	t.Cleanup(func() { p.stop(syscall.SIGTERM) })
	return p
}

func (p *proc) start() {
	p.t.Helper()
	bin := o211Bin
	if p.bin != "" {
		bin = p.bin
	}
	p.cmd = exec.Command(bin, p.args...)
	if len(p.wrap) > 0 {
		p.cmd = exec.Command(p.wrap[0], append(append(p.wrap[1:len(p.wrap):len(p.wrap)], bin), p.args...)...)
	}
	p.logs = new(bytes.Buffer)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		cmd.Wait()
		close(done)
	}(p.cmd, p.done)
}

// stop sends sig and waits for the process to end (SIGKILL after a minute).
func (p *proc) stop(sig syscall.Signal) {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		p.cmd.Process.Kill()
		<-p.done
		p.t.Errorf("o211 %s did not stop within a minute\n%s", p.args[0], p.logs.String())
	}
}

// A node is killed with SIGKILL twice in the middle of pushing its backlog
// to three real hub processes, and restarted each time: in the end the hub
// holds exactly the node's records, its mark is the node's last change,
// and nothing is left in the outbox.
func TestBinary_NodeKilledMidPush(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a hub of three processes and a node")
	}
	dir := t.TempDir()
	pki, ids, web, leaf, hubs := startBinaryHub(t, dir)
	putRegion(t, "http://"+web["h1"], "east", "East")

	// A backlog: the region's directory imported before the node starts.
	data := genImport(t, dir, 6000, 7)
	nodeHTTP := freeLoopback(t)
	n := startProc(t, linkedNodeArgs("east", data, nodeHTTP, pki, leaf)...)

	// The hub's mark for east, as any replica sees it.
	mark := func() (uint64, error) {
		var st hub.ReplicationStatus
		for _, id := range ids {
			if err := testutil.GetJSON("http://"+web[id]+"/api/v1/status", &st); err != nil {
				continue
			}
			for _, r := range st.Regions {
				if r.Region == "east" {
					return r.Mark, nil
				}
			}
		}
		return 0, fmt.Errorf("no replica answers its status")
	}
	var seq uint64
	testutil.CheckFor(t, 60*time.Second, func() error {
		var st node.Status
		if err := testutil.GetJSON("http://"+nodeHTTP+"/api/v1/status", &st); err != nil {
			return err
		}
		seq = st.Seq
		return nil
	})
	t.Logf("the node's backlog: %d changes", seq)
	var last uint64
	for kill := 1; kill <= 2; kill++ {
		testutil.CheckFor(t, 120*time.Second, func() error {
			m, err := mark()
			if err != nil {
				return err
			}
			if m <= last || m >= seq {
				return fmt.Errorf("mark %d (after %d, of %d)", m, last, seq)
			}
			last = m
			return nil
		})
		n.stop(syscall.SIGKILL)
		t.Logf("kill %d: node killed mid-push with the hub's mark at %d of %d", kill, last, seq)
		n.start()
	}
	// Changes made after the last restart go too.
	tok, err := os.ReadFile(filepath.Join(data, "token"))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(tok))
	for i := 0; i < 5; i++ {
		body := fmt.Sprintf(`{"name":"After the kills %d","description":"Written by the test"}`, i)
		testutil.CheckFor(t, 60*time.Second, func() error {
			req, _ := http.NewRequest(http.MethodPost, "http://"+nodeHTTP+"/api/v1/organizations", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				return fmt.Errorf("create: %s", resp.Status)
			}
			return nil
		})
	}
	seq += 5
	testutil.CheckFor(t, 120*time.Second, func() error {
		var st node.Status
		if err := testutil.GetJSON("http://"+nodeHTTP+"/api/v1/status", &st); err != nil {
			return err
		}
		rs := st.Replication
		if st.Seq != seq || rs == nil || rs.Backlog != 0 || rs.Push.Mark != seq {
			return fmt.Errorf("node seq %d (want %d), replication %+v", st.Seq, seq, rs)
		}
		if m, err := mark(); err != nil || m != seq {
			return fmt.Errorf("hub mark %d, %v; want %d", m, err, seq)
		}
		return nil
	})
	out := mustRun(t, nil, "status", "--url", "http://"+nodeHTTP)
	if !strings.Contains(out, "0 changes waiting") || !strings.Contains(out, fmt.Sprintf("hub mark %d of %d", seq, seq)) {
		t.Fatalf("o211 status of the node:\n%s", out)
	}
	out = mustRun(t, nil, "status", "--url", "http://"+web["h2"])
	if !strings.Contains(out, "east") || !strings.Contains(out, fmt.Sprint(seq)) {
		t.Fatalf("o211 status of h2:\n%s", out)
	}

	// Stopped, every store says the same: each replica holds exactly the
	// node's records of east, versions, deletions and rows alike.
	n.stop(syscall.SIGTERM)
	want := storeRecords(t, filepath.Join(data, "node.db"), false)
	for _, id := range ids {
		hubs[id].stop(syscall.SIGTERM)
	}
	for _, id := range ids {
		got := storeRecords(t, filepath.Join(dir, id, "state.db"), true)
		if len(got) != len(want) {
			t.Errorf("replica %s holds %d records of east, the node %d", id, len(got), len(want))
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("replica %s: %s is %q, the node's %q", id, k, got[k], v)
				break
			}
		}
	}
	t.Logf("%d changes, %d records of east on every replica, exactly", seq, len(want))
}

// storeRecords returns the records of region east in a store file.
func storeRecords(t *testing.T, path string, replica bool) map[string]string {
	t.Helper()
	opts := store.Options{Region: "east", Replica: replica}
	if replica {
		opts.Region = ""
	}
	st, err := store.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string]string{}
	err = st.View(func(tx *store.Tx) error {
		return tx.ChangesSince(0, func(c store.ChangeRef) error {
			r, err := tx.GetAny(c.Kind, c.ID)
			if err != nil || r == nil {
				return fmt.Errorf("%s %s: %v", c.Kind, c.ID, err)
			}
			if r.Region != "east" {
				return nil
			}
			var data bytes.Buffer
			if len(r.Data) > 0 {
				if err := json.Compact(&data, r.Data); err != nil {
					return err
				}
			}
			out[string(c.Kind)+"/"+c.ID] = fmt.Sprintf("v%d deleted=%v %s", r.Version, r.Deleted, data.String())
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// startBinaryHub makes the PKI of a province of one region (east) in
// dir/pki and starts a hub of three real processes (h1, h2, h3) with their
// data in dir/<id> and the API token "t". It returns the PKI folder, the
// replicas' ids, their HTTP and NATS leaf addresses, and the processes.
func startBinaryHub(t *testing.T, dir string) (pki string, ids []string, web, leaf map[string]string, hubs map[string]*proc) {
	t.Helper()
	pki = filepath.Join(dir, "pki")
	mustRun(t, nil, "pki", "--out", pki, "--hubs", "h1,h2,h3", "--regions", "east")
	ids = []string{"h1", "h2", "h3"}
	raft, cluster := map[string]string{}, map[string]string{}
	web, leaf, hubs = map[string]string{}, map[string]string{}, map[string]*proc{}
	var peers []string
	for _, id := range ids {
		raft[id], web[id], cluster[id], leaf[id] = freeLoopback(t), freeLoopback(t), freeLoopback(t), freeLoopback(t)
		peers = append(peers, id+"="+raft[id])
	}
	for _, id := range ids {
		var routes []string
		for _, o := range ids {
			if o != id {
				routes = append(routes, cluster[o])
			}
		}
		hubs[id] = startProc(t, "hub", "--id", id, "--data", filepath.Join(dir, id), "--raft", raft[id], "--http", web[id],
			"--peers", strings.Join(peers, ","), "--token", "t", "--nats-cluster", cluster[id],
			"--nats-routes", strings.Join(routes, ","), "--nats-leaf", leaf[id], "--pki", pki, "--nats-compression", "off")
	}
	return pki, ids, web, leaf, hubs
}

// putRegion puts a region through the hub replica at hubURL, waiting for
// the hub to take writes.
func putRegion(t *testing.T, hubURL, id, name string) {
	t.Helper()
	cl := &hub.Client{BaseURL: hubURL, Token: "t"}
	testutil.CheckFor(t, time.Minute, func() error {
		_, err := cl.PutRegion(context.Background(), o211.Region{ID: id, Name: name})
		return err
	})
}

// genImport imports a generated directory of services of east into the
// data folder dir/east, which it returns.
func genImport(t *testing.T, dir string, services, seed int) string {
	t.Helper()
	pkg, data := filepath.Join(dir, "pkg"), filepath.Join(dir, "east")
	mustRun(t, nil, "gen", "--services", fmt.Sprint(services), "--seed", fmt.Sprint(seed), "--region", "east", "--out", pkg)
	mustRun(t, nil, "import", "--data", data, "--region", "east", "--format", "hsds-csv", "--quiet", pkg)
	return data
}

// linkedNodeArgs returns the arguments of a node of region linked to the
// hub startBinaryHub started.
func linkedNodeArgs(region, data, httpAddr, pki string, leaf map[string]string) []string {
	return []string{"node", "--region", region, "--data", data, "--http", httpAddr, "--pki", pki,
		"--hub-nats", leaf["h1"] + "," + leaf["h2"] + "," + leaf["h3"], "--nats-compression", "off"}
}
