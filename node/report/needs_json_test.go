package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// NeedsReport writes its own JSON for speed; it must be byte for byte what
// encoding/json writes.
func TestNeedsReport_AppendJSON(t *testing.T) {
	for _, r := range []*NeedsReport{
		{Meta: Meta{Report: "needs", Scope: "province", From: "2026-01-01", To: "2026-12-31", Filters: map[string][]string{"channel": {"phone", "text"}},
			GeneratedAt: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC), Suppression: Suppression{Applied: true, Threshold: 10, Cells: 2, Primary: 1, Secondary: 1}},
			Measure: "needs", By: []string{"region", "taxonomy"}, Level: 2,
			Columns: []Key{{Key: "BD", Label: "Food"}, {Key: "BH", Label: "Housing \"and\" <shelter>"}},
			Rows: []TableRow{{Key: Key{Key: "east", Label: "Eastern Ontario"}, Cells: []Count{{Value: 12}, {Suppressed: true}}, Total: Count{Suppressed: true}},
				{Key: Key{Key: "west"}, Cells: []Count{{Value: 0}, {Value: 31}}, Total: Count{Value: 31}}},
			ColumnTotals: []Count{{Value: 40}, {Suppressed: true}}, Total: Count{Value: 1234}},
		{Meta: Meta{Report: "needs"}, Measure: "contacts", By: []string{"channel"}, Rows: []TableRow{}},
		{Meta: Meta{Report: "needs"}, Measure: "contacts"},
	} {
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(r); err != nil {
			t.Fatal(err)
		}
		got, err := r.appendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("appendJSON:\n got %s\nwant %s", got, want.Bytes())
		}
	}
}
