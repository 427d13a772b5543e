package importer

import (
	"archive/zip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/o211/o211"
	"github.com/o211/o211/node/tabular"
)

// table is one CSV file of a datapackage.
type table struct {
	name string // as named in problems
	kind o211.Kind
	size int64
	open func() (io.ReadCloser, error)
}

// pkgFile is a file of a datapackage, in a directory or a zip archive.
type pkgFile struct {
	name string // slash-separated path inside the package
	size int64
	open func() (io.ReadCloser, error)
}

// dirFiles lists the files of a datapackage directory (not recursive).
func dirFiles(dir string) ([]pkgFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []pkgFile
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, e.Name())
		out = append(out, pkgFile{name: e.Name(), size: info.Size(), open: func() (io.ReadCloser, error) { return os.Open(p) }})
	}
	return out, nil
}

// zipFiles lists the files of a zipped datapackage. A single top folder
// that holds everything is taken off the names. An archive that unpacks to
// more than MaxUnzipped bytes is refused (ETOOLARGE) before any is read;
// each file is read no further than the size it declares.
func zipFiles(zr *zip.Reader, label string) ([]pkgFile, error) {
	var out []pkgFile
	var total uint64
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || strings.HasPrefix(path.Base(f.Name), ".") || strings.HasPrefix(f.Name, "__MACOSX/") {
			continue
		}
		if total += f.UncompressedSize64; total > MaxUnzipped || f.UncompressedSize64 > MaxUnzipped {
			return nil, o211.Errorf(o211.ETOOLARGE, "%s unpacks to more than %d GiB; nothing was imported", label, MaxUnzipped>>30)
		}
		if ZipBomb(f) {
			return nil, o211.Errorf(o211.ETOOLARGE, "%s: %s unpacks to %d MiB from %d KiB; no directory export packs that tightly, so the file is refused (nothing was imported)",
				label, f.Name, f.UncompressedSize64>>20, f.CompressedSize64>>10)
		}
		zf := f
		open := func() (io.ReadCloser, error) {
			rc, err := zf.Open()
			if err != nil {
				return nil, err
			}
			return struct {
				io.Reader
				io.Closer
			}{io.LimitReader(rc, int64(zf.UncompressedSize64)), rc}, nil
		}
		out = append(out, pkgFile{name: f.Name, size: int64(f.UncompressedSize64), open: open})
	}
	prefix := ""
	if len(out) > 0 {
		if i := strings.Index(out[0].name, "/"); i > 0 {
			prefix = out[0].name[:i+1]
		}
	}
	for _, f := range out {
		if prefix == "" || !strings.HasPrefix(f.name, prefix) {
			prefix = ""
			break
		}
	}
	for i := range out {
		out[i].name = strings.TrimPrefix(out[i].name, prefix)
	}
	return out, nil
}

// MaxUnzipped bounds what a zipped input may unpack to.
const MaxUnzipped = 4 << 30

// ZipBomb reports whether a file of a zip archive unpacks to so much more
// than it takes packed that it cannot be a directory's export: over 16 MiB,
// at more than 200 times its packed size (CSV and JSON of real directories
// pack 5 to 15 times; a file of one repeated byte, a thousand times).
func ZipBomb(f *zip.File) bool {
	return f.UncompressedSize64 > 16<<20 && f.UncompressedSize64/max(f.CompressedSize64, 1) > 200
}

type descriptor struct {
	Resources []struct {
		Name string `json:"name"`
		Path any    `json:"path"` // a string, or an array of strings
	} `json:"resources"`
}

