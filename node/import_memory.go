package node

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// importHeadroom is how much Go memory an import may use above the heap
// that survived the last collection, before the collector runs: the
// import's parsing, writes and index batches make tens of megabytes of
// garbage a second, and with the default GOGC the heap would grow to
// twice what is live (the index of the whole directory) between
// collections.
const importHeadroom = 160 << 20

// importMemory is the process's soft memory limit while imports run
// (see memoryBudget).
var importMemory = &memoryBudget{
	headroom: importHeadroom,
	every:    250 * time.Millisecond,
	setLimit: debug.SetMemoryLimit,
	live:     liveHeap,
	release:  debug.FreeOSMemory,
}

// memoryBudget sets the Go runtime's soft memory limit (debug.SetMemoryLimit)
// to the live heap plus headroom while at least one import runs, following
// the live heap as the import grows or shrinks it, and puts the limit back
// as it was when the last import ends. A node serving searches so stays
// near its steady size during an import instead of letting the collector's
// target double with the index: the cost is more frequent collections,
// each of which marks only what is live. The limit never goes above the
// one set before (GOMEMLIMIT). It is safe for concurrent use: several
// nodes in one process (tests, the demo) may import at once, and the first
// import's saved limit is restored only after the last one ends.
type memoryBudget struct {
	headroom int64
	every    time.Duration // how often the limit follows the live heap
	setLimit func(int64) int64
	live     func() int64
	release  func() // returns freed memory to the system after the last import

	mu     sync.Mutex
	active int
	prev   int64         // the limit before the first running import
	limit  int64         // the limit set
	stop   chan struct{} // closed when the last running import ends
}

// begin starts an import's budget; the returned function ends it (call it
// once, when the import and its index update are done).
func (m *memoryBudget) begin() (end func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.active == 0 {
		m.prev = m.setLimit(-1)
		m.limit = m.prev
		m.stop = make(chan struct{})
		go m.follow(m.stop)
	}
	m.active++
	m.adjustLocked()
	var once sync.Once
	return func() { once.Do(m.end) }
}

func (m *memoryBudget) end() {
	m.mu.Lock()
	m.active--
	last := m.active == 0
	if last {
		close(m.stop)
		m.setLimit(m.prev)
		m.limit = m.prev
	}
	m.mu.Unlock()
	if last && m.release != nil {
		m.release()
	}
}

// follow adjusts the limit every m.every until stop is closed.
func (m *memoryBudget) follow(stop <-chan struct{}) {
	t := time.NewTicker(m.every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		m.mu.Lock()
		select {
		case <-stop: // the last import ended while this waited for mu
		default:
			m.adjustLocked()
		}
		m.mu.Unlock()
	}
}

// adjustLocked sets the limit to the live heap plus the headroom, at most
// the limit set before the imports.
func (m *memoryBudget) adjustLocked() {
	want := m.live()
	if want > math.MaxInt64-m.headroom {
		want = math.MaxInt64
	} else {
		want += m.headroom
	}
	want = min(want, m.prev)
	if want != m.limit {
		m.limit = want
		m.setLimit(want)
	}
}

// liveHeap returns the bytes of heap that the last collection found live.
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return math.MaxInt64 // unknown: no budget
	}
	return int64(min(s[0].Value.Uint64(), math.MaxInt64))
}
