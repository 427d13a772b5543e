package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"

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

// Batch is a parsed input: the changes to write, where each came from, and
// the problems found while reading it.
type Batch struct {
	// Format is the input format (FormatHSDSJSON, ...).
	Format string
	// Changes are the upserts read, one per distinct record, in input order.
	Changes []o211.Change
	// Sources holds the source of each change (same index as Changes).
	Sources []Source
	// Problems lists the input that could not be read: rows that are not
	// parsed at all, and conflicting duplicates. Those rows are not in
	// Changes.
	Problems []o211.Problem
	// Warnings lists what was read but is worth a look: unknown columns and
	// files, coordinates left out, fields dropped.
	Warnings []o211.Problem
	// Records counts the records read, repeats included (see Report).
	Records int

	// index finds the change of a kind and id.
	index map[o211.Kind]map[string]int
	// lines resolves a JSON path of a file to its line, built on demand.
	lines map[string]*lineIndex
	// laterWins makes a conflicting duplicate from a later file replace the
	// earlier one instead of being a problem (several files read as one).
	laterWins bool
	// firstWins keeps the first of two records that conflict, with a
	// warning (211 Ontario's rows repeat a program's and an agency's
	// fields; an edit between rows should not stop the import).
	firstWins bool
}

func newBatch(format string) *Batch {
	return &Batch{Format: format, index: map[o211.Kind]map[string]int{}, lines: map[string]*lineIndex{}}
}

// Len returns the number of changes.
func (b *Batch) Len() int { return len(b.Changes) }

// add appends the flat form of obj, or merges it with an earlier identical
// record of the same kind and id. Records that conflict with an earlier one
// become problems.
func (b *Batch) add(obj o211.Object, src Source) { b.addFlat(obj.Flat(), src) }

// addFlat is add for a row that is flat already (a CSV row).
func (b *Batch) addFlat(obj o211.Object, src Source) {
	b.Records++
	if s, ok := obj.(*o211.Service); ok {
		s.LastModified = "" // the store keeps its own modification times
	}
	id := obj.ObjectID()
	ids := b.index[obj.ObjectKind()]
	if ids == nil {
		ids = map[string]int{}
		b.index[obj.ObjectKind()] = ids
	}
	i, seen := ids[id]
	if l, ok := obj.(*o211.Location); ok {
		b.checkCoordinates(l, src, !seen) // once per location
	}
	if id == "" { // invalid: let the store name the problem, once per row
		b.append(obj, src)
		return
	}
	if !seen {
		ids[id] = len(b.Changes)
		b.append(obj, src)
		return
	}
	b.merge(i, obj, src)
}

// reserve makes room for about n more changes, of kind when it is set.
func (b *Batch) reserve(kind o211.Kind, n int) {
	if n > cap(b.Changes)-len(b.Changes) {
		b.Changes = append(make([]o211.Change, 0, len(b.Changes)+n), b.Changes...)
		b.Sources = append(make([]Source, 0, len(b.Sources)+n), b.Sources...)
	}
	if kind != "" && b.index[kind] == nil {
		b.index[kind] = make(map[string]int, n)
	}
}

func (b *Batch) append(obj o211.Object, src Source) {
	b.Changes = append(b.Changes, o211.Upsert(obj))
	b.Sources = append(b.Sources, src)
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

// merge folds a repeated record into the earlier change i. Identical
// records are one; records that differ only in foreign keys that one of
// them leaves empty (the same phone nested in a service and in a location)
// are merged; any other difference is a conflict.
func (b *Batch) merge(i int, obj o211.Object, src Source) {
	prev := b.Changes[i].Object
	pa, err1 := json.Marshal(prev)
	pb, err2 := json.Marshal(obj)
	if err1 == nil && err2 == nil && bytes.Equal(pa, pb) {
		return
	}
	var ma, mb map[string]any
	if json.Unmarshal(pa, &ma) != nil || json.Unmarshal(pb, &mb) != nil {
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
			if b.laterWins && b.Sources[i].File != src.File {
				ma[f] = vb
			}
		}
	}
	prevSrc := b.Sources[i]
	if conflict != "" && b.firstWins {
		b.warn(src, conflict, fmt.Sprintf("differs from the same %s at %s, which is kept", obj.ObjectKind(), b.place(prevSrc)))
		return
	}
	if conflict != "" && !(b.laterWins && prevSrc.File != src.File) {
		b.problem(src, conflict, fmt.Sprintf("differs from the same %s at %s; a record must read the same wherever it appears",
			obj.ObjectKind(), b.place(prevSrc)))
		return
	}
	if conflict != "" {
		b.warn(src, conflict, fmt.Sprintf("replaces the value given at %s", b.place(prevSrc)))
	}
	merged := mustLookup(obj.ObjectKind()).New()
	data, _ := json.Marshal(ma)
	if err := json.Unmarshal(data, merged); err != nil {
		b.problem(src, "", "cannot be merged with its duplicate: "+err.Error())
		return
	}
	b.Changes[i] = o211.Upsert(merged)
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
	b.Problems = append(b.Problems, b.located(src, field, reason))
}

// warn records something worth a look in a row that is imported.
func (b *Batch) warn(src Source, field, reason string) {
	b.Warnings = append(b.Warnings, b.located(src, field, reason))
}

// located turns a source, a field and a reason into a problem, resolving
// the line of a JSON path when the source has none.
func (b *Batch) located(src Source, field, reason string) o211.Problem {
	line := src.Line
	if li := b.lines[src.File]; li != nil && src.Path != "" {
		if l := li.line(src.Path); l > 0 {
			line = l
		}
	}
	return o211.Problem{File: src.File, Line: line, Record: src.Record, Field: src.field(field), Reason: reason}
}

// sortProblems orders problems by file, line and field, keeping the order
// of equal ones.
func sortProblems(ps []o211.Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, c := ps[i], ps[j]
		if a.File != c.File {
			return a.File < c.File
		}
		return a.Line < c.Line
	})
}
