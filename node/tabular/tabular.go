// Package tabular converts HSDS rows to and from the columns of the HSDS 3.0
// tabular datapackage (one CSV file per table) and writes datapackages.
//
// The columns of a table are the scalar fields of its o211 type, in the
// order the HSDS schema gives them (the order of the struct fields), named
// by their JSON tags.
package tabular

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/o211/o211"
)

type column struct {
	name  string
	index int
	kind  reflect.Kind // reflect.String or reflect.Ptr (to float64)
}

var (
	columnsMu sync.Mutex
	columns   = map[o211.Kind][]column{}
)

func columnsOf(kind o211.Kind) ([]column, error) {
	columnsMu.Lock()
	defer columnsMu.Unlock()
	if cols, ok := columns[kind]; ok {
		return cols, nil
	}
	ki, ok := o211.LookupKind(kind)
	if !ok {
		return nil, fmt.Errorf("tabular: unknown table %q", kind)
	}
	t := reflect.TypeOf(ki.New()).Elem()
	var cols []column
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		switch {
		case f.Type.Kind() == reflect.String:
			cols = append(cols, column{name, i, reflect.String})
		case f.Type.Kind() == reflect.Ptr && f.Type.Elem().Kind() == reflect.Float64:
			cols = append(cols, column{name, i, reflect.Ptr})
		}
	}
	columns[kind] = cols
	return cols, nil
}

// Columns returns the CSV header of a table.
func Columns(kind o211.Kind) []string {
	cols, err := columnsOf(kind)
	if err != nil {
		return nil
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	return names
}

// EncodeRow returns the CSV cells of a row, in the order of Columns.
func EncodeRow(obj o211.Object) []string {
	cols, err := columnsOf(obj.ObjectKind())
	if err != nil {
		return nil
	}
	v := reflect.ValueOf(obj).Elem()
	out := make([]string, len(cols))
	for i, c := range cols {
		f := v.Field(c.index)
		if c.kind == reflect.String {
			out[i] = f.String()
		} else if !f.IsNil() {
			out[i] = strconv.FormatFloat(f.Elem().Float(), 'f', -1, 64)
		}
	}
	return out
}

// ColumnError is a cell that could not be read: the column and why.
type ColumnError struct {
	Column string
	Reason string
}

func (e *ColumnError) Error() string { return e.Column + ": " + e.Reason }

// Decoder reads the rows of one table given its CSV header. Columns it does
// not know are ignored and listed by Unknown.
type Decoder struct {
	kind    o211.Kind
	new     func() o211.Object
	mapping []int // header position -> index into cols, or -1
	cols    []column
	unknown []string
}

// NewDecoder returns a decoder for the table with the header, or an error
// if the table is unknown or the header lacks an "id" column.
func NewDecoder(kind o211.Kind, header []string) (*Decoder, error) {
	cols, err := columnsOf(kind)
	if err != nil {
		return nil, err
	}
	ki, _ := o211.LookupKind(kind)
	d := &Decoder{kind: kind, new: ki.New, cols: cols, mapping: make([]int, len(header))}
	hasID := false
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		d.mapping[i] = -1
		for j, c := range cols {
			if c.name == h {
				d.mapping[i] = j
				hasID = hasID || h == "id"
			}
		}
		if d.mapping[i] < 0 && h != "" {
			d.unknown = append(d.unknown, h)
		}
	}
	if !hasID {
		return nil, &ColumnError{Column: "id", Reason: "the header has no id column"}
	}
	return d, nil
}

// Unknown returns the header's columns that the table does not have.
func (d *Decoder) Unknown() []string { return d.unknown }

// Decode returns the row as an Object, or a *ColumnError naming the cell
// that could not be read. Empty cells leave fields unset.
func (d *Decoder) Decode(record []string) (o211.Object, error) {
	obj := d.new()
	v := reflect.ValueOf(obj).Elem()
	for i, cell := range record {
		if i >= len(d.mapping) || d.mapping[i] < 0 {
			continue
		}
		c := d.cols[d.mapping[i]]
		f := v.Field(c.index)
		if c.kind == reflect.String {
			f.SetString(cell)
			continue
		}
		cell = strings.TrimSpace(cell)
		if cell == "" {
			continue
		}
		n, err := strconv.ParseFloat(cell, 64)
		if err != nil {
			return nil, &ColumnError{Column: c.name, Reason: fmt.Sprintf("%q is not a number", cell)}
		}
		f.Set(reflect.ValueOf(&n))
	}
	return obj, nil
}
