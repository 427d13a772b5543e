package twiliotest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Call is an inbound call from a caller to one of the account's numbers,
// as Twilio holds it: it follows the TwiML the node answers.
type Call struct {
	s                  *Server
	SID, From, To      string
	mu                 sync.Mutex
	status             string // ringing, in-progress, queued, completed
	queue              string // the <Enqueue> queue it waits in
	dialed             string // the <Dial> target it was connected to
	conf               string // the conference it was moved into
	heard              []Said
	gather, gatherLang string // the pending <Gather>'s action URL and language
	statusURL          string // the number's status callback when the call began
}

// Said is a <Say> the caller heard.
type Said struct{ Language, Text string }

// Call places a call from a caller to the number to and follows the
// node's answer until it waits for input, is queued, connected or hung up.
func (s *Server) Call(ctx context.Context, from, to string) (*Call, error) {
	voice, _, status := s.webhooks()
	return s.dial(ctx, from, to, voice, status)
}

// dial places a call whose number has the voice and status webhooks given.
func (s *Server) dial(ctx context.Context, from, to, voice, status string) (*Call, error) {
	c := &Call{s: s, SID: "CA" + randHex(16), From: from, To: to, status: "ringing", statusURL: status}
	s.mu.Lock()
	s.calls[c.SID] = c
	s.mu.Unlock()
	return c, c.fetch(ctx, voice, nil)
}

// Press sends keypad digits to the pending <Gather>.
func (c *Call) Press(ctx context.Context, digits string) error {
	return c.answer(ctx, url.Values{"Digits": {digits}, "FinishedOnKey": {""}})
}

// Speak sends a speech result to the pending <Gather>.
func (c *Call) Speak(ctx context.Context, speech string) error {
	return c.answer(ctx, url.Values{"SpeechResult": {speech}, "Confidence": {"0.92"}})
}

// Silence lets the pending <Gather> time out: Twilio goes on with the
// verbs after it.
func (c *Call) Silence(ctx context.Context) error {
	c.mu.Lock()
	action := c.gather
	c.gather = ""
	c.mu.Unlock()
	if action == "" {
		return fmt.Errorf("twiliotest: call %s has no <Gather> waiting", c.SID)
	}
	return c.fetch(ctx, action, url.Values{"Digits": {""}})
}

func (c *Call) answer(ctx context.Context, input url.Values) error {
	c.mu.Lock()
	action := c.gather
	c.gather = ""
	c.mu.Unlock()
	if action == "" {
		return fmt.Errorf("twiliotest: call %s has no <Gather> waiting", c.SID)
	}
	return c.fetch(ctx, action, input)
}

// Hangup ends the call by the caller and sends the status callback.
func (c *Call) Hangup(ctx context.Context) error {
	return c.end(ctx, "completed")
}

// end sets the call's final status and posts the status callback.
func (c *Call) end(ctx context.Context, status string) error {
	c.mu.Lock()
	c.status, c.conf = status, ""
	statusURL := c.statusURL
	c.mu.Unlock()
	c.s.leave(c.SID)
	if statusURL == "" {
		_, _, statusURL = c.s.webhooks()
	}
	if statusURL == "" {
		return nil
	}
	form := c.params()
	form.Set("CallDuration", "42")
	_, _, err := c.s.Webhook(ctx, statusURL, form, nil)
	return err
}

// Status returns the call's status: ringing, in-progress, queued,
// connected, completed.
func (c *Call) Status() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Queue returns the name of the queue the call waits in, or "".
func (c *Call) Queue() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queue
}

// Dialed returns whom the call was connected to (a <Dial>'s Client or
// Number), or "".
func (c *Call) Dialed() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dialed
}

// InConference returns the name of the conference the call is in, or "".
func (c *Call) InConference() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conf
}

// Heard returns what the caller heard, in order.
func (c *Call) Heard() []Said {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Said(nil), c.heard...)
}

// Gathering reports the language of the <Gather> waiting for input, and
// whether one is.
func (c *Call) Gathering() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gatherLang, c.gather != ""
}

// params are the parameters of every voice webhook of the call.
func (c *Call) params() url.Values {
	c.mu.Lock()
	defer c.mu.Unlock()
	return url.Values{"AccountSid": {c.s.cfg.AccountSID}, "ApiVersion": {"2010-04-01"}, "CallSid": {c.SID},
		"CallStatus": {c.status}, "Called": {c.To}, "Caller": {c.From}, "Direction": {"inbound"},
		"From": {c.From}, "To": {c.To}}
}

// fetch posts the call's webhook to u with extra parameters and carries
// out the TwiML answered.
func (c *Call) fetch(ctx context.Context, u string, extra url.Values) error {
	form := c.params()
	for k, v := range extra {
		form[k] = v
	}
	status, body, err := c.s.Webhook(ctx, u, form, nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("twiliotest: webhook %s answered %d: %.200s", u, status, body)
	}
	doc, err := parseTwiML(body)
	if err != nil {
		return fmt.Errorf("twiliotest: webhook %s: %w", u, err)
	}
	return c.run(ctx, u, doc)
}

// update carries out TwiML sent through the REST API.
func (c *Call) update(doc Node) error {
	c.mu.Lock()
	st := c.status
	c.mu.Unlock()
	if st == "completed" || st == "ringing" {
		return fmt.Errorf("Call is not in-progress. Cannot redirect.")
	}
	return c.run(context.Background(), "", doc)
}

