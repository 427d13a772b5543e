package gen_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/cmd/o211/internal/gen"
	"github.com/o211/o211/node/tabular"
)

// readDir returns the files of a directory by name.
func readDir(tb testing.TB, dir string) map[string][]byte {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func TestWriteDatapackage_Deterministic(t *testing.T) {
	opts := gen.Options{Services: 1500, Seed: 42}
	write := func(opts gen.Options) map[string][]byte {
		dir := t.TempDir()
		if _, err := gen.WriteDatapackage(dir, opts); err != nil {
			t.Fatal(err)
		}
		return readDir(t, dir)
	}
	a, b := write(opts), write(opts)
	if len(a) < 10 {
		t.Fatalf("wrote %d files, want a table per kind of row", len(a))
	}
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two runs with seed 42", name)
		}
	}
	if !reflect.DeepEqual(len(a), len(b)) {
		t.Errorf("runs wrote %d and %d files", len(a), len(b))
	}
	opts.Seed = 43
	c := write(opts)
	for _, name := range []string{"organizations.csv", "services.csv", "locations.csv"} {
		if bytes.Equal(a[name], c[name]) {
			t.Errorf("%s is the same for seeds 42 and 43", name)
		}
	}
	if !bytes.Equal(a["taxonomy_terms.csv"], c["taxonomy_terms.csv"]) {
		t.Error("taxonomy_terms.csv differs between seeds; term ids must not depend on the seed")
	}
	opts.Now = time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)
	if d := write(opts); bytes.Equal(c["services.csv"], d["services.csv"]) {
		t.Error("services.csv does not depend on Now")
	}
}

// The datapackage reads back into the same rows.
func TestWriteDatapackage_ReadBack(t *testing.T) {
	opts := gen.Options{Services: 300, Seed: 5, Region: "north"}
	dir := t.TempDir()
	st, err := gen.WriteDatapackage(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	d := mustGenerate(t, opts)
	for kind, n := range st.Rows {
		ki, _ := o211.LookupKind(kind)
		f, err := os.Open(filepath.Join(dir, ki.Table+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(records)-1 != n {
			t.Errorf("%s.csv has %d rows, Stats says %d", ki.Table, len(records)-1, n)
		}
		dec, err := tabular.NewDecoder(kind, records[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range records[1:] {
			obj, err := dec.Decode(rec)
			if err != nil {
				t.Fatalf("%s: %v", ki.Table, err)
			}
			if want := d.byID[kind][obj.ObjectID()]; !reflect.DeepEqual(obj, want.Flat()) {
				t.Fatalf("%s row %s reads back as %+v, want %+v", ki.Table, obj.ObjectID(), obj, want)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "datapackage.json")); err != nil {
		t.Error(err)
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{6000, 60000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rows := 0
			for b.Loop() {
				st, err := gen.Generate(gen.Options{Services: n, Seed: 1}, func(string, o211.Object) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
				rows = 0
				for _, c := range st.Rows {
					rows += c
				}
			}
			b.ReportMetric(float64(rows), "rows/op")
		})
	}
}

func BenchmarkWriteDatapackage60000(b *testing.B) {
	for b.Loop() {
		if _, err := gen.WriteDatapackage(b.TempDir(), gen.Options{Services: 60000, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
