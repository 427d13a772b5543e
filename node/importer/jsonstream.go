package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/o211/o211"
)

// An hsds-json file is read as a stream, in two passes over the file, so
// that memory does not grow with its size:
//
//  1. jsonShapes walks the file token by token and keeps, for each
//     top-level value, only its sort and an object's keys: enough to tell a
//     record from a page of the HSDS API or the table form, which the
//     record's own fields could otherwise only tell at its end. A file that
//     is not JSON is found here, before any of its records is taken.
//  2. jsonStream reads the file again and decodes one record at a time:
//     each element of a top-level array, of a page's contents or of a
//     table, or a top-level object that is one record. Only that record
//     is held whole (at most maxJSONValue bytes), with the line it starts
//     on; the lines of the objects nested in it are found in it
//     (lineIndex) and kept with what is staged, so that a problem found
//     later still names its file, line and path.

// maxJSONValue bounds what the importer holds of an hsds-json file at
// once: one record, or one token. A file of any size is read; a single
// record or string this large is no directory's, and the file is refused
// before it fills the memory.
const maxJSONValue = 16 << 20

// maxShapeKeys bounds the keys the first pass keeps of a top-level object;
// an object with more is taken for one record (and refused past
// maxJSONValue).
const maxShapeKeys = 4096

// jsonShape is what the first pass saw of a top-level value.
type jsonShape struct {
	first byte            // '{', '[', or the first byte of a scalar
	keys  map[string]byte // an object's keys, with the first byte of each value
}

// parseJSONFile reads one hsds-json file into the batch. A file that is
// not JSON is one problem; it returns an ETOOLARGE *o211.Error for a record
// or token past maxJSONValue, and read errors.
func (b *Batch) parseJSONFile(name string, f *os.File, kind o211.Kind) error {
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("importer: %s: %w", name, err)
	}
	size := info.Size()
	var bom [3]byte
	start := int64(0)
	if n, _ := f.ReadAt(bom[:], 0); n == 3 && string(bom[:]) == "\ufeff" {
		start = 3
	}
	section := func() *io.SectionReader { return io.NewSectionReader(f, start, size-start) }
	shapes, err := jsonShapes(name, section(), newLineCounter(section()))
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := newLineCounter(section()).at(se.Offset)
		b.problem(Source{File: name, Line: line}, "", "malformed JSON: "+strings.TrimPrefix(err.Error(), "json: "))
		return nil
	} else if err != nil {
		return err
	}
	if len(shapes) == 0 {
		b.warn(Source{File: name}, "", "the file holds no JSON value")
		return nil
	}
	s := newJSONStream(name, section())
	hint := kindHint(name, kind)
	for i, sh := range shapes {
		path := ""
		if len(shapes) > 1 {
			path = indexPath("", i)
		}
		d := &jsonDoc{b: b, file: name, kind: kind, hint: hint, s: s}
		if err := d.top(sh, path); err != nil {
			return err
		}
	}
	return nil
}

// jsonShapes is the first pass: the shape of every top-level value of r.
func jsonShapes(name string, r io.Reader, lines *lineCounter) ([]jsonShape, error) {
	in := &capReader{r: r, name: name, lines: lines}
	dec := json.NewDecoder(in)
	token := func() (json.Token, error) {
		in.mark = dec.InputOffset()
		return dec.Token()
	}
	var shapes []jsonShape
	for {
		tok, err := token()
		if err == io.EOF {
			return shapes, nil
		} else if err != nil {
			return nil, err
		}
		sh := jsonShape{first: firstOf(tok)}
		switch sh.first {
		case '[':
			err = skipRest(token)
		case '{':
			sh.keys, err = shapeKeys(token)
		}
		if err != nil {
			return nil, err
		}
		shapes = append(shapes, sh)
	}
}

// shapeKeys reads the rest of an object whose '{' was read, returning its
// keys and the first byte of each value.
func shapeKeys(token func() (json.Token, error)) (map[string]byte, error) {
	keys := map[string]byte{}
	for {
		tok, err := token()
		if err != nil {
			return nil, err
		}
		if tok == json.Delim('}') {
			return keys, nil
		}
		key, _ := tok.(string)
		if tok, err = token(); err != nil {
			return nil, err
		}
		if len(keys) < maxShapeKeys {
			keys[key] = firstOf(tok)
		}
		if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
			if err := skipRest(token); err != nil {
				return nil, err
			}
		}
	}
}

// skipRest reads tokens to the end of the object or array whose opening
// delimiter was read.
func skipRest(token func() (json.Token, error)) error {
	for depth := 1; depth > 0; {
		tok, err := token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// firstOf returns the first byte of the value a token starts.
func firstOf(tok json.Token) byte {
	switch t := tok.(type) {
	case json.Delim:
		return byte(t)
	case string:
		return '"'
	case bool:
		return 't'
	case nil:
		return 'n'
	}
	return '0'
}

// jsonStream is the second pass: it reads a file's values one record at a
// time.
type jsonStream struct {
	dec   *json.Decoder
	in    *capReader
	lines *lineCounter
}

func newJSONStream(name string, r *io.SectionReader) *jsonStream {
	lines := newLineCounter(io.NewSectionReader(r, 0, r.Size()))
	in := &capReader{r: r, name: name, lines: lines}
	return &jsonStream{dec: json.NewDecoder(in), in: in, lines: lines}
}

func (s *jsonStream) token() (json.Token, error) {
	s.in.mark = s.dec.InputOffset()
	return s.dec.Token()
}

// value reads the next value whole, and returns it with the line it starts
// on.
func (s *jsonStream) value() (json.RawMessage, int, error) {
	s.in.mark = s.dec.InputOffset()
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		return nil, 0, err
	}
	start := s.dec.InputOffset() - int64(len(raw))
	return raw, s.lines.at(start), nil
}

// line returns the line the next value starts on, near enough: that of the
// end of the last token read.
func (s *jsonStream) line() int { return s.lines.at(s.dec.InputOffset()) }

// capReader passes the file to the decoder, failing with an ETOOLARGE
// *o211.Error when the decoder reads more than maxJSONValue bytes past
// mark, the offset it had read to when asked for its next token or value:
// it then holds a single value that large.
type capReader struct {
	r     io.Reader
	name  string
	lines *lineCounter
	mark  int64 // offset of the decoder when the current read began
	n     int64 // bytes read
}

func (c *capReader) Read(p []byte) (int, error) {
	allow := maxJSONValue - (c.n - c.mark)
	if allow < 0 {
		return 0, o211.Errorf(o211.ETOOLARGE, "%s:%d: a JSON value is longer than %d MiB; no record of a directory is, so the file is refused (nothing was imported)",
			c.name, c.lines.at(c.mark), maxJSONValue>>20)
	}
	if int64(len(p)) > allow+1 {
		p = p[:allow+1]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// lineCounter gives the lines of offsets of a file, asked in increasing
// order: it reads the file alongside, counting newlines, and holds nothing
// of it.
type lineCounter struct {
	r    *bufio.Reader
	off  int64
	line int
}

func newLineCounter(r io.Reader) *lineCounter {
	return &lineCounter{r: bufio.NewReaderSize(r, 64<<10), line: 1}
}

// at returns the 1-based line of byte offset off (at least the last asked).
func (lc *lineCounter) at(off int64) int {
	for lc.off < off {
		buf, _ := lc.r.Peek(int(min(off-lc.off, 64<<10)))
		if len(buf) == 0 {
			break
		}
		lc.line += bytes.Count(buf, []byte{'\n'})
		lc.off += int64(len(buf))
		lc.r.Discard(len(buf))
	}
	return lc.line
}
