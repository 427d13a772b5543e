package gateway

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/o211/o211"
	"github.com/o211/o211/node/queue"
)

// The chat protocol: JSON text frames over the WebSocket at /gateway/chat.
//
//	browser -> node
//	  {"type":"hello","session":"","secret":"","last":0,"lang":"fr"}   first frame; resume with session, secret, last seen seq
//	  {"type":"msg","cid":"c1","body":"..."}                          a message (cid: the browser's id; sent again after a reconnection, stored once)
//	  {"type":"typing"}   {"type":"read","seq":7}   {"type":"leave"}
//	node -> browser
//	  {"type":"welcome","session":"...","secret":"...","seq":7}       the conversation's last seq
//	  {"type":"msg","seq":8,"from":"person|navigator|system","body":"...","at":"...","cid":"c1"}
//	  {"type":"typing","from":"navigator"}  {"type":"read","from":"navigator","seq":8}  {"type":"end"}
//	  {"type":"error","error":"..."}
//
// Messages reach a browser in sequence order without gaps: each
// connection's writer fills a gap from the transcript before a message
// that skips ahead, and drops what the browser has seen. A browser that
// reconnects says the last seq it saw and gets the rest.

// ChatLimits bounds the chat.
type ChatLimits struct {
	// MaxFrame is the largest frame read, in bytes (default 8 KiB); a
	// larger one closes the connection (1009).
	MaxFrame int64
	// PerSecond and Burst limit the frames of one connection (default 5 a
	// second, bursts of 20); frames over it are refused with an error
	// frame, and Strikes of them (default 50) close the connection (1008).
	PerSecond float64
	Burst     int
	Strikes   int
	// MaxRunes bounds a message (default 2000 characters).
	MaxRunes int
	// Hello is how long a new connection may take to say hello (10 s).
	Hello time.Duration
	// Grace is how long a queued chat may stay without a connection (the
	// browser closed, the network gone) before it is abandoned (2 min).
	Grace time.Duration
}

func (l *ChatLimits) fill() {
	if l.MaxFrame <= 0 {
		l.MaxFrame = 8 << 10
	}
	if l.PerSecond <= 0 {
		l.PerSecond = 5
	}
	if l.Burst <= 0 {
		l.Burst = 20
	}
	if l.Strikes <= 0 {
		l.Strikes = 50
	}
	if l.MaxRunes <= 0 {
		l.MaxRunes = 2000
	}
	if l.Hello <= 0 {
		l.Hello = 10 * time.Second
	}
	if l.Grace <= 0 {
		l.Grace = 2 * time.Minute
	}
}

// frame is one chat frame, either way.
type frame struct {
	Type    string     `json:"type"`
	Session string     `json:"session,omitempty"`
	Secret  string     `json:"secret,omitempty"`
	Last    uint64     `json:"last,omitempty"`
	Lang    string     `json:"lang,omitempty"`
	Seq     uint64     `json:"seq,omitempty"`
	From    string     `json:"from,omitempty"`
	Body    string     `json:"body,omitempty"`
	CID     string     `json:"cid,omitempty"`
	At      *time.Time `json:"at,omitempty"`
	Error   string     `json:"error,omitempty"`
	URL     string     `json:"url,omitempty"` // moved: the chat's new WebSocket URL
	// fill asks a connection's writer for the transcript up to Seq.
	fill bool
}

// chatHub knows the open connections of each conversation and whether
// its person is typing. It is safe for concurrent use.
type chatHub struct {
	mu     sync.Mutex
	conns  map[string]map[*chatConn]bool
	typing map[string]time.Time // conversation -> typing until
	closed bool
}

func newChatHub() *chatHub {
	return &chatHub{conns: make(map[string]map[*chatConn]bool), typing: make(map[string]time.Time)}
}

// chatConn is one browser connection; its writer owns the WebSocket's
// writes.
type chatConn struct {
	ws   *websocket.Conn
	out  chan frame
	once sync.Once
}

