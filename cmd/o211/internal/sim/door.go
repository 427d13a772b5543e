package sim

import (
	"context"
	"fmt"
	"net/http"
	"net/smtp"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/o211/o211"
)

// door is how a person of one channel reaches a node: come (until the
// node has queued them), leave (out of patience; stay reports that a
// navigator had taken them meanwhile) and end (the navigator finished).
// gives says whether people of the channel give up.
type door struct {
	gives bool
	come  func(ctx context.Context, r *region, c *caller) error
	leave func(ctx context.Context, r *region, c *caller) (stay bool, err error)
	end   func(ctx context.Context, r *region, c *caller) error
}

var doors = map[string]door{
	string(o211.ChannelPhone): {gives: true, come: callIn, leave: hangUp, end: func(ctx context.Context, r *region, c *caller) error {
		_, err := hangUp(ctx, r, c)
		return err
	}},
	string(o211.ChannelText): {come: textIn, end: nothing},
	string(o211.ChannelChat): {gives: true, come: chatIn, leave: leaveChat, end: func(ctx context.Context, r *region, c *caller) error {
		_, err := leaveChat(ctx, r, c)
		return err
	}},
	string(o211.ChannelEmail): {come: mailIn, end: nothing},
	ChannelAPI:                {gives: true, come: enqueue, leave: abandon, end: nothing},
}

func nothing(context.Context, *region, *caller) error { return nil }

// callIn calls the centre's number through the phone network: the
// greeting's language digit (1 English, 2 French), then the postal code
// spoken, which queues the call (its item id is the CallSid).
func callIn(ctx context.Context, r *region, c *caller) error {
	st, err := r.t.Phone.Call(ctx, c.from, r.t.Number, r.t.URL+"/gateway/twilio/voice", r.t.URL+"/gateway/twilio/status")
	if err != nil {
		return err
	}
	r.setKey(c, "ref:"+st.SID)
	digit := "1"
	if c.language == "fr" {
		digit = "2"
	}
	if !st.Gathering {
		return fmt.Errorf("the greeting did not ask for a language (call %s)", st.Status)
	}
	if st, err = r.t.Phone.Press(ctx, st.SID, digit); err != nil {
		return err
	}
	if !st.Gathering {
		return fmt.Errorf("no postal code was asked for after the language (call %s)", st.Status)
	}
	c.since = time.Now()
	if st, err = r.t.Phone.Speak(ctx, st.SID, c.postal); err != nil {
		return err
	}
	if st.Queue == "" && st.Dialed == "" {
		return fmt.Errorf("the call was not queued after its postal code (call %s)", st.Status)
	}
	return nil
}

func hangUp(ctx context.Context, r *region, c *caller) (bool, error) {
	return false, r.t.Phone.Hangup(ctx, strings.TrimPrefix(c.key, "ref:"))
}

// textIn texts the centre's number: a first text in the person's
// language (the node asks for a postal code), then the postal code,
// which queues the conversation.
func textIn(ctx context.Context, r *region, c *caller) error {
	first := "Hello, I need help finding food and rent support."
	if c.language == "fr" {
		first = "Bonjour, j'ai besoin d'aide pour la nourriture et le logement."
	}
	sms := r.t.URL + "/gateway/twilio/sms"
	if _, err := r.t.Phone.Text(ctx, c.from, r.t.Number, first, sms); err != nil {
		return err
	}
	replies, err := r.t.Phone.Text(ctx, c.from, r.t.Number, c.postal, sms)
	if err != nil {
		return err
	}
	if len(replies) == 0 {
		return fmt.Errorf("no reply to the postal code: the text was not queued")
	}
	return nil
}

// chatFrame is the part of the chat protocol (node/gateway/chat.go) the
// simulator speaks.
type chatFrame struct {
	Type    string `json:"type"`
	Session string `json:"session,omitempty"`
	Lang    string `json:"lang,omitempty"`
	From    string `json:"from,omitempty"`
	Body    string `json:"body,omitempty"`
	CID     string `json:"cid,omitempty"`
	Error   string `json:"error,omitempty"`
}

