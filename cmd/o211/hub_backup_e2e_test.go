package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/hub"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node"
)

// TestBinary_HubBackupRestoreReconcile runs three real hub processes and a
// real node:
//   - 'o211 backup' of a hub replica is taken while the node's writes flow;
//     the whole hub is lost and every replica restored from that one file
//     with 'o211 restore --peers' on new Raft addresses: the restored hub
//     holds exactly the backup's records, and the node (ahead of it) sends
//     what the backup missed, so that the hub holds the node's records;
//   - the node is then restored from a backup OLDER than what the hub holds:
//     it stops pushing (diverged) while it takes new writes; 'o211
//     reconcile' makes it take what the hub has and push what only it has:
//     in the end node and hub hold the same records, every write of both
//     sides among them.
func TestBinary_HubBackupRestoreReconcile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three hubs and a node")
	}
	dir := t.TempDir()
	pki, ids, web, leaf, hubs := startBinaryHub(t, dir)
	putRegion(t, "http://"+web["h1"], "east", "East")
	data := genImport(t, dir, 150, 5)
	nodeHTTP := freeLoopback(t)
	nodeArgs := append(linkedNodeArgs("east", data, nodeHTTP, pki, leaf), "--token", "nt")
	n := startProc(t, nodeArgs...)
	en := &eastNode{t: t, url: "http://" + nodeHTTP, hubURL: "http://" + web["h2"]}
	en.waitSynced()

	nodeBackup := filepath.Join(dir, "east-old.tar")
	mustRun(t, nil, "backup", "--url", en.url, "--token", "nt", "--out", nodeBackup)
	w1 := en.create("w1", 5)
	en.waitSynced()

	// The hub's backup, taken from a follower or the leader while writes go on.
	var wg sync.WaitGroup
	var w2 []string
	wg.Add(1)
	go func() { defer wg.Done(); w2 = en.create("w2", 8) }()
	hubBackup := filepath.Join(dir, "hub.tar")
	out := mustRun(t, nil, "backup", "--url", "http://"+web["h3"], "--token", "t", "--out", hubBackup)
	wg.Wait()
	en.waitSynced()
	t.Logf("hub backup: %s", strings.TrimSpace(out))
	inBackup := backupStateRecords(t, hubBackup, filepath.Join(dir, "extracted"))
	whole := mustRead(t, hubBackup)
	cut := filepath.Join(dir, "cut.tar")
	os.WriteFile(cut, whole[:len(whole)/2], 0o600)
	if _, errOut, err := runO211(t, nil, "restore", "--data", filepath.Join(dir, "cut"), "--from", cut); err == nil ||
		strings.Contains(errOut, "panic") {
		t.Fatalf("restore of a hub backup cut short: %v %s", err, errOut)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "cut")); len(entries) != 0 {
		t.Fatalf("restore of a cut backup left %d files", len(entries))
	}

	// The whole hub is lost; each replica is restored from the one file.
	n.stop(syscall.SIGTERM)
	for _, id := range ids {
		hubs[id].stop(syscall.SIGTERM)
	}
	var peers []string
	for _, id := range ids {
		peers = append(peers, id+"="+freeLoopback(t))
	}
	for i, id := range ids {
		restored := filepath.Join(dir, id+"-restored")
		out := mustRun(t, nil, "restore", "--data", restored, "--from", hubBackup, "--peers", strings.Join(peers, ","))
		if !strings.Contains(out, "restored hub state at log index") {
			t.Fatalf("restore said %q", out)
		}
		args := replaceFlag(replaceFlag(replaceFlag(hubs[id].args, "--data", restored), "--peers", strings.Join(peers, ",")),
			"--raft", strings.TrimPrefix(peers[i], id+"="))
		startProc(t, args...)
	}
	got := en.hubRecords()
	if diff := diffRecords(inBackup, got); diff != "" {
		t.Fatalf("the restored hub differs from its backup: %s", diff)
	}
	t.Logf("restored hub: %d records of east, exactly the backup's", len(got))

	// The node, ahead of the restored hub, sends what the backup missed.
	n.start()
	en.waitSynced()
	en.sameAsHub(data, append(w1, w2...))
	n.stop(syscall.SIGTERM)

	// The node restored from its older backup: diverged, yet it takes writes.
	old := filepath.Join(dir, "east-restored")
	mustRun(t, nil, "restore", "--data", old, "--from", nodeBackup)
	oldArgs := replaceFlag(nodeArgs, "--data", old)
	n2 := startProc(t, oldArgs...)
	testutil.CheckFor(t, 60*time.Second, func() error {
		st := en.status()
		if st == nil || st.Replication == nil || st.Replication.Push.State != "diverged" {
			return fmt.Errorf("node status %+v, want a diverged push", st)
		}
		return nil
	})
	w3 := en.create("w3", 3)
	n2.stop(syscall.SIGTERM)
	out = mustRun(t, nil, "reconcile", "--data", old, "--hub", "http://"+web["h1"], "--token", "t")
	t.Logf("reconcile: %s", strings.TrimSpace(out))
	if !strings.Contains(out, "3 to push again") {
		t.Errorf("reconcile pushed other than the 3 writes made while diverged: %s", out)
	}
	n2.start()
	w4 := en.create("w4", 2)
	en.waitSynced()
	all := append(append(append(w1, w2...), w3...), w4...)
	en.sameAsHub(old, all)
}

