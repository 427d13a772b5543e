package importer

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"sort"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/binread"
)

// stage keeps the distinct records of an import in a temporary file, so
// that an import's memory does not grow with its input: in memory there is
// only, per record, where its latest version lies in the file, its kind,
// its id and a hash of both (about 90 bytes a record).
//
// The file is a log of entries, each the latest version of a record when
// it was written; a record merged with a later duplicate gets a new entry.
// An entry is
//
//	len(uvarint) kind(1) flags(1) file(uvarint) line(uvarint)
//	path record column (each uvarint length, bytes)
//	refs(uvarint n, then n of: kind(1) strict(1) field id)
//	data (the flat row's JSON, to the end)
//
// flags bit 0: the source's Columns are ontarioFields of the kind.
type stage struct {
	f    *os.File
	w    *bufio.Writer
	size int64 // bytes written
	seed maphash.Seed

	index map[uint64]int32 // hash of kind and id -> entry
	more  map[string]int32 // kind|id -> entry, for ids whose hash another has
	// ents and ids grow by blocks, never copied: a slice doubling as it
	// grows would hold its old and new arrays at once.
	ents [][]entry // blocks of entBlock entries
	ids  [][]byte  // blocks of idBlock bytes of ids, one after another
	n    int32     // entries
}

const (
	entBlock = 1 << 16
	idBits   = 20
	idBlock  = 1 << idBits
)

// ent returns entry i.
func (s *stage) ent(i int32) *entry { return &s.ents[i/entBlock][i%entBlock] }

// addID keeps id and returns where it is.
func (s *stage) addID(id string) uint32 {
	last := len(s.ids) - 1
	if last < 0 || len(s.ids[last])+len(id) > idBlock {
		s.ids = append(s.ids, make([]byte, 0, idBlock))
		last++
	}
	off := uint32(last)<<idBits | uint32(len(s.ids[last]))
	s.ids[last] = append(s.ids[last], id...)
	return off
}

// entry is one distinct record.
type entry struct {
	off   int64  // of its latest version in the log
	sum   uint64 // hash of its latest data, to tell an identical duplicate without reading it
	n     uint32
	idOff uint32
	idLen uint16
	kind  uint8 // index in o211.Kinds()
	bad   bool  // rejected
}

// staged is an entry read back from the log.
type staged struct {
	kind o211.Kind
	src  Source
	refs []stagedRef
	data []byte
}

type stagedRef struct {
	kind   o211.Kind
	strict bool
	field  string
	id     string
}

var kindIndex = func() map[o211.Kind]uint8 {
	m := map[o211.Kind]uint8{}
	for i, ki := range o211.Kinds() {
		m[ki.Kind] = uint8(i)
	}
	return m
}()

var allKinds = o211.Kinds()

func newStage(dir string) (*stage, error) {
	f, err := os.CreateTemp(dir, "o211-import-*.stage")
	if err != nil {
		return nil, fmt.Errorf("importer: staging file: %w", err)
	}
	os.Remove(f.Name()) // unlinked: it goes when the import ends, however it ends
	return &stage{f: f, w: bufio.NewWriterSize(f, 1<<20), seed: maphash.MakeSeed(),
		index: map[uint64]int32{}, more: map[string]int32{}}, nil
}

func (s *stage) close() {
	if s != nil && s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

func (s *stage) hash(kind uint8, id string) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteByte(kind)
	h.WriteString(id)
	return h.Sum64()
}

func (s *stage) sum(data []byte) uint64 { return maphash.Bytes(s.seed, data) }

func (s *stage) id(e *entry) []byte {
	b, off := s.ids[e.idOff>>idBits], e.idOff&(idBlock-1)
	return b[off : off+uint32(e.idLen)]
}

// find returns the entry of kind/id, or -1.
func (s *stage) find(kind o211.Kind, id string) int32 {
	k, ok := kindIndex[kind]
	if !ok || id == "" {
		return -1
	}
	i, ok := s.index[s.hash(k, id)]
	if !ok {
		return -1
	}
	if e := s.ent(i); e.kind == k && string(s.id(e)) == id {
		return i
	}
	if j, ok := s.more[string(kind)+"\x00"+id]; ok {
		return j
	}
	return -1
}