// send queues a frame; a connection too slow to take it is closed (the
// browser reconnects and resumes from the last seq it saw).
func (c *chatConn) send(f frame) {
	select {
	case c.out <- f:
	default:
		c.once.Do(func() { c.ws.Close(websocket.StatusTryAgainLater, "too slow; reconnect") })
	}
}

func (h *chatHub) add(id string, c *chatConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	if h.conns[id] == nil {
		h.conns[id] = make(map[*chatConn]bool)
	}
	h.conns[id][c] = true
	return true
}

// remove forgets a connection and reports whether it was the
// conversation's last.
func (h *chatHub) remove(id string, c *chatConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns[id], c)
	if len(h.conns[id]) == 0 {
		delete(h.conns, id)
		delete(h.typing, id)
		return true
	}
	return false
}

// connected reports whether a conversation has a connection, and whether
// the hub is open.
func (h *chatHub) connected(id string) (bool, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns[id]) > 0, !h.closed
}

// deliver sends a frame to every connection of a conversation.
func (h *chatHub) deliver(id string, f frame) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns[id] {
		c.send(f)
	}
}

func (h *chatHub) setTyping(id string, until time.Time) {
	h.mu.Lock()
	h.typing[id] = until
	h.mu.Unlock()
}

func (h *chatHub) isTyping(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return time.Now().Before(h.typing[id])
}

// Sessions returns how many chat connections are open.
func (g *Gateway) Sessions() int {
	g.chat.mu.Lock()
	defer g.chat.mu.Unlock()
	n := 0
	for _, cs := range g.chat.conns {
		n += len(cs)
	}
	return n
}

func (h *chatHub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, cs := range h.conns {
		for c := range cs {
			c.ws.Close(websocket.StatusGoingAway, "the node is stopping")
		}
	}
}

// serveChat runs one chat connection until it closes.
func (g *Gateway) serveChat(ctx context.Context, ws *websocket.Conn, remote string) {
	defer ws.CloseNow()
	ws.SetReadLimit(g.cfg.Chat.MaxFrame)
	hctx, cancel := context.WithTimeout(ctx, g.cfg.Chat.Hello)
	hello, err := readFrame(hctx, ws)
	cancel()
	if err != nil || hello.Type != "hello" {
		g.log.Warn("gateway: chat refused: no hello frame", "remote", remote, "err", errText(err))
		ws.Close(websocket.StatusPolicyViolation, "the first frame must be a hello")
		return
	}
	c, err := g.chatHello(hello)
	if err != nil {
		g.log.Warn("gateway: chat refused: unknown session or wrong secret", "remote", remote)
		ws.Close(websocket.StatusPolicyViolation, "unknown session")
		return
	}
	cc := &chatConn{ws: ws, out: make(chan frame, 256)}
	if !g.chat.add(c.ID, cc) {
		return
	}
	defer func() {
		if g.chat.remove(c.ID, cc) {
			time.AfterFunc(g.cfg.Chat.Grace, func() { g.chatGone(c.ID) })
		}
	}()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	last := min(hello.Last, c.Seq)
	go func() { defer close(done); g.chatWriter(wctx, cc, c.ID, last) }()
	cc.send(frame{Type: "welcome", Session: c.ID, Secret: c.Secret, Seq: c.Seq})
	if last < c.Seq {
		cc.send(frame{Type: "msg", Seq: c.Seq, fill: true})
	}
	if c.State == "ended" {
		cc.send(frame{Type: "end"})
	}
	if c.Moved != nil {
		cc.send(moveFrame(c.Moved))
	}
	g.chatReader(ctx, cc, c, remote)
	stop()
	<-done
}

