package console_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211/node"
	"github.com/o211/o211/node/auth"
)

// fixtureNow is the clock of the portal in the tests: a Monday at 10:00
// in Toronto, when the French food bank is open.
var fixtureNow = time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)

// Service ids of testdata/portal.json (uuid5 of their keys).
const (
	banqueID   = "66c01037-8fd8-52b4-ae98-19b14d811ce8"
	cupboardID = "8890923b-2674-5053-b3d7-6248605b16e1"
)

// testHasher keeps the tests' password hashes cheap (the login benchmark
// measures the real costs).
var testHasher = auth.NewHasher(auth.Params{Memory: 1024, Time: 1, Threads: 1}, 2)

// MustStartPortal starts a real node of region east on a temporary folder
// and imports testdata/portal.json through its import API, so that the
// portal's pages read a real store and search index.
func MustStartPortal(tb testing.TB) *node.Node {
	tb.Helper()
	return MustStartPortalWith(tb, nil)
}

// MustStartPortalWith is MustStartPortal with the node logging to log
// (slog's default when nil).
func MustStartPortalWith(tb testing.TB, log *slog.Logger) *node.Node {
	tb.Helper()
	n := node.New(node.Config{Region: "east", DataDir: tb.TempDir(), HTTPAddr: "127.0.0.1:0", Token: "tok",
		NoSync: true, Now: func() time.Time { return fixtureNow }, Hasher: testHasher, Logger: log})
	if err := n.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { n.Close() })
	body, err := os.ReadFile("testdata/portal.json")
	if err != nil {
		tb.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, n.URL()+"/api/v1/import?format=hsds-json", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		tb.Fatalf("importing the fixture: %s %s", resp.Status, b)
	}
	return n
}

// page is one answer of the portal.
type page struct {
	status int
	header http.Header
	body   string
}

// get fetches a page with the given request headers (name, value pairs).
func get(tb testing.TB, client *http.Client, url string, headers ...string) page {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (p page) mustStatus(tb testing.TB, want int) page {
	tb.Helper()
	if p.status != want {
		tb.Fatalf("status %d, want %d; body starts %.300s", p.status, want, p.body)
	}
	return p
}

func (p page) mustContain(tb testing.TB, wants ...string) page {
	tb.Helper()
	for _, w := range wants {
		if !strings.Contains(p.body, w) {
			tb.Errorf("page lacks %q", w)
		}
	}
	return p
}

func (p page) mustNotContain(tb testing.TB, wants ...string) page {
	tb.Helper()
	for _, w := range wants {
		if strings.Contains(p.body, w) {
			tb.Errorf("page has %q", w)
		}
	}
	return p
}

// jarClient returns a client that keeps cookies.
func jarClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}
