package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/o211/o211/internal/testutil"
)

// TestBinary_BackupRestore takes a backup of a running node with
// 'o211 backup', changes the node after it, and restores the backup with
// 'o211 restore' into a new folder: the restored store holds exactly the
// records of the moment of the backup, and a node starts on it and serves
// them with the restored token.
func TestBinary_BackupRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("runs nodes")
	}
	dir := t.TempDir()
	pkg, data := filepath.Join(dir, "pkg"), filepath.Join(dir, "east")
	mustRun(t, nil, "gen", "--services", "300", "--seed", "3", "--region", "east", "--out", pkg)
	mustRun(t, nil, "import", "--data", data, "--region", "east", "--format", "hsds-csv", "--quiet", pkg)
	before := storeRecords(t, filepath.Join(data, "node.db"), false)
	if len(before) < 300 {
		t.Fatalf("imported %d records", len(before))
	}

	addr := freeLoopback(t)
	n := startProc(t, "node", "--region", "east", "--data", data, "--http", addr)
	testutil.CheckFor(t, 30*time.Second, func() error {
		var st map[string]any
		return testutil.GetJSON("http://"+addr+"/api/v1/status", &st)
	})
	token := strings.TrimSpace(string(mustRead(t, filepath.Join(data, "token"))))
	backup := filepath.Join(dir, "east.tar")
	if _, errOut, err := runO211(t, nil, "backup", "--url", "http://"+addr, "--token", "wrong", "--out", backup); err == nil ||
		!strings.Contains(errOut, "401") {
		t.Fatalf("backup with a wrong token: %v %s, want a 401", err, errOut)
	}
	mustRun(t, []string{"O211_TOKEN=" + token}, "backup", "--url", "http://"+addr, "--out", backup)

	// A change after the backup: one service deleted.
	var victim string
	for k := range before {
		if strings.HasPrefix(k, "service/") {
			victim = strings.TrimPrefix(k, "service/")
			break
		}
	}
	req, _ := http.NewRequest(http.MethodDelete, "http://"+addr+"/api/v1/services/"+victim, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("DELETE service %s: %v %v", victim, err, resp)
	}
	resp.Body.Close()
	n.stop(syscall.SIGTERM)
	after := storeRecords(t, filepath.Join(data, "node.db"), false)
	if after["service/"+victim] == before["service/"+victim] {
		t.Fatalf("the deletion after the backup did not reach the store")
	}

	restored := filepath.Join(dir, "restored")
	out := mustRun(t, nil, "restore", "--data", restored, "--from", backup)
	if !strings.Contains(out, "restored region east") {
		t.Fatalf("restore said %q", out)
	}
	got := storeRecords(t, filepath.Join(restored, "node.db"), false)
	if diff := diffRecords(before, got); diff != "" {
		t.Fatalf("the restored store differs from the node at the backup: %s", diff)
	}
	if _, errOut, err := runO211(t, nil, "restore", "--data", restored, "--from", backup); err == nil ||
		!strings.Contains(errOut, "already holds a node store") {
		t.Fatalf("restore over a store: %v %s, want a refusal", err, errOut)
	}

	// A node starts on the restored folder and answers with the old token.
	addr2 := freeLoopback(t)
	startProc(t, "node", "--data", restored, "--http", addr2)
	testutil.CheckFor(t, 30*time.Second, func() error {
		var st map[string]any
		return testutil.GetJSON("http://"+addr2+"/api/v1/status", &st)
	})
	req, _ = http.NewRequest(http.MethodGet, "http://"+addr2+"/api/v1/services/"+victim, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the service deleted after the backup, on the restored node: %v %v", err, resp)
	}
	resp.Body.Close()
}

// TestBinary_RestoreRefusesBadBackups cuts a backup short and sends a file
// that is no backup: restore refuses both and writes nothing.
func TestBinary_RestoreRefusesBadBackups(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "east")
	mustRun(t, nil, "gen", "--services", "50", "--seed", "3", "--region", "east", "--out", filepath.Join(dir, "pkg"))
	mustRun(t, nil, "import", "--data", data, "--region", "east", "--format", "hsds-csv", "--quiet", filepath.Join(dir, "pkg"))
	addr := freeLoopback(t)
	startProc(t, "node", "--region", "east", "--data", data, "--http", addr, "--token", "t")
	backup := filepath.Join(dir, "b.tar")
	testutil.CheckFor(t, 30*time.Second, func() error {
		_, _, err := runO211(t, nil, "backup", "--url", "http://"+addr, "--token", "t", "--out", backup)
		return err
	})
	whole := mustRead(t, backup)
	for name, content := range map[string][]byte{
		"cut.tar":  whole[:len(whole)/2],
		"junk.tar": bytes.Repeat([]byte("not a tar "), 100),
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, content, 0o600)
		target := filepath.Join(dir, "restore-"+name)
		if _, errOut, err := runO211(t, nil, "restore", "--data", target, "--from", path); err == nil {
			t.Errorf("restore of %s succeeded", name)
		} else if strings.Contains(errOut, "panic") {
			t.Errorf("restore of %s: %s", name, errOut)
		}
		entries, _ := os.ReadDir(target)
		if len(entries) != 0 {
			t.Errorf("restore of %s left %d files in %s", name, len(entries), target)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// diffRecords says how two record sets differ (a few keys), or "".
func diffRecords(want, got map[string]string) string {
	var diffs []string
	for k, v := range want {
		if got[k] != v {
			diffs = append(diffs, k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, k+" (extra)")
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 5 {
		diffs = append(diffs[:5], "…")
	}
	return strings.Join(diffs, ", ")
}