// redirect fetches new TwiML from u (the REST API's Url).
func (c *Call) redirect(ctx context.Context, u string) error {
	if st := c.Status(); st == "completed" {
		return fmt.Errorf("Call is not in-progress. Cannot redirect.")
	}
	return c.fetch(ctx, u, nil)
}

// run carries out a document's verbs; base resolves relative URLs.
func (c *Call) run(ctx context.Context, base string, doc Node) error {
	c.mu.Lock()
	if c.status == "ringing" {
		c.status = "in-progress"
	}
	c.gather = ""
	left := c.conf != ""
	c.conf = ""
	c.mu.Unlock()
	if left {
		c.s.leave(c.SID) // new TwiML takes the call out of its conference
	}
	for _, v := range doc.Nodes {
		switch v.XMLName.Local {
		case "Say":
			c.say(v)
		case "Gather":
			return c.startGather(base, v)
		case "Enqueue":
			c.mu.Lock()
			c.status, c.queue = "queued", strings.TrimSpace(v.Text)
			c.mu.Unlock()
			return nil
		case "Redirect":
			return c.fetch(ctx, resolve(base, strings.TrimSpace(v.Text)), nil)
		case "Dial":
			return c.dial(v)
		case "Hangup":
			return c.end(ctx, "completed")
		default:
			return fmt.Errorf("twiliotest: unknown TwiML verb <%s>", v.XMLName.Local)
		}
	}
	return c.end(ctx, "completed") // Twilio hangs up at the end of a document
}

func (c *Call) say(v Node) {
	c.mu.Lock()
	c.heard = append(c.heard, Said{Language: v.Attr("language"), Text: strings.TrimSpace(v.Text)})
	c.mu.Unlock()
}

func (c *Call) startGather(base string, v Node) error {
	in := v.Attr("input")
	for _, f := range strings.Fields(in) {
		if f != "dtmf" && f != "speech" {
			return fmt.Errorf("twiliotest: <Gather input=%q>: not dtmf or speech", in)
		}
	}
	for _, n := range v.Nodes {
		if n.XMLName.Local != "Say" {
			return fmt.Errorf("twiliotest: <Gather> may not nest <%s>", n.XMLName.Local)
		}
		c.say(n)
	}
	action := v.Attr("action")
	if action == "" {
		action = base
	}
	c.mu.Lock()
	c.gather, c.gatherLang = resolve(base, action), v.Attr("language")
	c.mu.Unlock()
	return nil
}

func (c *Call) dial(v Node) error {
	var to string
	for _, n := range v.Nodes {
		if n.XMLName.Local == "Conference" {
			c.s.join(c, n)
			c.mu.Lock()
			c.status, c.dialed, c.queue, c.conf = "in-progress", "", "", strings.TrimSpace(n.Text)
			c.mu.Unlock()
			return nil
		}
		if n.XMLName.Local == "Client" || n.XMLName.Local == "Number" {
			to = strings.TrimSpace(n.Text)
		}
	}
	if to == "" {
		to = strings.TrimSpace(v.Text)
	}
	if to == "" {
		return fmt.Errorf("twiliotest: <Dial> names nobody")
	}
	c.mu.Lock()
	c.status, c.dialed, c.queue = "connected", to, ""
	c.mu.Unlock()
	return nil
}

// resolve resolves ref against base as Twilio resolves a relative URL.
func resolve(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil || base == "" {
		return ref
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return b.ResolveReference(r).String()
}

// Text sends a text from a person to one of the account's numbers and
// returns the TwiML the node answered.
func (s *Server) Text(ctx context.Context, from, to, body string) (Node, error) {
	_, smsURL, _ := s.webhooks()
	return s.text(ctx, smsURL, from, to, body)
}

// text sends a text to a number whose messaging webhook is smsURL.
func (s *Server) text(ctx context.Context, smsURL, from, to, body string) (Node, error) {
	form := url.Values{"AccountSid": {s.cfg.AccountSID}, "ApiVersion": {"2010-04-01"}, "Body": {body},
		"From": {from}, "To": {to}, "MessageSid": {"SM" + randHex(16)}, "NumMedia": {"0"}, "NumSegments": {"1"}}
	form.Set("SmsSid", form.Get("MessageSid"))
	form.Set("SmsMessageSid", form.Get("MessageSid"))
	status, b, err := s.Webhook(ctx, smsURL, form, nil)
	if err != nil {
		return Node{}, err
	}
	if status != http.StatusOK {
		return Node{}, fmt.Errorf("twiliotest: SMS webhook answered %d: %.200s", status, b)
	}
	return parseTwiML(b)
}

// Webhook posts a webhook to u, signed as Twilio signs it, with a fresh
// I-Twilio-Idempotency-Token; h, when given, adds or replaces headers
// (tests forge or replay with it). It returns the status and body.
func (s *Server) Webhook(ctx context.Context, u string, form url.Values, h http.Header) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	req.Header.Set("X-Twilio-Signature", Sign(s.cfg.AuthToken, u, form))
	req.Header.Set("I-Twilio-Idempotency-Token", randHex(16))
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}
