package node

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/store"
)

// The index update after an import calls its read function every few
// services on the reading goroutine, inside its read view, where the
// node lets go of the store's mapped pages; the services read after a
// drop are derived as well as those before.
func TestUpdateServices_DropsPagesWhileReading(t *testing.T) {
	d := mustOpenDirectory(t, filepath.Join(t.TempDir(), "node.db"))
	defer d.Close()
	const n = 50
	var ids []string
	for i := range n {
		mustWriteDir(t, d, foodBank(i, fmt.Sprintf("Pantry %d", i))...)
		ids = append(ids, fmt.Sprintf("svc-%d", i))
	}
	// A fresh index, so that every doc comes from the update.
	if err := d.indexer.Index().Build(nil); err != nil {
		t.Fatal(err)
	}
	drops := 0
	err := d.indexer.UpdateServices(context.Background(), ids, 20, &d.mu, nil, func(tx hsds.Tx) {
		drops++
		tx.(*store.Tx).DropCache()
	})
	if err != nil {
		t.Fatal(err)
	}
	// Batches of 20, 20 and 10 services: one drop in each of the first two.
	if drops != 2 {
		t.Errorf("pages dropped %d times while reading %d services in batches of 20, want 2", drops, n)
	}
	if got := searchTotal(t, d, "pantry"); got != n {
		t.Errorf("%d results for pantry after the update, want %d", got, n)
	}
	res, err := d.Search(context.Background(), o211.Query{Text: "pantry 37"})
	if err != nil || res.Total == 0 || res.Results[0].ServiceID != "svc-37" {
		t.Errorf("search for pantry 37: %+v, %v", res, err)
	}
}
