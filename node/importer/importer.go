// Package importer reads directory records into a node: the Open Referral
// HSDS 3.0 JSON forms (hsds-json), the HSDS tabular datapackage (hsds-csv)
// and 211 Ontario's flat export (211ontario).
//
// An import has two steps. Parse turns a file into a Batch: one upsert per
// distinct record, each with where it came from (file, line, JSON path),
// plus the problems of input that could not be read at all. Batch.Write
// hands the changes to a Writer (the node's store, wrapped so that search
// follows) and maps every rejection back to its file and line. By default
// an import is all or nothing; with Options.SkipInvalid the valid records
// are written and every rejected one is listed with its reason.
//
// Re-importing the same input changes nothing: ids are kept (HSDS) or
// derived deterministically from the source's ids (211 Ontario), and the
// store leaves identical rows alone.
package importer

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/store"
)

// The import formats.
const (
	FormatHSDSJSON   = "hsds-json"
	FormatHSDSCSV    = "hsds-csv"
	Format211Ontario = "211ontario"
)

// Formats lists the import formats.
func Formats() []string { return []string{FormatHSDSJSON, FormatHSDSCSV, Format211Ontario} }

// Progress stages.
const (
	StageRead  = "read"  // done and total count bytes of input
	StageWrite = "write" // done and total count records
)

// Writer writes changes to a directory. *store.Store implements it; the
// node wraps it so that its search index follows every write.
type Writer interface {
	Write(ctx context.Context, changes []o211.Change, opts o211.WriteOptions) (*store.WriteResult, error)
}

// Options control an import.
type Options struct {
	// Region is the region importing; 211ontario ids are derived from it so
	// that two regions' records never share an id. Required for 211ontario.
	Region string
	// Kind names the table of hsds-json objects whose table cannot be told
	// from their fields or the file name.
	Kind o211.Kind
	// SkipInvalid writes the valid records and lists the others; without it
	// an import with any problem writes nothing.
	SkipInvalid bool
	// Progress, when set, is called as the input is read and written.
	Progress func(stage string, done, total int)
}

func (o *Options) progress(stage string) func(done, total int) {
	if o.Progress == nil {
		return nil
	}
	return func(done, total int) { o.Progress(stage, done, total) }
}

// Report says what an import did.
type Report struct {
	Format string `json:"format"`
	// Records counts the records read: CSV rows, JSON objects with the
	// ones nested in them, the records made of 211 Ontario's rows. Kinds
	// counts the distinct records handed to the store, by table.
	Records int               `json:"records"`
	Kinds   map[o211.Kind]int `json:"kinds"`

	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Deleted   int `json:"deleted"`
	Unchanged int `json:"unchanged"`
	// Changed counts the records created or updated, by table.
	Changed map[o211.Kind]int `json:"changed,omitempty"`

	// Rejected lists every row or record not imported, with its reason.
	Rejected []o211.Problem `json:"rejected,omitempty"`
	// Warnings lists what was imported but is worth a look: references to
	// records the directory does not hold (HSDS allows them), unknown
	// columns and files, values left out.
	Warnings []o211.Problem `json:"warnings,omitempty"`

	Duration time.Duration `json:"duration_ns"`
}

// Import reads the file (for hsds-csv a datapackage directory, a .zip of
// one or a single table's CSV file; for hsds-json a file or a directory of
// .json files) and writes its records through w.
//
// It returns an EINVALID *o211.Error for an unknown format or a missing
// 211ontario region; for bad input without SkipInvalid, an EINVALID
// *o211.Error whose Problems list every problem (and the report, which
// lists them too), with nothing written; the Writer's other errors and
// read errors as they come.
func Import(ctx context.Context, w Writer, format, path string, opts Options) (*Report, error) {
	start := time.Now()
	b, err := Parse(format, path, opts)
	if err != nil {
		return nil, err
	}
	rep, err := b.Write(ctx, w, opts)
	if rep != nil {
		rep.Duration = time.Since(start)
	}
	return rep, err
}

