package importer_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/importer"
	"github.com/o211/o211/node/store"
)

// testdata returns the path of a file of the repository's testdata.
func testdata(elem ...string) string {
	return filepath.Join(append([]string{"..", "..", "testdata"}, elem...)...)
}

func mustImport(tb testing.TB, s *store.Store, format, path string, opts importer.Options) *importer.Report {
	tb.Helper()
	if opts.Region == "" {
		opts.Region = "east"
	}
	rep, err := importer.Import(context.Background(), importer.Store(s), format, path, opts)
	if err != nil {
		tb.Fatalf("Import(%s, %s): %v", format, path, err)
	}
	return rep
}

// rows returns every live row of the store as "kind/id" -> flat JSON.
func rows(tb testing.TB, s *store.Store) map[string]string {
	tb.Helper()
	out := map[string]string{}
	err := s.View(func(tx *store.Tx) error {
		for _, ki := range o211.Kinds() {
			err := tx.Scan(ki.Kind, "", func(r *o211.Record) error {
				out[string(ki.Kind)+"/"+r.ID] = string(r.Data)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// object returns the live row kind/id, failing the test if there is none.
func object[T any](tb testing.TB, s *store.Store, kind o211.Kind, id string) *T {
	tb.Helper()
	rec, err := s.Get(kind, id)
	if err != nil {
		tb.Fatalf("Get(%s, %s): %v", kind, id, err)
	}
	obj, err := rec.Decode()
	if err != nil {
		tb.Fatal(err)
	}
	return any(obj).(*T)
}

// writeFiles writes name -> content into a new directory.
func writeFiles(tb testing.TB, files map[string]string) string {
	tb.Helper()
	dir := tb.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func TestImport_HSDSExamples(t *testing.T) {
	dir := testdata("hsds", "examples")
	names, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(names) < 13 {
		t.Fatalf("found %d example files", len(names))
	}
	for _, path := range names {
		t.Run(filepath.Base(path), func(t *testing.T) {
			s := testutil.MustOpenStore(t)
			rep := mustImport(t, s, importer.FormatHSDSJSON, path, importer.Options{})
			if filepath.Base(path) == "base.json" {
				if rep.Created != 0 || len(rep.Warnings) != 1 {
					t.Fatalf("base.json: created %d, warnings %v; want 0 and one warning", rep.Created, rep.Warnings)
				}
				return
			}
			if rep.Created == 0 || len(rep.Rejected) > 0 {
				t.Fatalf("created %d, rejected %v", rep.Created, rep.Rejected)
			}
			again := mustImport(t, s, importer.FormatHSDSJSON, path, importer.Options{})
			if again.Created+again.Updated != 0 || again.Unchanged != rep.Created {
				t.Fatalf("re-import: %+v; want %d unchanged", again, rep.Created)
			}
		})
	}
	t.Run("CSV", func(t *testing.T) {
		s := testutil.MustOpenStore(t)
		rep := mustImport(t, s, importer.FormatHSDSCSV, filepath.Join(dir, "csv"), importer.Options{})
		if rep.Created != len(o211.Kinds()) || len(rep.Changed) != len(o211.Kinds()) {
			t.Fatalf("created %d (%v), want one row of each of the %d tables", rep.Created, rep.Changed, len(o211.Kinds()))
		}
		if !hasWarning(rep, "datapackage.json", "not a datapackage descriptor") {
			t.Fatalf("no warning about the broken datapackage.json: %v", rep.Warnings)
		}
		if !hasWarning(rep, "locations.csv", "not WGS84 coordinates") {
			t.Fatalf("no warning about latitude 100: %v", rep.Warnings)
		}
	})
	t.Run("AllJSONTogether", func(t *testing.T) {
		s := testutil.MustOpenStore(t)
		rep := mustImport(t, s, importer.FormatHSDSJSON, dir, importer.Options{})
		if rep.Created != len(o211.Kinds()) {
			t.Fatalf("created %d, want one row of each of the %d tables", rep.Created, len(o211.Kinds()))
		}
		// Later files win where the examples disagree (location.json says
		// what3words, the tabular example UPRN), with a warning.
		loc := object[o211.Location](t, s, o211.KindLocation, "3a19ff88-4620-4d17-9830-ac1d859eb5d5")
		if loc.ExternalIdentifierType != "UPRN" || loc.Latitude != nil {
			t.Fatalf("location %+v", loc)
		}
		if !hasWarning(rep, "tabular.json", "replaces the value given at") {
			t.Fatalf("no warning about the files disagreeing: %v", rep.Warnings)
		}
	})
	t.Run("AllInOneStore", func(t *testing.T) {
		s := testutil.MustOpenStore(t)
		mustImport(t, s, importer.FormatHSDSCSV, filepath.Join(dir, "csv"), importer.Options{})
		for _, path := range names {
			mustImport(t, s, importer.FormatHSDSJSON, path, importer.Options{})
		}
	})
}

func hasWarning(rep *importer.Report, file, reason string) bool {
	for _, w := range rep.Warnings {
		if w.File == file && strings.Contains(w.Reason, reason) {
			return true
		}
	}
	return false
}

// The nested forms fill foreign keys from where objects sit, and merge the
// copies of an object nested in several places.
func TestImport_NestedFill(t *testing.T) {
	s := testutil.MustOpenStore(t)
	mustImport(t, s, importer.FormatHSDSJSON, testdata("hsds", "examples", "organization_full.json"), importer.Options{})
	const (
		org, svc, loc, sal = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610", "ac148810-d857-441c-9679-408f346de14b",
			"3a19ff88-4620-4d17-9830-ac1d859eb5d5", "e94c9f38-1e8f-4564-91d4-d53501ab1765"
	)
	ph := object[o211.Phone](t, s, o211.KindPhone, "1554f2e2-a373-45db-a3fa-9fc48a61c15e")
	if ph.OrganizationID != org || ph.ServiceID != svc || ph.LocationID != loc || ph.ServiceAtLocationID != sal ||
		ph.ContactID != "1e7efce3-639b-4880-940c-b95cd30cdb50" {
		t.Errorf("phone nested in five places: %+v", ph)
	}
	if s := object[o211.Service](t, s, o211.KindService, svc); s.OrganizationID != org || s.ProgramID == "" {
		t.Errorf("service %+v", s)
	}
	if l := object[o211.Location](t, s, o211.KindLocation, loc); l.OrganizationID != org {
		t.Errorf("location %+v", l)
	}
	if x := object[o211.ServiceAtLocation](t, s, o211.KindServiceAtLocation, sal); x.ServiceID != svc || x.LocationID != loc {
		t.Errorf("service_at_location %+v", x)
	}
	a := object[o211.Attribute](t, s, o211.KindAttribute, "ae58cc39-8b70-4ab1-8aea-786882e5ac8e")
	if a.LinkID != svc || a.LinkEntity != "link_entity" || a.TaxonomyTermID != "3f7b145d-84af-42d7-8fae-eaca714b02b2" {
		t.Errorf("attribute %+v", a)
	}
	if tt := object[o211.TaxonomyTerm](t, s, o211.KindTaxonomyTerm, a.TaxonomyTermID); tt.TaxonomyID != "5c4d79d7-cc55-470e-9f1f-8cad074e4892" {
		t.Errorf("taxonomy term %+v", tt)
	}
	object[o211.Taxonomy](t, s, o211.KindTaxonomy, "5c4d79d7-cc55-470e-9f1f-8cad074e4892")
	// The example's metadata says resource_type "location" while nested in
	// a service: what an object says of itself is kept.
	if m := object[o211.Metadata](t, s, o211.KindMetadata, "6cd71e9f-1013-49d9-8370-26b8f59d3e5a"); m.ResourceID != svc || m.ResourceType != "location" {
		t.Errorf("metadata %+v", m)
	}
}

func TestImport_Idempotent(t *testing.T) {
	for _, tc := range []struct{ name, format, path string }{
		{"HSDSJSON", importer.FormatHSDSJSON, testdata("hsds", "examples")},
		{"HSDSCSV", importer.FormatHSDSCSV, testdata("hsds", "examples", "csv")},
		{"211Ontario", importer.Format211Ontario, testdata("211ontario-sample.csv")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testutil.MustOpenStore(t)
			first := mustImport(t, s, tc.format, tc.path, importer.Options{})
			before := rows(t, s)
			seq, _ := s.Seq()
			second := mustImport(t, s, tc.format, tc.path, importer.Options{})
			if second.Created != 0 || second.Updated != 0 || second.Unchanged != first.Created {
				t.Fatalf("second import %+v; want 0 created, 0 updated, %d unchanged", second, first.Created)
			}
			if seq2, _ := s.Seq(); seq2 != seq || len(rows(t, s)) != len(before) {
				t.Fatalf("the second import changed the store")
			}
		})
	}
}

func TestImport_Progress(t *testing.T) {
	for _, tc := range []struct{ name, format, path string }{
		{"HSDSCSV", importer.FormatHSDSCSV, testdata("hsds", "examples", "csv")},
		{"211Ontario", importer.Format211Ontario, testdata("211ontario-sample.csv")},
		{"HSDSJSON", importer.FormatHSDSJSON, testdata("hsds", "examples", "service_full.json")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			last := map[string][2]int{}
			mustImport(t, testutil.MustOpenStore(t), tc.format, tc.path, importer.Options{Progress: func(stage string, done, total int) {
				if done > total || done < last[stage][0] {
					t.Errorf("%s progress %d/%d after %d", stage, done, total, last[stage][0])
				}
				last[stage] = [2]int{done, total}
			}})
			for _, stage := range []string{importer.StageRead, importer.StageWrite} {
				if p, ok := last[stage]; !ok || p[0] != p[1] || p[1] == 0 {
					t.Errorf("%s progress ended at %v", stage, p)
				}
			}
		})
	}
}

func TestImport_Errors(t *testing.T) {
	s := testutil.MustOpenStore(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, format, path string
		opts               importer.Options
	}{
		{"ErrUnknownFormat", "xml", testdata("211ontario-sample.csv"), importer.Options{}},
		{"ErrNoRegion", importer.Format211Ontario, testdata("211ontario-sample.csv"), importer.Options{}},
		{"ErrDirectoryFor211", importer.Format211Ontario, testdata("hsds"), importer.Options{Region: "east"}},
		{"ErrNotATable", importer.FormatHSDSCSV, testdata("211ontario-sample.csv"), importer.Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := importer.Import(ctx, importer.Store(s), tc.format, tc.path, tc.opts)
			if o211.ErrorCode(err) != o211.EINVALID {
				t.Fatalf("got %v, want an EINVALID error", err)
			}
		})
	}
	t.Run("ErrMissingFile", func(t *testing.T) {
		_, err := importer.Import(ctx, importer.Store(s), importer.FormatHSDSJSON, "nope.json", importer.Options{})
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("got %v, want a not-exist error", err)
		}
	})
}
