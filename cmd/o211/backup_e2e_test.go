package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node"
	"github.com/o211/o211/node/gateway"
	"github.com/o211/o211/node/gateway/twiliotest"
	"github.com/o211/o211/node/queue"
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
	damaged := append([]byte(nil), whole...)
	damaged[entryOffset(t, whole, "node.db")+4096] ^= 1
	for name, content := range map[string][]byte{
		"cut.tar":     whole[:len(whole)/2],
		"junk.tar":    bytes.Repeat([]byte("not a tar "), 100),
		"damaged.tar": damaged,
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, content, 0o600)
		target := filepath.Join(dir, "restore-"+name)
		if _, errOut, err := runO211(t, nil, "restore", "--data", target, "--from", path); err == nil {
			t.Errorf("restore of %s succeeded", name)
		} else if strings.Contains(errOut, "panic") {
			t.Errorf("restore of %s: %s", name, errOut)
		} else if name == "damaged.tar" && !strings.Contains(errOut, "node.db does not match its SHA-256") {
			t.Errorf("restore of a backup with one byte of node.db changed: %s, want the checksum's refusal", errOut)
		}
		entries, _ := os.ReadDir(target)
		if len(entries) != 0 {
			t.Errorf("restore of %s left %d files in %s", name, len(entries), target)
		}
	}
}

// entryOffset returns where the data of a backup's entry starts.
func entryOffset(t *testing.T, backup []byte, name string) int {
	t.Helper()
	r := bytes.NewReader(backup)
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("the backup has no %s: %v", name, err)
		}
		if h.Name == name {
			return len(backup) - r.Len()
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

// TestBinary_BackupKeepsQueueAndTranscripts: a person texts a node and
// another chats with it, both wait in the queue; 'o211 backup' of the
// running node, the node stopped and its data folder wiped, 'o211
// restore': the restored node has both contacts waiting under the same
// ids, the chat resumes with its whole transcript, and the text thread's
// transcript is in the restored gateway.db. The backup and every restored
// store are the owner's alone (0600), as node.db is: they hold personal
// information, and the manifest says so.
func TestBinary_BackupKeepsQueueAndTranscripts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node twice")
	}
	const number, person = "+16135550100", "+16135550123"
	tw, err := twiliotest.NewServer(twiliotest.Config{Numbers: []string{number}})
	if err != nil {
		t.Fatal(err)
	}
	defer tw.Close()
	dir := t.TempDir()
	data, addr := filepath.Join(dir, "east"), freeLoopback(t)
	base := "http://" + addr
	args := []string{"node", "--region", "east", "--data", data, "--http", addr,
		"--twilio-account-sid", tw.AccountSID(), "--twilio-auth-token", tw.AuthToken(), "--twilio-api", tw.URL(), "--twilio-number", number}
	n := startProc(t, args...)
	tw.SetWebhooks(base+"/gateway/twilio/voice", base+"/gateway/twilio/sms", base+"/gateway/twilio/status")
	waitNode(t, base)
	token := strings.TrimSpace(string(mustRead(t, filepath.Join(data, "token"))))

	ctx := context.Background()
	for _, body := range []string{"I need help with my rent", "K1N 6N5", "My landlord wants me out by Friday"} {
		if _, err := tw.Text(ctx, person, number, body); err != nil {
			t.Fatalf("text %q: %v", body, err)
		}
	}
	chat := dialChat(t, base)
	chat.say(chatFrame{Type: "hello", Lang: "en"})
	w := chat.next("welcome", func(f chatBenchFrame) bool { return f.Type == "welcome" })
	chat.say(chatFrame{Type: "msg", CID: "c1", Body: "K1N 6N5"})
	chat.say(chatFrame{Type: "msg", CID: "c2", Body: "We have no food until Monday"})
	chat.next("the second message's echo", func(f chatBenchFrame) bool { return f.Type == "msg" && f.CID == "c2" })
	waiting := waitingContacts(t, base, token, 2)

	backup := filepath.Join(dir, "east.tar")
	mustRun(t, nil, "backup", "--url", base, "--token", token, "--out", backup)
	chat.ws.CloseNow()
	n.stop(syscall.SIGTERM)
	checkOwnerOnly(t, backup)
	m := backupManifest(t, backup)
	for _, name := range []string{"queue.db", "gateway.db", "node.db"} {
		if f := m.file(name); f == nil || f.Sensitive != "personal information" || f.Holds == "" {
			t.Errorf("the manifest's %s: %+v, want it listed as personal information", name, f)
		}
	}

	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, nil, "restore", "--data", data, "--from", backup)
	if !strings.Contains(out, "queue.db") || !strings.Contains(out, "gateway.db") {
		t.Fatalf("restore said %q, want queue.db and gateway.db among what it restored", out)
	}
	for _, name := range []string{"queue.db", "gateway.db", "node.db", "token"} {
		checkOwnerOnly(t, filepath.Join(data, name))
	}

	n.start()
	waitNode(t, base)
	if got := waitingContacts(t, base, token, 2); fmt.Sprint(got) != fmt.Sprint(waiting) {
		t.Errorf("waiting after the restore: %v, before the backup: %v", got, waiting)
	}
	again := dialChat(t, base)
	again.say(chatFrame{Type: "hello", Session: w.Session, Secret: w.Secret})
	again.next("the chat's transcript, resumed", func(f chatBenchFrame) bool {
		return f.Type == "msg" && f.Body == "We have no food until Monday"
	})
	again.ws.CloseNow()
	n.stop(syscall.SIGTERM)

	gs, err := gateway.OpenStore(filepath.Join(data, "gateway.db"), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer gs.Close()
	c, err := gs.Open(o211.ChannelText, person)
	if err != nil {
		t.Fatalf("the text thread is not in the restored gateway.db: %v", err)
	}
	msgs, err := gs.Messages(c.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range msgs {
		if m.From == "person" {
			bodies = append(bodies, m.Body)
		}
	}
	if got, want := strings.Join(bodies, "|"), "I need help with my rent|K1N 6N5|My landlord wants me out by Friday"; got != want {
		t.Errorf("the restored text transcript: %q, want %q", got, want)
	}
}

// waitNode waits until the node at base answers its status.
func waitNode(t *testing.T, base string) {
	t.Helper()
	testutil.CheckFor(t, time.Minute, func() error {
		var st map[string]any
		return testutil.GetJSON(base+"/api/v1/status", &st)
	})
}

// waitingContacts waits until count contacts wait in the node's queue and
// returns them as "channel id", sorted.
func waitingContacts(t *testing.T, base, token string, count int) []string {
	t.Helper()
	var got []string
	testutil.CheckFor(t, time.Minute, func() error {
		var snap queue.Snapshot
		if err := getJSONWithToken(base+"/api/v1/queue", token, &snap); err != nil {
			return err
		}
		got = got[:0]
		for _, w := range snap.Waiting {
			got = append(got, string(w.Channel)+" "+w.ID)
		}
		if len(got) != count {
			return fmt.Errorf("%d contacts wait (%v), want %d", len(got), got, count)
		}
		return nil
	})
	sort.Strings(got)
	return got
}

// checkOwnerOnly fails unless the file at path is readable by its owner
// only.
func checkOwnerOnly(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("%s has mode %v: others may read it", path, fi.Mode().Perm())
	}
}

