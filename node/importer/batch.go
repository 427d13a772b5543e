package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/o211/o211"
)

// Source is where a change came from in the input.
type Source struct {
	// File is the input file's name (a base name, or a path inside a zip
	// archive or a directory given to Parse).
	File string
	// Line is the line the row or object starts on (1-based; 0 unknown).
	Line int
	// Path locates a JSON object inside its document, such as
	// "services[3].phones[0]"; empty for CSV rows.
	Path string
	// Record names the record as the input knows it, such as
	// `service "ac148810-…"` or "program 60932040".
	Record string
	// Column is the input column that the whole change comes from, when
	// there is one (211 Ontario phones, hours, languages...).
	Column string
	// Columns maps HSDS fields of the change to the input columns they came
	// from, for naming the column a problem is in.
	Columns map[string]string
}

// field returns how a problem with an HSDS field of the change is named:
// the input column, or the field itself prefixed with the JSON path.
func (s *Source) field(f string) string {
	if c, ok := s.Columns[f]; ok {
		return c
	}
	if s.Column != "" {
		return s.Column
	}
	if s.Path != "" {
		if f == "" {
			return s.Path
		}
		return s.Path + "." + f
	}
	return f
}

// Batch is a parsed input: the distinct records to write, each with where
// it came from, kept in a temporary file (see stage), and the problems
// found while reading it. Close releases the file.
type Batch struct {
	// Format is the input format (FormatHSDSJSON, ...).
	Format string
	// Problems lists the input that could not be read: rows that are not
	// parsed at all, records that break the HSDS schema, conflicting
	// duplicates. At most maxProblems are listed; the last says how many
	// more there were.
	Problems []o211.InputProblem
	// Warnings lists what was read but is worth a look: unknown columns and
	// files, coordinates left out, fields dropped (at most maxWarnings).
	Warnings []o211.InputProblem
	// Records counts the records read, repeats included (see Report).
	Records int

	// mu guards the staged records and pmu the problems and warnings while
	// the tables of a datapackage are read in parallel (pmu is taken
	// under mu, never the other way round).
	mu, pmu sync.Mutex
	st      *stage
	// files names the input files; staged sources refer to them by index.
	files   []string
	fileIdx map[string]int
	// laterWins makes a conflicting duplicate from a later file replace the
	// earlier one instead of being a problem (several files read as one).
	laterWins bool
	// firstWins keeps the first of two records that conflict, with a
	// warning (211 Ontario's rows repeat a program's and an agency's
	// fields; an edit between rows should not stop the import).
	firstWins bool
	// err is the first failure to stage a record (a write to the file).
	err error
	// pause is Options.Pause (see yield).
	pause func()
	// moreProblems and moreWarnings count those not listed.
	moreProblems, moreWarnings int
}

// The most problems and warnings a batch lists; an input with more is
// reported with these and a count of the rest, so that a file of a million
// bad rows does not take a gigabyte to describe.
const (
	maxProblems = 10000
	maxWarnings = 1000
)

// newBatch returns an empty batch that stages its records in a temporary
// file in dir (the system's temporary folder when "").
func newBatch(format, dir string) (*Batch, error) {
	st, err := newStage(dir)
	if err != nil {
		return nil, err
	}
	return &Batch{Format: format, st: st, fileIdx: map[string]int{}}, nil
}

// Close removes the batch's temporary file. It is safe to call more than once.
func (b *Batch) Close() error {
	b.st.close()
	return nil
}

// Len returns the number of distinct records read.
func (b *Batch) Len() int { return int(b.st.n) }

// Each calls fn with every distinct record read (its latest version) and
// where it came from, in table then id order, until fn returns an error.
func (b *Batch) Each(fn func(obj o211.Object, src Source) error) error {
	var buf []byte
	for _, i := range b.st.order() {
		st, nb, err := b.st.read(i, b.files, buf)
		if err != nil {
			return err
		}
		buf = nb
		obj := mustLookup(st.kind).New()
		if err := json.Unmarshal(st.data, obj); err != nil {
			return fmt.Errorf("importer: staged %s: %w", st.kind, err)
		}
		if err := fn(obj, st.src); err != nil {
			return err
		}
	}
	return nil
}

