package node

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/api"
)

// writeFeed writes a datapackage of services named name 0..n-1 (skipping
// those in skip), each of its own organization at its own location.
func writeFeed(t *testing.T, n int, name func(i int) string) string {
	t.Helper()
	dir := t.TempDir()
	var org, svc, loc, sal strings.Builder
	org.WriteString("id,name,description\n")
	svc.WriteString("id,organization_id,name,status\n")
	loc.WriteString("id,organization_id,location_type,latitude,longitude\n")
	sal.WriteString("id,service_id,location_id\n")
	for i := range n {
		if name(i) == "" {
			continue
		}
		fmt.Fprintf(&org, "org-f%d,Agency %d,\n", i, i)
		fmt.Fprintf(&svc, "svc-f%d,org-f%d,%s,active\n", i, i, name(i))
		fmt.Fprintf(&loc, "loc-f%d,org-f%d,physical,45.4,-75.7\n", i, i)
		fmt.Fprintf(&sal, "sal-f%d,svc-f%d,loc-f%d\n", i, i, i)
	}
	for file, b := range map[string]*strings.Builder{"organizations.csv": &org, "services.csv": &svc,
		"locations.csv": &loc, "service_at_location.csv": &sal} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// An import through the node updates the search index when it ends, in
// batches, whether it follows the changes to their services (a small
// import) or re-derives every service (a large one); a sync's removals
// leave the index, records entered by hand stay, and the index is then
// known to reflect the whole store.
func TestDirectory_ImportUpdatesIndex(t *testing.T) {
	for _, tc := range []struct {
		name      string
		bulkAllAt int
	}{{"FollowChanges", fullRebuildAt}, {"EveryService", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustOpenDirectory(t, filepath.Join(t.TempDir(), "node.db"))
			defer d.Close()
			d.bulkAllAt = tc.bulkAllAt
			mustWriteDir(t, d, foodBank(0, "Harvest pantry")...)
			imp := importer{dir: d, tempDir: t.TempDir(), mu: &sync.Mutex{}}
			ctx := o211.WithActor(context.Background(), o211.System("test"))
			run := func(pkg string) {
				t.Helper()
				if _, err := imp.Import(ctx, "hsds-csv", pkg, api.ImportOptions{Source: "feed"}); err != nil {
					t.Fatal(err)
				}
			}
			const n = 3*bulkBatch + 10 // several batches
			run(writeFeed(t, n, func(i int) string { return fmt.Sprintf("Meals program %d", i) }))
			if got := searchTotal(t, d, "meals"); got != n {
				t.Fatalf("after the import: %d results for meals, want %d", got, n)
			}
			// Again, without the first ten and with one renamed.
			run(writeFeed(t, n, func(i int) string {
				switch {
				case i < 10:
					return ""
				case i == 10:
					return "Shelter beds"
				}
				return fmt.Sprintf("Meals program %d", i)
			}))
			for text, want := range map[string]int{"meals": n - 11, "shelter": 1, "pantry": 1} {
				if got := searchTotal(t, d, text); got != want {
					t.Errorf("after the sync: %d results for %s, want %d", got, text, want)
				}
			}
			if seq, _ := d.store.Seq(); d.indexedSeq.Load() != seq || d.bulk {
				t.Errorf("index at seq %d (bulk %v); the store is at %d", d.indexedSeq.Load(), d.bulk, seq)
			}
		})
	}
}

// The pacer rests an import restPerWork times as long as it worked, at
// most maxRest, while searches come in, and not at all otherwise.
func TestPacer(t *testing.T) {
	d := mustOpenDirectory(t, filepath.Join(t.TempDir(), "node.db"))
	defer d.Close()
	now := time.Date(2026, 12, 7, 23, 0, 0, 0, time.UTC)
	var slept []time.Duration
	p := newPacer(nil, d)
	p.now = func() time.Time { return now }
	p.sleep = func(d time.Duration) { slept = append(slept, d) }
	p.last = now
	work := func(d time.Duration) { now = now.Add(d); p.pause() }
	work(3 * time.Millisecond) // no search yet
	d.lastSearch.Store(now.UnixNano())
	work(2 * time.Millisecond)
	work(maxRest/restPerWork + time.Millisecond)
	work(searchActive) // the last search is now too old
	if want := []time.Duration{2 * restPerWork * time.Millisecond, maxRest}; !slices.Equal(slept, want) {
		t.Fatalf("rested %v, want %v", slept, want)
	}
}

// TestPacedWriter: a backup yields once per backupChunk written, and writes
// every byte.
func TestPacedWriter(t *testing.T) {
	var out bytes.Buffer
	pauses := 0
	pw := &pacedWriter{w: &out, pause: func() { pauses++ }}
	chunk := make([]byte, backupChunk/4+1)
	for range 9 {
		if _, err := pw.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if want := 2; pauses != want {
		t.Fatalf("%d pauses for %d bytes, want %d", pauses, out.Len(), want)
	}
	if out.Len() != 9*len(chunk) {
		t.Fatalf("wrote %d bytes, want %d", out.Len(), 9*len(chunk))
	}
}