// chatHello opens a new conversation or resumes one.
func (g *Gateway) chatHello(f frame) (*Conversation, error) {
	if f.Session == "" {
		lang := "en"
		if f.Lang == "fr" {
			lang = "fr"
		}
		c := &Conversation{ID: newID("ch_"), Channel: o211.ChannelChat, Region: g.cfg.Region, Language: lang,
			State: "postal", Secret: newID("")}
		c.Key = c.ID
		if err := g.store.Create(c); err != nil {
			return nil, err
		}
		m, err := g.store.Append(c.ID, Message{From: "system", Body: say(lang, "chat.ask")})
		c.Seq = m.Seq
		return c, err
	}
	c, err := g.store.Get(f.Session)
	if err != nil || c.Channel != o211.ChannelChat || !hmac.Equal([]byte(c.Secret), []byte(f.Secret)) {
		return nil, errors.New("unknown session")
	}
	return c, nil
}

// chatWriter writes the connection's frames, in seq order without gaps.
func (g *Gateway) chatWriter(ctx context.Context, cc *chatConn, id string, sent uint64) {
	for {
		var f frame
		select {
		case <-ctx.Done():
			return
		case f = <-cc.out:
		}
		batch := []frame{f}
		if f.Type == "msg" {
			if f.Seq <= sent {
				continue
			}
			if f.fill || f.Seq > sent+1 {
				if batch = g.fillGap(id, sent, f); len(batch) == 0 {
					continue
				}
			}
			sent = batch[len(batch)-1].Seq
		}
		for _, f := range batch {
			if err := writeFrame(ctx, cc.ws, f); err != nil {
				cc.ws.CloseNow()
				return
			}
		}
	}
}

// fillGap returns the messages after sent up to f, from the transcript.
func (g *Gateway) fillGap(id string, sent uint64, f frame) []frame {
	msgs, err := g.store.Messages(id, sent, int(min(f.Seq-sent, 1000)))
	if err != nil {
		g.log.Error("gateway: reading a chat transcript", "conversation", id, "err", err)
		return []frame{f}
	}
	out := make([]frame, 0, len(msgs))
	for _, m := range msgs {
		if m.Seq <= f.Seq {
			at := m.At
			out = append(out, frame{Type: "msg", Seq: m.Seq, From: m.From, Body: m.Body, At: &at, CID: m.CID})
		}
	}
	if !f.fill && (len(out) == 0 || out[len(out)-1].Seq != f.Seq) {
		out = append(out, f)
	}
	return out
}

// chatReader reads the browser's frames until the connection closes.
func (g *Gateway) chatReader(ctx context.Context, cc *chatConn, c *Conversation, remote string) {
	lim := rate.NewLimiter(rate.Limit(g.cfg.Chat.PerSecond), g.cfg.Chat.Burst)
	strikes := 0
	for {
		f, err := readFrame(ctx, cc.ws)
		var bad *badFrame
		switch {
		case errors.As(err, &bad):
			strikes++
			cc.send(frame{Type: "error", Error: "That frame could not be read: " + bad.msg})
		case err != nil:
			if errors.Is(err, websocket.ErrMessageTooBig) {
				g.log.Warn("gateway: chat closed: a frame over the size limit", "conversation", c.ID, "remote", remote,
					"limit", g.cfg.Chat.MaxFrame)
			}
			return
		case !lim.Allow():
			strikes++
			cc.send(frame{Type: "error", Error: "You are sending too fast; that frame was not taken."})
		default:
			if g.chatFrame(ctx, cc, c.ID, f) {
				return
			}
		}
		if strikes >= g.cfg.Chat.Strikes {
			g.log.Warn("gateway: chat closed: too many refused frames (flood or malformed)", "conversation", c.ID,
				"remote", remote, "strikes", strikes)
			cc.ws.Close(websocket.StatusPolicyViolation, "too many refused frames")
			return
		}
	}
}

