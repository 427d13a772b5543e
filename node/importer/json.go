package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/o211/o211"
)

// The JSON shapes hsds-json reads:
//
//   - one object of any HSDS table, nested as the HSDS API serves it
//     (service_full.json, organization_full.json, location.json...);
//   - a page of the HSDS API: {"contents": [...], "total_items": ...};
//   - a JSON array of such objects;
//   - a stream of such objects or arrays, one after another (NDJSON, as the
//     HSDS API's format=ndjson gives);
//   - tables by name: {"organizations.csv": [rows], ...} (tabular.json), or
//     {"organizations": [...], "taxonomy_terms": [...], ...}: o211's export,
//     whose objects may be nested;
//   - the HSDS API root ({"version", "openapi_url"}), which holds no records.

// jsonMeta are top-level keys of the table form that are not tables.
var jsonMeta = map[string]bool{"hsds_version": true, "generator": true, "version": true, "profile": true, "$schema": true, "description": true}

// parseJSON reads one JSON file into the batch.
func (b *Batch) parseJSON(name string, data []byte, kind o211.Kind) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	values, offsets, err := splitValues(data)
	li := newLineIndex(data, len(values) > 1)
	b.lines[name] = li
	if err != nil {
		off := len(data)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = int(se.Offset)
		}
		b.problem(Source{File: name, Line: li.lineAt(off)}, "", "malformed JSON: "+strings.TrimPrefix(err.Error(), "json: "))
		return
	}
	if len(values) == 0 {
		b.warn(Source{File: name}, "", "the file holds no JSON value")
		return
	}
	hint := kindHint(name, kind)
	for i, v := range values {
		path := ""
		if len(values) > 1 {
			path = indexPath("", i)
		}
		d := &jsonDoc{b: b, file: name, kind: kind, hint: hint, f: &flattener{b: b, file: name, line: li.lineAt(offsets[i])}}
		d.document(v, path)
	}
}

// splitValues returns the top-level JSON values of data and the offset at
// which each starts.
func splitValues(data []byte) ([]json.RawMessage, []int, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var out []json.RawMessage
	var offs []int
	for {
		start := int(dec.InputOffset())
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return out, offs, nil
		} else if err != nil {
			return nil, nil, err
		}
		for start < len(data) && isJSONSpace(data[start]) {
			start++
		}
		out = append(out, raw)
		offs = append(offs, start)
	}
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// jsonDoc reads the values of one file.
type jsonDoc struct {
	b    *Batch
	file string
	kind o211.Kind // forced by the caller, or ""
	hint o211.Kind // from the file name, or ""
	f    *flattener
}

func (d *jsonDoc) src(path string) Source { return Source{File: d.file, Line: d.f.line, Path: path} }

// document reads one top-level value.
func (d *jsonDoc) document(raw json.RawMessage, path string) {
	switch firstByte(raw) {
	case '[':
		d.array(raw, path, d.kind)
	case '{':
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(raw, &keys); err != nil {
			d.b.problem(d.src(path), "", "malformed JSON: "+err.Error())
			return
		}
		switch {
		case d.kind == "" && isPage(keys):
			d.array(keys["contents"], joinPath(path, "contents"), "")
		case d.kind == "" && isTables(keys):
			d.tables(keys, path)
		case d.kind == "" && keys["openapi_url"] != nil && keys["id"] == nil:
			d.b.warn(d.src(path), "", "an HSDS API root document holds no records")
		default:
			d.object(raw, keys, path, d.kind)
		}
	default:
		d.b.problem(d.src(path), "", "not an HSDS JSON document: want an object, an array of objects or a page of the HSDS API")
	}
}

func firstByte(raw []byte) byte {
	for _, c := range raw {
		if !isJSONSpace(c) {
			return c
		}
	}
	return 0
}

func isPage(keys map[string]json.RawMessage) bool {
	c, ok := keys["contents"]
	return ok && firstByte(c) == '[' && keys["id"] == nil
}

// isTables reports whether every key names a table (or is metadata of the
// document) and at least one does.
func isTables(keys map[string]json.RawMessage) bool {
	tables := 0
	for k := range keys {
		if _, ok := tableKind(k); ok {
			tables++
		} else if !jsonMeta[k] {
			return false
		}
	}
	return tables > 0
}

