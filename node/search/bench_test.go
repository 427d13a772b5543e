package search

import (
	"bytes"
	"context"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/geo"
)

// Benchmarks over 80,000 generated docs. Run with
//
//	go test -run '^$' -bench . -benchmem -cpu 1,2 ./node/search
//
// BenchmarkBuild reports the heap the built index holds (heap-MB).

var (
	benchIndexOnce sync.Once
	benchIndex     *Index
)

// benchmarkIndex returns the index of the 80,000 generated docs, with its
// cache of ranked results off so that every search does all the work.
func benchmarkIndex(b *testing.B) *Index {
	b.Helper()
	docs := fixtureDocs(b, benchSize)
	benchIndexOnce.Do(func() {
		benchIndex = New(Options{Now: func() time.Time { return fixtureNow }, NoCache: true})
		if err := benchIndex.Build(docs); err != nil {
			b.Fatal(err)
		}
	})
	return benchIndex
}

// benchQuery is the target query: text, taxonomy prefix, 25 km around an
// FSA, open now.
func benchQuery(b *testing.B) o211.Query {
	p, err := geo.ParseNear("M5T")
	if err != nil {
		b.Fatal(err)
	}
	return o211.Query{Text: "food", Taxonomy: "BD", HasNear: true, Lat: p.Lat, Lon: p.Lon, RadiusKm: 25, OpenAt: fixtureNow}
}

func BenchmarkSearch_TextTaxonomyNearOpen(b *testing.B) {
	ix := benchmarkIndex(b)
	q := benchQuery(b)
	res, err := ix.Search(context.Background(), q)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(res.Total), "matches")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := ix.Search(context.Background(), q); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSearch_TextTaxonomyNearOpenCached asks the same query of an
// index with its cache on: the cost of a repeated search.
func BenchmarkSearch_TextTaxonomyNearOpenCached(b *testing.B) {
	ix := New(Options{Now: func() time.Time { return fixtureNow }})
	if err := ix.Build(fixtureDocs(b, benchSize)); err != nil {
		b.Fatal(err)
	}
	q := benchQuery(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := ix.Search(context.Background(), q); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkSearch_Queries(b *testing.B) {
	benchQueries(b, benchmarkIndex(b))
}

// BenchmarkSearch_QueriesAfterBatches is BenchmarkSearch_Queries over an
// index filled by batches of 128 services in id order (as a node's index
// after a large import through its API), not built at once in cluster
// order.
func BenchmarkSearch_QueriesAfterBatches(b *testing.B) {
	docs := fixtureDocs(b, benchSize)
	bySvc := map[string][]Doc{}
	var ids []string
	for _, d := range docs {
		if bySvc[d.ServiceID] == nil {
			ids = append(ids, d.ServiceID)
		}
		bySvc[d.ServiceID] = append(bySvc[d.ServiceID], d)
	}
	slices.Sort(ids)
	ix := New(Options{Now: func() time.Time { return fixtureNow }, NoCache: true})
	for i := 0; i < len(ids); i += 128 {
		batch := ids[i:min(i+128, len(ids))]
		var ds []Doc
		for _, id := range batch {
			ds = append(ds, bySvc[id]...)
		}
		if err := ix.replace(batch, ds, 1); err != nil {
			b.Fatal(err)
		}
	}
	benchQueries(b, ix)
}

func benchQueries(b *testing.B, ix *Index) {
	near := benchQuery(b)
	for _, tc := range []struct {
		name string
		q    o211.Query
	}{
		{"TextOnly", o211.Query{Text: "food bank"}},
		{"FrenchText", o211.Query{Text: "banque alimentaire"}},
		{"TypeAhead2", o211.Query{Text: "se"}},
		{"CommonWord", o211.Query{Text: "services"}},
		{"Browse", o211.Query{}},
		{"NearOnly", o211.Query{HasNear: true, Lat: near.Lat, Lon: near.Lon, RadiusKm: 25}},
		{"TaxonomyOpen", o211.Query{Taxonomy: "BH", OpenAt: fixtureNow}},
		{"DistinctText", o211.Query{Text: "counselling", Distinct: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := ix.Search(context.Background(), tc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkBuild(b *testing.B) {
	docs := fixtureDocs(b, benchSize)
	before := heapMB(nil)
	var ix *Index
	for b.Loop() {
		ix = nil
		ix = New(Options{})
		if err := ix.Build(docs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(heapMB(ix)-before, "index-MB")
}

// heapMB returns the heap in use, in MB, with x kept alive.
func heapMB(x any) float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	runtime.KeepAlive(x)
	return float64(m.HeapInuse) / (1 << 20)
}

func BenchmarkLoad(b *testing.B) {
	ix := benchmarkIndex(b)
	var buf bytes.Buffer
	if err := ix.Save(&buf, 1); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := Load(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/(1<<20), "file-MB")
}

func BenchmarkReplace_OneService(b *testing.B) {
	docs := fixtureDocs(b, benchSize)
	ix := MustBuildIndex(b, docs)
	i := 0
	for b.Loop() {
		d := docs[i%len(docs)]
		d.ServiceName += " updated"
		if err := ix.Replace([]string{d.ServiceID}, []Doc{d}); err != nil {
			b.Fatal(err)
		}
		i += 7
	}
}

// BenchmarkReplace_Batches is what a node does after a bulk import of as
// many services again as it holds, which also touches every service it
// held (a shared taxonomy term): half the docs are indexed, then every
// service is re-derived in batches of 256 into the live index, one
// goroutine (Indexer.UpdateServices).
func BenchmarkReplace_Batches(b *testing.B) {
	docs := fixtureDocs(b, benchSize)
	bySvc := map[string][]Doc{}
	var ids []string
	for _, d := range docs {
		if bySvc[d.ServiceID] == nil {
			ids = append(ids, d.ServiceID)
		}
		bySvc[d.ServiceID] = append(bySvc[d.ServiceID], d)
	}
	var first []Doc
	for _, id := range ids[:len(ids)/2] {
		first = append(first, bySvc[id]...)
	}
	for b.Loop() {
		b.StopTimer()
		ix := MustBuildIndex(b, first)
		b.StartTimer()
		for i := 0; i < len(ids); i += 256 {
			batch := ids[i:min(i+256, len(ids))]
			var ds []Doc
			for _, id := range batch {
				ds = append(ds, bySvc[id]...)
			}
			if err := ix.replace(batch, ds, 1); err != nil {
				b.Fatal(err)
			}
		}
	}
}
