package importer

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// lineIndex finds the line of the object at a JSON path ("services[3].
// phones[0]") inside one JSON value that the importer holds whole (a record
// of a stream: see jsonstream.go). It walks the value once, on first use,
// and only when the value spans several lines.
type lineIndex struct {
	data   []byte // the value
	base   int    // the line data starts on
	prefix string // the value's own path
	once   sync.Once
	paths  map[string]int
	nls    []int // offsets of newlines in data
}

func newLineIndex(data []byte, base int, prefix string) *lineIndex {
	return &lineIndex{data: data, base: base, prefix: prefix}
}

// lineOf returns the line of the object or array at path, or of the
// nearest one that holds it (the line of "schedules[0].freq" is that of
// "schedules[0]").
func (li *lineIndex) lineOf(path string) int {
	if bytes.IndexByte(li.data, '\n') < 0 {
		return li.base
	}
	li.once.Do(li.build)
	for {
		if l, ok := li.paths[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i <= 0 || len(path) <= len(li.prefix) {
			return li.base
		}
		path = path[:i]
	}
}

// lineAt returns the line of a byte offset of data.
func (li *lineIndex) lineAt(off int) int {
	if li.nls == nil {
		for i, c := range li.data {
			if c == '\n' {
				li.nls = append(li.nls, i)
			}
		}
		if li.nls == nil {
			li.nls = []int{}
		}
	}
	return li.base + sort.SearchInts(li.nls, off)
}

type frame struct {
	path  string
	array bool
	index int
	key   string
	// wantKey is true in an object when the next token is a key.
	wantKey bool
}

func (li *lineIndex) build() {
	li.paths = map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(li.data))
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		off := int(dec.InputOffset())
		var parent *frame
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		if parent != nil && !parent.array && parent.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				li.valueDone(stack)
				continue
			}
			parent.key, _ = tok.(string)
			parent.wantKey = false
			continue
		}
		path := li.childPath(parent)
		switch tok {
		case json.Delim('{'), json.Delim('['):
			li.paths[path] = li.lineAt(li.start(off - 1))
			stack = append(stack, &frame{path: path, array: tok == json.Delim('['), wantKey: tok == json.Delim('{')})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			li.valueDone(stack)
		default:
			li.valueDone(stack)
		}
	}
}

// start moves back from the offset of a delimiter token to the delimiter
// itself (InputOffset points just past it).
func (li *lineIndex) start(off int) int {
	for off > 0 && off < len(li.data) && li.data[off] != '{' && li.data[off] != '[' {
		off--
	}
	return off
}

// childPath returns the path of the value that starts now.
func (li *lineIndex) childPath(parent *frame) string {
	switch {
	case parent == nil:
		return li.prefix
	case parent.array:
		return parent.path + "[" + strconv.Itoa(parent.index) + "]"
	case parent.path == "":
		return parent.key
	default:
		return parent.path + "." + parent.key
	}
}

// valueDone advances the enclosing container past a finished value.
func (li *lineIndex) valueDone(stack []*frame) {
	if len(stack) == 0 {
		return
	}
	p := stack[len(stack)-1]
	if p.array {
		p.index++
	} else {
		p.wantKey = true
	}
}

// joinPath appends a field or index to a JSON path.
func joinPath(path, field string) string {
	if field == "" {
		return path
	}
	if path == "" {
		return field
	}
	return path + "." + field
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
