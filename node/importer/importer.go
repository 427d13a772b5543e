// Package importer reads directory records into a node: the Open Referral
// HSDS 3.0 JSON forms (hsds-json), the HSDS tabular datapackage (hsds-csv)
// and 211 Ontario's flat export (211ontario).
//
// An import has two steps. Parse streams a file into a Batch: every
// distinct record, each with where it came from (file, line, JSON path),
// staged in a temporary file so that memory does not grow with the input
// (stage.go), plus the problems of input that could not be read at all or
// breaks the HSDS schema. Batch.Write checks every reference against the
// batch and the directory, and only then writes, in chunks of a bounded
// size, through a Writer (the node's store, wrapped so that search
// follows); every problem is named by its file, line and column. By default
// an import is all or nothing: any problem and nothing is written. With
// Options.SkipInvalid the valid records are written and every rejected one
// is listed with its reason.
//
// An import is a sync of its source (Options.Source, by default the
// format): the records it writes are entered under the source, and the
// region's records from that source that the input no longer holds are
// removed with their children; records entered by hand or from another
// source stay. Options.DryRun reports what would be added, changed and
// removed without writing.
//
// Re-importing the same input changes nothing: ids are kept (HSDS) or
// derived deterministically from the source's ids (211 Ontario), and the
// store leaves identical rows alone. A crash while the checked chunks are
// written leaves the ones written; importing the input again completes the
// sync.
package importer

