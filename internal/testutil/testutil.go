// Package testutil holds the helpers that the tests of several packages
// share: polling a condition with a deadline, a logger that writes to the
// test's log, loopback listeners, fetching JSON and opening a node store in
// a temporary directory.
//
// It imports node/store, so the package-internal tests of node/store and of
// the packages node/store imports cannot use it (import cycle); their
// external test packages can.
package testutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211/node/store"
)

// CheckFor polls fn every 10 ms until it returns nil, and fails the test
// with fn's last error once timeout has passed.
func CheckFor(tb testing.TB, timeout time.Duration, fn func() error) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after %s: %v", timeout, err)
		}
		t := time.NewTimer(10 * time.Millisecond)
		<-t.C
	}
}

// WaitFor polls ok until it reports true, and fails the test saying what
// was awaited once timeout has passed.
func WaitFor(tb testing.TB, timeout time.Duration, what string, ok func() bool) {
	tb.Helper()
	CheckFor(tb, timeout, func() error {
		if ok() {
			return nil
		}
		return errors.New(what)
	})
}

// Logger returns a logger that writes warnings and errors to the test's
// log until the test ends (everything with O211_TEST_LOG=debug), so that
// goroutines that outlive the test do not log into a finished test.
func Logger(tb testing.TB) *slog.Logger {
	w := &testWriter{tb: tb}
	tb.Cleanup(w.stop)
	level := slog.LevelWarn
	if os.Getenv("O211_TEST_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type testWriter struct {
	mu   sync.Mutex
	tb   testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.tb.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// GetJSON fetches url and decodes its JSON body into v. It returns an
// error, with the start of the body, for any status but 200.
func GetJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %.200s", url, resp.Status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// MustOpenStore opens a node store of region east, without fsync, in a
// temporary directory, and closes it when the test ends.
func MustOpenStore(tb testing.TB) *store.Store {
	tb.Helper()
	return MustOpenStoreWith(tb, store.Options{Region: "east", NoSync: true})
}

// MustOpenStoreWith opens a node store with opts in a temporary directory,
// and closes it when the test ends.
func MustOpenStoreWith(tb testing.TB, opts store.Options) *store.Store {
	tb.Helper()
	s, err := store.Open(filepath.Join(tb.TempDir(), "node.db"), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
