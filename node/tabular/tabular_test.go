package tabular_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/tabular"
)

// The columns of every table are exactly the official HSDS 3.0 CSV headers.
func TestColumns_MatchOfficialHeaders(t *testing.T) {
	for _, ki := range o211.Kinds() {
		f, err := os.Open(filepath.Join("..", "..", "testdata", "hsds", "examples", "csv", ki.Table+".csv"))
		if err != nil {
			t.Fatalf("%s: %v", ki.Kind, err)
		}
		header, err := csv.NewReader(f).Read()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", ki.Kind, err)
		}
		if got := tabular.Columns(ki.Kind); !reflect.DeepEqual(got, header) {
			t.Errorf("%s columns\n got %q\nwant %q", ki.Kind, got, header)
		}
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	age := 12.0
	in := &o211.Service{ID: "s1", Name: "Food bank, \"central\"", Status: "active", MinimumAge: &age}
	row := tabular.EncodeRow(in)
	d, err := tabular.NewDecoder(o211.KindService, append(tabular.Columns(o211.KindService), "extra"))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Unknown(); !reflect.DeepEqual(got, []string{"extra"}) {
		t.Fatalf("Unknown() = %q", got)
	}
	out, err := d.Decode(row)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Fatalf("got %+v, want %+v", out, in)
	}
	t.Run("ErrBadNumber", func(t *testing.T) {
		row[tabularIndex(t, "minimum_age")] = "twelve"
		_, err := d.Decode(row)
		ce, ok := err.(*tabular.ColumnError)
		if !ok || ce.Column != "minimum_age" {
			t.Fatalf("got %v, want a ColumnError on minimum_age", err)
		}
	})
}

func tabularIndex(t *testing.T, col string) int {
	for i, c := range tabular.Columns(o211.KindService) {
		if c == col {
			return i
		}
	}
	t.Fatalf("no column %s", col)
	return -1
}
