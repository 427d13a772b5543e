package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// decodeError is a value that does not fit its field: the JSON path of the
// field inside the object, and why.
type decodeError struct {
	field  string
	reason string
}

// decodeLenient decodes an HSDS object into v. Sources type loosely
// (tabular.json gives external_identifier as a number, CSV-minded tools give
// numbers as strings), so when the plain decoding fails on a type, numbers
// and booleans given for text fields become their text, and numeric text
// given for a number field becomes the number. Anything else that does not
// fit is an error naming the field.
func decodeLenient(raw json.RawMessage, v any) *decodeError {
	err := json.Unmarshal(raw, v)
	if err == nil {
		return nil
	}
	if _, ok := err.(*json.UnmarshalTypeError); !ok {
		return &decodeError{reason: "malformed JSON: " + err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return &decodeError{reason: "malformed JSON: " + err.Error()}
	}
	fixed, derr := coerce(generic, reflect.TypeOf(v).Elem(), "")
	if derr != nil {
		return derr
	}
	data, err := json.Marshal(fixed)
	if err == nil {
		err = json.Unmarshal(data, v)
	}
	if err != nil {
		return &decodeError{reason: err.Error()}
	}
	return nil
}

// coerce returns the JSON value v reshaped for Go type t.
func coerce(v any, t reflect.Type, path string) (any, *decodeError) {
	if v == nil {
		return nil, nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		return coerce(v, t.Elem(), path)
	case reflect.String:
		switch x := v.(type) {
		case string:
			return x, nil
		case json.Number:
			return x.String(), nil
		case bool:
			return strconv.FormatBool(x), nil
		}
		return nil, &decodeError{path, fmt.Sprintf("is %s, not text", jsonType(v))}
	case reflect.Float64:
		switch x := v.(type) {
		case json.Number:
			return x, nil
		case string:
			s := strings.TrimSpace(x)
			if s == "" {
				return nil, nil
			}
			if _, err := strconv.ParseFloat(s, 64); err != nil {
				return nil, &decodeError{path, fmt.Sprintf("%q is not a number", x)}
			}
			return json.Number(s), nil
		}
		return nil, &decodeError{path, fmt.Sprintf("is %s, not a number", jsonType(v))}
	case reflect.Slice:
		items, ok := v.([]any)
		if !ok {
			return nil, &decodeError{path, fmt.Sprintf("is %s, not an array", jsonType(v))}
		}
		out := make([]any, len(items))
		for i, it := range items {
			var err *decodeError
			if out[i], err = coerce(it, t.Elem(), indexPath(path, i)); err != nil {
				return nil, err
			}
		}
		return out, nil
	case reflect.Struct:
		return coerceStruct(v, t, path)
	}
	return v, nil
}

func coerceStruct(v any, t reflect.Type, path string) (any, *decodeError) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &decodeError{path, fmt.Sprintf("is %s, not an object", jsonType(v))}
	}
	out := make(map[string]any, len(m))
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		val, ok := m[name]
		if !ok || name == "" {
			continue
		}
		c, err := coerce(val, f.Type, joinPath(path, name))
		if err != nil {
			return nil, err
		}
		out[name] = c
	}
	return out, nil
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "text"
	case json.Number:
		return "a number"
	case bool:
		return "true or false"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "null"
}
