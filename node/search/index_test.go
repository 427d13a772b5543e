package search

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/o211/o211"
)

func TestIndex_Build(t *testing.T) {
	t.Run("ErrDuplicateKey", func(t *testing.T) {
		docs := testDocs()
		docs[1].Key = docs[0].Key
		ix := MustBuildIndex(t, testDocs())
		if err := ix.Build(docs); o211.ErrorCode(err) != o211.EINVALID {
			t.Fatalf("error %v, want %s", err, o211.EINVALID)
		}
		if ix.Len() != len(docs) {
			t.Fatalf("len %d after a failed build, want the old %d", ix.Len(), len(docs))
		}
	})
	t.Run("ErrNoServiceID", func(t *testing.T) {
		docs := testDocs()
		docs[0].ServiceID = ""
		if err := New(Options{}).Build(docs); o211.ErrorCode(err) != o211.EINVALID {
			t.Fatalf("error %v, want %s", err, o211.EINVALID)
		}
	})
	t.Run("Rebuild", func(t *testing.T) {
		ix := MustBuildIndex(t, testDocs())
		if err := ix.Build(testDocs()[:3]); err != nil {
			t.Fatal(err)
		}
		if ix.Len() != 3 || mustSearch(t, ix, o211.Query{Text: "hampers"}).Total != 1 {
			t.Fatalf("after rebuild: len %d", ix.Len())
		}
	})
}

