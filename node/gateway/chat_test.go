package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/gateway"
)

// chatFrame is a frame of the chat protocol, as a browser reads it.
type chatFrame struct {
	Type    string `json:"type"`
	Session string `json:"session,omitempty"`
	Secret  string `json:"secret,omitempty"`
	Last    uint64 `json:"last,omitempty"`
	Lang    string `json:"lang,omitempty"`
	Seq     uint64 `json:"seq,omitempty"`
	From    string `json:"from,omitempty"`
	Body    string `json:"body,omitempty"`
	CID     string `json:"cid,omitempty"`
	Error   string `json:"error,omitempty"`
	URL     string `json:"url,omitempty"`
}

// browser is a chat client.
type browser struct {
	t  testing.TB
	ws *websocket.Conn
}

func (e *env) dialChat(tb testing.TB) *browser {
	tb.Helper()
	return dialChatURL(tb, "ws"+strings.TrimPrefix(e.http.URL(), "http")+"/gateway/chat", nil)
}

// dialChatURL opens a chat's WebSocket at u, with the headers h.
func dialChatURL(tb testing.TB, u string, h http.Header) *browser {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ws.CloseNow() })
	return &browser{t: tb, ws: ws}
}

func (b *browser) send(f chatFrame) {
	b.t.Helper()
	data, _ := json.Marshal(f)
	if err := b.ws.Write(context.Background(), websocket.MessageText, data); err != nil {
		b.t.Fatal(err)
	}
}

// next reads frames until one satisfies ok, and returns it.
func (b *browser) next(what string, ok func(chatFrame) bool) chatFrame {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, data, err := b.ws.Read(ctx)
		if err != nil {
			b.t.Fatalf("waiting for %s: %v", what, err)
		}
		var f chatFrame
		json.Unmarshal(data, &f)
		if ok(f) {
			return f
		}
	}
}