// chatFrame handles one frame from the browser; it reports whether the
// conversation is over.
func (g *Gateway) chatFrame(ctx context.Context, cc *chatConn, id string, f frame) bool {
	switch f.Type {
	case "msg":
		g.chatMessage(ctx, cc, id, f)
	case "typing":
		g.chat.setTyping(id, time.Now().Add(5*time.Second))
	case "read":
		g.store.Update(id, func(c *Conversation) error { c.ReadPerson = max(c.ReadPerson, min(f.Seq, c.Seq)); return nil })
	case "leave":
		g.leave(ctx, id, "left the chat")
		cc.ws.Close(websocket.StatusNormalClosure, "")
		return true
	default:
		cc.send(frame{Type: "error", Error: "Unknown frame type " + clip(f.Type, 20) + "."})
	}
	return false
}

// chatMessage stores a browser's message (once per cid) and, while the
// conversation waits for a postal code, routes and queues it.
func (g *Gateway) chatMessage(ctx context.Context, cc *chatConn, id string, f frame) {
	body := strings.TrimSpace(f.Body)
	if body == "" || !utf8.ValidString(body) || utf8.RuneCountInString(body) > g.cfg.Chat.MaxRunes || len(f.CID) > 64 {
		cc.send(frame{Type: "error", Error: "A message has 1 to 2000 characters.", CID: clip(f.CID, 64)})
		return
	}
	c, err := g.store.Get(id)
	if err != nil {
		cc.send(frame{Type: "error", Error: "This conversation is over."})
		return
	}
	if c.Moved != nil {
		cc.send(moveFrame(c.Moved))
		return
	}
	if _, err := g.post(c, Message{From: "person", Body: body, CID: f.CID}); err != nil {
		g.log.Error("gateway: storing a chat message", "conversation", id, "err", err)
		cc.send(frame{Type: "error", Error: "Your message could not be saved; it will be sent again.", CID: f.CID})
		return
	}
	if c.State == "connected" {
		if err := g.requeue(ctx, c); err != nil {
			g.log.Error("gateway: queueing a chat again", "conversation", id, "err", err)
		}
		return
	}
	if c.State != "postal" && c.State != "handing" {
		return
	}
	postal := body
	if skipWord(body) {
		postal = ""
	}
	queued, err := g.queueConversation(ctx, c, postal, "")
	if err != nil {
		g.log.Error("gateway: queueing a chat", "conversation", id, "err", err)
		cc.send(frame{Type: "error", Error: "We could not reach a navigator just now; send your message again in a moment."})
		return
	}
	if queued {
		g.post(c, Message{From: "system", Body: say(c.Language, "chat.queued")})
	}
}

// errNotAsking is returned inside an update when a conversation no longer
// waits for a postal code (another message queued it first).
var errNotAsking = errors.New("gateway: the conversation is queued already")

// queueConversation routes a conversation by the postal code given (and
// the number, for a text) and puts it in the queue, once: it reports
// false when another message had queued it already.
func (g *Gateway) queueConversation(ctx context.Context, c *Conversation, postal, phone string) (bool, error) {
	rt := g.cfg.Router.Route(postal, phone)
	if handed, err := g.handOffConversation(ctx, c, &rt); handed || err != nil {
		return false, err
	}
	return g.queueRouted(ctx, c, g.here(rt))
}

// queueRouted queues a conversation that waits for its postal code in
// this region by the route rt, once (false: another message queued it
// first).
func (g *Gateway) queueRouted(ctx context.Context, c *Conversation, rt Route) (bool, error) {
	c, err := g.store.Update(c.ID, func(c *Conversation) error {
		if c.State != "postal" && c.State != "handing" {
			return errNotAsking
		}
		c.Postal, c.RoutedBy, c.Region, c.State, c.ItemID = rt.Postal, rt.RoutedBy, rt.Region, "waiting", c.ID
		return nil
	})
	if errors.Is(err, errNotAsking) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	_, err = g.enqueue(ctx, c, queue.Item{Region: rt.Region, Channel: c.Channel, Language: c.Language,
		From: c.Key, RoutedBy: rt.RoutedBy, Postal: rt.Postal, Ref: c.ID})
	if err != nil {
		g.store.Update(c.ID, func(c *Conversation) error { c.State, c.ItemID = "postal", ""; return nil })
		return false, err
	}
	return true, nil
}