func TestIndex_Replace(t *testing.T) {
	ix := MustBuildIndex(t, testDocs())
	n := ix.Len()
	t.Run("UpdateService", func(t *testing.T) {
		d := testDocs()[2] // shelter-en
		d.ServiceName, d.OrganizationName = "Seaton House Respite Centre", "Seaton House"
		if err := ix.Replace([]string{d.ServiceID}, []Doc{d}); err != nil {
			t.Fatal(err)
		}
		if ix.Len() != n {
			t.Fatalf("len %d, want %d", ix.Len(), n)
		}
		if got := sortedKeys(mustSearch(t, ix, o211.Query{Text: "respite"})); !slices.Equal(got, []string{"shelter-en/l1"}) {
			t.Fatalf("new word: got %q", got)
		}
		if got := sortedKeys(mustSearch(t, ix, o211.Query{Text: "shelter"})); len(got) != 0 {
			t.Fatalf("old word: got %q, want none", got)
		}
		if got := sortedKeys(mustSearch(t, ix, o211.Query{Text: "resp"})); !slices.Equal(got, []string{"shelter-en/l1"}) {
			t.Fatalf("type-ahead on a new word: got %q", got)
		}
	})
	t.Run("RemoveService", func(t *testing.T) {
		if err := ix.Replace([]string{"multi"}, nil); err != nil {
			t.Fatal(err)
		}
		if ix.Len() != n-2 || mustSearch(t, ix, o211.Query{Text: "pantry"}).Total != 0 {
			t.Fatalf("len %d, want %d, and no pantry", ix.Len(), n-2)
		}
	})
	t.Run("AddService", func(t *testing.T) {
		d := testDocs()[0]
		d.Key, d.ServiceID, d.ServiceName, d.Taxonomy = "new/l1", "new", "Brand New Diaper Bank", []string{"BM-6500.1500"}
		d.OrganizationName = "Diapers Inc"
		if err := ix.Replace(nil, []Doc{d}); err != nil {
			t.Fatal(err)
		}
		if got := sortedKeys(mustSearch(t, ix, o211.Query{Text: "diapers", Taxonomy: "BM"})); !slices.Equal(got, []string{"new/l1"}) {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("ImplicitRemovalOfDocsServices", func(t *testing.T) {
		d := testDocs()[0]
		d.Key, d.LocationID = "food-en/l2", "l2" // the service moved to another location
		if err := ix.Replace(nil, []Doc{d}); err != nil {
			t.Fatal(err)
		}
		if got := sortedKeys(mustSearch(t, ix, o211.Query{Text: "daily bread"})); !slices.Equal(got, []string{"food-en/l2"}) {
			t.Fatalf("got %q, want only the new location", got)
		}
	})
	t.Run("ErrDuplicateKeyChangesNothing", func(t *testing.T) {
		before := ix.Len()
		d := testDocs()[4]
		if err := ix.Replace([]string{"health"}, []Doc{d, d}); o211.ErrorCode(err) != o211.EINVALID {
			t.Fatalf("error %v, want %s", err, o211.EINVALID)
		}
		if ix.Len() != before || mustSearch(t, ix, o211.Query{Text: "clinique"}).Total != 1 {
			t.Fatal("a failed replace changed the index")
		}
	})
}

// TestIndex_ReplaceCompacts replaces every service many times, so that
// removed docs are squeezed out more than once, and checks the results
// against a fresh build.
func TestIndex_ReplaceCompacts(t *testing.T) {
	docs := fixtureDocs(t, 3000)
	ix := MustBuildIndex(t, docs)
	bySvc := map[string][]Doc{}
	var ids []string
	for _, d := range docs {
		if bySvc[d.ServiceID] == nil {
			ids = append(ids, d.ServiceID)
		}
		bySvc[d.ServiceID] = append(bySvc[d.ServiceID], d)
	}
	for round := 0; round < 3; round++ {
		for i := 0; i < len(ids); i += 50 {
			batch := ids[i:min(i+50, len(ids))]
			var add []Doc
			for _, id := range batch {
				add = append(add, bySvc[id]...)
			}
			if err := ix.Replace(batch, add); err != nil {
				t.Fatal(err)
			}
		}
	}
	if s := ix.cur.Load(); s.nDead > len(s.hot)/4 {
		t.Fatalf("%d dead of %d docs: want compaction", s.nDead, len(s.hot))
	}
	fresh := MustBuildIndex(t, docs)
	for _, q := range oracleQueries(t, 40) {
		q.PerPage = 200
		got, want := mustSearch(t, ix, q), mustSearch(t, fresh, q)
		if got.Total != want.Total || (got.Total <= q.PerPage && !slices.Equal(sortedKeys(got), sortedKeys(want))) {
			t.Fatalf("query %+v: replaced index gives %d results, fresh build %d", q, got.Total, want.Total)
		}
	}
}

// TestIndex_ReplaceAtomic runs searches while services are replaced in
// batches: every search must see either all of a batch or none of it.
func TestIndex_ReplaceAtomic(t *testing.T) {
	docs := fixtureDocs(t, 2000)
	ix := MustBuildIndex(t, docs)
	// Each round renames the same 100 services' docs "roundN"; a search for
	// a round's word finds all of them or none.
	var svcs []string
	bySvc := map[string][]Doc{}
	for _, d := range docs {
		if len(svcs) < 100 && bySvc[d.ServiceID] == nil {
			svcs = append(svcs, d.ServiceID)
		}
		bySvc[d.ServiceID] = append(bySvc[d.ServiceID], d)
	}
	batchDocs := 0
	for _, id := range svcs {
		batchDocs += len(bySvc[id])
	}
	const rounds = 30
	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := 0; r < 4; r++ {
		wg.Go(func() {
			for i := 0; !done.Load(); i++ {
				word := fmt.Sprintf("zround%d", i%rounds)
				res, err := ix.Search(context.Background(), o211.Query{Text: word, PerPage: 1, IncludeInactive: true})
				if err != nil {
					errs <- err
					return
				}
				if res.Total != 0 && res.Total != batchDocs {
					errs <- fmt.Errorf("search %q saw %d docs, want 0 or %d", word, res.Total, batchDocs)
					return
				}
				if n := ix.Len(); n != len(docs) {
					errs <- fmt.Errorf("len %d during replace, want %d", n, len(docs))
					return
				}
			}
		})
	}
	for i := 0; i < rounds; i++ {
		var add []Doc
		for _, id := range svcs {
			for _, d := range bySvc[id] {
				d.Description = fmt.Sprintf("zround%d", i)
				add = append(add, d)
			}
		}
		if err := ix.Replace(svcs, add); err != nil {
			t.Fatal(err)
		}
	}
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := mustSearch(t, ix, o211.Query{Text: fmt.Sprintf("zround%d", rounds-1), IncludeInactive: true}).Total; got != batchDocs {
		t.Fatalf("last round: %d docs, want %d", got, batchDocs)
	}
}

// TestIndex_ReplaceNewWords adds more new words than the lexicon's overlay
// holds, so that it is folded into the base, and finds every one of them.
func TestIndex_ReplaceNewWords(t *testing.T) {
	docs := testDocs()
	ix := MustBuildIndex(t, docs)
	d := docs[0]
	const batches, perBatch = 20, 500
	for i := 0; i < batches; i++ {
		var words []string
		for j := 0; j < perBatch; j++ {
			words = append(words, fmt.Sprintf("qq%dx%d", i, j))
		}
		d.Description = strings.Join(words, " ")
		if err := ix.Replace([]string{d.ServiceID}, []Doc{d}); err != nil {
			t.Fatal(err)
		}
	}
	if n := ix.cur.Load().lex; len(n.over) > overlayMax {
		t.Fatalf("overlay holds %d terms, want at most %d", len(n.over), overlayMax)
	}
	for _, w := range []string{"qq19x0", "qq19x499", "qq19x25"} {
		if got := mustSearch(t, ix, o211.Query{Text: w}).Total; got != 1 {
			t.Fatalf("%s: %d results, want 1", w, got)
		}
	}
	if got := mustSearch(t, ix, o211.Query{Text: "qq3x1"}).Total; got != 0 {
		t.Fatalf("a word of a replaced description: %d results, want 0", got)
	}
	if got := mustSearch(t, ix, o211.Query{Text: "daily qq19x4"}).Total; got != 1 {
		t.Fatalf("type-ahead on new words: %d results, want 1", got)
	}
}
