// Package binread reads the small binary forms o211 keeps on disk and
// sends between its own processes (a node store's record and outbox
// envelopes, the hub's ingest batches, an import's staged entries): bytes,
// varints and length-prefixed strings, from a byte slice, remembering the
// first short or bad read so that a decoder checks once at the end.
package binread

import "encoding/binary"

// Reader reads from the front of a byte slice. Its zero value reads
// nothing; once a read fails, Bad reports true and later reads return zero
// values.
type Reader struct {
	b   []byte
	bad bool
}

// NewReader returns a Reader of b. It does not copy b: the byte slices it
// returns share b's memory.
func NewReader(b []byte) Reader { return Reader{b: b} }

// Bad reports whether a read ran past the end or met a malformed varint.
func (r *Reader) Bad() bool { return r.bad }

// Rest returns what has not been read yet.
func (r *Reader) Rest() []byte { return r.b }

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// Uvarint reads an unsigned varint (encoding/binary's form).
func (r *Reader) Uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Varint reads a signed varint (encoding/binary's form).
func (r *Reader) Varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Bytes reads n bytes. The slice it returns has capacity n, so appending
// to it never writes over what follows.
func (r *Reader) Bytes(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.bad = true
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// Str reads a string written as its length (uvarint) and its bytes.
func (r *Reader) Str() string {
	n := r.Uvarint()
	if n > uint64(len(r.b)) {
		r.bad = true
		return ""
	}
	return string(r.Bytes(int(n)))
}
