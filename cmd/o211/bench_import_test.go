//go:build unix

package main

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/o211/o211/cmd/o211/internal/gen"
	"github.com/o211/o211/node/importer"
	"github.com/o211/o211/node/store"
)

// The benchmarks of the importer over a generated province live here
// because the generator is internal to the binary.

// writeLargeDatapackage writes the generated directory of a province of n
// services as a datapackage and returns its number of rows.
func writeLargeDatapackage(tb testing.TB, dir string, n int) int {
	tb.Helper()
	st, err := gen.WriteDatapackage(dir, gen.Options{Services: n, Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	rows := 0
	for _, c := range st.Rows {
		rows += c
	}
	return rows
}

// BenchmarkImport_Datapackage60k imports the generated datapackage of a
// 60,000-service province (package gen; about 800,000 rows) into an empty
// store. Target: 30 s on two cores.
//
//	go test -run '^$' -bench Import_Datapackage60k -benchtime 1x ./cmd/o211
func BenchmarkImport_Datapackage60k(b *testing.B) {
	dir := b.TempDir()
	rows := writeLargeDatapackage(b, dir, 60000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := store.Open(filepath.Join(b.TempDir(), "node.db"), store.Options{Region: "east", NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start, cpu := time.Now(), cpuTime()
		var parsed time.Duration
		// SkipInvalid: the generator writes a few descriptions that are not
		// valid UTF-8; the store rejects them.
		rep, err := importer.Import(context.Background(), importer.Store(s), importer.FormatHSDSCSV, dir, importer.Options{
			SkipInvalid: true,
			Progress: func(stage string, done, total int) {
				if stage == importer.StageWrite && parsed == 0 {
					parsed = time.Since(start)
				}
			}})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Created+len(rep.Rejected) != rows || len(rep.Rejected) > 10 {
			b.Fatalf("created %d of %d rows; rejected %v", rep.Created, rows, rep.Rejected)
		}
		b.ReportMetric(float64(rows), "rows")
		b.ReportMetric(parsed.Seconds(), "parse-s")
		b.ReportMetric((cpuTime() - cpu).Seconds(), "cpu-s")
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

// cpuTime returns the CPU time the process has used (user and system), to
// tell the import's own cost from the wait for a busy machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkParse_Datapackage60k reads the datapackage of
// BenchmarkImport_Datapackage60k without writing it.
func BenchmarkParse_Datapackage60k(b *testing.B) {
	dir := b.TempDir()
	rows := writeLargeDatapackage(b, dir, 60000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch, err := importer.Parse(importer.FormatHSDSCSV, dir, importer.Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := batch.Len()
		batch.Close()
		if n != rows {
			b.Fatalf("parsed %d of %d rows", n, rows)
		}
	}
	b.ReportMetric(float64(rows), "rows")
}