func (b *Batch) fileIndex(name string) int {
	i, ok := b.fileIdx[name]
	if !ok {
		i = len(b.files)
		b.files = append(b.files, name)
		b.fileIdx[name] = i
	}
	return i
}

// add stages the flat form of obj, or merges it with an earlier identical
// record of the same kind and id. Records that conflict with an earlier one
// become problems.
func (b *Batch) add(obj o211.Object, src Source) { b.addFlat(obj.Flat(), src) }

// addFlat is add for a row that is flat already (a CSV row).
func (b *Batch) addFlat(obj o211.Object, src Source) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.Records++
	if s, ok := obj.(*o211.Service); ok {
		s.LastModified = "" // the store keeps its own modification times
	}
	i := b.st.find(obj.ObjectKind(), obj.ObjectID())
	if l, ok := obj.(*o211.Location); ok {
		b.checkCoordinates(l, src, i < 0) // once per location
	}
	data, err := json.Marshal(obj)
	if err != nil {
		b.problem(src, "", "cannot be encoded: "+err.Error())
		return
	}
	if i < 0 {
		b.stage(-1, obj, src, data)
		return
	}
	b.merge(i, obj, src, data)
}

// stage writes a version of a record (i: its entry, or -1 for a new one),
// checking it against the HSDS schema as the store would.
func (b *Batch) stage(i int32, obj o211.Object, src Source, data []byte) {
	if b.err != nil {
		return
	}
	i, err := b.st.put(i, obj.ObjectKind(), obj.ObjectID(), src, b.fileIndex(src.File), obj.Refs(), strictRefs[obj.ObjectKind()], data)
	if err != nil {
		b.err = err
		return
	}
	b.st.ent(i).bad = false
	if err := obj.Validate(); err != nil {
		field := ""
		if e, ok := err.(*o211.Error); ok {
			field = e.Field
		}
		b.reject(src, obj, field, strings.TrimPrefix(o211.ErrorMessage(err), field+": "))
		b.st.ent(i).bad = true
	}
}

// strictRefs are the references without which a row makes no sense (as
// the store has them): a dangling one rejects the row; others only warn.
var strictRefs = map[o211.Kind]map[string]bool{
	o211.KindServiceAtLocation: {"service_id": true, "location_id": true},
	o211.KindService:           {"organization_id": true},
}

// reject records a problem of a staged record, naming the record.
func (b *Batch) reject(src Source, obj o211.Object, field, reason string) {
	if src.Record == "" {
		src.Record = fmt.Sprintf("%s %q", obj.ObjectKind(), obj.ObjectID())
	}
	b.problem(src, field, reason)
}

// checkCoordinates leaves out coordinates that are not WGS84 degrees (the
// official HSDS examples have latitude 100), with a warning if asked.
func (b *Batch) checkCoordinates(l *o211.Location, src Source, warn bool) {
	if l.Latitude == nil && l.Longitude == nil {
		return
	}
	ok := l.Latitude != nil && l.Longitude != nil &&
		*l.Latitude >= -90 && *l.Latitude <= 90 && *l.Longitude >= -180 && *l.Longitude <= 180
	if ok {
		return
	}
	if warn {
		b.warn(src, "latitude", fmt.Sprintf("latitude %s, longitude %s are not WGS84 coordinates; the location is imported without them",
			fmtNum(l.Latitude), fmtNum(l.Longitude)))
	}
	l.Latitude, l.Longitude = nil, nil
}

func fmtNum(v *float64) string {
	if v == nil {
		return "(none)"
	}
	return fmt.Sprint(*v)
}

