package replication

import (
	"fmt"
	"testing"
	"time"

	"github.com/o211/o211"
)

// TestConflicts_KeepsTheLatest checks the count and the newest-first list
// a status shows, added batch by batch and merged over regions.
func TestConflicts_KeepsTheLatest(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 23, 0, 0, 0, time.UTC)
	conflict := func(region string, i int) Conflict {
		return Conflict{Table: o211.KindOrganization, ID: fmt.Sprintf("org-%d", i), Region: region, Owner: "east", At: t0.Add(time.Duration(i) * time.Second)}
	}
	var west Conflicts
	west.Add(conflict("west", 1), conflict("west", 2), conflict("west", 3))
	before := west
	west.Add(conflict("west", 4), conflict("west", 5), conflict("west", 6), conflict("west", 7))
	if west.Count != 7 || len(west.Latest) != LatestConflicts || west.Latest[0].ID != "org-7" || west.Latest[4].ID != "org-3" {
		t.Fatalf("after 7: %+v; want 7 counted, org-7 to org-3 kept", west)
	}
	if before.Count != 3 || len(before.Latest) != 3 || before.Latest[0].ID != "org-3" {
		t.Fatalf("a copy taken before the second Add changed: %+v", before)
	}
	var north, total Conflicts
	north.Add(conflict("north", 10))
	total.Merge(west)
	total.Merge(north)
	if total.Count != 8 || len(total.Latest) != LatestConflicts || total.Latest[0].Region != "north" || total.Latest[1].ID != "org-7" {
		t.Fatalf("merged: %+v; want 8 counted, north's first", total)
	}
	var none Conflicts
	none.Merge(Conflicts{})
	if none.Latest == nil {
		t.Error("an empty merge gives a nil list (null in the status JSON)")
	}
}
