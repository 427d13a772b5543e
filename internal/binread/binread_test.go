package binread_test

import (
	"encoding/binary"
	"testing"

	"github.com/o211/o211/internal/binread"
)

func TestReader(t *testing.T) {
	var b []byte
	b = append(b, 7)
	b = binary.AppendUvarint(b, 300)
	b = binary.AppendVarint(b, -5)
	b = binary.AppendUvarint(b, 4)
	b = append(b, "eastrest"...)
	r := binread.NewReader(b)
	if c, u, v, s := r.Byte(), r.Uvarint(), r.Varint(), r.Str(); c != 7 || u != 300 || v != -5 || s != "east" || r.Bad() {
		t.Fatalf("got %d %d %d %q (bad %v), want 7 300 -5 \"east\"", c, u, v, s, r.Bad())
	}
	if got := string(r.Rest()); got != "rest" {
		t.Fatalf("rest %q, want \"rest\"", got)
	}
	if got := r.Bytes(2); cap(got) != 2 || string(got) != "re" {
		t.Fatalf("bytes %q with capacity %d, want \"re\" with 2", got, cap(got))
	}

	t.Run("ShortReads", func(t *testing.T) {
		for name, read := range map[string]func(*binread.Reader){
			"Byte":    func(r *binread.Reader) { r.Byte() },
			"Uvarint": func(r *binread.Reader) { r.Uvarint() },
			"Varint":  func(r *binread.Reader) { r.Varint() },
			"Bytes":   func(r *binread.Reader) { r.Bytes(1) },
			"Str":     func(r *binread.Reader) { r.Str() },
		} {
			r := binread.NewReader(nil)
			read(&r)
			if !r.Bad() {
				t.Errorf("%s of nothing: not bad", name)
			}
		}
		r := binread.NewReader([]byte{0x80}) // a varint cut short
		if r.Uvarint(); !r.Bad() {
			t.Error("cut varint: not bad")
		}
		r = binread.NewReader(binary.AppendUvarint(nil, 1<<40)) // a length past the end
		if s := r.Str(); !r.Bad() || s != "" {
			t.Errorf("string longer than the input: %q, bad %v", s, r.Bad())
		}
		r = binread.NewReader([]byte{1})
		if r.Bytes(-1); !r.Bad() {
			t.Error("negative length: not bad")
		}
	})
}
