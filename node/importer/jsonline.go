package importer

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"sync"
)

// lineIndex finds the line of the object at a JSON path ("services[3].
// phones[0]") in a document. It walks the document once, on first use, so
// that only imports with problems pay for it.
type lineIndex struct {
	data  []byte
	multi bool // a stream of values (NDJSON): paths start with "[k]"
	once  sync.Once
	paths map[string]int
	nls   []int // offsets of newlines
}

func newLineIndex(data []byte, multi bool) *lineIndex {
	return &lineIndex{data: data, multi: multi}
}

// line returns the line of the object or array at path, or 0.
func (li *lineIndex) line(path string) int {
	li.once.Do(li.build)
	return li.paths[path]
}

// lineAt returns the 1-based line of a byte offset.
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
	return sort.SearchInts(li.nls, off) + 1
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
	top := 0
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
		path := li.childPath(parent, &top)
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
func (li *lineIndex) childPath(parent *frame, top *int) string {
	switch {
	case parent == nil && li.multi:
		p := "[" + strconv.Itoa(*top) + "]"
		*top++
		return p
	case parent == nil:
		return ""
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
