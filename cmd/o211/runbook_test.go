package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/hub"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node"
)

// The runbooks of deploy/runbooks, followed with the real binary: each test
// starts a province, reads the runbook's sh blocks and runs their lines in
// order with bash (the variables set, o211 on the PATH), and does what a
// systemctl line says to its own processes.

// runbookSteps returns the commands of a runbook's sh blocks in order; a
// here-document stays with its command.
func runbookSteps(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "deploy", "runbooks", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []string
	in, heredoc := false, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && line == "```sh":
			in = true
		case in && heredoc == "" && line == "```":
			in = false
		case heredoc != "":
			steps[len(steps)-1] += "\n" + line
			if strings.TrimSpace(line) == heredoc {
				heredoc = ""
			}
		case in && strings.TrimSpace(line) != "":
			if m := heredocStart.FindStringSubmatch(line); m != nil {
				heredoc = m[1]
			}
			steps = append(steps, line)
		}
	}
	if len(steps) == 0 {
		t.Fatalf("%s has no sh blocks", name)
	}
	return steps
}

var heredocStart = regexp.MustCompile(`<<'?([A-Z]+)'?\s*$`)

// followRunbook runs the runbook's steps with vars; systemctl lines go to
// service (action, unit). o211 status and members list lines are repeated
// until they succeed, as the runbooks say. It returns each step's output.
func followRunbook(t *testing.T, name string, vars map[string]string, service func(action, unit string)) []string {
	t.Helper()
	env := append(os.Environ(), "PATH="+filepath.Dir(o211Bin)+":"+os.Getenv("PATH"))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	var outs []string
	for _, step := range runbookSteps(t, name) {
		if f := strings.Fields(step); f[0] == "systemctl" {
			service(f[1], f[2])
			outs = append(outs, "")
			continue
		}
		run := func() (string, error) {
			cmd := exec.Command("bash", "-euo", "pipefail", "-c", step)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		var out string
		var err error
		if strings.HasPrefix(step, "o211 status") || strings.HasPrefix(step, "o211 hub members list") {
			testutil.CheckFor(t, 2*time.Minute, func() error { out, err = run(); return err })
		} else if out, err = run(); err != nil {
			t.Fatalf("%s: %s: %v\n%s", name, step, err, out)
		}
		t.Logf("%s: %s\n%s", name, strings.SplitN(step, "\n", 2)[0], strings.TrimSpace(out))
		outs = append(outs, out)
	}
	return outs
}

// hubMark returns region's mark as replica url sees it after a barrier.
func hubMark(url, region string) (uint64, error) {
	var reg struct {
		Mark uint64 `json:"ingest_mark"`
	}
	err := testutil.GetJSON(url+"/api/v1/regions/"+region+"?consistent=true", &reg)
	return reg.Mark, err
}

// waitPushed waits until the node at nodeURL has pushed everything to the hub.
func waitPushed(t *testing.T, nodeURL, hubURL, region string) {
	t.Helper()
	testutil.CheckFor(t, 2*time.Minute, func() error {
		var st node.Status
		if err := testutil.GetJSON(nodeURL+"/api/v1/status", &st); err != nil {
			return err
		}
		m, err := hubMark(hubURL, region)
		if err != nil {
			return err
		}
		if st.Seq == 0 || m != st.Seq {
			return fmt.Errorf("%s: node at %d, hub mark %d", region, st.Seq, m)
		}
		return nil
	})
}

func TestRunbook_AddRegion(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a hub and a node")
	}
	dir := t.TempDir()
	pki, _, web, leaf, _ := startBinaryHub(t, dir)
	pkg := filepath.Join(dir, "pkg")
	mustRun(t, nil, "gen", "--services", "60", "--seed", "4", "--region", "north", "--out", pkg)
	nodeHTTP := freeLoopback(t)
	vars := map[string]string{"PKI": pki, "REGION": "north", "REGION_HOST": "127.0.0.1", "REGION_NAME": "Northern Ontario",
		"HUB_URL": "http://" + web["h2"], "O211_TOKEN": "t", "DATA": filepath.Join(dir, "north"), "PACKAGE": pkg,
		"NODE_URL": "http://" + nodeHTTP}
	followRunbook(t, "add-region.md", vars, func(action, unit string) {
		if action != "start" || unit != "o211-node" {
			t.Fatalf("add-region.md: systemctl %s %s: not a step this test knows", action, unit)
		}
		startProc(t, linkedNodeArgs("north", vars["DATA"], nodeHTTP, pki, leaf)...)
	})
	waitPushed(t, vars["NODE_URL"], vars["HUB_URL"], "north")
}