// merge folds a repeated record into the earlier entry i. Identical
// records are one; records that differ only in foreign keys that one of
// them leaves empty (the same phone nested in a service and in a location)
// are merged; any other difference is a conflict.
func (b *Batch) merge(i int32, obj o211.Object, src Source, data []byte) {
	if b.st.ent(i).sum == b.st.sum(data) || b.err != nil {
		return
	}
	prev, _, err := b.st.read(i, b.files, nil)
	if err != nil {
		b.err = err
		return
	}
	if bytes.Equal(prev.data, data) {
		return
	}
	var ma, mb map[string]any
	if json.Unmarshal(prev.data, &ma) != nil || json.Unmarshal(data, &mb) != nil {
		b.problem(src, "", "cannot be compared with its duplicate")
		return
	}
	refs := map[string]bool{}
	for _, r := range obj.Refs() {
		refs[r.Field] = true
	}
	conflict := ""
	for _, f := range unionKeys(ma, mb) {
		va, vb := ma[f], mb[f]
		switch {
		case reflect.DeepEqual(va, vb):
		case refs[f] && isEmpty(va):
			ma[f] = vb
		case refs[f] && isEmpty(vb):
		default:
			if conflict == "" {
				conflict = f
			}
			if b.laterWins && prev.src.File != src.File {
				ma[f] = vb
			}
		}
	}
	if conflict != "" && b.firstWins {
		b.warn(src, conflict, fmt.Sprintf("differs from the same %s at %s, which is kept", obj.ObjectKind(), b.place(prev.src)))
		return
	}
	if conflict != "" && !(b.laterWins && prev.src.File != src.File) {
		b.problem(src, conflict, fmt.Sprintf("differs from the same %s at %s; a record must read the same wherever it appears",
			obj.ObjectKind(), b.place(prev.src)))
		return
	}
	if conflict != "" {
		b.warn(src, conflict, fmt.Sprintf("replaces the value given at %s", b.place(prev.src)))
	}
	merged := mustLookup(obj.ObjectKind()).New()
	mdata, _ := json.Marshal(ma)
	if err := json.Unmarshal(mdata, merged); err != nil {
		b.problem(src, "", "cannot be merged with its duplicate: "+err.Error())
		return
	}
	if mdata, err = json.Marshal(merged); err == nil {
		b.stage(i, merged, prev.src, mdata)
	}
}

func unionKeys(a, b map[string]any) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func isEmpty(v any) bool { return v == nil || v == "" }

// place renders a source briefly: "file:line (path)".
func (b *Batch) place(s Source) string {
	out := s.File
	if line := b.located(s, "", "").Line; line > 0 {
		out += fmt.Sprintf(":%d", line)
	}
	if s.Path != "" {
		out += " (" + s.Path + ")"
	}
	return out
}

func mustLookup(k o211.Kind) o211.KindInfo {
	ki, ok := o211.LookupKind(k)
	if !ok {
		panic("importer: unknown kind " + string(k))
	}
	return ki
}

// problem records a row that is not imported.
func (b *Batch) problem(src Source, field, reason string) {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	if len(b.Problems) >= maxProblems {
		b.moreProblems++
		return
	}
	b.Problems = append(b.Problems, b.located(src, field, reason))
}

// warn records something worth a look in a row that is imported.
func (b *Batch) warn(src Source, field, reason string) {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	if len(b.Warnings) >= maxWarnings {
		b.moreWarnings++
		return
	}
	b.Warnings = append(b.Warnings, b.located(src, field, reason))
}

// located turns a source, a field and a reason into a problem.
func (b *Batch) located(src Source, field, reason string) o211.InputProblem {
	return o211.InputProblem{File: src.File, Line: src.Line, Record: src.Record, Field: echo(src.field(field)), Reason: reason}
}

// maxEcho is the longest prefix of a name from the input (an unknown
// column) that a problem repeats.
const maxEcho = 64

// echo returns s as valid UTF-8, cut to a short prefix: a problem never
// repeats more than that of what was sent.
func echo(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxEcho {
		return s
	}
	cut := maxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// sortProblems orders problems by file, line and field, keeping the order
// of equal ones.
func sortProblems(ps []o211.InputProblem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, c := ps[i], ps[j]
		if a.File != c.File {
			return a.File < c.File
		}
		return a.Line < c.Line
	})
}