// closed waits for the server to close the connection and returns its
// status.
func (b *browser) closed() websocket.StatusCode {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, _, err := b.ws.Read(ctx); err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

func msgSeq(n uint64) func(chatFrame) bool {
	return func(f chatFrame) bool { return f.Type == "msg" && f.Seq == n }
}

// A chat in French: asked for a postal code, queued, accepted; the
// browser drops off while the navigator writes twice, comes back with the
// last seq it saw and gets both, in order; a message sent again after the
// reconnection is stored once; typing and read states cross both ways.
func TestChat_ConversationAndResume(t *testing.T) {
	e := MustStartEnv(t)
	b := e.dialChat(t)
	b.send(chatFrame{Type: "hello", Lang: "fr"})
	w := b.next("welcome", func(f chatFrame) bool { return f.Type == "welcome" })
	ask := b.next("the question", msgSeq(1))
	if ask.From != "system" || !strings.Contains(ask.Body, "code postal") {
		t.Fatalf("first message %+v, want the French postal code question", ask)
	}
	b.send(chatFrame{Type: "msg", CID: "c1", Body: "K1N 6N5"})
	if echo := b.next("the echo", msgSeq(2)); echo.CID != "c1" || echo.From != "person" {
		t.Fatalf("echo %+v", echo)
	}
	b.next("the queued notice", msgSeq(3))
	_, it := e.waitingItem(o211.ChannelChat, w.Session)
	if it.Language != "fr" || it.RoutedBy != "postal code K1N 6N5" || it.Ref != w.Session {
		t.Fatalf("queued item %+v", it)
	}
	e.accept("nav-fr", "fr", it.ID)
	b.next("the navigator's arrival", msgSeq(4))
	b.ws.Close(websocket.StatusGoingAway, "network lost")

	for _, body := range []string{"Bonjour, je m'appelle Lise.", "Comment puis-je vous aider?"} {
		if st := e.api("POST", "/api/v1/conversations/"+w.Session+"/messages", map[string]string{"body": body}, nil); st != 201 {
			t.Fatalf("reply: %d", st)
		}
	}
	b = e.dialChat(t)
	b.send(chatFrame{Type: "hello", Session: w.Session, Secret: w.Secret, Last: 4})
	if f := b.next("welcome back", func(f chatFrame) bool { return f.Type == "welcome" }); f.Seq != 6 {
		t.Fatalf("welcome back at seq %d, want 6", f.Seq)
	}
	if f := b.next("the first missed reply", func(f chatFrame) bool { return f.Type == "msg" }); f.Seq != 5 || f.From != "navigator" {
		t.Fatalf("first frame after resuming: %+v, want seq 5 from the navigator", f)
	}
	b.next("the second missed reply", msgSeq(6))
	b.send(chatFrame{Type: "msg", CID: "c1", Body: "K1N 6N5"}) // sent again: not stored again
	b.send(chatFrame{Type: "msg", CID: "c2", Body: "J'ai besoin d'un logement."})
	b.next("the new message", msgSeq(7))
	if lines := e.transcript(w.Session); strings.Count(strings.Join(lines, "\n"), "K1N 6N5") != 1 || len(lines) != 7 {
		t.Fatalf("transcript %q: want 7 messages, the postal code once", lines)
	}

	e.api("POST", "/api/v1/conversations/"+w.Session+"/typing", nil, nil)
	b.next("the navigator typing", func(f chatFrame) bool { return f.Type == "typing" && f.From == "navigator" })
	e.api("POST", "/api/v1/conversations/"+w.Session+"/read", map[string]uint64{"seq": 7}, nil)
	b.next("read by the navigator", func(f chatFrame) bool { return f.Type == "read" && f.Seq == 7 })
	b.send(chatFrame{Type: "typing"})
	b.send(chatFrame{Type: "read", Seq: 6})
	testutil.WaitFor(t, 10*time.Second, "the person's typing and read state", func() bool {
		var v gateway.ConversationView
		e.api("GET", "/api/v1/conversations/"+w.Session, nil, &v)
		return v.PersonTyping && v.Conversation.ReadPerson == 6
	})
}

// A person who leaves the chat while waiting is abandoned in the queue.
func TestChat_LeaveAbandons(t *testing.T) {
	e := MustStartEnv(t)
	b := e.dialChat(t)
	b.send(chatFrame{Type: "hello"})
	w := b.next("welcome", func(f chatFrame) bool { return f.Type == "welcome" })
	b.send(chatFrame{Type: "msg", CID: "c1", Body: "skip"})
	_, it := e.waitingItem(o211.ChannelChat, w.Session)
	if it.RoutedBy != "default region" {
		t.Fatalf("a chat that skipped the postal code: routed by %q", it.RoutedBy)
	}
	b.send(chatFrame{Type: "leave"})
	testutil.WaitFor(t, 10*time.Second, "the chat abandoned", func() bool {
		_, waiting := e.q.Waiting(context.Background(), it.ID)
		return !waiting
	})
}

// A queued chat whose browser does not come back within the grace period
// is abandoned, with a log line; coming back then shows the end.
func TestChat_GraceAbandons(t *testing.T) {
	e := MustStartEnv(t, withGateway(func(c *gateway.Config) { c.Chat = gateway.ChatLimits{Grace: 50 * time.Millisecond} }))
	b := e.dialChat(t)
	b.send(chatFrame{Type: "hello"})
	w := b.next("welcome", func(f chatFrame) bool { return f.Type == "welcome" })
	b.send(chatFrame{Type: "msg", CID: "c1", Body: "K1N 6N5"})
	_, it := e.waitingItem(o211.ChannelChat, w.Session)
	b.ws.Close(websocket.StatusGoingAway, "tab closed")
	testutil.WaitFor(t, 10*time.Second, "the chat abandoned", func() bool {
		_, waiting := e.q.Waiting(context.Background(), it.ID)
		return !waiting
	})
	if !strings.Contains(e.logs.String(), "no connection within the grace period") {
		t.Fatal("no log line for the abandoned chat")
	}
	b = e.dialChat(t)
	b.send(chatFrame{Type: "hello", Session: w.Session, Secret: w.Secret, Last: 3})
	b.next("the end", func(f chatFrame) bool { return f.Type == "end" })
}

// Bad chat input is refused or contained: no hello, a wrong secret, an
// oversized frame, malformed frames, a flood.
func TestChat_BadInput(t *testing.T) {
	e := MustStartEnv(t, withGateway(func(c *gateway.Config) {
		c.Chat = gateway.ChatLimits{MaxFrame: 1024, PerSecond: 1, Burst: 3, Strikes: 10}
	}))
	t.Run("ErrNoHello", func(t *testing.T) {
		b := e.dialChat(t)
		b.send(chatFrame{Type: "msg", Body: "hi"})
		if st := b.closed(); st != websocket.StatusPolicyViolation {
			t.Fatalf("closed with %v, want 1008", st)
		}
	})
	t.Run("ErrWrongSecret", func(t *testing.T) {
		b := e.dialChat(t)
		b.send(chatFrame{Type: "hello"})
		w := b.next("welcome", func(f chatFrame) bool { return f.Type == "welcome" })
		b2 := e.dialChat(t)
		b2.send(chatFrame{Type: "hello", Session: w.Session, Secret: "guess"})
		if st := b2.closed(); st != websocket.StatusPolicyViolation {
			t.Fatalf("closed with %v, want 1008", st)
		}
	})
	t.Run("ErrOversizedFrame", func(t *testing.T) {
		b := e.dialChat(t)
		b.send(chatFrame{Type: "hello"})
		b.next("welcome", func(f chatFrame) bool { return f.Type == "welcome" })
		b.send(chatFrame{Type: "msg", Body: strings.Repeat("x", 2000)})
		if st := b.closed(); st != websocket.StatusMessageTooBig {
			t.Fatalf("closed with %v, want 1009", st)
		}
		testutil.WaitFor(t, 10*time.Second, "the log line", func() bool {
			return strings.Contains(e.logs.String(), "a frame over the size limit")
		})
	})
	t.Run("ErrMalformedThenFlood", func(t *testing.T) {
		b := e.dialChat(t)
		b.send(chatFrame{Type: "hello"})
		b.next("welcome", func(f chatFrame) bool { return f.Type == "welcome" })
		b.ws.Write(context.Background(), websocket.MessageText, []byte("{not json"))
		b.next("the error", func(f chatFrame) bool { return f.Type == "error" && strings.Contains(f.Error, "could not be read") })
		for i := 0; i < 30; i++ {
			if err := b.ws.Write(context.Background(), websocket.MessageText, []byte(`{"type":"typing"}`)); err != nil {
				break
			}
		}
		if st := b.closed(); st != websocket.StatusPolicyViolation {
			t.Fatalf("closed with %v, want 1008", st)
		}
		if !strings.Contains(e.logs.String(), "too many refused frames") {
			t.Fatal("no log line for the flood")
		}
	})
}

// The chat page works without JavaScript: it says how else to reach 211,
// loads its script from a file (the CSP forbids inline script), and has a
// French version.
func TestChat_Page(t *testing.T) {
	e := MustStartEnv(t)
	get := func(path string) (string, http.Header) {
		resp, err := http.Get(e.http.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return string(b), resp.Header
	}
	page, h := get("/gateway/chat")
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("the chat page's CSP: %q", csp)
	}
	for _, want := range []string{`<html lang="en">`, "dial 2-1-1", `<script src="/gateway/chat.js" defer></script>`,
		`<form id="chat-form" hidden>`, `id="chat-nojs"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("the chat page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Fatal("the chat page has an inline script")
	}
	fr, _ := get("/gateway/chat?lang=fr")
	if !strings.Contains(fr, `<html lang="fr">`) || !strings.Contains(fr, "composez le 2-1-1") {
		t.Fatal("the French chat page is not in French")
	}
	js, h := get("/gateway/chat.js")
	if !strings.HasPrefix(h.Get("Content-Type"), "text/javascript") || !strings.Contains(js, `type: "hello"`) {
		t.Fatalf("chat.js: %s", h.Get("Content-Type"))
	}
}
