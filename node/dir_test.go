package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/o211/o211"
)

func f64(v float64) *float64 { return &v }

// foodBank returns the rows of one food bank service at one site.
func foodBank(n int, name string) []o211.Change {
	id := func(kind string) string { return fmt.Sprintf("%s-%d", kind, n) }
	return []o211.Change{
		o211.Upsert(&o211.Organization{ID: id("org"), Name: "Community Food Centre", Description: "Food programs"}),
		o211.Upsert(&o211.Service{ID: id("svc"), OrganizationID: id("org"), Name: name, Status: "active",
			Description: "Emergency groceries for families"}),
		o211.Upsert(&o211.Location{ID: id("loc"), OrganizationID: id("org"), LocationType: "physical",
			Latitude: f64(45.42), Longitude: f64(-75.69)}),
		o211.Upsert(&o211.ServiceAtLocation{ID: id("sal"), ServiceID: id("svc"), LocationID: id("loc")}),
	}
}

func mustOpenDirectory(tb testing.TB, path string) *Directory {
	tb.Helper()
	d, err := OpenDirectory(context.Background(), DirectoryConfig{Path: path, Region: "east", NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func searchTotal(tb testing.TB, d *Directory, text string) int {
	tb.Helper()
	res, err := d.Search(context.Background(), o211.Query{Text: text})
	if err != nil {
		tb.Fatal(err)
	}
	return res.Total
}

func mustWriteDir(tb testing.TB, d *Directory, changes ...o211.Change) {
	tb.Helper()
	if _, err := d.Write(o211.WithActor(context.Background(), o211.System("test")), changes, o211.WriteOptions{}); err != nil {
		tb.Fatal(err)
	}
}

func TestDirectory_WriteThenSearch(t *testing.T) {
	d := mustOpenDirectory(t, filepath.Join(t.TempDir(), "node.db"))
	defer d.Close()
	mustWriteDir(t, d, foodBank(1, "Harvest pantry")...)
	if got := searchTotal(t, d, "pantry"); got != 1 {
		t.Fatalf("search pantry: %d results, want 1", got)
	}
	t.Run("UpdateReindexes", func(t *testing.T) {
		mustWriteDir(t, d, o211.Upsert(&o211.Service{ID: "svc-1", OrganizationID: "org-1", Name: "Harvest hampers", Status: "active"}))
		if got := searchTotal(t, d, "pantry"); got != 0 {
			t.Fatalf("old name still found: %d", got)
		}
		if got := searchTotal(t, d, "hampers"); got != 1 {
			t.Fatalf("new name: %d results, want 1", got)
		}
	})
	t.Run("OrganizationRenameReindexesItsServices", func(t *testing.T) {
		mustWriteDir(t, d, o211.Upsert(&o211.Organization{ID: "org-1", Name: "Banque alimentaire Vanier", Description: "x"}))
		if got := searchTotal(t, d, "vanier"); got != 1 {
			t.Fatalf("search by new organization name: %d, want 1", got)
		}
	})
	t.Run("DeleteRemoves", func(t *testing.T) {
		mustWriteDir(t, d, o211.Delete(o211.KindService, "svc-1"))
		if got := searchTotal(t, d, "hampers"); got != 0 {
			t.Fatalf("deleted service still found: %d", got)
		}
	})
}

func TestDirectory_ReopenLoadsSavedIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.db")
	d := mustOpenDirectory(t, path)
	mustWriteDir(t, d, foodBank(1, "Harvest pantry")...)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path + ".idx")
	if err != nil {
		t.Fatal(err)
	}
	d = mustOpenDirectory(t, path)
	defer d.Close()
	after, _ := os.Stat(path + ".idx")
	if !after.ModTime().Equal(before.ModTime()) {
		t.Fatal("the index was rebuilt and saved again instead of loaded")
	}
	if got := searchTotal(t, d, "pantry"); got != 1 {
		t.Fatalf("after reopen: %d results, want 1", got)
	}
}

// A crash after writes but before the index is saved: the next open loads
// the older index file and catches up from the store's change feed.
func TestDirectory_CatchesUpAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.db")
	d := mustOpenDirectory(t, path)
	mustWriteDir(t, d, foodBank(1, "Harvest pantry")...)
	if err := d.SaveIndex(); err != nil {
		t.Fatal(err)
	}
	mustWriteDir(t, d, foodBank(2, "Riverside cupboard")...)
	mustWriteDir(t, d, o211.Delete(o211.KindService, "svc-1"))
	d.store.Close() // crash: the index file still holds only the first write

	d = mustOpenDirectory(t, path)
	defer d.Close()
	if got := searchTotal(t, d, "cupboard"); got != 1 {
		t.Fatalf("write made after the saved index: %d results, want 1", got)
	}
	if got := searchTotal(t, d, "pantry"); got != 0 {
		t.Fatalf("deletion made after the saved index: %d results, want 0", got)
	}
}

func TestDirectory_CorruptIndexIsRebuilt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.db")
	d := mustOpenDirectory(t, path)
	mustWriteDir(t, d, foodBank(1, "Harvest pantry")...)
	d.Close()
	if err := os.WriteFile(path+".idx", []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	d = mustOpenDirectory(t, path)
	defer d.Close()
	if got := searchTotal(t, d, "pantry"); got != 1 {
		t.Fatalf("after rebuild: %d results, want 1", got)
	}
}

func TestDirectory_LargeWriteRebuildsOnce(t *testing.T) {
	d := mustOpenDirectory(t, filepath.Join(t.TempDir(), "node.db"))
	defer d.Close()
	var changes []o211.Change
	for i := 0; len(changes) < fullRebuildAt; i++ {
		changes = append(changes, foodBank(i, fmt.Sprintf("Pantry number %d", i))...)
	}
	mustWriteDir(t, d, changes...)
	if got, want := searchTotal(t, d, "pantry"), len(changes)/4; got != want {
		t.Fatalf("%d results, want %d", got, want)
	}
}
