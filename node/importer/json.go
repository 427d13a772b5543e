package importer

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
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

// jsonDoc reads the values of one file.
type jsonDoc struct {
	b    *Batch
	file string
	kind o211.Kind // forced by the caller, or ""
	hint o211.Kind // from the file name, or ""
	s    *jsonStream
	f    *flattener // of the record being read
}

func (d *jsonDoc) src(path string) Source {
	return Source{File: d.file, Line: d.f.li.lineOf(path), Path: path}
}

// hold makes raw, which starts on line, the record being read.
func (d *jsonDoc) hold(raw json.RawMessage, line int, path string) {
	d.f = &flattener{b: d.b, file: d.file, li: newLineIndex(raw, line, path)}
}

// top reads one top-level value, whose shape the first pass found.
func (d *jsonDoc) top(sh jsonShape, path string) error {
	isObject := sh.first == '{'
	switch {
	case sh.first == '[':
		if _, err := d.s.token(); err != nil {
			return err
		}
		return d.elements(path, d.kind)
	case isObject && d.kind == "" && isPage(sh.keys):
		return d.members(path, func(key string) (o211.Kind, bool) { return "", key == "contents" })
	case isObject && d.kind == "" && isTables(sh.keys):
		return d.members(path, tableKind)
	}
	raw, line, err := d.s.value()
	if err != nil {
		return err
	}
	d.hold(raw, line, path)
	switch {
	case !isObject:
		d.b.problem(d.src(path), "", "not an HSDS JSON document: want an object, an array of objects or a page of the HSDS API")
	case d.kind == "" && sh.keys["openapi_url"] != 0 && sh.keys["id"] == 0:
		d.b.warn(d.src(path), "", "an HSDS API root document holds no records")
	default:
		d.record(raw, path, d.kind)
	}
	return nil
}

// members reads an object (a page or the table form) member by member:
// the arrays of the keys that table names (with their rows' kind) are
// read record by record, the other members are skipped.
func (d *jsonDoc) members(path string, table func(key string) (o211.Kind, bool)) error {
	if _, err := d.s.token(); err != nil { // {
		return err
	}
	for {
		tok, err := d.s.token()
		if err != nil {
			return err
		}
		if tok == json.Delim('}') {
			return nil
		}
		key, _ := tok.(string)
		kind, isTable := table(key)
		line := d.s.line()
		if tok, err = d.s.token(); err != nil {
			return err
		}
		delim, _ := tok.(json.Delim)
		switch {
		case isTable && delim == '[':
			err = d.elements(joinPath(path, key), kind)
		case isTable:
			d.b.problem(Source{File: d.file, Line: line, Path: joinPath(path, key)}, "", "a table must be an array of rows")
			fallthrough
		case delim == '{' || delim == '[':
			err = skipRest(d.s.token)
		}
		if err != nil {
			return err
		}
	}
}

// elements reads the elements of an array whose '[' was read, one at a
// time, all of the given kind when it is set.
func (d *jsonDoc) elements(path string, kind o211.Kind) error {
	for i := 0; d.s.dec.More(); i++ {
		raw, line, err := d.s.value()
		if err != nil {
			return err
		}
		p := indexPath(path, i)
		d.hold(raw, line, p)
		if firstByte(raw) != '{' {
			d.b.problem(d.src(p), "", "not an object")
			continue
		}
		d.record(raw, p, kind)
	}
	_, err := d.s.token() // ]
	return err
}

// record reads one object: a record, with the records nested in it.
func (d *jsonDoc) record(raw json.RawMessage, path string, kind o211.Kind) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		d.b.problem(d.src(path), "", "not an object")
		return
	}
	d.object(raw, keys, path, kind)
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func firstByte(raw []byte) byte {
	for _, c := range raw {
		if !isJSONSpace(c) {
			return c
		}
	}
	return 0
}

// isPage reports whether an object's keys are those of a page of the HSDS
// API: its contents an array, and no id.
func isPage(keys map[string]byte) bool {
	return keys["contents"] == '[' && keys["id"] == 0
}

// isTables reports whether every key names a table (or is metadata of the
// document) and at least one does.
func isTables(keys map[string]byte) bool {
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
		d.b.problem(d.src(joinPath(path, field)), "", reason)
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