// leave ends a conversation the person left; its item is abandoned if it
// still waits.
func (g *Gateway) leave(ctx context.Context, id, why string) {
	var item string
	if _, err := g.store.Update(id, func(c *Conversation) error { item, c.State = c.ItemID, "ended"; return nil }); err != nil {
		g.log.Error("gateway: ending a conversation", "conversation", id, "err", err)
		return
	}
	if item == "" {
		return
	}
	if err := g.cfg.Queue.AbandonIfWaiting(ctx, item, why); err != nil && o211.ErrorCode(err) != o211.ECONFLICT {
		g.log.Error("gateway: abandoning a conversation in the queue", "item", item, "err", err)
	}
}

// itemLive reports whether an item still waits or a navigator has it.
func (g *Gateway) itemLive(ctx context.Context, id string) bool {
	if _, ok := g.cfg.Queue.Waiting(ctx, id); ok {
		return true
	}
	for _, n := range g.cfg.Queue.Snapshot().Navigators {
		for _, it := range g.cfg.Queue.Mine(n.ID) {
			if it.ID == id {
				return true
			}
		}
	}
	return false
}

// requeue puts a conversation whose navigator has finished with it back
// in the queue when the person writes again (a text or an e-mail days
// later), as a new item with the same route.
func (g *Gateway) requeue(ctx context.Context, c *Conversation) error {
	if c.State != "connected" || g.itemLive(ctx, c.ItemID) {
		return nil
	}
	c, err := g.store.Update(c.ID, func(c *Conversation) error {
		if c.State != "connected" {
			return errNotAsking
		}
		c.State, c.Navigator, c.ItemID = "waiting", "", c.ID+"-"+strconv.FormatUint(c.Seq, 10)
		return nil
	})
	if errors.Is(err, errNotAsking) {
		return nil
	} else if err != nil {
		return err
	}
	g.log.Info("gateway: a conversation written to again after its navigator finished is queued again", "conversation", c.ID)
	_, err = g.enqueue(ctx, c, queue.Item{Region: c.Region, Channel: c.Channel, Language: c.Language,
		From: c.Key, RoutedBy: c.RoutedBy, Postal: c.Postal, Ref: c.ID})
	return err
}

// chatGone abandons a chat still waiting in the queue whose browser has
// not come back within the grace period.
func (g *Gateway) chatGone(id string) {
	if conn, open := g.chat.connected(id); conn || !open {
		return
	}
	c, err := g.store.Get(id)
	if err != nil || c.State != "waiting" {
		return
	}
	g.log.Info("gateway: a queued chat abandoned: no connection within the grace period", "conversation", id,
		"grace", g.cfg.Chat.Grace)
	g.leave(context.Background(), id, "left the chat (no connection for "+g.cfg.Chat.Grace.String()+")")
}

// badFrame is a frame that is not a JSON chat frame.
type badFrame struct{ msg string }

func (e *badFrame) Error() string { return "gateway: bad chat frame: " + e.msg }

// readFrame reads one frame; a binary or unreadable one is a *badFrame.
func readFrame(ctx context.Context, ws *websocket.Conn) (frame, error) {
	typ, b, err := ws.Read(ctx)
	if err != nil {
		return frame{}, err
	}
	return parseFrame(typ, b)
}

// parseFrame decodes a frame's bytes.
func parseFrame(typ websocket.MessageType, b []byte) (frame, error) {
	var f frame
	if typ != websocket.MessageText {
		return f, &badFrame{"frames are JSON text"}
	}
	if !utf8.Valid(b) {
		return f, &badFrame{"not UTF-8"}
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, &badFrame{"not a JSON object"}
	}
	return f, nil
}

func writeFrame(ctx context.Context, ws *websocket.Conn, f frame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return ws.Write(ctx, websocket.MessageText, b)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return clip(err.Error(), 80)
}
