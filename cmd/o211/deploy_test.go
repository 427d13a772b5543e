package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/hub"
	"github.com/o211/o211/internal/testutil"
)

// The files of deploy/ (issue 16 point 1) are checked here, next to the
// flags they set: a flag added to 'o211 node' or 'o211 hub' without its line
// in deploy/systemd/*.env fails TestDeploy_EnvFilesListEveryFlag.

const deployDir = "../../deploy"

// needTool returns the path of a tool the deploy checks run, skipping the
// test when it is missing, except under CI=true, where .ci/run installs it.
func needTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing: .ci/run installs it from the Debian package %s", name, debianPackage)
	}
	t.Skipf("%s is missing (apt-get install %s); .ci/run installs it and CI=true makes this a failure", name, debianPackage)
	return ""
}

// commandFlags returns the O211_ environment names of a subcommand's flags,
// read from its --help.
func commandFlags(t *testing.T, command ...string) map[string]bool {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), append(command, "--help"), &out, &errOut); code != 0 {
		t.Fatalf("o211 %s --help: exit %d\n%s", strings.Join(command, " "), code, errOut.String())
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`\[(O211_[A-Z0-9_]+)\]`).FindAllStringSubmatch(errOut.String(), -1) {
		names[m[1]] = true
	}
	if len(names) == 0 {
		t.Fatalf("o211 %s --help lists %d flags: %s", strings.Join(command, " "), len(names), errOut.String())
	}
	return names
}

// envFile reads an environment file: the set variables, and every name
// that appears set or commented out (#O211_X=default).
func envFile(t *testing.T, path string) (set map[string]string, listed map[string]bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	set, listed = map[string]string{}, map[string]bool{}
	line := regexp.MustCompile(`^(#?)(O211_[A-Z0-9_]+)=(.*)$`)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			if s := strings.TrimSpace(sc.Text()); s != "" && !strings.HasPrefix(s, "#") {
				t.Errorf("%s:%d: %q is neither a comment nor O211_NAME=value", path, n, s)
			}
			continue
		}
		if listed[m[2]] {
			t.Errorf("%s:%d: %s listed twice", path, n, m[2])
		}
		listed[m[2]] = true
		if m[1] == "" {
			set[m[2]] = m[3]
		}
	}
	return set, listed
}

func TestDeploy_EnvFilesListEveryFlag(t *testing.T) {
	for _, tc := range []struct{ command, file, unit string }{
		{"node", "node.env", "o211-node.service"},
		{"hub", "hub.env", "o211-hub.service"},
	} {
		t.Run(tc.command, func(t *testing.T) {
			flags := commandFlags(t, tc.command)
			path := filepath.Join(deployDir, "systemd", tc.file)
			set, listed := envFile(t, path)
			for name := range flags {
				if !listed[name] {
					t.Errorf("%s lacks %s, a flag of 'o211 %s' (add it, commented out when the default fits)", path, name, tc.command)
				}
			}
			for name := range listed {
				if !flags[name] {
					t.Errorf("%s sets %s, which is no flag of 'o211 %s'", path, name, tc.command)
				}
			}
			unit, err := os.ReadFile(filepath.Join(deployDir, "systemd", tc.unit))
			if err != nil {
				t.Fatal(err)
			}
			state := regexp.MustCompile(`(?m)^StateDirectory=(\S+)$`).FindSubmatch(unit)
			if state == nil || set["O211_DATA"] != "/var/lib/"+string(state[1]) {
				t.Errorf("%s: O211_DATA=%s is not the StateDirectory of %s", path, set["O211_DATA"], tc.unit)
			}
			// Every value parses: the command gets past its flags and stops
			// only at the PKI files this machine lacks.
			args := []string{tc.command}
			env := []string{"PATH=" + os.Getenv("PATH"), "O211_PKI=" + t.TempDir()}
			for k, v := range set {
				if k != "O211_PKI" {
					env = append(env, k+"="+v)
				}
			}
			cmd := exec.Command(o211Bin, args...)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != 1 || bytes.Contains(out, []byte("O211_")) ||
				!bytes.Contains(out, []byte(".pem")) {
				t.Errorf("o211 %s with %s: exit %d (%v), want 1 for the missing certificate only:\n%s", tc.command, path, code, err, out)
			}
		})
	}
}

func TestDeploy_SystemdUnitsVerify(t *testing.T) {
	analyze := needTool(t, "systemd-analyze", "systemd")
	for _, name := range []string{"o211-node.service", "o211-hub.service"} {
		t.Run(name, func(t *testing.T) {
			unit, err := os.ReadFile(filepath.Join(deployDir, "systemd", name))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"User=o211", "NoNewPrivileges=yes", "ProtectSystem=strict", "StateDirectory=",
				"Restart=on-failure", "EnvironmentFile=/etc/o211/", "CapabilityBoundingSet=\n", "PrivateDevices=yes"} {
				if !bytes.Contains(unit, []byte(want)) {
					t.Errorf("%s lacks %q", name, want)
				}
			}
			if msg := verifyUnit(t, analyze, name, unit); msg != "" {
				t.Errorf("systemd-analyze verify %s:\n%s", name, msg)
			}
		})
	}
	t.Run("ACheckThatCanFail", func(t *testing.T) {
		unit, _ := os.ReadFile(filepath.Join(deployDir, "systemd", "o211-node.service"))
		bad := bytes.Replace(unit, []byte("NoNewPrivileges=yes"), []byte("NoNewPrivilege=yes"), 1)
		if msg := verifyUnit(t, analyze, "bad.service", bad); !strings.Contains(msg, "NoNewPrivilege") {
			t.Fatalf("a misspelled directive passed systemd-analyze verify: %q", msg)
		}
	})
}

