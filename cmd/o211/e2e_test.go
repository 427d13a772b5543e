package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
)

// The real binary, built once for the tests of this package.
var o211Bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "o211-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	o211Bin = filepath.Join(dir, "o211")
	build := exec.Command("go", "build", "-race", "-o", o211Bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building o211: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runO211 runs the binary to completion and returns its output.
func runO211(t *testing.T, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(o211Bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func mustRun(t *testing.T, env []string, args ...string) string {
	t.Helper()
	out, errOut, err := runO211(t, env, args...)
	if err != nil {
		t.Fatalf("o211 %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// freeLoopback returns a loopback address that the processes a test
// kills and restarts can listen on again (see freePort).
func freeLoopback(t *testing.T) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// getJSONWithToken is testutil.GetJSON with "Authorization: Bearer token" (none
// when token is "").
func getJSONWithToken(url, token string, v any) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	return json.Unmarshal(b, v)
}

// startO211 starts a long-running subcommand and stops it (SIGTERM) when
// the test ends, checking it exits cleanly.
func startO211(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(o211Bin, args...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("o211 %s exited with %v\n%s", args[0], err, logs.String())
			}
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Errorf("o211 %s did not stop within 60 s of SIGTERM\n%s", args[0], logs.String())
		}
	})
	return cmd
}

func TestBinary_GenImportServeExport(t *testing.T) {
	dir := t.TempDir()
	pkg, data := filepath.Join(dir, "pkg"), filepath.Join(dir, "node")
	// --services is the province total; east gets its share (about 55).
	mustRun(t, nil, "gen", "--services", "400", "--seed", "3", "--region", "east", "--out", pkg)
	// Flags have environment forms: O211_DATA is --data.
	out := mustRun(t, []string{"O211_DATA=" + data}, "import", "--region", "east", "--format", "hsds-csv", pkg)
	if !strings.Contains(out, "0 rejected") {
		t.Fatalf("import report: %s", out)
	}
	mustRun(t, nil, "import", "--data", data, "--format", "211ontario", filepath.Join("..", "..", "testdata", "211ontario-sample.csv"))
	// A dry run of the same file again: nothing to add, change or remove.
	dry := mustRun(t, nil, "import", "--data", data, "--format", "hsds-csv", "--dry-run", pkg)
	if !strings.Contains(dry, "would create 0, update 0 and remove 0") || !strings.Contains(dry, "nothing was changed") {
		t.Fatalf("dry run: %s", dry)
	}

	t.Run("ErrBadFileNamesLineAndField", func(t *testing.T) {
		bad := filepath.Join(dir, "bad")
		os.MkdirAll(bad, 0o755)
		os.WriteFile(filepath.Join(bad, "services.csv"), []byte("id,name,status,minimum_age\ns-1,Food,active,12\ns-2,Meals,active,twelve\n"), 0o644)
		_, errOut, err := runO211(t, nil, "import", "--data", data, "--format", "hsds-csv", bad)
		if err == nil || !strings.Contains(errOut, "services.csv:3") || !strings.Contains(errOut, "minimum_age") {
			t.Fatalf("got %v, stderr %q; want a failure naming services.csv:3 and minimum_age", err, errOut)
		}
	})

	addr := freeLoopback(t)
	startO211(t, "node", "--data", data, "--http", addr)
	base := "http://" + addr
	testutil.CheckFor(t, 30*time.Second, func() error { return testutil.GetJSON(base+"/readyz", &map[string]any{}) })

	var res struct {
		Total   int `json:"total"`
		Results []struct {
			Region string `json:"region"`
		} `json:"results"`
	}
	if err := testutil.GetJSON(base+"/api/v1/search?q=banque+alimentaire", &res); err != nil || res.Total == 0 || res.Results[0].Region != "east" {
		t.Fatalf("French search: %+v, %v", res, err)
	}
	if err := testutil.GetJSON(base+"/api/v1/search?q=meals&near=M5T&radius_km=10", &res); err != nil || res.Total == 0 {
		t.Fatalf("search for the 211 Ontario sample's Toronto meals: %+v, %v", res, err)
	}
	var page struct {
		TotalItems int `json:"total_items"`
	}
	if err := testutil.GetJSON(base+"/hsds/services", &page); err != nil || page.TotalItems < 90 {
		t.Fatalf("/hsds/services: %d, %v", page.TotalItems, err)
	}

	t.Run("WriteAPIWithToken", func(t *testing.T) {
		token, _ := os.ReadFile(filepath.Join(data, "token"))
		body := `{"name":"Test organization","description":"Made by the end-to-end test"}`
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/organizations", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("create: %v %v", resp.Status, err)
		}
		resp.Body.Close()
	})

	t.Run("ErrStoreInUse", func(t *testing.T) {
		_, errOut, err := runO211(t, nil, "export", "--data", data, "--out", filepath.Join(dir, "x.json"), "--format", "hsds-json")
		if err == nil || !strings.Contains(errOut, "in use") {
			t.Fatalf("export while the node runs: %v, %q; want a clear 'in use' error", err, errOut)
		}
	})
}

func TestBinary_ExportImportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	pkg, a, b := filepath.Join(dir, "pkg"), filepath.Join(dir, "a"), filepath.Join(dir, "b")
	mustRun(t, nil, "gen", "--services", "200", "--seed", "5", "--out", pkg)
	mustRun(t, nil, "import", "--data", a, "--region", "north", "--format", "hsds-csv", pkg)
	for _, format := range []string{"hsds-json", "hsds-csv"} {
		out := filepath.Join(dir, "export-"+format)
		if format == "hsds-json" {
			out += ".json"
		}
		mustRun(t, nil, "export", "--data", a, "--format", format, "--out", out)
		// Importing the export into the directory it came from changes nothing.
		rep := mustRun(t, nil, "import", "--data", a, "--format", format, out)
		if !strings.Contains(rep, " 0 created, 0 updated") {
			t.Fatalf("%s re-import into the source: %s", format, rep)
		}
		// Into an empty directory it gives back the same records.
		target := b + "-" + format
		rep = mustRun(t, nil, "import", "--data", target, "--region", "north", "--format", format, out)
		created := strings.Fields(strings.SplitN(rep, "created", 2)[0])
		n, _ := strconv.Atoi(created[len(created)-1])
		if n == 0 {
			t.Fatalf("%s import into an empty node created nothing: %s", format, rep)
		}
		mustRun(t, nil, "export", "--data", target, "--format", "hsds-csv", "--out", target+"-again")
		for _, table := range []string{"services.csv", "locations.csv", "schedules.csv", "attributes.csv"} {
			x, _ := os.ReadFile(filepath.Join(dir, "export-hsds-csv", table))
			y, _ := os.ReadFile(filepath.Join(target+"-again", table))
			if format == "hsds-csv" && !bytes.Equal(x, y) {
				t.Fatalf("%s: %s differs after a round trip", format, table)
			}
		}
	}
}