// tables picks the tables of a datapackage: the CSV files named after HSDS
// tables, or the resources of datapackage.json where it describes them. A
// datapackage.json that is not a descriptor (the official example's is a
// dangling link) and CSV files of no known table are warnings.
func (b *Batch) tables(files []pkgFile, label string) []table {
	byName := map[string]pkgFile{}
	for _, f := range files {
		byName[f.name] = f
	}
	chosen := map[o211.Kind]pkgFile{}
	for _, f := range files {
		if !strings.Contains(f.name, "/") && strings.HasSuffix(f.name, ".csv") {
			if k, ok := tableKind(f.name); ok {
				chosen[k] = f
			}
		}
	}
	if f, ok := byName["datapackage.json"]; ok {
		b.readDescriptor(f, byName, chosen)
	}
	used := map[string]bool{"datapackage.json": true}
	for _, f := range chosen {
		used[f.name] = true
	}
	for _, f := range files {
		if !used[f.name] && strings.HasSuffix(strings.ToLower(f.name), ".csv") {
			b.warn(Source{File: f.name}, "", "not a table of HSDS 3.0; ignored")
		}
	}
	var out []table
	for _, ki := range o211.Kinds() {
		if f, ok := chosen[ki.Kind]; ok {
			out = append(out, table{name: f.name, kind: ki.Kind, size: f.size, open: f.open})
		}
	}
	if len(out) == 0 {
		b.problem(Source{File: label}, "", "no HSDS table found: want CSV files named after the tables (organizations.csv, services.csv, ...)")
	}
	return out
}

func (b *Batch) readDescriptor(f pkgFile, byName map[string]pkgFile, chosen map[o211.Kind]pkgFile) {
	rc, err := f.open()
	if err != nil {
		b.warn(Source{File: f.name}, "", "cannot be read; the tables are found by file name")
		return
	}
	defer rc.Close()
	var d descriptor
	if err := json.NewDecoder(io.LimitReader(rc, 16<<20)).Decode(&d); err != nil || len(d.Resources) == 0 {
		b.warn(Source{File: f.name}, "", "is not a datapackage descriptor; the tables are found by file name")
		return
	}
	for _, r := range d.Resources {
		p, _ := r.Path.(string)
		p = strings.TrimPrefix(path.Clean("/"+p), "/")
		k, ok := tableKind(r.Name)
		if !ok {
			k, ok = tableKind(path.Base(p))
		}
		pf, exists := byName[p]
		switch {
		case !ok:
			b.warn(Source{File: f.name}, "resources", fmt.Sprintf("resource %q is not a table of HSDS 3.0; ignored", r.Name))
		case !exists:
			if _, found := chosen[k]; !found {
				b.warn(Source{File: f.name}, "resources", fmt.Sprintf("resource %q: %s is missing", r.Name, p))
			}
		default:
			chosen[k] = pf
		}
	}
}

// readTables reads every table of a datapackage, in parallel, into the
// batch. A table holds one kind, so the records do not depend on the
// schedule, and problems are sorted when reported.
func (b *Batch) readTables(tables []table, readers int, progress func(done, total int)) error {
	pm := &progressMeter{fn: progress}
	order := make([]int, len(tables))
	for i, t := range tables {
		pm.total += max(t.size, 0)
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return tables[order[i]].size > tables[order[j]].size })
	errs := make([]error, len(tables))
	next := make(chan int)
	var wg sync.WaitGroup
	if readers <= 0 {
		readers = min(runtime.GOMAXPROCS(0), 4)
	}
	for w := 0; w < min(readers, len(tables)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = b.readTableFile(tables[i], pm)
			}
		}()
	}
	for _, i := range order {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	pm.add(0)
	return b.err
}

// readTableFile reads one table into the batch.
func (b *Batch) readTableFile(t table, pm *progressMeter) error {
	rc, err := t.open()
	if err != nil {
		return fmt.Errorf("importer: %s: %w", t.name, err)
	}
	defer rc.Close()
	cr := &countingReader{r: newRowLimiter(rc, t.name)}
	reported := int64(0)
	report := func() {
		pm.add(cr.n - reported)
		reported = cr.n
	}
	if err := b.readTable(t.name, t.kind, cr, report); err != nil {
		return err
	}
	pm.add(max(t.size, cr.n) - reported) // the whole file counts, however it was read
	return nil
}

// progressMeter adds up the bytes read by parallel readers and reports
// them, one call at a time.
type progressMeter struct {
	mu    sync.Mutex
	fn    func(done, total int)
	done  int64
	total int64
}

