package search

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strings"
)

// Snapshot file format, version 1 (all integers little-endian or varint):
//
//	magic "O211SIX\n" | version uint32 | body | CRC-32C of all before it
//
// The body holds the sequence number given to Save, the BM25 average doc
// length, regions, opening hours (as rules), a string table and the doc
// records referring to it, the removed-doc bitset, the name ranks, the
// terms by id, the type-ahead vocabulary, and the posting lists (doc ids
// delta-encoded, weights as bytes). Loading decodes it into memory without
// analysing any text.

const (
	snapshotMagic   = "O211SIX\n"
	snapshotVersion = 1
)

// ErrSnapshot is returned, wrapped with the reason, when a snapshot cannot
// be loaded: it is corrupt, truncated, of another version or not a
// snapshot at all. The caller should rebuild the index from its records.
var ErrSnapshot = errors.New("search: unusable index snapshot")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Save writes a snapshot of the index with the sequence number seq (the
// caller's mark of what the index holds), and returns the writer's error.
func (ix *Index) Save(w io.Writer, seq uint64) error {
	s := ix.cur.Load()
	e := &encoder{w: w, buf: make([]byte, 0, 1<<16)}
	e.raw([]byte(snapshotMagic))
	e.buf = binary.LittleEndian.AppendUint32(e.buf, snapshotVersion)
	e.uvarint(seq)
	e.u64(math.Float64bits(s.avgdl))
	e.strings(s.regions)
	e.uvarint(uint64(len(s.hours) - 1))
	for _, h := range s.hours[1:] {
		e.raw(encodeRules(nil, h.rules))
	}
	s.saveDocs(e)
	s.saveLexicon(e)
	s.savePostings(e)
	e.flush()
	if e.err != nil {
		return fmt.Errorf("search: save snapshot: %w", e.err)
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], e.crc)
	if _, err := w.Write(sum[:]); err != nil {
		return fmt.Errorf("search: save snapshot: %w", err)
	}
	return nil
}

func (s *snapshot) saveDocs(e *encoder) {
	table := map[string]uint64{}
	var strs []string
	ref := func(x string) uint64 {
		i, ok := table[x]
		if !ok {
			i = uint64(len(strs))
			table[x] = i
			strs = append(strs, x)
		}
		return i
	}
	var refs []uint64
	for i := range s.recs {
		r := &s.recs[i]
		for _, x := range []string{r.key, r.serviceID, r.locationID, r.salID, r.orgID, r.serviceName,
			r.orgName, r.locName, r.address, r.phone, r.status, r.lang} {
			refs = append(refs, ref(x))
		}
		refs = append(refs, uint64(len(r.taxonomy)))
		for _, c := range r.taxonomy {
			refs = append(refs, ref(c))
		}
	}
	e.strings(strs)
	e.uvarint(uint64(len(s.recs)))
	for _, r := range refs {
		e.uvarint(r)
	}
	for i := range s.hot {
		h, m := &s.hot[i], &s.meta[i]
		e.u64(math.Float64bits(m.lat))
		e.u64(math.Float64bits(m.lon))
		e.u64(uint64(math.Float32bits(h.minAge))<<32 | uint64(math.Float32bits(h.maxAge)))
		e.varint(m.modified)
		e.uvarint(uint64(h.hours))
		e.uvarint(uint64(h.region))
		e.uvarint(uint64(s.cats[i]))
		e.raw([]byte{h.flags})
		e.uvarint(uint64(s.rank[i]))
	}
	for _, w := range s.dead {
		e.u64(w)
	}
}

func (s *snapshot) saveLexicon(e *encoder) {
	terms := make([]string, s.lex.n)
	for _, m := range []map[string]uint32{s.lex.base, s.lex.over} {
		for t, id := range m {
			terms[id] = t
		}
	}
	e.strings(terms[1:])
	surf := mergeSurfaces(s.lex.surf, nil, s.lex.surfOv)
	e.strings(surf.words)
	for _, ids := range surf.terms {
		e.uvarint(uint64(ids[0]))
		e.uvarint(uint64(ids[1]))
	}
}