func TestBinary_Demo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo starts a whole province")
	}
	dir := t.TempDir()
	cmd := startO211(t, "demo", "--data", dir, "--port-base", "0", "--services", "600", "--contacts-per-day", "60", "--log", "json")
	var m demoManifest
	// Generous: on first start the demo generates and imports six regions
	// and hashes 42 users' passwords (argon2id) on a shared machine.
	testutil.CheckFor(t, 240*time.Second, func() error {
		if cmd.ProcessState != nil {
			return fmt.Errorf("demo exited")
		}
		b, err := os.ReadFile(filepath.Join(dir, "demo.json"))
		if err != nil {
			return err
		}
		return json.Unmarshal(b, &m)
	})
	if len(m.Hubs) != 3 || len(m.Nodes) != 6 || m.Token == "" {
		t.Fatalf("demo.json: %+v", m)
	}
	roles := map[string]int{}
	for _, u := range m.Users {
		if u.Password == "" || u.Username == "" {
			t.Errorf("demo user without a name or password: %+v", u)
		}
		roles[u.Region+"/"+u.Role]++
	}
	if len(m.Users) != 7*len(o211.Roles) || len(roles) != len(m.Users) || roles["hub/analyst"] != 1 || roles["east/navigator"] != 1 {
		t.Errorf("demo.json users: %d, want one of each of %d roles for six regions and the hub: %v", len(m.Users), len(o211.Roles), roles)
	}
	for _, n := range m.Nodes {
		var res struct{ Total int }
		if err := testutil.GetJSON(n.HTTP+"/api/v1/search?q=food", &res); err != nil || res.Total == 0 {
			t.Fatalf("node %s search: %d, %v", n.Region, res.Total, err)
		}
	}
	for _, h := range m.Hubs {
		testutil.CheckFor(t, 30*time.Second, func() error {
			var st struct {
				Leader string `json:"leader"`
			}
			if err := testutil.GetJSON(h.HTTP+"/api/v1/cluster", &st); err != nil || st.Leader == "" {
				return fmt.Errorf("hub %s: leader %q, %v", h.ID, st.Leader, err)
			}
			return nil
		})
	}
	var regions struct {
		Regions []struct {
			ID string `json:"id"`
		} `json:"regions"`
	}
	if err := testutil.GetJSON(m.Hubs[2].HTTP+"/api/v1/regions", &regions); err != nil || len(regions.Regions) != 6 {
		t.Fatalf("hub regions: %+v, %v", regions, err)
	}
	// The generated contacts reach every hub replica's reports, from
	// every region.
	for _, h := range m.Hubs {
		testutil.CheckFor(t, 120*time.Second, func() error {
			var rep struct {
				Rows  []json.RawMessage `json:"rows"`
				Total struct {
					Value int `json:"value"`
				} `json:"total"`
			}
			if err := getJSONWithToken(h.HTTP+"/api/v1/reports/needs?measure=contacts&by=region", m.Token, &rep); err != nil {
				return err
			}
			if len(rep.Rows) != 6 || rep.Total.Value == 0 {
				return fmt.Errorf("hub %s reports %d contacts over %d regions", h.ID, rep.Total.Value, len(rep.Rows))
			}
			return nil
		})
	}
}

// Three real `o211 hub` processes: the leader is killed with SIGKILL twice
// while writes go on through the survivors, and every acknowledged record is
// on every replica afterwards.
func TestBinary_HubSurvivesLeaderKill(t *testing.T) {
	b := &hubBench{exe: o211Bin, dir: t.TempDir(), trials: 2, writers: 1, batch: 1, out: io.Discard, token: "t"}
	defer b.stopAll()
	ctx := t.Context()
	if err := b.startCluster(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.failovers(ctx, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	acked := int(b.seq[benchRegion(0)])
	for _, id := range b.ids {
		testutil.CheckFor(t, 30*time.Second, func() error {
			var page struct {
				TotalItems int `json:"total_items"`
			}
			if err := testutil.GetJSON("http://"+b.http[id]+"/hsds/organizations", &page); err != nil {
				return err
			}
			if page.TotalItems != acked {
				return fmt.Errorf("replica %s holds %d organizations, %d were acknowledged", id, page.TotalItems, acked)
			}
			return nil
		})
	}
}