func (pm *progressMeter) add(n int64) {
	if pm.fn == nil {
		return
	}
	pm.mu.Lock()
	defer pm.mu.Unlock()
	pm.done += n
	pm.fn(int(min(pm.done, pm.total)), int(pm.total))
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readTable reads the rows of one table. Rows that cannot be read are
// problems; the others are added to the batch. Line numbers are those of
// the file (a quoted field may span lines). It returns only read errors.
func (b *Batch) readTable(name string, kind o211.Kind, r io.Reader, progress func()) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		b.warn(Source{File: name}, "", "the file is empty")
		return nil
	} else if err != nil {
		return b.csvError(name, err)
	}
	header = append([]string(nil), header...)
	dec, err := tabular.NewDecoder(kind, header)
	if err != nil {
		var ce *tabular.ColumnError
		if errors.As(err, &ce) {
			b.problem(Source{File: name, Line: 1}, ce.Column, ce.Reason+"; the table is not imported")
			return nil
		}
		return err
	}
	for _, u := range dec.Unknown() {
		b.warn(Source{File: name, Line: 1}, u, fmt.Sprintf("not a column of %s in HSDS 3.0; ignored", kind))
	}
	for n := 1; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		} else if err != nil {
			if err := b.csvError(name, err); err != nil {
				return err
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			b.problem(Source{File: name, Line: line}, "", fmt.Sprintf("the row has %d fields; the header has %d", len(rec), len(header)))
			continue
		}
		obj, err := dec.Decode(rec)
		if err != nil {
			var ce *tabular.ColumnError
			if errors.As(err, &ce) {
				b.problem(Source{File: name, Line: line}, ce.Column, ce.Reason)
				continue
			}
			return err
		}
		b.addFlat(obj, Source{File: name, Line: line})
		if n%8192 == 0 {
			progress()
		}
		b.yield(n)
	}
}

// csvError records a CSV syntax error as a problem of its line, or returns
// an error that is not one.
func (b *Batch) csvError(name string, err error) error {
	var pe *csv.ParseError
	if e := (*o211.Error)(nil); errors.As(err, &e) && !errors.As(err, &pe) {
		return e // the row limit
	}
	if !errors.As(err, &pe) {
		return fmt.Errorf("importer: %s: %w", name, err)
	}
	reason := pe.Err.Error()
	if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
		reason = fmt.Sprintf("bad CSV quoting at column %d: %v", pe.Column, pe.Err)
	}
	b.problem(Source{File: name, Line: pe.StartLine}, "", reason)
	return nil
}

// maxRowBytes bounds one CSV row (a quoted field may span lines): the CSV
// reader holds a whole row, so a file of one enormous line (a small zip
// unpacks to gigabytes of it) is refused when its first row passes this.
// 211 Ontario's longest rows are a few kilobytes.
const maxRowBytes = 4 << 20

// rowLimiter passes a CSV stream through, failing with an ETOOLARGE
// *o211.Error once a row grows past maxRowBytes. It follows the quoting as
// encoding/csv reads it, so that a quoted line break does not end a row and
// a stray quote inside a field does not start one.
type rowLimiter struct {
	r       io.Reader
	name    string
	state   byte
	row     int // bytes of the current row so far
	line    int // line the current row starts on (1-based)
	newline int // lines read
}

// The states of rowLimiter.
const (
	atFieldStart = iota
	inField
	inQuotes
	atQuoteInQuotes // a quote inside quotes: escaped or closing
)

func newRowLimiter(r io.Reader, name string) *rowLimiter {
	return &rowLimiter{r: r, name: name, line: 1}
}

func (l *rowLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i := 0; i < n; i++ {
		l.step(p[i])
		if l.row++; l.row > maxRowBytes {
			return i, o211.Errorf(o211.ETOOLARGE, "%s:%d: the row is longer than %d MiB; no row of a directory is, so the file is refused (nothing was imported)",
				l.name, l.line, maxRowBytes>>20)
		}
	}
	return n, err
}

func (l *rowLimiter) step(c byte) {
	if c == '\n' {
		l.newline++
		if l.state != inQuotes {
			l.state, l.row, l.line = atFieldStart, -1, l.newline+1
		}
		return
	}
	switch {
	case l.state == inQuotes:
		if c == '"' {
			l.state = atQuoteInQuotes
		}
	case l.state == atQuoteInQuotes && c == '"':
		l.state = inQuotes
	case c == ',':
		l.state = atFieldStart
	case l.state == atFieldStart && c == '"':
		l.state = inQuotes
	case c != '\r':
		l.state = inField
	}
}