func TestRunbook_ReplaceHubReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a hub")
	}
	dir := t.TempDir()
	pki, _, web, _, hubs := startBinaryHub(t, dir)
	cl := &hub.Client{BaseURL: "http://" + web["h1"], Token: "t"}
	testutil.CheckFor(t, time.Minute, func() error {
		_, err := cl.PutRegion(context.Background(), o211.Region{ID: "east", Name: "East"})
		return err
	})
	raft4, http4, cluster4, leaf4 := freeLoopback(t), freeLoopback(t), freeLoopback(t), freeLoopback(t)
	vars := map[string]string{"HUB_URL": "http://" + web["h1"], "O211_TOKEN": "t", "PKI": pki, "OLD_ID": "h3",
		"NEW_ID": "h4", "NEW_HOST": "127.0.0.1", "NEW_RAFT": raft4, "NEW_HTTP": http4, "NEW_URL": "http://" + http4}
	followRunbook(t, "replace-hub-replica.md", vars, func(action, unit string) {
		switch action {
		case "stop":
			hubs["h3"].stop(syscall.SIGTERM)
		case "start":
			routes := flagValue(hubs["h1"].args, "--nats-cluster") + "," + flagValue(hubs["h2"].args, "--nats-cluster")
			startProc(t, "hub", "--id", "h4", "--data", filepath.Join(dir, "h4"), "--raft", raft4, "--http", http4,
				"--token", "t", "--nats-cluster", cluster4, "--nats-routes", routes, "--nats-leaf", leaf4, "--pki", pki,
				"--nats-compression", "off")
		default:
			t.Fatalf("systemctl %s %s: not a step this test knows", action, unit)
		}
	})
	testutil.CheckFor(t, 2*time.Minute, func() error {
		st, err := (&hub.Client{BaseURL: "http://" + http4}).Cluster(context.Background())
		if err != nil {
			return err
		}
		var ids []string
		for _, p := range st.Peers {
			ids = append(ids, p.ID+":"+p.Suffrage)
		}
		if got := strings.Join(ids, ","); got != "h1:voter,h2:voter,h4:voter" {
			return fmt.Errorf("the cluster is %s", got)
		}
		_, err = (&hub.Client{BaseURL: "http://" + http4, Token: "t"}).PutRegion(context.Background(), o211.Region{ID: "north", Name: "North"})
		return err
	})
	var reg map[string]any
	if err := testutil.GetJSON("http://"+http4+"/api/v1/regions/east", &reg); err != nil {
		t.Fatalf("the new replica does not hold what the hub held before it: %v", err)
	}
}

// flagValue returns the value after flag in args.
func flagValue(args []string, flag string) string {
	for i := range args[:len(args)-1] {
		if args[i] == flag {
			return args[i+1]
		}
	}
	return ""
}

func TestRunbook_RecoverLostQuorum(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a hub")
	}
	dir := t.TempDir()
	_, _, web, _, hubs := startBinaryHub(t, dir)
	url := "http://" + web["h1"]
	cl := &hub.Client{BaseURL: url, Token: "t"}
	testutil.CheckFor(t, time.Minute, func() error {
		_, err := cl.PutRegion(context.Background(), o211.Region{ID: "east", Name: "East"})
		return err
	})
	hubs["h2"].stop(syscall.SIGKILL)
	hubs["h3"].stop(syscall.SIGKILL)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if _, err := cl.PutRegion(ctx, o211.Region{ID: "north", Name: "North"}); err == nil {
		t.Fatal("a write succeeded with two replicas of three gone")
	}
	cancel()
	vars := map[string]string{"DATA": filepath.Join(dir, "h1"), "SURVIVOR_ID": "h1",
		"SURVIVOR_RAFT": flagValue(hubs["h1"].args, "--raft"), "HUB_URL": url}
	outs := followRunbook(t, "recover-lost-quorum.md", vars, func(action, unit string) {
		switch action {
		case "stop":
			hubs["h1"].stop(syscall.SIGTERM)
		case "start":
			hubs["h1"].start()
		default:
			t.Fatalf("systemctl %s %s: not a step this test knows", action, unit)
		}
	})
	testutil.CheckFor(t, time.Minute, func() error {
		_, err := cl.PutRegion(context.Background(), o211.Region{ID: "north", Name: "North"})
		return err
	})
	if last := outs[len(outs)-1]; strings.Contains(last, `"h2"`) || strings.Contains(last, `"h3"`) {
		t.Errorf("members after the recovery:\n%s", last)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "h1", "peers.json.applied-*")); len(m) != 1 {
		t.Errorf("peers.json was not set aside once applied: %v", m)
	}
	var reg map[string]any
	if err := testutil.GetJSON(url+"/api/v1/regions/east", &reg); err != nil {
		t.Fatalf("the survivor lost its state: %v", err)
	}
}

