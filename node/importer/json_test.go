package importer_test

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/importer"
)

// The shapes of JSON that hsds-json reads.
func TestImportJSON_Shapes(t *testing.T) {
	const (
		org = `{"id": "o1", "name": "Org", "description": "Feeds people", "services": [{"id": "s1", "name": "Food", "status": "active"}]}`
		svc = `{"id": "s2", "name": "Meals", "status": "active", "organization_id": "o1"}`
	)
	for _, tc := range []struct {
		name, file, content string
		opts                importer.Options
		want                []string // kind/id written
	}{
		{"Object", "x.json", org, importer.Options{}, []string{"organization/o1", "service/s1"}},
		{"Array", "x.json", "[" + org + ",\n" + svc + "]", importer.Options{}, []string{"organization/o1", "service/s1", "service/s2"}},
		{"NDJSON", "x.ndjson", org + "\n" + svc + "\n", importer.Options{}, []string{"organization/o1", "service/s1", "service/s2"}},
		{"Page", "x.json", `{"total_items": 2, "page_number": 1, "contents": [` + org + "," + svc + `]}`, importer.Options{},
			[]string{"organization/o1", "service/s1", "service/s2"}},
		{"Tables", "x.json", `{"organizations.csv": [{"id": "o1", "name": "Org", "description": "", "year_incorporated": "2011"}],
			"services": [` + svc + `]}`, importer.Options{}, []string{"organization/o1", "service/s2"}},
		{"ExportForm", "x.json", `{"hsds_version": "3.0", "generator": "o211", "organizations": [` + org + `],
			"phones": [{"id": "p1", "number": "416-555-0100", "service_id": "s1"}]}`, importer.Options{},
			[]string{"organization/o1", "phone/p1", "service/s1"}},
		{"KindFromFileName", "program_list.json", `{"contents": [{"id": "p1", "name": "Meals", "description": ""}]}`, importer.Options{},
			[]string{"program/p1"}},
		{"KindOption", "x.json", `[{"id": "p1", "name": "Meals", "description": ""}]`, importer.Options{Kind: o211.KindProgram},
			[]string{"program/p1"}},
		{"NumbersAsText", "x.json", `{"id": "l1", "location_type": "physical", "latitude": "43.6", "longitude": -79.4,
			"external_identifier": 10092008082}`, importer.Options{}, []string{"location/l1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{tc.file: tc.content})
			s := testutil.MustOpenStore(t)
			rep := mustImport(t, s, importer.FormatHSDSJSON, filepath.Join(dir, tc.file), tc.opts)
			if len(rep.Rejected) > 0 {
				t.Fatalf("rejected %v", rep.Rejected)
			}
			got := rows(t, s)
			if len(got) != len(tc.want) {
				t.Errorf("wrote %d rows, want %d", len(got), len(tc.want))
			}
			for _, k := range tc.want {
				if _, ok := got[k]; !ok {
					t.Errorf("%s not written; have %v", k, got)
				}
			}
		})
	}
	t.Run("NumbersAsTextKept", func(t *testing.T) {
		s := testutil.MustOpenStore(t)
		mustImport(t, s, importer.FormatHSDSJSON, testdata("hsds", "examples", "tabular.json"), importer.Options{})
		loc := object[o211.Location](t, s, o211.KindLocation, "3a19ff88-4620-4d17-9830-ac1d859eb5d5")
		if loc.ExternalIdentifier != "10092008082" {
			t.Fatalf("external_identifier %q", loc.ExternalIdentifier)
		}
	})
}

func TestImportReader(t *testing.T) {
	ctx := context.Background()
	t.Run("JSON", func(t *testing.T) {
		body := strings.NewReader(`{"id": "s1", "name": "Food", "status": "active"}`)
		rep, err := importer.ImportReader(ctx, importer.Store(testutil.MustOpenStore(t)), importer.FormatHSDSJSON, "body", body, importer.Options{})
		if err != nil || rep.Created != 1 {
			t.Fatalf("got %+v, %v", rep, err)
		}
	})
	t.Run("Zip", func(t *testing.T) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		dir := testdata("hsds", "examples", "csv")
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			w, _ := zw.Create("pkg/" + e.Name())
			w.Write(data)
		}
		zw.Close()
		rep, err := importer.ImportReader(ctx, importer.Store(testutil.MustOpenStore(t)), importer.FormatHSDSCSV, "pkg.zip", &buf, importer.Options{})
		if err != nil || rep.Created != len(o211.Kinds()) {
			t.Fatalf("got %+v, %v", rep, err)
		}
	})
	t.Run("OneTable", func(t *testing.T) {
		body := strings.NewReader("id,name,description\no1,Org,\n")
		rep, err := importer.ImportReader(ctx, importer.Store(testutil.MustOpenStore(t)), importer.FormatHSDSCSV, "organizations.csv", body, importer.Options{})
		if err != nil || rep.Created != 1 {
			t.Fatalf("got %+v, %v", rep, err)
		}
	})
	t.Run("211Ontario", func(t *testing.T) {
		f, err := os.Open(testdata("211ontario-sample.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rep, err := importer.ImportReader(ctx, importer.Store(testutil.MustOpenStore(t)), importer.Format211Ontario, "upload.csv", f, importer.Options{Region: "east"})
		if err != nil || rep.Kinds[o211.KindService] != 44 {
			t.Fatalf("got %+v, %v", rep, err)
		}
	})
}

// The datapackage's descriptor, when it is one, says where each table is.
func TestImportCSV_Descriptor(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"datapackage.json": `{"resources": [{"name": "organizations", "path": "orgs-2024.csv"}, {"name": "extras", "path": "extras.csv"}]}`,
		"orgs-2024.csv":    "id,name,description,colour\no1,Org,,blue\n",
		"notes.csv":        "a,b\n1,2\n",
	})
	s := testutil.MustOpenStore(t)
	rep := mustImport(t, s, importer.FormatHSDSCSV, dir, importer.Options{})
	if rep.Created != 1 {
		t.Fatalf("created %d, want 1", rep.Created)
	}
	for _, w := range []string{`resource "extras" is not a table`, "not a table of HSDS 3.0", "not a column of organization"} {
		found := false
		for _, p := range rep.Warnings {
			found = found || strings.Contains(p.Reason, w)
		}
		if !found {
			t.Errorf("no warning %q in %v", w, rep.Warnings)
		}
	}
}
