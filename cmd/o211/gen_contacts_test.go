package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
)

// decodeContacts reads NDJSON contacts and checks each one.
func decodeContacts(t *testing.T, ndjson string) []*o211.Contact {
	t.Helper()
	var out []*o211.Contact
	sc := bufio.NewScanner(strings.NewReader(ndjson))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var c o211.Contact
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("line %d: %v: %s", len(out)+1, err, sc.Text())
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("line %d: %v", len(out)+1, err)
		}
		out = append(out, &c)
	}
	return out
}

func TestGenContacts(t *testing.T) {
	dir := t.TempDir()
	args := []string{"gen", "contacts", "--seed", "3", "--start", "2026-03-02", "--days", "2", "--per-day", "400", "--quiet"}
	a := mustRun(t, nil, append(args, "--out", "-")...)
	// Flags have environment forms; a file gets the same bytes.
	file := filepath.Join(dir, "contacts.ndjson")
	mustRun(t, []string{"O211_OUT=" + file}, args...)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != a {
		t.Fatalf("the file differs from standard output of the same flags (%d and %d bytes)", len(b), len(a))
	}
	cs := decodeContacts(t, a)
	if len(cs) < 600 || len(cs) > 1000 {
		t.Fatalf("%d contacts in two days at 400 a day", len(cs))
	}

	t.Run("RegionSurgeAndDirectory", func(t *testing.T) {
		pkg := filepath.Join(dir, "pkg")
		mustRun(t, nil, "gen", "--services", "800", "--seed", "3", "--out", pkg)
		out := mustRun(t, nil, "gen", "contacts", "--seed", "3", "--start", "2026-03-02", "--days", "2", "--region", "east",
			"--surge", "east:2026-03-03:1:3:2026-east-flood", "--directory", pkg, "--out", "-")
		tagged, referred := 0, 0
		for _, c := range decodeContacts(t, out) {
			if c.Region != "east" {
				t.Fatalf("contact of %s with --region east", c.Region)
			}
			if c.Emergency != "" {
				if c.Emergency != "2026-east-flood" || c.Start.Format("2006-01-02") != "2026-03-03" {
					t.Fatalf("contact of %v tagged %q", c.Start, c.Emergency)
				}
				tagged++
			}
			if len(c.Referrals) > 0 {
				referred++
			}
		}
		if tagged == 0 || referred == 0 {
			t.Fatalf("%d contacts tagged for the emergency, %d with referrals: want some of both", tagged, referred)
		}
	})
	t.Run("PostToNode", func(t *testing.T) {
		pkg, data := filepath.Join(dir, "east-pkg"), filepath.Join(dir, "east")
		mustRun(t, nil, "gen", "--services", "400", "--seed", "4", "--region", "east", "--out", pkg)
		mustRun(t, nil, "import", "--data", data, "--region", "east", "--format", "hsds-csv", "--quiet", pkg)
		addr := freeLoopback(t)
		startO211(t, "node", "--region", "east", "--data", data, "--http", addr, "--token", "gen-token")
		base := "http://" + addr
		testutil.CheckFor(t, 30*time.Second, func() error { return testutil.GetJSON(base+"/readyz", &map[string]any{}) })
		args := []string{"gen", "contacts", "--seed", "4", "--start", "2026-03-02", "--days", "1", "--per-day", "300",
			"--region", "east", "--directory", pkg, "--post", base, "--token", "gen-token", "--quiet"}
		out := mustRun(t, nil, args...)
		if !strings.Contains(out, " 0 there already") || strings.Contains(out, "(0 created") {
			t.Fatalf("first post: %s", out)
		}
		// Posting again creates nothing: the ids are the same.
		if out := mustRun(t, nil, args...); !strings.Contains(out, "(0 created") {
			t.Fatalf("second post: %s", out)
		}
		_, stderr, err := runO211(t, nil, append(args[:len(args)-3], "--token", "wrong")...)
		if err == nil || !strings.Contains(stderr, "401") {
			t.Fatalf("post with a wrong token: %v, %q", err, stderr)
		}
	})
	t.Run("ErrBadSurge", func(t *testing.T) {
		_, stderr, err := runO211(t, nil, "gen", "contacts", "--surge", "east:tomorrow:1:3", "--out", "-")
		if err == nil || !strings.Contains(stderr, "YYYY-MM-DD") {
			t.Fatalf("got %v, %q: want a failure that shows the surge's form", err, stderr)
		}
	})
}
