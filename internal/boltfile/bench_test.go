package boltfile

import (
	"encoding/binary"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// writeFn is a way to run a write: Committer.Do or DB.Batch.
type writeFn func(func(*bolt.Tx) error) error

var groupCommitWays = []struct {
	name string
	do   func(db *bolt.DB, c *Committer) writeFn
}{
	{"Committer", func(_ *bolt.DB, c *Committer) writeFn { return c.Do }},
	{"DB.Batch-1ms", func(db *bolt.DB, _ *Committer) writeFn { return db.Batch }},
}

// BenchmarkGroupCommit compares the Committer with bbolt's DB.Batch and
// the 1 ms delay the gateway used before, writing 200-byte records with
// fsync on. Closed: 100 goroutines each write again as soon as its write
// returns. Open: writes arrive at 400 a second, each in its own goroutine
// (as chat messages do), and every commit takes 10 ms more (an OnCommit
// pause holding the file, as a slow fsync does on a busy disk). It
// reports the writes each commit carried (each commit is two fsyncs) and
// the write latency's p50 and p99.
func BenchmarkGroupCommit(b *testing.B) {
	for _, way := range groupCommitWays {
		b.Run("Closed100/"+way.name, func(b *testing.B) { benchGroupCommit(b, way.do, 0) })
		b.Run("Open400-SlowCommit/"+way.name, func(b *testing.B) { benchGroupCommit(b, way.do, 10*time.Millisecond) })
	}
}

func benchGroupCommit(b *testing.B, way func(*bolt.DB, *Committer) writeFn, slow time.Duration) {
	db, err := Open(filepath.Join(b.TempDir(), "x.db"), testSchema, false)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.MaxBatchDelay = time.Millisecond
	c := NewCommitter(db, 0)
	defer c.Close()
	do := way(db, c)
	var seq atomic.Uint64
	var mu sync.Mutex
	txs := map[int]bool{}
	var lat []time.Duration
	write := func() {
		k := binary.BigEndian.AppendUint64(nil, seq.Add(1))
		t0 := time.Now()
		err := do(func(tx *bolt.Tx) error {
			id := tx.ID()
			mu.Lock()
			if !txs[id] {
				txs[id] = true
				tx.OnCommit(func() { time.Sleep(slow) })
			}
			mu.Unlock()
			return tx.Bucket(bucketData).Put(k, make([]byte, 200))
		})
		if err != nil {
			b.Error(err)
		}
		mu.Lock()
		lat = append(lat, time.Since(t0))
		mu.Unlock()
	}
	b.ResetTimer()
	if slow == 0 {
		b.SetParallelism(50)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				write()
			}
		})
	} else {
		var wg sync.WaitGroup
		tick := time.NewTicker(time.Second / 400)
		for range b.N {
			<-tick.C
			wg.Add(1)
			go func() { defer wg.Done(); write() }()
		}
		tick.Stop()
		wg.Wait()
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(len(lat))/float64(max(1, len(txs))), "writes/commit")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
