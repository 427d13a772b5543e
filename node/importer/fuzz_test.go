package importer_test

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"unicode/utf8"

	"github.com/o211/o211"
	"github.com/o211/o211/node/importer"
)

// The fuzz targets feed each importer arbitrary bytes. Whatever comes in,
// an importer must not panic, must answer bad input with an *o211.Error or
// with problems (never both a batch and an error), must list a problem
// whenever a record it staged breaks the HSDS checks, and must quote at
// most a short prefix of what it was sent. Their seed corpora (f.Add below and testdata/fuzz/FuzzX) run
// in the normal test suite; go test -fuzz=FuzzX explores further.

// maxProblemLen bounds a problem's reason: messages quote a short prefix of
// the input, never a whole field.
const maxProblemLen = 600

// fuzzParse parses data in the format and checks what came out.
func fuzzParse(t *testing.T, format, name string, data []byte) {
	b, err := importer.ParseReader(format, name, bytes.NewReader(data), importer.Options{Region: "east", TempDir: t.TempDir()})
	if err != nil {
		var e *o211.Error
		if !errors.As(err, &e) {
			t.Fatalf("ParseReader(%s): %T %v, want an *o211.Error", format, err, err)
		}
		checkEcho(t, err.Error())
		return
	}
	defer b.Close()
	for _, p := range append(append([]o211.InputProblem(nil), b.Problems...), b.Warnings...) {
		checkEcho(t, p.String())
	}
	err = b.Each(func(obj o211.Object, _ importer.Source) error {
		if err := obj.Validate(); err != nil && len(b.Problems) == 0 {
			t.Errorf("staged %s %q does not validate (%v), and the batch lists no problem", obj.ObjectKind(), obj.ObjectID(), err)
		}
		if err := o211.ValidID("id", obj.ObjectID()); err != nil && len(b.Problems) == 0 {
			t.Errorf("staged %s with a bad id: %v", obj.ObjectKind(), err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Each: %v", err)
	}
}

func checkEcho(t *testing.T, msg string) {
	t.Helper()
	if len(msg) > maxProblemLen {
		t.Errorf("a message of %d bytes (want at most %d): %.200q…", len(msg), maxProblemLen, msg)
	}
	if !utf8.ValidString(msg) {
		t.Errorf("a message that is not UTF-8: %q", msg)
	}
}

// addFile adds the first n bytes of a repository test file as a seed (small:
// the fuzzer mutates and minimises faster).
func addFile(f *testing.F, n int, elem ...string) {
	data, err := os.ReadFile(testdata(elem...))
	if err != nil {
		f.Fatal(err)
	}
	if len(data) > n {
		data = data[:n]
	}
	f.Add(data)
}

func Fuzz211Ontario(f *testing.F) {
	addFile(f, 4096, "211ontario-sample.csv")
	f.Add([]byte("id_program,program_name,agency_name\n1,Food,Bank\n"))
	f.Add([]byte("id_program,id_site,site_latitude,site_longitude,hours\n1,2,91,-200,Mon-Fri 9am-5pm\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, importer.Format211Ontario, "fuzz.csv", data)
	})
}

func FuzzHSDSJSON(f *testing.F) {
	for _, name := range []string{"service_list.json", "organization_list.json", "service_at_location_list.json", "location.json", "taxonomy_term_list.json"} {
		addFile(f, 4096, "hsds", "examples", name)
	}
	f.Add([]byte(`[{"id":"x","name":"y"}]`))
	f.Add([]byte(`{"resources":[{"name":"services","data":[{"id":"1"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, importer.FormatHSDSJSON, "services.json", data)
	})
}

// FuzzHSDSCSV reads one table's CSV; the first byte picks the table.
func FuzzHSDSCSV(f *testing.F) {
	tables := []string{"organizations.csv", "services.csv", "locations.csv", "service_at_locations.csv", "phones.csv",
		"schedules.csv", "addresses.csv", "taxonomy_terms.csv", "attributes.csv", "languages.csv"}
	f.Add(byte(1), []byte("id,organization_id,name,status\n11111111-1111-4111-8111-111111111111,22222222-2222-4222-8222-222222222222,Food,active\n"))
	f.Add(byte(0), []byte("id,name,description\n22222222-2222-4222-8222-222222222222,Bank,\"multi\nline\"\n"))
	f.Add(byte(5), []byte("id,service_id,freq,byday,opens_at,closes_at\n3,4,WEEKLY,\"MO,TU\",09:00,17:00\n"))
	f.Add(byte(2), []byte("id,name,latitude,longitude\n5,Site,43.65,-79.38\n"))
	f.Fuzz(func(t *testing.T, table byte, data []byte) {
		fuzzParse(t, importer.FormatHSDSCSV, tables[int(table)%len(tables)], data)
	})
}
