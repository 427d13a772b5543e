package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/export"
	"github.com/o211/o211/node/importer"
	"github.com/o211/o211/node/store"
)

func testdata(elem ...string) string {
	return filepath.Join(append([]string{"..", "..", "testdata"}, elem...)...)
}

func f64(v float64) *float64 { return &v }

// synthetic returns rows that the nested form does not reach from an
// organization, and values that are hard to carry: a service without an
// organization, a location nobody uses, a phone of a service and a location,
// metadata of a language, an attribute whose record is gone, text with
// quotes, commas, newlines and accents.
func synthetic() []o211.Change {
	return []o211.Change{
		o211.Upsert(&o211.Service{ID: "lone-svc", Name: "Lone \"service\", with\nnewline", Status: "inactive",
			MinimumAge: f64(0), MaximumAge: f64(17.5), Description: "Français : hébergement"}),
		o211.Upsert(&o211.Location{ID: "lone-loc", LocationType: "virtual", URL: "https://example.org",
			Latitude: f64(0), Longitude: f64(-0.5)}),
		o211.Upsert(&o211.Phone{ID: "both-phone", ServiceID: "lone-svc", LocationID: "lone-loc", Number: "211",
			Extension: f64(0)}),
		o211.Upsert(&o211.Language{ID: "lang", LocationID: "lone-loc", Code: "fr"}),
		o211.Upsert(&o211.Metadata{ID: "meta", ResourceID: "lang", ResourceType: "language", LastActionDate: "2024-01-01",
			LastActionType: "create", FieldName: "code", UpdatedBy: "tester"}),
		o211.Upsert(&o211.Attribute{ID: "orphan-attr", LinkID: "gone", LinkEntity: "service", Value: "x"}),
		o211.Upsert(&o211.Attribute{ID: "attr-no-entity", LinkID: "lone-svc", Value: "y"}),
		o211.Upsert(&o211.ServiceAtLocation{ID: "lone-sal", ServiceID: "lone-svc", LocationID: "lone-loc"}),
		o211.Upsert(&o211.Schedule{ID: "sched", ServiceAtLocationID: "lone-sal", Freq: "WEEKLY", ByDay: "MO", OpensAt: "09:00",
			ClosesAt: "17:00", Timezone: f64(-5)}),
		o211.Upsert(&o211.MetaTableDescription{ID: "mtd", Name: "o211", Language: "en"}),
	}
}