// verifyUnit runs systemd-analyze verify on a copy of the unit whose
// ExecStart is the test's o211 binary (verify checks that it exists) and
// returns what it reports: any warning about the unit is a failure.
func verifyUnit(t *testing.T, analyze, name string, unit []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	unit = bytes.ReplaceAll(unit, []byte("/usr/local/bin/o211"), []byte(o211Bin))
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, name) {
			lines = append(lines, l)
		}
	}
	if err != nil {
		lines = append(lines, err.Error())
	}
	return strings.Join(lines, "\n")
}

func TestDeploy_PrometheusRules(t *testing.T) {
	promtool := needTool(t, "promtool", "prometheus")
	dir := filepath.Join(deployDir, "prometheus")
	for _, args := range [][]string{{"check", "rules", "o211-rules.yml"}, {"test", "rules", "o211-rules.test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// The dashboard's queries parse as PromQL too: promtool checks them as
	// recording rules, with Grafana's variables given values.
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, expr := range dashboardExprs(t) {
		expr = strings.NewReplacer("$__rate_interval", "5m", "$instance", ".*").Replace(expr)
		q, _ := json.Marshal(expr)
		fmt.Fprintf(&rules, "      - record: o211:dashboard_%d\n        expr: %s\n", i, q)
	}
	path := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(path, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("the dashboard's queries: promtool check rules: %v\n%s", err, out)
	}
}

// dashboardExprs returns every query of the Grafana dashboard, checking
// that panels have unique ids and at least one query each.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, "grafana", "o211-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string `json:"uid"`
		Panels []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("o211-dashboard.json: %v", err)
	}
	ids := map[int]bool{}
	var exprs []string
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("dashboard panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("dashboard panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			exprs = append(exprs, q.Expr)
		}
	}
	if d.UID == "" || len(exprs) < 10 {
		t.Fatalf("dashboard: uid %q, %d queries", d.UID, len(exprs))
	}
	return exprs
}

// referencedMetrics returns the o211_ metric names the alert rules and the
// dashboard use (a histogram by its base name).
func referencedMetrics(t *testing.T) []string {
	t.Helper()
	rules, err := os.ReadFile(filepath.Join(deployDir, "prometheus", "o211-rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(rules) + strings.Join(dashboardExprs(t), "\n")
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`\bo211_[a-z0-9_]+`).FindAllString(text, -1) {
		m = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_count"), "_sum")
		seen[m] = true
	}
	var names []string
	for m := range seen {
		names = append(names, m)
	}
	sort.Strings(names)
	return names
}

// TestDeploy_MetricsExist runs a hub of three replicas and a linked node
// (real processes), makes them serve a search and forward a write, and
// checks that every metric the rules and the dashboard use is exported.
func TestDeploy_MetricsExist(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a hub of three processes and a node")
	}
	want := referencedMetrics(t)
	dir := t.TempDir()
	pki, ids, web, leaf, _ := startBinaryHub(t, dir)
	// A write through every replica: the followers forward theirs.
	for _, id := range ids {
		cl := &hub.Client{BaseURL: "http://" + web[id], Token: "t"}
		testutil.CheckFor(t, 60*time.Second, func() error {
			_, err := cl.PutRegion(context.Background(), o211.Region{ID: "east", Name: "East"})
			return err
		})
	}
	nodeHTTP := freeLoopback(t)
	startProc(t, linkedNodeArgs("east", filepath.Join(dir, "east"), nodeHTTP, pki, leaf)...)
	testutil.CheckFor(t, 60*time.Second, func() error {
		exported := map[string]bool{}
		urls := []string{"http://" + nodeHTTP}
		for _, id := range ids {
			urls = append(urls, "http://"+web[id])
		}
		if resp, err := http.Get("http://" + nodeHTTP + "/api/v1/search?q=food"); err == nil {
			resp.Body.Close()
		}
		for _, u := range urls {
			if err := scrapeNames(u+"/metrics", exported); err != nil {
				return err
			}
		}
		var missing []string
		for _, m := range want {
			if !exported[m] {
				missing = append(missing, m)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("the rules or the dashboard use metrics no process exports: %s", strings.Join(missing, ", "))
		}
		return nil
	})
}

// scrapeNames adds the metric names of a Prometheus text exposition to names.
func scrapeNames(url string, names map[string]bool) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 4 && f[0] == "#" && f[1] == "TYPE" {
			names[f[2]] = true
		}
	}
	return nil
}