// tableKind returns the kind of a table key: "services", "services.csv" or
// "service".
func tableKind(key string) (o211.Kind, bool) {
	key = strings.TrimSuffix(key, ".csv")
	for _, ki := range o211.Kinds() {
		if ki.Table == key || string(ki.Kind) == key {
			return ki.Kind, true
		}
	}
	return "", false
}

// tables reads the table form, tables in name order so that problems come
// out in a stable order.
func (d *jsonDoc) tables(keys map[string]json.RawMessage, path string) {
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		kind, ok := tableKind(k)
		if !ok {
			continue
		}
		if firstByte(keys[k]) != '[' {
			d.b.problem(d.src(joinPath(path, k)), "", "a table must be an array of rows")
			continue
		}
		d.array(keys[k], joinPath(path, k), kind)
	}
}

// array reads an array of objects, all of the given kind when it is set.
func (d *jsonDoc) array(raw json.RawMessage, path string, kind o211.Kind) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		d.b.problem(d.src(path), "", "malformed JSON: "+err.Error())
		return
	}
	for i, item := range items {
		p := indexPath(path, i)
		var keys map[string]json.RawMessage
		if firstByte(item) != '{' || json.Unmarshal(item, &keys) != nil {
			d.b.problem(d.src(p), "", "not an object")
			continue
		}
		d.object(item, keys, p, kind)
	}
}

// object decodes one (possibly nested) HSDS object and flattens it.
func (d *jsonDoc) object(raw json.RawMessage, keys map[string]json.RawMessage, path string, kind o211.Kind) {
	if kind == "" {
		var reason string
		if kind, reason = detectKind(keys, d.hint); kind == "" {
			d.b.problem(d.src(path), "", reason)
			return
		}
	}
	obj := mustLookup(kind).New()
	if err := decodeLenient(raw, obj); err != nil {
		field, reason := err.field, err.reason
		d.b.problem(Source{File: d.file, Line: d.f.line, Path: joinPath(path, field)}, "", reason)
		return
	}
	d.f.object(obj, path)
}

// kindHint guesses the kind of a file's objects from its name
// ("service_at_location_full.json"); the longest kind name found wins.
func kindHint(name string, forced o211.Kind) o211.Kind {
	if forced != "" {
		return forced
	}
	base := strings.ToLower(filepath.Base(name))
	var best o211.Kind
	for _, ki := range o211.Kinds() {
		for _, n := range []string{string(ki.Kind), ki.Table} {
			if strings.Contains(base, n) && len(n) > len(best) {
				best = ki.Kind
			}
		}
	}
	return best
}

var (
	fieldSetsOnce sync.Once
	fieldSets     map[o211.Kind]map[string]bool
)

// kindFields returns the JSON field names of every kind's type.
func kindFields() map[o211.Kind]map[string]bool {
	fieldSetsOnce.Do(func() {
		fieldSets = map[o211.Kind]map[string]bool{}
		for _, ki := range o211.Kinds() {
			t := reflect.TypeOf(ki.New()).Elem()
			set := map[string]bool{}
			for i := 0; i < t.NumField(); i++ {
				if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
					set[name] = true
				}
			}
			fieldSets[ki.Kind] = set
		}
	})
	return fieldSets
}

// detectKind tells the table of an object from its keys: the kinds that
// know the most of its keys; among several, the file-name hint decides. It
// returns "" and the reason when it cannot tell.
func detectKind(keys map[string]json.RawMessage, hint o211.Kind) (o211.Kind, string) {
	best, cands := -1, []o211.Kind(nil)
	for _, ki := range o211.Kinds() {
		set := kindFields()[ki.Kind]
		unknown := 0
		for k := range keys {
			if !set[k] {
				unknown++
			}
		}
		score := len(keys) - unknown
		if unknown > 0 && !(hint == ki.Kind && score > 0) {
			continue
		}
		if score > best {
			best, cands = score, nil
		}
		if score == best {
			cands = append(cands, ki.Kind)
		}
	}
	for _, c := range cands {
		if c == hint {
			return c, ""
		}
	}
	if len(cands) == 1 && best > 0 {
		return cands[0], ""
	}
	if len(cands) == 0 {
		return "", "cannot tell which HSDS table this object belongs to: no table has all of its fields"
	}
	names := make([]string, len(cands))
	for i, c := range cands {
		names[i] = string(c)
	}
	return "", fmt.Sprintf("cannot tell which HSDS table this object belongs to (%s); name the table in the file name or with the kind option",
		strings.Join(names, ", "))
}