// eastNode drives the node of region east and reads the hub.
type eastNode struct {
	t           *testing.T
	url, hubURL string
}

func (e *eastNode) status() *node.Status {
	var st node.Status
	if err := getJSONWithToken(e.url+"/api/v1/status", "nt", &st); err != nil {
		return nil
	}
	return &st
}

// create makes count organizations named after tag, each acknowledged
// by the node (201), and returns their ids.
func (e *eastNode) create(tag string, count int) []string {
	e.t.Helper()
	var ids []string
	for i := 0; i < count; i++ {
		id := fmt.Sprintf("00000000-0000-4000-8000-%s%010d", tagHex(tag), i)
		body := fmt.Sprintf(`{"id":%q,"name":"Written %s %d","description":"Written by the test"}`, id, tag, i)
		testutil.CheckFor(e.t, 60*time.Second, func() error {
			req, _ := http.NewRequest(http.MethodPost, e.url+"/api/v1/organizations", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer nt")
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				return fmt.Errorf("create %s: %s", id, resp.Status)
			}
			return nil
		})
		ids = append(ids, "organization/"+id)
	}
	return ids
}

// tagHex is a two-character hex tag for ids: w1 -> "01".
func tagHex(tag string) string { return fmt.Sprintf("%02x", tag[len(tag)-1]-'0') }

// waitSynced waits until the hub's mark is the node's last change and the
// node has nothing waiting.
func (e *eastNode) waitSynced() {
	e.t.Helper()
	testutil.CheckFor(e.t, 3*time.Minute, func() error {
		st := e.status()
		if st == nil || st.Replication == nil {
			return fmt.Errorf("no node status")
		}
		var reg struct {
			Mark uint64 `json:"ingest_mark"`
		}
		if err := testutil.GetJSON(e.hubURL+"/api/v1/regions/east?consistent=true", &reg); err != nil {
			return err
		}
		if reg.Mark != st.Seq || st.Replication.Backlog != 0 {
			return fmt.Errorf("hub mark %d, node seq %d, backlog %d, push %+v", reg.Mark, st.Seq, st.Replication.Backlog, st.Replication.Push)
		}
		return nil
	})
}

// hubRecords reads east's records from the hub's leader, as storeRecords
// shows them.
func (e *eastNode) hubRecords() map[string]string {
	e.t.Helper()
	var recs *hub.RegionRecords
	testutil.CheckFor(e.t, 2*time.Minute, func() (err error) {
		recs, err = (&hub.Client{BaseURL: e.hubURL, Token: "t"}).RegionRecords(context.Background(), "east")
		return err
	})
	return recordStrings(e.t, recs.Records)
}

// sameAsHub stops nothing: it checks that the node's store at data (read
// through the node's own backup) and the hub hold the same records of east,
// and that every id of want is among them.
func (e *eastNode) sameAsHub(data string, want []string) {
	e.t.Helper()
	b := filepath.Join(e.t.TempDir(), "now.tar")
	mustRun(e.t, nil, "backup", "--url", e.url, "--token", "nt", "--out", b)
	restored := filepath.Join(e.t.TempDir(), "now")
	mustRun(e.t, nil, "restore", "--data", restored, "--from", b)
	nodeRecs := storeRecords(e.t, filepath.Join(restored, "node.db"), false)
	for k := range nodeRecs {
		if strings.HasPrefix(k, "report/") {
			delete(nodeRecs, k)
		}
	}
	hubRecs := e.hubRecords()
	if diff := diffRecords(nodeRecs, hubRecs); diff != "" {
		e.t.Fatalf("node (%s) and hub differ: %s", data, diff)
	}
	for _, k := range want {
		if nodeRecs[k] == "" {
			e.t.Errorf("acknowledged write %s is lost", k)
		}
	}
	e.t.Logf("node and hub hold the same %d records of east, the %d writes among them", len(nodeRecs), len(want))
}

// recordStrings shows records of east as storeRecords does.
func recordStrings(t *testing.T, recs []*o211.Record) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range recs {
		if r.Region != "east" {
			continue
		}
		var data bytes.Buffer
		if len(r.Data) > 0 {
			if err := json.Compact(&data, r.Data); err != nil {
				t.Fatal(err)
			}
		}
		out[string(r.Kind)+"/"+r.ID] = fmt.Sprintf("v%d deleted=%v %s", r.Version, r.Deleted, data.String())
	}
	return out
}

// backupStateRecords extracts a hub backup's state.db into dir and returns
// its records of east.
func backupStateRecords(t *testing.T, backup, dir string) map[string]string {
	t.Helper()
	f, err := os.Open(backup)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	os.MkdirAll(dir, 0o700)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if h.Name != "state.db" {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "state.db")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return storeRecords(t, path, true)
	}
	t.Fatalf("%s holds no state.db", backup)
	return nil
}

// replaceFlag returns args with the value after flag replaced.
func replaceFlag(args []string, flag, value string) []string {
	out := append([]string(nil), args...)
	for i := range out {
		if out[i] == flag && i+1 < len(out) {
			out[i+1] = value
		}
	}
	return out
}
