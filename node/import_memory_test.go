package node

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/api"
)

// limitRecorder stands in for debug.SetMemoryLimit: it keeps the limit and
// every value set.
type limitRecorder struct {
	mu    sync.Mutex
	limit int64
	set   []int64
	check func(limit int64) // called with each limit set, when not nil
}

func (r *limitRecorder) setLimit(v int64) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	prev := r.limit
	if v >= 0 {
		r.limit = v
		r.set = append(r.set, v)
		if r.check != nil {
			r.check(v)
		}
	}
	return prev
}

func (r *limitRecorder) values() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.set)
}

// The budget sets the limit to the live heap plus the headroom, follows
// the live heap while imports run, never goes above the limit set before,
// and puts that limit back only when the last of two overlapping imports
// ends, releasing memory then.
func TestMemoryBudget(t *testing.T) {
	const prev, headroom = 1 << 30, 100
	rec := &limitRecorder{limit: prev}
	var mu sync.Mutex
	live := int64(1000)
	released := 0
	m := &memoryBudget{headroom: headroom, every: time.Millisecond, setLimit: rec.setLimit,
		live:    func() int64 { mu.Lock(); defer mu.Unlock(); return live },
		release: func() { released++ }}
	endA := m.begin()
	if got := rec.values(); !slices.Equal(got, []int64{1100}) {
		t.Fatalf("limits set at the start: %v, want [1100]", got)
	}
	mu.Lock()
	live = 5000
	mu.Unlock()
	testutil.CheckFor(t, 5*time.Second, func() error {
		if l := rec.setLimit(-1); l != 5100 {
			return fmt.Errorf("limit %d once the live heap grew to 5000, want 5100", l)
		}
		return nil
	})
	endB := m.begin() // a second import, overlapping the first
	mu.Lock()
	live = prev // the budget would exceed the limit set before
	mu.Unlock()
	testutil.CheckFor(t, 5*time.Second, func() error {
		if l := rec.setLimit(-1); l != prev {
			return fmt.Errorf("limit %d with a live heap of the old limit, want %d", l, prev)
		}
		return nil
	})
	mu.Lock()
	live = 2000
	mu.Unlock()
	endA()
	endA() // twice is once
	testutil.CheckFor(t, 5*time.Second, func() error {
		if l := rec.setLimit(-1); l != 2100 {
			return fmt.Errorf("limit %d while the second import runs, want 2100", l)
		}
		return nil
	})
	if released != 0 {
		t.Fatalf("memory released %d times before the last import ended", released)
	}
	endB()
	if l := rec.setLimit(-1); l != prev || released != 1 {
		t.Fatalf("after the last import: limit %d, released %d times; want %d, once", l, released, prev)
	}
	select { // nothing follows the live heap any more
	case <-m.stop:
	default:
		t.Fatal("the budget still follows the live heap after the last import")
	}
}

// An import through the node runs under the memory budget until its index
// update is done: the limit is set when it starts and put back as it was
// only once the index holds the imported services.
func TestImport_MemoryBudgetUntilIndexed(t *testing.T) {
	d := mustOpenDirectory(t, filepath.Join(t.TempDir(), "node.db"))
	defer d.Close()
	const prev, live, n = 1 << 40, 64 << 20, bulkBatch + 10
	rec := &limitRecorder{limit: prev}
	var restoredAt []int // the index's docs when the old limit came back
	rec.check = func(l int64) {
		if l == prev {
			restoredAt = append(restoredAt, d.IndexLen())
		}
	}
	m := &memoryBudget{headroom: importHeadroom, every: time.Millisecond, setLimit: rec.setLimit,
		live: func() int64 { return live }}
	imp := importer{dir: d, tempDir: t.TempDir(), mu: &sync.Mutex{}, memory: m}
	ctx := o211.WithActor(context.Background(), o211.System("test"))
	pkg := writeFeed(t, n, func(i int) string { return fmt.Sprintf("Meals program %d", i) })
	if _, err := imp.Import(ctx, "hsds-csv", pkg, api.ImportOptions{Source: "feed"}); err != nil {
		t.Fatal(err)
	}
	got := rec.values()
	if len(got) < 2 || got[0] != live+importHeadroom || got[len(got)-1] != prev {
		t.Fatalf("limits set: %v; want %d first and %d last", got, live+importHeadroom, prev)
	}
	if !slices.Equal(restoredAt, []int{n}) {
		t.Fatalf("the old limit came back with %v docs in the index, want once with %d", restoredAt, n)
	}
}