func TestRunbook_RotateCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a hub and a node")
	}
	dir := t.TempDir()
	pki, _, web, leaf, _ := startBinaryHub(t, dir)
	putRegion(t, "http://"+web["h1"], "east", "East")
	data := genImport(t, dir, 20, 4)
	nodeHTTP := freeLoopback(t)
	n := startProc(t, linkedNodeArgs("east", data, nodeHTTP, pki, leaf)...)
	nodeURL := "http://" + nodeHTTP
	waitPushed(t, nodeURL, "http://"+web["h1"], "east")
	oldCert := mustRead(t, filepath.Join(pki, "nodes", "east.pem"))
	oldToken := strings.TrimSpace(string(mustRead(t, filepath.Join(data, "token"))))
	vars := map[string]string{"PKI": pki, "REGION": "east", "REGION_HOST": "127.0.0.1", "NODE_URL": nodeURL,
		"DATA": data, "HUB_URL": "http://" + web["h1"]}
	followRunbook(t, "rotate-credentials.md", vars, func(action, unit string) {
		if action != "restart" || unit != "o211-node" {
			t.Fatalf("systemctl %s %s: not a step this test knows", action, unit)
		}
		n.stop(syscall.SIGTERM)
		n.start()
	})
	if string(mustRead(t, filepath.Join(pki, "nodes", "east.pem"))) == string(oldCert) {
		t.Fatal("the region's certificate was not renewed")
	}
	newToken := strings.TrimSpace(string(mustRead(t, filepath.Join(data, "token"))))
	post := func(token string, i int) int {
		body := fmt.Sprintf(`{"name":"After the rotation %d","description":"x"}`, i)
		req, _ := http.NewRequest(http.MethodPost, nodeURL+"/api/v1/organizations", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	testutil.CheckFor(t, time.Minute, func() error {
		if c := post(newToken, 1); c != http.StatusCreated {
			return fmt.Errorf("a write with the new token: %d", c)
		}
		return nil
	})
	if c := post(oldToken, 2); c != http.StatusUnauthorized {
		t.Errorf("a write with the old token: %d, want 401", c)
	}
	// The node links with its new credentials: the write reaches the hub.
	waitPushed(t, nodeURL, "http://"+web["h1"], "east")
}

func TestRunbook_UpgradeHub(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a hub")
	}
	dir := t.TempDir()
	_, ids, web, _, hubs := startBinaryHub(t, dir)
	installed := filepath.Join(dir, "bin", "o211")
	os.MkdirAll(filepath.Dir(installed), 0o755)
	cl := &hub.Client{BaseURL: "http://" + web["h1"], Token: "t"}
	testutil.CheckFor(t, time.Minute, func() error {
		_, err := cl.PutRegion(context.Background(), o211.Region{ID: "east", Name: "East"})
		return err
	})
	for i, id := range ids {
		url := "http://" + web[id]
		vars := map[string]string{"REPLICA_URL": url, "O211_TOKEN": "t", "BACKUP": filepath.Join(dir, id+".tar"),
			"NEW_BINARY": o211Bin, "O211_BIN": installed}
		followRunbook(t, "upgrade-hub.md", vars, func(action, unit string) {
			switch action {
			case "stop":
				hubs[id].stop(syscall.SIGTERM)
			case "start":
				hubs[id].bin = installed
				hubs[id].start()
			default:
				t.Fatalf("systemctl %s %s: not a step this test knows", action, unit)
			}
		})
		testutil.CheckFor(t, 2*time.Minute, func() error {
			resp, err := http.Get(url + "/readyz")
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s /readyz: %s", id, resp.Status)
			}
			_, err = (&hub.Client{BaseURL: url, Token: "t"}).PutRegion(context.Background(),
				o211.Region{ID: "east", Name: fmt.Sprintf("East, after %d upgrades", i+1)})
			return err
		})
		if _, err := os.Stat(vars["BACKUP"]); err != nil {
			t.Fatalf("no backup of %s before its upgrade: %v", id, err)
		}
	}
}

// TestRunbook_RestoreNode follows restore-node.md on a node with a contact
// waiting in its queue: backup, the check by hand, the folder set aside,
// restore, start; the restored node has the contact waiting under its id.
func TestRunbook_RestoreNode(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node")
	}
	dir := t.TempDir()
	data := genImport(t, dir, 20, 4)
	nodeHTTP := freeLoopback(t)
	base := "http://" + nodeHTTP
	n := startProc(t, "node", "--data", data, "--http", nodeHTTP, "--token", "nt")
	waitNode(t, base)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/queue/items", strings.NewReader(`{"channel":"phone","language":"fr","from":"+16135550123"}`))
	req.Header.Set("Authorization", "Bearer nt")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("enqueue: %v %v", err, resp)
	}
	resp.Body.Close()
	waiting := waitingContacts(t, base, "nt", 1)

	vars := map[string]string{"NODE_URL": base, "O211_TOKEN": "nt", "DATA": data, "BACKUP": filepath.Join(dir, "east.tar")}
	followRunbook(t, "restore-node.md", vars, func(action, unit string) {
		switch {
		case unit != "o211-node":
			t.Fatalf("restore-node.md: systemctl %s %s: not a step this test knows", action, unit)
		case action == "stop":
			n.stop(syscall.SIGTERM)
		case action == "start":
			n.start()
		}
	})
	if got := waitingContacts(t, base, "nt", 1); fmt.Sprint(got) != fmt.Sprint(waiting) {
		t.Errorf("waiting after the restore: %v, before: %v", got, waiting)
	}
	if _, err := os.Stat(data + ".damaged"); err != nil {
		t.Errorf("the damaged folder was not set aside: %v", err)
	}
}
