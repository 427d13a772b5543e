package tabular

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"github.com/o211/o211"
)

// Writer writes an HSDS tabular datapackage into a directory: one CSV file
// per table (only the tables that get rows, plus the core ones) and a
// datapackage.json describing them.
type Writer struct {
	dir   string
	files map[o211.Kind]*tableFile
	count map[o211.Kind]int
	// Name and Title describe the package in datapackage.json.
	Name, Title string
}

type tableFile struct {
	f   *os.File
	buf *bufio.Writer
	csv *csv.Writer
}

// NewWriter creates dir if needed and returns a writer into it.
func NewWriter(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tabular: %w", err)
	}
	return &Writer{dir: dir, files: map[o211.Kind]*tableFile{}, count: map[o211.Kind]int{}, Name: "o211-directory"}, nil
}

func (w *Writer) file(kind o211.Kind) (*tableFile, error) {
	if tf, ok := w.files[kind]; ok {
		return tf, nil
	}
	ki, ok := o211.LookupKind(kind)
	if !ok {
		return nil, fmt.Errorf("tabular: unknown table %q", kind)
	}
	f, err := os.Create(filepath.Join(w.dir, ki.Table+".csv"))
	if err != nil {
		return nil, fmt.Errorf("tabular: %w", err)
	}
	tf := &tableFile{f: f, buf: bufio.NewWriterSize(f, 256<<10)}
	tf.csv = csv.NewWriter(tf.buf)
	if err := tf.csv.Write(Columns(kind)); err != nil {
		f.Close()
		return nil, err
	}
	w.files[kind] = tf
	return tf, nil
}

// Write appends a row to its table's file.
func (w *Writer) Write(obj o211.Object) error {
	tf, err := w.file(obj.ObjectKind())
	if err != nil {
		return err
	}
	w.count[obj.ObjectKind()]++
	return tf.csv.Write(EncodeRow(obj))
}

// Count returns how many rows of the table were written.
func (w *Writer) Count(kind o211.Kind) int { return w.count[kind] }

// Close flushes and closes every file, creating empty files (header only)
// for the core tables that got no rows, and writes datapackage.json.
func (w *Writer) Close() error {
	var errs []error
	for _, k := range []o211.Kind{o211.KindOrganization, o211.KindService, o211.KindLocation, o211.KindServiceAtLocation} {
		if _, err := w.file(k); err != nil {
			errs = append(errs, err)
		}
	}
	for _, tf := range w.files {
		tf.csv.Flush()
		errs = append(errs, tf.csv.Error(), tf.buf.Flush(), tf.f.Sync(), tf.f.Close())
	}
	errs = append(errs, w.writeDescriptor())
	return errors.Join(errs...)
}

type descriptor struct {
	Profile   string     `json:"profile"`
	Name      string     `json:"name"`
	Title     string     `json:"title,omitempty"`
	Resources []resource `json:"resources"`
}

type resource struct {
	Name      string `json:"name"`
	Path      string `json:"path"`
	Profile   string `json:"profile"`
	Format    string `json:"format"`
	Mediatype string `json:"mediatype"`
	Encoding  string `json:"encoding"`
	Schema    struct {
		Fields []field `json:"fields"`
	} `json:"schema"`
}

type field struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

func (w *Writer) writeDescriptor() error {
	d := descriptor{Profile: "tabular-data-package", Name: w.Name, Title: w.Title}
	for _, ki := range o211.Kinds() {
		if _, ok := w.files[ki.Kind]; !ok {
			continue
		}
		r := resource{Name: ki.Table, Path: ki.Table + ".csv", Profile: "tabular-data-resource",
			Format: "csv", Mediatype: "text/csv", Encoding: "utf-8"}
		cols, _ := columnsOf(ki.Kind)
		for _, c := range cols {
			typ := "string"
			if c.kind != reflect.String {
				typ = "number"
			}
			r.Schema.Fields = append(r.Schema.Fields, field{Name: c.name, Type: typ})
		}
		d.Resources = append(d.Resources, r)
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(w.dir, "datapackage.json"), append(b, '\n'), 0o644)
}