// MustOpenDirectory returns a store holding the HSDS examples, the 211
// Ontario sample and the synthetic rows.
func MustOpenDirectory(tb testing.TB) *store.Store {
	tb.Helper()
	s := testutil.MustOpenStore(tb)
	ctx := context.Background()
	for _, in := range []struct{ format, path string }{
		{importer.FormatHSDSCSV, testdata("hsds", "examples", "csv")},
		{importer.Format211Ontario, testdata("211ontario-sample.csv")},
	} {
		if _, err := importer.Import(ctx, importer.Store(s), in.format, in.path, importer.Options{Region: "east"}); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := s.Write(o211.WithActor(ctx, o211.System("test")), synthetic(), o211.WriteOptions{}); err != nil {
		tb.Fatal(err)
	}
	return s
}

// rows returns every live row as "kind/id" -> flat JSON.
func rows(tb testing.TB, s *store.Store) map[string]string {
	tb.Helper()
	out := map[string]string{}
	s.View(func(tx *store.Tx) error {
		for _, ki := range o211.Kinds() {
			tx.Scan(ki.Kind, "", func(r *o211.Record) error { out[string(ki.Kind)+"/"+r.ID] = string(r.Data); return nil })
		}
		return nil
	})
	return out
}

func mustExport(tb testing.TB, s *store.Store, format, out string) *export.Report {
	tb.Helper()
	var rep *export.Report
	err := s.View(func(tx *store.Tx) error {
		var err error
		rep, err = export.Export(context.Background(), tx, format, out, export.Options{})
		return err
	})
	if err != nil {
		tb.Fatalf("Export(%s): %v", format, err)
	}
	return rep
}

// Importing an export gives back the same directory, and importing it into
// the directory it came from changes nothing.
func TestExport_RoundTrip(t *testing.T) {
	s := MustOpenDirectory(t)
	want := rows(t, s)
	for _, tc := range []struct{ name, format, file string }{
		{"HSDSJSON", export.FormatHSDSJSON, "directory.json"},
		{"HSDSCSV", export.FormatHSDSCSV, "datapackage"},
		{"HSDSCSVZip", export.FormatHSDSCSV, "datapackage.zip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), tc.file)
			rep := mustExport(t, s, tc.format, out)
			if rep.Total() != len(want) {
				t.Errorf("exported %d records, want %d", rep.Total(), len(want))
			}
			fresh := testutil.MustOpenStore(t)
			if _, err := importer.Import(context.Background(), importer.Store(fresh), tc.format, out, importer.Options{}); err != nil {
				t.Fatal(err)
			}
			got := rows(t, fresh)
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s\n got %s\nwant %s", k, got[k], v)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d rows after the round trip, want %d", len(got), len(want))
			}
			again, err := importer.Import(context.Background(), importer.Store(s), tc.format, out, importer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if again.Created != 0 || again.Updated != 0 || again.Unchanged != len(want) {
				t.Errorf("re-import into the source: %+v; want %d unchanged", again, len(want))
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	s := MustOpenDirectory(t)
	export1 := func() []byte {
		var buf bytes.Buffer
		err := s.View(func(tx *store.Tx) error {
			_, err := export.WriteJSON(context.Background(), tx, &buf, export.Options{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	data := export1()
	if !bytes.Equal(data, export1()) {
		t.Fatal("two exports of the same directory differ")
	}
	var doc struct {
		Version       string              `json:"hsds_version"`
		Organizations []o211.Organization `json:"organizations"`
		Services      []o211.Service      `json:"services"`
		Locations     []o211.Location     `json:"locations"`
		Attributes    []o211.Attribute    `json:"attributes"`
		Metadata      []o211.Metadata     `json:"metadata"`
		Terms         []o211.TaxonomyTerm `json:"taxonomy_terms"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "3.0" || len(doc.Organizations) != 43 || len(doc.Terms) == 0 {
		t.Fatalf("version %q, %d organizations, %d terms", doc.Version, len(doc.Organizations), len(doc.Terms))
	}
	nested := 0
	for _, o := range doc.Organizations {
		for _, svc := range o.Services {
			if len(svc.ServiceAtLocations) > 0 && svc.ServiceAtLocations[0].Location != nil {
				nested++
			}
		}
	}
	if nested != 45 {
		t.Errorf("%d services nested with their locations, want the 44 of the 211 sample and the example's", nested)
	}
	if len(doc.Services) != 1 || doc.Services[0].ID != "lone-svc" || len(doc.Services[0].Phones) != 1 {
		t.Errorf("services without an organization: %+v", doc.Services)
	}
	if len(doc.Locations) != 0 {
		t.Errorf("locations left over: %+v", doc.Locations) // lone-loc is nested in lone-svc
	}
	// Rows whose record is not in the directory, and metadata of a language
	// (not nested in the HSDS forms), stay flat.
	if len(doc.Attributes) != 2 || doc.Attributes[1].ID != "orphan-attr" || len(doc.Metadata) != 2 || doc.Metadata[1].ID != "meta" {
		t.Errorf("flat leftovers: attributes %+v, metadata %+v", doc.Attributes, doc.Metadata)
	}
}

func TestExport_Progress(t *testing.T) {
	s := MustOpenDirectory(t)
	total := len(rows(t, s))
	for _, format := range export.Formats() {
		t.Run(format, func(t *testing.T) {
			var last [2]int
			err := s.View(func(tx *store.Tx) error {
				_, err := export.Export(context.Background(), tx, format, filepath.Join(t.TempDir(), "out"), export.Options{
					Progress: func(done, n int) {
						if done < last[0] || done > n {
							t.Errorf("progress %d/%d after %d", done, n, last[0])
						}
						last = [2]int{done, n}
					}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if last != [2]int{total, total} {
				t.Fatalf("progress ended at %v, want %d/%d", last, total, total)
			}
		})
	}
}

func TestExport_Errors(t *testing.T) {
	s := testutil.MustOpenStore(t)
	t.Run("ErrUnknownFormat", func(t *testing.T) {
		err := s.View(func(tx *store.Tx) error {
			_, err := export.Export(context.Background(), tx, "xml", filepath.Join(t.TempDir(), "x"), export.Options{})
			return err
		})
		if o211.ErrorCode(err) != o211.EINVALID {
			t.Fatalf("got %v, want EINVALID", err)
		}
	})
	t.Run("ErrCanceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		out := filepath.Join(t.TempDir(), "x.json")
		err := MustOpenDirectory(t).View(func(tx *store.Tx) error {
			_, err := export.Export(ctx, tx, export.FormatHSDSJSON, out, export.Options{})
			return err
		})
		if err == nil {
			t.Fatal("want an error for a canceled export")
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("a failed export left %s behind", out)
		}
	})
}