import (
	"archive/zip"
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
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

// yieldRows is how many rows or records an import handles between giving
// up its processor (runtime.Gosched, or Options.Pause): a millisecond or
// so of work. An import through a node's API runs beside its searches,
// and a search that comes in should wait for no more than that, not for
// the Go scheduler's 10 ms time slice.
const yieldRows = 64

// yield gives up the processor after every yieldRows-th row (n counts
// them).
func (b *Batch) yield(n int) {
	if n%yieldRows != 0 {
		return
	}
	if b.pause != nil {
		b.pause()
		return
	}
	runtime.Gosched()
}

// Progress stages.
const (
	StageRead  = "read"  // done and total count bytes of input
	StageWrite = "write" // done and total count records
)

// Writer writes changes to a directory and reads it: the node's directory,
// or a store alone (Store). Its read views that also have
// EachFromSource (as *store.Tx) make an import a sync of its source.
type Writer interface {
	Write(ctx context.Context, changes []o211.Change, opts o211.WriteOptions) (*store.WriteResult, error)
	View(fn func(hsds.Tx) error) error
}

// Owners reads which region owns records. ViewOwners calls fn with owner,
// which returns the region that owns kind/id ("" when none is known) and
// is valid only while fn runs.
type Owners interface {
	ViewOwners(fn func(owner func(kind o211.Kind, id string) (string, error)) error) error
}

// StoreOwners returns the Owners that s says: the region of each record's
// latest version there, or "" for a record s does not hold or holds
// deleted. Over a node's copy of the provincial directory, it is who owns
// what in the province.
func StoreOwners(s *store.Store) Owners { return storeOwners{s} }

type storeOwners struct{ s *store.Store }

func (o storeOwners) ViewOwners(fn func(owner func(o211.Kind, string) (string, error)) error) error {
	return o.s.View(func(tx *store.Tx) error {
		return fn(func(kind o211.Kind, id string) (string, error) {
			rec, err := tx.GetAny(kind, id)
			if err != nil || rec == nil || rec.Deleted {
				return "", err
			}
			return rec.Region, nil
		})
	})
}

// sourceReader is a read view that knows the source of each record.
type sourceReader interface {
	EachFromSource(source string, fn func(kind o211.Kind, id string) error) error
}

// Store returns a Writer that writes to s alone.
func Store(s *store.Store) Writer { return storeWriter{s} }

type storeWriter struct{ *store.Store }

func (w storeWriter) View(fn func(hsds.Tx) error) error {
	return w.Store.View(func(tx *store.Tx) error { return fn(tx) })
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
	// Source names the feed the input comes from (default: the format).
	// The import is a sync of that source: the region's records from it
	// that the input no longer holds are removed; records entered by hand
	// or from other sources are left alone.
	Source string
	// DryRun reads and checks the input and reports what the import would
	// add, change and remove (Report.Plan), writing nothing.
	DryRun bool
	// TempDir is where the import stages the records it reads (default:
	// the system's temporary folder).
	TempDir string
	// Owners, when set, says which region owns each record (a node's copy
	// of the provincial directory). A record that another region owns is
	// refused, as a single write of it is: without SkipInvalid the import
	// writes nothing and fails with ECONFLICT naming the record; with it,
	// the record is listed with the rejected ones. The shared reference
	// tables (o211.Shared) are never another region's.
	Owners Owners
	// Readers bounds how many tables of a datapackage are read at once
	// (default: up to 4, one per core).
	Readers int
	// Pause, when set, is called every yieldRows rows or records read,
	// checked and written, and between writes, in place of
	// runtime.Gosched: a node rests there while it serves searches. It is
	// called from as many goroutines as Readers.
	Pause func()
	// ChunkRecords bounds the records of one write (default 16,384; the
	// bytes of one write are bounded at 1 KiB a record): smaller writes
	// hold the store's write lock and a processor for less time at once.
	ChunkRecords int
}

func (o *Options) source(format string) string {
	if o.Source != "" {
		return o.Source
	}
	return format
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
	Rejected []o211.InputProblem `json:"rejected,omitempty"`
	// Warnings lists what was imported but is worth a look: references to
	// records the directory does not hold (HSDS allows them), unknown
	// columns and files, values left out.
	Warnings []o211.InputProblem `json:"warnings,omitempty"`

	// Source is the feed synced; DryRun says that nothing was written, and
	// Plan what the import would add, change and remove.
	Source string    `json:"source"`
	DryRun bool      `json:"dry_run,omitempty"`
	Plan   []Planned `json:"plan,omitempty"`

	Duration time.Duration `json:"duration_ns"`
}

// Planned is what a dry run found an import would do to one table.
type Planned struct {
	Op    string    `json:"op"` // "add", "change" or "remove"
	Kind  o211.Kind `json:"kind"`
	Count int       `json:"count"`
	// IDs lists the first maxPlannedIDs records' ids.
	IDs []string `json:"ids"`
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
	defer b.Close()
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
	defer b.Close()
	rep, err := b.Write(ctx, w, opts)
	if rep != nil {
		rep.Duration = time.Since(start)
	}
	return rep, err
}

// Parse reads the file at path in the format into a Batch, which the
// caller closes. Input that cannot be read is listed in the batch's
// Problems, not returned as an error. It returns an EINVALID *o211.Error for
// an unknown format, a missing region (211ontario) or a path of the wrong
// sort, an ETOOLARGE one for a row or file past the limits, and read errors.
func Parse(format, path string, opts Options) (*Batch, error) {
	if err := checkFormat(format, opts); err != nil {
		return nil, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("importer: %w", err)
	}
	b, err := newBatch(format, opts.TempDir)
	if err != nil {
		return nil, err
	}
	b.pause = opts.Pause
	if err := b.parsePath(path, info, opts); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

func (b *Batch) parsePath(path string, info os.FileInfo, opts Options) error {
	format := b.Format
	name := filepath.Base(path)
	switch {
	case format == FormatHSDSCSV && info.IsDir():
		files, err := dirFiles(path)
		if err != nil {
			return fmt.Errorf("importer: %w", err)
		}
		return b.readTables(b.tables(files, name), opts.Readers, opts.progress(StageRead))
	case format == FormatHSDSJSON && info.IsDir():
		return b.parseJSONDir(path, opts)
	case info.IsDir():
		return o211.Errorf(o211.EINVALID, "%s is a directory; the %s format reads a file", path, format)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("importer: %w", err)
	}
	defer f.Close()
	return b.parse(name, f, info.Size(), opts)
}

// ParseReader is Parse for input that is not a file; name is how problems
// name it. The caller closes the batch.
func ParseReader(format, name string, r io.Reader, opts Options) (*Batch, error) {
	if err := checkFormat(format, opts); err != nil {
		return nil, err
	}
	b, err := newBatch(format, opts.TempDir)
	if err != nil {
		return nil, err
	}
	b.pause = opts.Pause
	if err := b.parse(name, r, -1, opts); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
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
		return b.parseJSONReader(name, r, size, opts)
	}
	f, ok := r.(*os.File)
	if !ok || size < 0 {
		br := bufio.NewReader(r)
		if magic, _ := br.Peek(4); string(magic) != "PK\x03\x04" {
			return b.readCSVStream(name, br, opts.Readers, progress)
		}
		// A zip is read from its end: keep the stream in a file first.
		tmp, err := spool(br, opts.TempDir)
		if err != nil {
			return fmt.Errorf("importer: %s: %w", name, err)
		}
		defer tmp.Close()
		info, err := tmp.Stat()
		if err != nil {
			return fmt.Errorf("importer: %s: %w", name, err)
		}
		f, size = tmp, info.Size()
	}
	var magic [4]byte
	if n, _ := f.ReadAt(magic[:], 0); n == 4 && string(magic[:]) == "PK\x03\x04" {
		zr, err := zip.NewReader(f, size)
		if err != nil {
			return o211.Errorf(o211.EINVALID, "%s: not a readable zip archive: %v", name, err)
		}
		files, err := zipFiles(zr, name)
		if err != nil {
			return err
		}
		return b.readTables(b.tables(files, name), opts.Readers, progress)
	}
	return b.readCSVStream(name, io.NewSectionReader(f, 0, size), opts.Readers, progress)
}

// readCSVStream reads one table's CSV file, named after its table.
func (b *Batch) readCSVStream(name string, r io.Reader, readers int, progress func(done, total int)) error {
	kind, ok := tableKind(strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)))
	if !ok {
		return o211.Errorf(o211.EINVALID, "%s: an hsds-csv input is a datapackage directory, a zip of one, or a CSV file named after its table", name)
	}
	size := int64(-1)
	if sr, ok := r.(*io.SectionReader); ok {
		size = sr.Size()
	}
	open := func() (io.ReadCloser, error) { return io.NopCloser(r), nil }
	return b.readTables([]table{{name: filepath.Base(name), kind: kind, size: size, open: open}}, readers, progress)
}

// parseJSONReader reads one hsds-json stream of size bytes (-1 unknown):
// a file as it is, any other stream kept in a temporary file first (the
// file is read twice).
func (b *Batch) parseJSONReader(name string, r io.Reader, size int64, opts Options) error {
	f, ok := r.(*os.File)
	if !ok || size < 0 {
		tmp, err := spool(r, opts.TempDir)
		if err != nil {
			return fmt.Errorf("importer: %s: %w", name, err)
		}
		defer tmp.Close()
		f = tmp
	}
	if err := b.parseJSONFile(name, f, opts.Kind); err != nil {
		return err
	}
	if progress := opts.progress(StageRead); progress != nil {
		progress(1, 1)
	}
	return nil
}

// spool copies r into an unlinked temporary file in dir.
func spool(r io.Reader, dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, "o211-import-*.upload")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
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
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			return fmt.Errorf("importer: %w", err)
		}
		err = b.parseJSONFile(n, f, opts.Kind)
		f.Close()
		if err != nil {
			return err
		}
		if opts.Progress != nil {
			opts.Progress(StageRead, i+1, len(names))
		}
	}
	return nil
}