// testManifest is a node backup's manifest.
type testManifest struct{ node.BackupManifest }

func (m *testManifest) file(name string) *node.BackupFile {
	for i := range m.Files {
		if m.Files[i].Name == name {
			return &m.Files[i]
		}
	}
	return nil
}

// backupManifest reads the manifest a backup file starts with.
func backupManifest(t *testing.T, path string) *testManifest {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	if h, err := tr.Next(); err != nil || h.Name != "backup.json" {
		t.Fatalf("%s does not start with backup.json: %v", path, err)
	}
	m := new(testManifest)
	if err := json.NewDecoder(tr).Decode(&m.BackupManifest); err != nil {
		t.Fatal(err)
	}
	return m
}

// chatFrame is a frame of the chat protocol, as a browser sends it.
type chatFrame struct {
	Type    string `json:"type"`
	Session string `json:"session,omitempty"`
	Secret  string `json:"secret,omitempty"`
	Lang    string `json:"lang,omitempty"`
	Body    string `json:"body,omitempty"`
	CID     string `json:"cid,omitempty"`
}

// chatPerson is a person's browser in the node's web chat (the chat
// benchmark's client).
type chatPerson struct {
	t *testing.T
	*chatClient
}

func dialChat(t *testing.T, base string) *chatPerson {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/gateway/chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	return &chatPerson{t: t, chatClient: &chatClient{ws: ws}}
}

func (c *chatPerson) say(f chatFrame) {
	c.t.Helper()
	if err := c.send(context.Background(), f); err != nil {
		c.t.Fatal(err)
	}
}

// next reads frames until one satisfies ok, and returns it.
func (c *chatPerson) next(what string, ok func(chatBenchFrame) bool) chatBenchFrame {
	c.t.Helper()
	var got chatBenchFrame
	if err := c.until(context.Background(), func(f chatBenchFrame) bool { got = f; return ok(f) }); err != nil {
		c.t.Fatalf("waiting for %s: %v", what, err)
	}
	return got
}
