package importer_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/importer"
)

// peakHeap runs fn while sampling the bytes of live and not yet collected
// heap objects every millisecond, and returns the most it saw beyond what
// was in use before fn. The collector runs more often meanwhile, so that
// the figure follows what fn holds rather than its garbage.
func peakHeap(fn func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	before := read()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	peak = max(peak, read())
	if peak < before {
		return 0
	}
	return peak - before
}

// writeJSONFile writes a file of n services, each with a description of
// size bytes, as a page of the HSDS API (one object whose contents are the
// records: the shape that had to be read whole to be told from a record).
func writeJSONFile(t *testing.T, n, size int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "services.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "{\"total_items\": %d,\n \"contents\": [\n", n)
	desc := strings.Repeat("Hot meals for anyone who needs one. ", size/36+1)[:size]
	for i := range n {
		if i > 0 {
			w.WriteString(",\n")
		}
		fmt.Fprintf(w, `  {"id": "s%d", "name": "Meals %d", "status": "active", "description": %q}`, i, i, desc)
	}
	w.WriteString("\n]}\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// An hsds-json file is read a record at a time: reading a file of 23 MiB
// holds only a few of its records in memory at once (it was read whole,
// and held twice over, before). The records then go to the store in
// chunks of a bounded size (Options.ChunkRecords).
func TestImportJSON_StreamsBoundedMemory(t *testing.T) {
	const records, size = 400, 60 << 10
	path := writeJSONFile(t, records, size)
	var b *importer.Batch
	var err error
	peak := peakHeap(func() {
		b, err = importer.Parse(importer.FormatHSDSJSON, path, importer.Options{TempDir: t.TempDir()})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Len() != records || len(b.Problems) > 0 {
		t.Fatalf("read %d records (problems %v), want %d", b.Len(), b.Problems, records)
	}
	t.Logf("peak heap %d MiB for a %d MiB file", peak>>20, records*size>>20)
	if peak > records*size/2 {
		t.Errorf("the heap grew by %d MiB reading a %d MiB file; want a few records' worth", peak>>20, records*size>>20)
	}
}

// A single value past the limit is refused with its file and line before
// much of it is read.
func TestImportJSON_EnormousValueRefused(t *testing.T) {
	const valueBytes = 96 << 20
	path := filepath.Join(t.TempDir(), "services.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "[\n{\"id\": \"s1\", \"name\": \"Food\", \"status\": \"active\"},\n{\"id\": \"s2\", \"name\": \"")
	if _, err := io.Copy(f, &repeatReader{b: 'x', n: valueBytes}); err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "\"}]\n")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s := testutil.MustOpenStore(t)
	alloc := heapGrowth(func() {
		_, err = importer.Import(context.Background(), importer.Store(s), importer.FormatHSDSJSON, path, importer.Options{TempDir: t.TempDir()})
	})
	if o211.ErrorCode(err) != o211.ETOOLARGE || !strings.Contains(o211.ErrorMessage(err), "services.json:3") {
		t.Fatalf("got %v; want ETOOLARGE naming services.json:3", err)
	}
	if alloc > 80<<20 {
		t.Errorf("allocated %d MiB reading a %d MiB value; want it refused past 16 MiB", alloc>>20, valueBytes>>20)
	}
	if n, _ := s.Seq(); n != 0 {
		t.Errorf("the store changed (seq %d)", n)
	}
}