// chatIn opens a web chat over the node's WebSocket: hello in the
// person's language, then the postal code, which queues it (its item id
// is the session). Frames after that are read and dropped.
func chatIn(ctx context.Context, r *region, c *caller) error {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(r.t.URL, "http")+"/gateway/chat", &websocket.DialOptions{HTTPClient: r.cfg.HTTP})
	if err != nil {
		return err
	}
	c.ws = ws
	if err := wsjson.Write(dctx, ws, chatFrame{Type: "hello", Lang: c.language}); err != nil {
		return err
	}
	var f chatFrame
	if err := wsjson.Read(dctx, ws, &f); err != nil || f.Type != "welcome" {
		return fmt.Errorf("no welcome to the hello (%v, %q %s)", err, f.Type, f.Error)
	}
	r.setKey(c, "id:"+f.Session)
	c.since = time.Now()
	if err := wsjson.Write(dctx, ws, chatFrame{Type: "msg", CID: "c1", Body: c.postal}); err != nil {
		return err
	}
	// Queued once the node answers after the person's own message.
	for echoed := false; ; {
		f = chatFrame{}
		if err := wsjson.Read(dctx, ws, &f); err != nil {
			return fmt.Errorf("waiting to be queued: %w", err)
		}
		switch {
		case f.Type == "error":
			return fmt.Errorf("the node refused the chat: %s", f.Error)
		case f.Type == "msg" && f.CID == "c1":
			echoed = true
		case f.Type == "msg" && f.From == "system" && echoed:
			go drain(ws)
			return nil
		}
	}
}

// drain reads a chat's frames until it closes.
func drain(ws *websocket.Conn) {
	for {
		if _, _, err := ws.Read(context.Background()); err != nil {
			return
		}
	}
}

func leaveChat(ctx context.Context, r *region, c *caller) (bool, error) {
	err := wsjson.Write(ctx, c.ws, chatFrame{Type: "leave"})
	c.ws.Close(websocket.StatusNormalClosure, "bye")
	return false, err
}

// mailIn e-mails the centre's mailbox over SMTP, the postal code in the
// text.
func mailIn(ctx context.Context, r *region, c *caller) error {
	body := "Hello, I need help finding food and rent support near " + c.postal + "."
	if c.language == "fr" {
		body = "Bonjour, j'ai besoin d'aide pour la nourriture et le logement près de " + c.postal + "."
	}
	sc, err := smtp.Dial(r.t.SMTP)
	if err != nil {
		return err
	}
	defer sc.Close()
	if err := sc.Hello("sim.example.org"); err != nil {
		return err
	}
	if err := sc.Mail(c.from); err != nil {
		return err
	}
	if err := sc.Rcpt(r.t.Mailbox); err != nil {
		return err
	}
	w, err := sc.Data()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "From: <%s>\r\nTo: <%s>\r\nSubject: Help\r\nMessage-ID: <%d.%s>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		c.from, r.t.Mailbox, c.n, c.from, body)
	if err := w.Close(); err != nil {
		return err
	}
	return sc.Quit()
}

// enqueue puts the contact in the queue through the queue API, as a
// program would (retried while the node restarts: the id makes it safe).
func enqueue(ctx context.Context, r *region, c *caller) error {
	it := map[string]any{"id": c.id, "channel": "phone", "language": c.language, "from": c.from}
	c.since = time.Now()
	if _, err := r.admin.do(ctx, "POST", "/api/v1/queue/items", it, nil); err != nil && statusOf(err) != http.StatusConflict {
		return err
	}
	return nil
}

// abandon takes the contact out of the queue if it still waits.
func abandon(ctx context.Context, r *region, c *caller) (bool, error) {
	_, err := r.admin.do(ctx, "POST", "/api/v1/queue/items/"+c.id+"/abandon", map[string]any{"reason": "hung up", "if_waiting": true}, nil)
	if statusOf(err) == http.StatusConflict {
		return true, nil
	}
	return false, err
}
