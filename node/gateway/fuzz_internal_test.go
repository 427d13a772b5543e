package gateway

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// FuzzChatFrame: any frame a browser sends is parsed or refused as a
// *badFrame, never a panic; a parsed one survives a round trip.
func FuzzChatFrame(f *testing.F) {
	for _, s := range []string{`{"type":"hello","session":"","last":0,"lang":"fr"}`, `{"type":"msg","cid":"c1","body":"K1N 6N5"}`,
		`{"type":"read","seq":18446744073709551615}`, `{"type":"msg","body":null}`, `[1,2]`, `{"type":`, "\xff\xfe",
		`{"type":"msg","seq":-1}`, `{"type":"typing","at":"not a time"}`, ``} {
		f.Add([]byte(s), true)
	}
	f.Add([]byte{0, 1, 2}, false)
	f.Fuzz(func(t *testing.T, b []byte, text bool) {
		typ := websocket.MessageBinary
		if text {
			typ = websocket.MessageText
		}
		fr, err := parseFrame(typ, b)
		if err != nil {
			if _, ok := err.(*badFrame); !ok {
				t.Fatalf("error %T, want *badFrame", err)
			}
			return
		}
		if !text || !utf8.Valid(b) {
			t.Fatal("a binary or non-UTF-8 frame was parsed")
		}
		if _, err := json.Marshal(fr); err != nil {
			t.Fatalf("a parsed frame does not marshal: %v", err)
		}
	})
}

// FuzzRoutePostal: whatever a person says or keys routes to an Ontario
// region or to nothing, never a panic.
func FuzzRoutePostal(f *testing.F) {
	for _, s := range []string{"K1N 6N5", "k 1 n six n five", "772", "516", "", "zéro un deux", "K1N6N5K1N6N5", "\x00", "H2X 1Y4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, ok := routePostal(s)
		if ok && r.Region == "" {
			t.Fatalf("%q routed to no region", s)
		}
		if len(r.Postal) > 7 {
			t.Fatalf("%q gave postal %q", s, r.Postal)
		}
	})
}
