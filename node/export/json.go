package export

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
)

type key struct {
	kind o211.Kind
	id   string
}

// jsonWriter writes the hsds-json document.
type jsonWriter struct {
	ctx     context.Context
	r       Reader
	w       *bufio.Writer
	rep     *Report
	written map[key]bool // every record written so far, nested ones too
	c       *counter
	first   bool // no element yet in the current array
	tables  int  // arrays written so far
}

// WriteJSON writes every live record of r as one JSON document of nested
// HSDS objects (see the package documentation for its form).
func WriteJSON(ctx context.Context, r Reader, out io.Writer, opts Options) (*Report, error) {
	c, err := newCounter(r, opts.Progress)
	if err != nil {
		return nil, err
	}
	jw := &jsonWriter{ctx: ctx, r: r, w: bufio.NewWriterSize(out, 256<<10), written: map[key]bool{}, c: c,
		rep: &Report{Format: FormatHSDSJSON, Kinds: map[o211.Kind]int{}}}
	jw.w.WriteString("{\n  \"hsds_version\": \"3.0\",\n  \"generator\": \"o211\"")
	steps := []struct {
		kind o211.Kind
		full func(rec *o211.Record) (any, error)
	}{
		{o211.KindTaxonomy, nil},
		{o211.KindTaxonomyTerm, nil},
		{o211.KindOrganization, func(rec *o211.Record) (any, error) { return hsds.Organization(r, rec.ID, true, true) }},
		{o211.KindService, func(rec *o211.Record) (any, error) { return hsds.FullServiceFromRecord(r, rec) }},
		{o211.KindLocation, func(rec *o211.Record) (any, error) { return hsds.FullLocation(r, rec.ID) }},
	}
	done := map[o211.Kind]bool{}
	for _, s := range steps {
		if err := jw.table(s.kind, s.full); err != nil {
			return nil, err
		}
		done[s.kind] = true
	}
	for _, ki := range o211.Kinds() {
		if !done[ki.Kind] {
			if err := jw.table(ki.Kind, nil); err != nil {
				return nil, err
			}
		}
	}
	jw.w.WriteString("\n}\n")
	if err := jw.w.Flush(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	jw.c.add(0)
	return jw.rep, nil
}

// table writes the array of a table: the records of kind not yet written,
// in full when full is set (then with everything nested in them), else
// flat. An empty array is left out.
func (jw *jsonWriter) table(kind o211.Kind, full func(*o211.Record) (any, error)) error {
	if err := jw.ctx.Err(); err != nil {
		return err
	}
	jw.first = true
	n := 0
	err := jw.r.Scan(kind, "", func(rec *o211.Record) error {
		if jw.written[key{kind, rec.ID}] {
			return nil
		}
		if n++; n%1024 == 0 {
			if err := jw.ctx.Err(); err != nil {
				return err
			}
		}
		var v any
		var err error
		if full != nil {
			v, err = full(rec)
		} else {
			v, err = rec.Decode()
		}
		if err != nil {
			return err
		}
		return jw.element(kind, v)
	})
	if err != nil {
		return fmt.Errorf("export: %s: %w", kind, err)
	}
	if !jw.first {
		jw.w.WriteString("\n  ]")
	}
	return nil
}

// element writes one object of a table's array and notes every record in
// it as written.
func (jw *jsonWriter) element(kind o211.Kind, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if jw.first {
		ki, _ := o211.LookupKind(kind)
		fmt.Fprintf(jw.w, ",\n  %q: [\n    ", ki.Table)
		jw.first = false
	} else {
		jw.w.WriteString(",\n    ")
	}
	if _, err := jw.w.Write(data); err != nil {
		return err
	}
	before := len(jw.written)
	jw.collect(reflect.ValueOf(v))
	jw.c.add(len(jw.written) - before)
	return nil
}

// collect notes every HSDS record in v, nested ones included.
func (jw *jsonWriter) collect(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			jw.collect(v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			jw.collect(v.Index(i))
		}
	case reflect.Struct:
		if v.CanAddr() {
			if obj, ok := v.Addr().Interface().(o211.Object); ok {
				k := key{obj.ObjectKind(), obj.ObjectID()}
				if !jw.written[k] {
					jw.written[k] = true
					jw.rep.Kinds[k.kind]++
				}
			}
		}
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.Kind() == reflect.Slice || f.Kind() == reflect.Pointer {
				jw.collect(f)
			}
		}
	}
}
