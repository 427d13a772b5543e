package node

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/o211/o211"
)

// TestOwnedWriter_RefusesAnotherRegionsRecord checks that a write to a
// record the provincial copy says another region owns is refused at the
// node with ECONFLICT (409), and writes nothing (issue 11.4).
func TestOwnedWriter_RefusesAnotherRegionsRecord(t *testing.T) {
	ctx := o211.WithActor(context.Background(), o211.Actor{ID: "u-rosa", Role: o211.RoleResourceSpecialist, Region: "east"})
	dir := mustOpenDirectory(t, filepath.Join(t.TempDir(), "node.db"))
	defer dir.Close()
	// A provincial copy holding west's organisation org-w.
	prov, err := OpenDirectory(ctx, DirectoryConfig{Path: filepath.Join(t.TempDir(), "province.db"), Region: "west", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer prov.Close()
	mustWriteDir(t, prov, o211.Upsert(&o211.Organization{ID: "org-w", Name: "West pantry", Description: "x"}))
	w := ownedWriter{region: "east", dir: dir, province: func() *Directory { return prov }}
	_, err = w.Write(ctx, []o211.Change{o211.Upsert(&o211.Organization{ID: "org-w", Name: "Taken over", Description: "x"})}, o211.WriteOptions{})
	if o211.ErrorCode(err) != o211.ECONFLICT {
		t.Fatalf("writing west's record from east: %v, want ECONFLICT", err)
	}
	if _, err := dir.store.Get(o211.KindOrganization, "org-w"); o211.ErrorCode(err) != o211.ENOTFOUND {
		t.Fatalf("the refused write was stored: %v", err)
	}
	if _, err := w.Write(ctx, []o211.Change{o211.Upsert(&o211.Organization{ID: "org-e", Name: "East pantry", Description: "x"})}, o211.WriteOptions{}); err != nil {
		t.Fatalf("writing a record of its own: %v", err)
	}
	alone := ownedWriter{region: "east", dir: dir, province: func() *Directory { return nil }}
	if _, err := alone.Write(ctx, []o211.Change{o211.Upsert(&o211.Organization{ID: "org-x", Name: "X", Description: "x"})}, o211.WriteOptions{}); err != nil {
		t.Fatalf("a node without a provincial copy: %v", err)
	}
}