func (s *snapshot) savePostings(e *encoder) {
	total, totalW := 0, 0
	for _, p := range s.posts[1:] {
		if p != nil {
			total += len(p.docs)
			totalW += len(p.w)
		}
	}
	e.uvarint(uint64(len(s.posts)))
	e.uvarint(uint64(total))
	e.uvarint(uint64(totalW))
	for _, p := range s.posts[1:] {
		if p == nil {
			p = &plist{}
		}
		e.uvarint(uint64(len(p.docs)))
		hasW := byte(0)
		if p.w != nil {
			hasW = 1
		}
		e.raw([]byte{hasW})
		prev := uint32(0)
		for _, d := range p.docs {
			e.uvarint(uint64(d - prev))
			prev = d
		}
		e.raw(p.w)
	}
}

// encoder writes through a buffer, keeping a running CRC-32C.
type encoder struct {
	w   io.Writer
	buf []byte
	crc uint32
	err error
}

func (e *encoder) maybeFlush() {
	if len(e.buf) >= 1<<16-64 {
		e.flush()
	}
}

func (e *encoder) flush() {
	if e.err == nil && len(e.buf) > 0 {
		e.crc = crc32.Update(e.crc, castagnoli, e.buf)
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
}

func (e *encoder) uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v); e.maybeFlush() }
func (e *encoder) varint(v int64)   { e.buf = binary.AppendVarint(e.buf, v); e.maybeFlush() }
func (e *encoder) u64(v uint64)     { e.buf = binary.LittleEndian.AppendUint64(e.buf, v); e.maybeFlush() }

func (e *encoder) raw(b []byte) {
	for len(b) > 0 {
		n := min(len(b), cap(e.buf)-len(e.buf))
		e.buf = append(e.buf, b[:n]...)
		b = b[n:]
		if len(e.buf) == cap(e.buf) {
			e.flush()
		}
	}
	e.maybeFlush()
}

// strings writes a list of strings as their lengths, then one blob.
func (e *encoder) strings(list []string) {
	e.uvarint(uint64(len(list)))
	size := 0
	for _, x := range list {
		e.uvarint(uint64(len(x)))
		size += len(x)
	}
	for _, x := range list {
		e.raw([]byte(x))
	}
}

// decoder reads a snapshot held in memory; the first problem sticks.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s (at byte %d)", ErrSnapshot, fmt.Sprintf(format, args...), d.off)
	}
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad number")
		d.off = len(d.b)
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad number")
		d.off = len(d.b)
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) u64() uint64 {
	if len(d.b)-d.off < 8 {
		d.fail("truncated")
		d.off = len(d.b)
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b[d.off:])
	d.off += 8
	return v
}

func (d *decoder) bytes(n uint64) []byte {
	if uint64(len(d.b)-d.off) < n {
		d.fail("truncated")
		d.off = len(d.b)
		return nil
	}
	b := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return b
}

// count reads a count that must fit what is left, at least min bytes each.
func (d *decoder) count(minBytes int) int {
	n := d.uvarint()
	if n > uint64(len(d.b)-d.off)/uint64(max(1, minBytes)) {
		d.fail("count %d too large", n)
		return 0
	}
	return int(n)
}

// strings reads a list written by encoder.strings, as substrings of one
// allocation.
func (d *decoder) strings() []string {
	n := d.count(1)
	lens := make([]int, n)
	size := uint64(0)
	for i := range lens {
		lens[i] = int(d.uvarint())
		size += uint64(lens[i])
	}
	blob := string(d.bytes(size))
	if d.err != nil {
		return nil
	}
	out := make([]string, n)
	off := 0
	for i, l := range lens {
		out[i] = blob[off : off+l]
		off += l
	}
	return out
}

// checkSnapshot verifies the magic, version and checksum of b and returns
// a decoder positioned after the version.
func checkSnapshot(b []byte) (*decoder, error) {
	if len(b) < len(snapshotMagic)+8 || !strings.HasPrefix(string(b[:len(snapshotMagic)]), snapshotMagic) {
		return nil, fmt.Errorf("%w: not an o211 search snapshot", ErrSnapshot)
	}
	if v := binary.LittleEndian.Uint32(b[len(snapshotMagic):]); v != snapshotVersion {
		return nil, fmt.Errorf("%w: format version %d, this program reads %d", ErrSnapshot, v, snapshotVersion)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch (corrupt or truncated)", ErrSnapshot)
	}
	return &decoder{b: body, off: len(snapshotMagic) + 4}, nil
}