// ImportReader is Import for input that is not a file, such as the body of
// an HTTP request; name is how problems name the input. An hsds-csv input
// is a zip of a datapackage or one table's CSV named after its table.
func ImportReader(ctx context.Context, w Writer, format, name string, r io.Reader, opts Options) (*Report, error) {
	start := time.Now()
	b, err := ParseReader(format, name, r, opts)
	if err != nil {
		return nil, err
	}
	rep, err := b.Write(ctx, w, opts)
	if rep != nil {
		rep.Duration = time.Since(start)
	}
	return rep, err
}

// Parse reads the file at path in the format into a Batch. Input that
// cannot be read is listed in the batch's Problems, not returned as an
// error. It returns an EINVALID *o211.Error for an unknown format, a missing
// region (211ontario) or a path of the wrong sort, and read errors.
func Parse(format, path string, opts Options) (*Batch, error) {
	if err := checkFormat(format, opts); err != nil {
		return nil, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("importer: %w", err)
	}
	b := newBatch(format)
	name := filepath.Base(path)
	switch {
	case format == FormatHSDSCSV && info.IsDir():
		files, err := dirFiles(path)
		if err != nil {
			return nil, fmt.Errorf("importer: %w", err)
		}
		err = b.readTables(b.tables(files, name), opts.progress(StageRead))
		return b, err
	case format == FormatHSDSJSON && info.IsDir():
		return b, b.parseJSONDir(path, opts)
	case info.IsDir():
		return nil, o211.Errorf(o211.EINVALID, "%s is a directory; the %s format reads a file", path, format)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("importer: %w", err)
	}
	defer f.Close()
	return b, b.parse(name, f, info.Size(), opts)
}

// ParseReader is Parse for input that is not a file; name is how problems
// name it.
func ParseReader(format, name string, r io.Reader, opts Options) (*Batch, error) {
	if err := checkFormat(format, opts); err != nil {
		return nil, err
	}
	b := newBatch(format)
	return b, b.parse(name, r, -1, opts)
}

func checkFormat(format string, opts Options) error {
	switch format {
	case FormatHSDSJSON, FormatHSDSCSV:
	case Format211Ontario:
		if opts.Region == "" {
			return o211.Errorf(o211.EINVALID, "the 211ontario format needs the importing region (its ids are derived from it)")
		}
	default:
		return o211.Errorf(o211.EINVALID, "unknown import format %q; want %s", format, strings.Join(Formats(), ", "))
	}
	return nil
}

// parse reads one input stream of size bytes (-1 unknown).
func (b *Batch) parse(name string, r io.Reader, size int64, opts Options) error {
	progress := opts.progress(StageRead)
	switch b.Format {
	case Format211Ontario:
		return b.parseOntario(name, r, size, opts.Region, progress)
	case FormatHSDSJSON:
		data, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("importer: %s: %w", name, err)
		}
		b.parseJSON(name, data, opts.Kind)
		if progress != nil {
			progress(len(data), len(data))
		}
		return nil
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("importer: %s: %w", name, err)
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return o211.Errorf(o211.EINVALID, "%s: not a readable zip archive: %v", name, err)
		}
		return b.readTables(b.tables(zipFiles(zr), name), progress)
	}
	kind, ok := tableKind(strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)))
	if !ok {
		return o211.Errorf(o211.EINVALID, "%s: an hsds-csv input is a datapackage directory, a zip of one, or a CSV file named after its table", name)
	}
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	return b.readTables([]table{{name: filepath.Base(name), kind: kind, size: int64(len(data)), open: open}}, progress)
}

// parseJSONDir reads every .json, .jsonl and .ndjson file of a directory,
// in name order, as one input: a record given differently by two files is
// taken from the later one (as if they were imported one after another),
// with a warning.
func (b *Batch) parseJSONDir(dir string, opts Options) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("importer: %w", err)
	}
	b.laterWins = true
	var names []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".json" || ext == ".jsonl" || ext == ".ndjson") && e.Name() != "datapackage.json" {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return o211.Errorf(o211.EINVALID, "%s holds no .json files", dir)
	}
	for i, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return fmt.Errorf("importer: %w", err)
		}
		b.parseJSON(n, data, opts.Kind)
		if opts.Progress != nil {
			opts.Progress(StageRead, i+1, len(names))
		}
	}
	return nil
}
