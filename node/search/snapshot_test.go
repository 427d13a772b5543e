package search

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"reflect"
	"testing"

	"github.com/o211/o211"
)

func mustSave(tb testing.TB, ix *Index, seq uint64) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := ix.Save(&buf, seq); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestIndex_SaveLoad(t *testing.T) {
	docs := fixtureDocs(t, 3000)
	ix := MustBuildIndex(t, docs)
	// Replace some services so that the snapshot holds dead docs, appended
	// posting lists and an overlay of new words.
	var changed []Doc
	for _, d := range docs[:200] {
		d.Description += " Newword" + d.ServiceID
		changed = append(changed, d)
	}
	ids := map[string]bool{}
	var sids []string
	for _, d := range changed {
		if !ids[d.ServiceID] {
			ids[d.ServiceID] = true
			sids = append(sids, d.ServiceID)
		}
	}
	if err := ix.Replace(sids, changed); err != nil {
		t.Fatal(err)
	}
	b := mustSave(t, ix, 42)
	loaded, seq, err := Load(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	loaded.opts.Now = ix.opts.Now
	if seq != 42 || loaded.Len() != ix.Len() {
		t.Fatalf("seq %d len %d, want 42 and %d", seq, loaded.Len(), ix.Len())
	}
	queries := append(oracleQueries(t, 100), o211.Query{Text: "newwordsvc-000003"}, o211.Query{Text: "newwords"})
	sameResults := func(t *testing.T, a, b *Index) {
		t.Helper()
		for _, q := range queries {
			q.PerPage = 50
			if got, want := mustSearch(t, a, q), mustSearch(t, b, q); !reflect.DeepEqual(got, want) {
				t.Fatalf("query %+v: loaded index gives %d results %q, saved one %d %q", q, got.Total, keys(got), want.Total, keys(want))
			}
		}
	}
	t.Run("SameResults", func(t *testing.T) { sameResults(t, loaded, ix) })
	t.Run("SaveAgainSameBytes", func(t *testing.T) {
		if b2 := mustSave(t, loaded, 42); !bytes.Equal(b, b2) {
			t.Fatalf("a loaded index saves %d bytes that differ from the %d it was loaded from", len(b2), len(b))
		}
	})
	t.Run("ReplaceAfterLoad", func(t *testing.T) {
		d := docs[0]
		d.ServiceName = "Renamed After Loading"
		for _, x := range []*Index{ix, loaded} {
			if err := x.Replace([]string{d.ServiceID}, []Doc{d}); err != nil {
				t.Fatal(err)
			}
		}
		if mustSearch(t, loaded, o211.Query{Text: "renamed loading"}).Total == 0 {
			t.Fatal("replaced doc not found in the loaded index")
		}
		sameResults(t, loaded, ix)
	})
	t.Run("Empty", func(t *testing.T) {
		ix, _, err := Load(bytes.NewReader(mustSave(t, New(Options{}), 0)))
		if err != nil || ix.Len() != 0 || mustSearch(t, ix, o211.Query{Text: "food"}).Total != 0 {
			t.Fatalf("empty index round trip: %v", err)
		}
	})
}

func TestLoad_Errors(t *testing.T) {
	good := mustSave(t, MustBuildIndex(t, testDocs()), 7)
	resum := func(b []byte) []byte {
		b = bytes.Clone(b)
		binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], castagnoli))
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"Empty", nil},
		{"NotASnapshot", []byte("{\"hello\": \"world\"} and some more bytes")},
		{"Truncated", good[:len(good)/2]},
		{"FlippedByte", func() []byte { b := bytes.Clone(good); b[len(b)/2] ^= 0x40; return b }()},
		{"OtherVersion", resum(func() []byte {
			b := bytes.Clone(good)
			binary.LittleEndian.PutUint32(b[len(snapshotMagic):], snapshotVersion+1)
			return b
		}())},
		{"GarbageWithGoodChecksum", resum(append(bytes.Clone(good[:40]), bytes.Repeat([]byte{0xff}, 64)...))},
		{"TrailingBytes", resum(append(bytes.Clone(good[:len(good)-4]), 1, 2, 3, 4, 5))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix, _, err := Load(bytes.NewReader(tc.data))
			if !errors.Is(err, ErrSnapshot) || ix != nil {
				t.Fatalf("error %v, want ErrSnapshot", err)
			}
		})
	}
	t.Run("ReadError", func(t *testing.T) {
		_, _, err := Load(io.MultiReader(bytes.NewReader(good[:10]), errReader{}))
		if err == nil || errors.Is(err, ErrSnapshot) {
			t.Fatalf("error %v, want the reader's", err)
		}
	})
	t.Run("RestoreKeepsIndexOnError", func(t *testing.T) {
		ix := MustBuildIndex(t, testDocs())
		if _, err := ix.Restore(bytes.NewReader(good[:100])); !errors.Is(err, ErrSnapshot) {
			t.Fatalf("error %v", err)
		}
		if ix.Len() != len(testDocs()) {
			t.Fatalf("len %d after a failed restore", ix.Len())
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
