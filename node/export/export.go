// Package export writes a node's whole directory out in the forms the
// importers read back: the HSDS tabular datapackage (hsds-csv) and a JSON
// document of nested HSDS objects (hsds-json). Importing an export into an
// empty directory gives back the same records, and importing it into the
// directory it came from changes nothing.
//
// The hsds-json document is an object whose keys name HSDS tables:
//
//	{
//	  "hsds_version": "3.0",
//	  "generator": "o211",
//	  "taxonomies": [flat rows],
//	  "taxonomy_terms": [flat rows],
//	  "organizations": [each organization in full, with its services in
//	                    full as the HSDS API nests them],
//	  "services": [services without an organization, in full],
//	  "locations": [locations no service or organization holds, in full],
//	  "<table>": [flat rows of any table that nothing above holds]
//	}
//
// so that an HSDS consumer finds organizations and services as the HSDS
// API gives them, and nothing is lost. Arrays hold one object per line.
// Everything comes in a fixed order (tables as o211.Kinds lists them, rows
// by id), so two exports of the same directory are the same bytes but for
// the services' last_modified times.
package export

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/tabular"
)

// The export formats.
const (
	FormatHSDSJSON = "hsds-json"
	FormatHSDSCSV  = "hsds-csv"
)

// Formats lists the export formats.
func Formats() []string { return []string{FormatHSDSJSON, FormatHSDSCSV} }

// Reader is the consistent view of a directory an export reads (*store.Tx
// within store.View).
type Reader interface {
	hsds.Reader
	// Scan calls fn for every live record of kind with an id after the
	// given one ("" for all), in id order.
	Scan(kind o211.Kind, after string, fn func(*o211.Record) error) error
	// Count returns the number of live records of kind.
	Count(kind o211.Kind) (int, error)
}

// Options control an export.
type Options struct {
	// Progress, when set, is called as records are written; total is the
	// number of live records.
	Progress func(done, total int)
}

// Report says what an export wrote.
type Report struct {
	Format string            `json:"format"`
	Kinds  map[o211.Kind]int `json:"kinds"` // records written, by table
}

// Total returns the number of records written.
func (r *Report) Total() int {
	n := 0
	for _, c := range r.Kinds {
		n += c
	}
	return n
}

// Export writes every live record of r to out in the format: for hsds-csv
// a datapackage directory (created if needed), or a zip of one when out
// ends in ".zip"; for hsds-json a file. It returns an EINVALID *o211.Error
// for an unknown format, and read and write errors.
func Export(ctx context.Context, r Reader, format, out string, opts Options) (*Report, error) {
	switch {
	case format == FormatHSDSCSV && strings.HasSuffix(strings.ToLower(out), ".zip"):
		return toFile(out, func(w io.Writer) (*Report, error) { return WriteZip(ctx, r, w, opts) })
	case format == FormatHSDSCSV:
		return WriteDatapackage(ctx, r, out, opts)
	case format == FormatHSDSJSON:
		return toFile(out, func(w io.Writer) (*Report, error) { return WriteJSON(ctx, r, w, opts) })
	}
	return nil, o211.Errorf(o211.EINVALID, "unknown export format %q; want %s", format, strings.Join(Formats(), ", "))
}

// toFile writes a file through write, removing it if write fails.
func toFile(path string, write func(io.Writer) (*Report, error)) (*Report, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	rep, err := write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return rep, nil
}

// counter reports progress over every live record.
type counter struct {
	done, total int
	fn          func(done, total int)
}

func newCounter(r Reader, fn func(done, total int)) (*counter, error) {
	c := &counter{fn: fn}
	if fn == nil {
		return c, nil
	}
	for _, ki := range o211.Kinds() {
		n, err := r.Count(ki.Kind)
		if err != nil {
			return nil, err
		}
		c.total += n
	}
	return c, nil
}

func (c *counter) add(n int) {
	c.done += n
	if c.fn != nil {
		c.fn(min(c.done, c.total), c.total)
	}
}

// WriteDatapackage writes every live record of r as an HSDS tabular
// datapackage into dir: one CSV file per table that has rows (and the
// core tables), rows in id order, and datapackage.json.
func WriteDatapackage(ctx context.Context, r Reader, dir string, opts Options) (*Report, error) {
	w, err := tabular.NewWriter(dir)
	if err != nil {
		return nil, err
	}
	rep := &Report{Format: FormatHSDSCSV, Kinds: map[o211.Kind]int{}}
	c, err := newCounter(r, opts.Progress)
	if err != nil {
		w.Close()
		return nil, err
	}
	for _, ki := range o211.Kinds() {
		err := r.Scan(ki.Kind, "", func(rec *o211.Record) error {
			if rep.Kinds[ki.Kind]%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				c.add(0)
			}
			obj, err := rec.Decode()
			if err != nil {
				return err
			}
			rep.Kinds[ki.Kind]++
			c.done++
			return w.Write(obj)
		})
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("export: %s: %w", ki.Table, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	c.add(0)
	return rep, nil
}

// WriteZip writes the datapackage of WriteDatapackage as a zip archive.
func WriteZip(ctx context.Context, r Reader, out io.Writer, opts Options) (*Report, error) {
	dir, err := os.MkdirTemp("", "o211-export-")
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	defer os.RemoveAll(dir)
	rep, err := WriteDatapackage(ctx, r, dir, opts)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	zw := zip.NewWriter(out)
	for _, n := range names {
		if err := addToZip(zw, filepath.Join(dir, n), n); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return rep, nil
}

func addToZip(zw *zip.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer f.Close()
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