// put writes a new version of a record; i is its entry, or -1 for a new
// record.
func (s *stage) put(i int32, kind o211.Kind, id string, src Source, fileIdx int, refs []o211.Ref, strict map[string]bool, data []byte) (int32, error) {
	buf := encodeStaged(kindIndex[kind], src, fileIdx, refs, strict, data)
	off := s.size
	var lenBuf [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(lenBuf[:], uint64(len(buf)))
	if _, err := s.w.Write(lenBuf[:n]); err != nil {
		return -1, fmt.Errorf("importer: staging file: %w", err)
	}
	if _, err := s.w.Write(buf); err != nil {
		return -1, fmt.Errorf("importer: staging file: %w", err)
	}
	s.size += int64(n + len(buf))
	sum := s.sum(data)
	if i >= 0 {
		e := s.ent(i)
		e.off, e.n, e.sum = off+int64(n), uint32(len(buf)), sum
		return i, nil
	}
	if len(id) > 0xffff || len(s.ids) >= 1<<(32-idBits)-1 || s.n == 1<<31-1 {
		return -1, o211.Errorf(o211.ETOOLARGE, "the input holds more records than one import takes")
	}
	k := kindIndex[kind]
	e := entry{off: off + int64(n), sum: sum, n: uint32(len(buf)), idOff: s.addID(id), idLen: uint16(len(id)), kind: k}
	if s.n%entBlock == 0 {
		s.ents = append(s.ents, make([]entry, 0, entBlock))
	}
	i = s.n
	s.ents[i/entBlock] = append(s.ents[i/entBlock], e)
	s.n++
	if id != "" {
		h := s.hash(k, id)
		if _, taken := s.index[h]; taken {
			s.more[string(kind)+"\x00"+id] = i
		} else {
			s.index[h] = i
		}
	}
	return i, nil
}

func encodeStaged(kind uint8, src Source, fileIdx int, refs []o211.Ref, strict map[string]bool, data []byte) []byte {
	b := make([]byte, 0, 64+len(src.Path)+len(src.Record)+len(data))
	var flags byte
	if src.Columns != nil {
		flags = 1
	}
	b = append(b, kind, flags)
	b = binary.AppendUvarint(b, uint64(fileIdx))
	b = binary.AppendUvarint(b, uint64(max(src.Line, 0)))
	for _, s := range []string{src.Path, src.Record, src.Column} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	n := 0
	for _, r := range refs {
		if r.ID != "" {
			n++
		}
	}
	b = binary.AppendUvarint(b, uint64(n))
	for _, r := range refs {
		if r.ID == "" {
			continue
		}
		k, st := byte(0xff), byte(0)
		if ki, ok := kindIndex[r.Kind]; ok {
			k = ki
		}
		if strict[r.Field] {
			st = 1
		}
		b = append(b, k, st)
		for _, s := range []string{r.Field, r.ID} {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
	}
	return append(b, data...)
}

// flush makes what was written readable.
func (s *stage) flush() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("importer: staging file: %w", err)
	}
	return nil
}

// read returns entry i's latest version; buf is reused when large enough.
func (s *stage) read(i int32, files []string, buf []byte) (*staged, []byte, error) {
	if s.w.Buffered() > 0 {
		if err := s.flush(); err != nil {
			return nil, buf, err
		}
	}
	e := s.ent(i)
	if cap(buf) < int(e.n) {
		buf = make([]byte, e.n)
	}
	buf = buf[:e.n]
	if _, err := s.f.ReadAt(buf, e.off); err != nil && !(errors.Is(err, io.EOF) && len(buf) == 0) {
		return nil, buf, fmt.Errorf("importer: staging file: %w", err)
	}
	st, err := decodeStaged(buf, files)
	return st, buf, err
}

var errStageCorrupt = errors.New("importer: the staging file is corrupt")

func decodeStaged(b []byte, files []string) (*staged, error) {
	if len(b) < 2 || int(b[0]) >= len(allKinds) {
		return nil, errStageCorrupt
	}
	st := &staged{kind: allKinds[b[0]].Kind}
	cols := b[1]&1 != 0
	d := binread.NewReader(b[2:])
	fi := int(d.Uvarint())
	st.src.Line = int(d.Uvarint())
	st.src.Path, st.src.Record, st.src.Column = d.Str(), d.Str(), d.Str()
	if fi < len(files) {
		st.src.File = files[fi]
	}
	if cols {
		st.src.Columns = ontarioFields[st.kind]
	}
	n := int(d.Uvarint())
	for j := 0; j < n && !d.Bad(); j++ {
		kind, strict := d.Byte(), d.Byte()
		if d.Bad() {
			break
		}
		r := stagedRef{strict: strict == 1}
		if int(kind) < len(allKinds) {
			r.kind = allKinds[kind].Kind
		}
		r.field, r.id = d.Str(), d.Str()
		st.refs = append(st.refs, r)
	}
	if d.Bad() {
		return nil, errStageCorrupt
	}
	st.data = d.Rest()
	return st, nil
}

// order returns the entries in table order (o211.Kinds), then id order:
// the order in which to check and write them.
func (s *stage) order() []int32 {
	out := make([]int32, s.n)
	for i := range out {
		out[i] = int32(i)
	}
	sort.Slice(out, func(a, b int) bool {
		ea, eb := s.ent(out[a]), s.ent(out[b])
		if ea.kind != eb.kind {
			return ea.kind < eb.kind
		}
		return bytes.Compare(s.id(ea), s.id(eb)) < 0
	})
	return out
}
