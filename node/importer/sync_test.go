package importer_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/export"
	"github.com/o211/o211/node/importer"
	"github.com/o211/o211/node/store"
)

// mustOpenClockedStore opens an empty store of region "east" whose clock
// stands still, so that two stores given the same records export the
// same bytes.
func mustOpenClockedStore(tb testing.TB) *store.Store {
	tb.Helper()
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	s, err := store.Open(filepath.Join(tb.TempDir(), "node.db"), store.Options{Region: "east", NoSync: true,
		Now: func() time.Time { return now }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// exportJSON returns the hsds-json export of the store.
func exportJSON(tb testing.TB, s *store.Store) []byte {
	tb.Helper()
	var buf bytes.Buffer
	err := s.View(func(tx *store.Tx) error {
		_, err := export.WriteJSON(context.Background(), tx, &buf, export.Options{})
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// ontarioRows reads the 211 Ontario sample: its header and rows.
func ontarioRows(tb testing.TB) (header []string, rows [][]string) {
	tb.Helper()
	f, err := os.Open(testdata("211ontario-sample.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	return all[0], all[1:]
}

// writeOntario writes rows under header as a 211 Ontario export file.
func writeOntario(tb testing.TB, header []string, rows [][]string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "export.csv")
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(header)
	w.WriteAll(rows)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// nextMonth returns the sample as it might read a month later: three rows
// gone (closed programs), a program renamed, an eligibility changed and a
// new program at a new site.
func nextMonth(tb testing.TB, header []string, rows [][]string) [][]string {
	tb.Helper()
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	var out [][]string
	for _, r := range rows[3:] {
		out = append(out, append([]string(nil), r...))
	}
	prog := out[5][col["id_program"]]
	for _, r := range out {
		if r[col["id_program"]] == prog {
			r[col["program_name"]] += " (renamed)"
			r[col["eligibilty"]] = "Adults 18 and over"
		}
	}
	added := append([]string(nil), out[10]...)
	added[col["id_program"]], added[col["id_site"]] = "99999001", "99999002"
	added[col["program_name"]] = "Evening Food Bank"
	return append(out, added)
}

// handEntered writes an organization and a service through the store's
// write path without a source, as the console and the HSDS API do.
func handEntered(tb testing.TB, s *store.Store) {
	tb.Helper()
	org := &o211.Organization{ID: "3f0e4c2a-1b7d-4f59-9c61-0d6c8a2b7e11", Name: "Hand Entered Agency", Description: "Entered by a resource specialist"}
	svc := &o211.Service{ID: "8a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d", OrganizationID: org.ID, Name: "Walk-in Help", Status: o211.StatusActive}
	specialist := o211.Actor{ID: "u-rosa", Username: "rosa", Role: o211.RoleResourceSpecialist, Region: "east"}
	if _, err := s.Write(o211.WithActor(context.Background(), specialist), []o211.Change{o211.Upsert(org), o211.Upsert(svc)}, o211.WriteOptions{}); err != nil {
		tb.Fatal(err)
	}
}

func TestImport_Sync(t *testing.T) {
	header, rows := ontarioRows(t)
	first := writeOntario(t, header, rows)
	next := writeOntario(t, header, nextMonth(t, header, rows))
	opts := importer.Options{Region: "east"}

	// A directory that imported last month's export, then had records
	// entered by hand.
	s := mustOpenClockedStore(t)
	mustImport(t, s, importer.Format211Ontario, first, opts)
	handEntered(t, s)
	before := exportJSON(t, s)

	t.Run("DryRunChangesNothing", func(t *testing.T) {
		seq, _ := s.Seq()
		dry := opts
		dry.DryRun = true
		rep := mustImport(t, s, importer.Format211Ontario, next, dry)
		if after, _ := s.Seq(); after != seq || !bytes.Equal(exportJSON(t, s), before) {
			t.Fatalf("a dry run changed the store (seq %d -> %d)", seq, after)
		}
		ops := map[string]int{}
		for _, p := range rep.Plan {
			ops[p.Op] += p.Count
		}
		if ops["add"] == 0 || ops["change"] == 0 || ops["remove"] == 0 || rep.Deleted != ops["remove"] {
			t.Fatalf("dry run plan %+v (deleted %d); want records to add, change and remove", rep.Plan, rep.Deleted)
		}
	})

	t.Run("ErrBadRowAtEndChangesNothing", func(t *testing.T) {
		bad := nextMonth(t, header, rows)
		last := append([]string(nil), bad[len(bad)-1]...)
		last[13] = "far west" // site_longitude
		last[0] = "99999003"
		path := writeOntario(t, header, append(bad, last))
		data, _ := os.ReadFile(path)
		line := bytes.Count(data[:bytes.Index(data, []byte("\n99999003,"))], []byte("\n")) + 2 // quoted fields span lines
		_, err := importer.Import(context.Background(), importer.Store(s), importer.Format211Ontario, path, opts)
		var e *o211.Error
		if !asError(err, &e) || len(e.Problems) != 1 || e.Problems[0].Line != line || e.Problems[0].Field != "site_longitude" {
			t.Fatalf("got %v; want one problem at export.csv:%d in site_longitude", err, line)
		}
		if !bytes.Equal(exportJSON(t, s), before) {
			t.Fatal("an import that failed on its last row changed the store")
		}
	})

	// This month's export into the same directory, and into an empty one
	// given the same hand-entered records.
	rep := mustImport(t, s, importer.Format211Ontario, next, opts)
	if rep.Created == 0 || rep.Updated == 0 || rep.Deleted == 0 {
		t.Fatalf("sync: %d created, %d updated, %d removed; want some of each", rep.Created, rep.Updated, rep.Deleted)
	}
	fresh := mustOpenClockedStore(t)
	mustImport(t, fresh, importer.Format211Ontario, next, opts)
	handEntered(t, fresh)
	got, want := exportJSON(t, s), exportJSON(t, fresh)
	if !bytes.Equal(got, want) {
		t.Fatalf("the synced directory differs from a fresh import of the same export:\n%s", firstDiff(got, want))
	}
	if !strings.Contains(string(got), "Hand Entered Agency") || !strings.Contains(string(got), "Walk-in Help") {
		t.Fatal("the hand-entered records did not survive the sync")
	}

	t.Run("AgainChangesNothing", func(t *testing.T) {
		rep := mustImport(t, s, importer.Format211Ontario, next, opts)
		if rep.Created+rep.Updated+rep.Deleted != 0 {
			t.Fatalf("importing the same export again: %d created, %d updated, %d removed", rep.Created, rep.Updated, rep.Deleted)
		}
	})
}

func asError(err error, target **o211.Error) bool {
	e, ok := err.(*o211.Error)
	*target = e
	return ok
}

// firstDiff shows the first line where two exports differ.
func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return "synced: " + clip(la[i]) + "\nfresh:  " + clip(lb[i])
		}
	}
	return "one export is a prefix of the other"
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}
