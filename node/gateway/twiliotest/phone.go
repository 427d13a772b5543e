package twiliotest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The phone network: the callers' side of calls and texts over HTTP, so
// that a program in another process (`o211 sim` against the demo) places
// calls and sends texts through this stand-in, which signs the webhooks
// and knows the calls the node then connects through the REST API.
// Twilio has no such API (its callers are people on the telephone
// network); the requests need the account's credentials all the same.
//
//	POST /pstn/calls               From, To, Url (the number's voice webhook), StatusCallback
//	POST /pstn/calls/{sid}/press   Digits
//	POST /pstn/calls/{sid}/speak   SpeechResult
//	POST /pstn/calls/{sid}/hangup
//	POST /pstn/texts               From, To, Body, Url (the number's messaging webhook)
//
// A call's answer is CallState; a text's is the texts of the TwiML reply.

// CallState is a call as the phone network answers it.
type CallState struct {
	SID    string `json:"sid"`
	Status string `json:"status"`
	// Queue is the <Enqueue> queue the call waits in, or "".
	Queue string `json:"queue,omitempty"`
	// Gathering: a <Gather> waits for the caller's input.
	Gathering bool `json:"gathering"`
	// Dialed is whom the call was connected to, or "".
	Dialed string `json:"dialed,omitempty"`
}

func (c *Call) state() CallState {
	_, g := c.Gathering()
	return CallState{SID: c.SID, Status: c.Status(), Queue: c.Queue(), Gathering: g, Dialed: c.Dialed()}
}

// phoneNetwork mounts the phone network's routes.
func (s *Server) phoneNetwork(mux *http.ServeMux) {
	mux.HandleFunc("POST /pstn/calls", func(w http.ResponseWriter, r *http.Request) {
		if !s.checkPhone(w, r) {
			return
		}
		f := r.PostForm
		c, err := s.dial(r.Context(), f.Get("From"), f.Get("To"), f.Get("Url"), f.Get("StatusCallback"))
		s.answerCall(w, c, err)
	})
	mux.HandleFunc("POST /pstn/calls/{sid}/{action}", func(w http.ResponseWriter, r *http.Request) {
		if !s.checkPhone(w, r) {
			return
		}
		s.mu.Lock()
		c := s.calls[r.PathValue("sid")]
		s.mu.Unlock()
		if c == nil {
			s.fail(w, http.StatusNotFound, 20404, "no such call")
			return
		}
		var err error
		switch r.PathValue("action") {
		case "press":
			err = c.Press(r.Context(), r.PostForm.Get("Digits"))
		case "speak":
			err = c.Speak(r.Context(), r.PostForm.Get("SpeechResult"))
		case "hangup":
			err = c.Hangup(r.Context())
		default:
			s.fail(w, http.StatusNotFound, 20404, "a call can press, speak or hangup")
			return
		}
		s.answerCall(w, c, err)
	})
	mux.HandleFunc("POST /pstn/texts", func(w http.ResponseWriter, r *http.Request) {
		if !s.checkPhone(w, r) {
			return
		}
		f := r.PostForm
		doc, err := s.text(r.Context(), f.Get("Url"), f.Get("From"), f.Get("To"), f.Get("Body"))
		if err != nil {
			s.fail(w, http.StatusBadGateway, 11200, err.Error())
			return
		}
		var texts []string
		for _, n := range doc.Nodes {
			if n.XMLName.Local == "Message" {
				texts = append(texts, strings.TrimSpace(n.Text))
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"replies": texts})
	})
}

// checkPhone checks a phone network request as the REST API's (the
// credentials and the form), without an account in the path.
func (s *Server) checkPhone(w http.ResponseWriter, r *http.Request) bool {
	r.SetPathValue("account", s.cfg.AccountSID)
	return s.check(w, r)
}

func (s *Server) answerCall(w http.ResponseWriter, c *Call, err error) {
	if err != nil {
		s.fail(w, http.StatusBadGateway, 11200, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, c.state())
}

// Phone is a client of a stand-in's phone network, in another process.
type Phone struct {
	// URL is the stand-in's base URL (Server.URL); AccountSID and
	// AuthToken its account's credentials.
	URL, AccountSID, AuthToken string
	// Client sends the requests (default: 30 s timeout).
	Client *http.Client
}

// Call places a call from a caller to a number whose voice and status
// webhooks are given, and follows the node's answer as Server.Call does.
func (p *Phone) Call(ctx context.Context, from, to, voiceURL, statusURL string) (CallState, error) {
	var st CallState
	err := p.post(ctx, "/pstn/calls", url.Values{"From": {from}, "To": {to}, "Url": {voiceURL}, "StatusCallback": {statusURL}}, &st)
	return st, err
}

// Press sends keypad digits to the call's pending <Gather>.
func (p *Phone) Press(ctx context.Context, sid, digits string) (CallState, error) {
	var st CallState
	err := p.post(ctx, "/pstn/calls/"+url.PathEscape(sid)+"/press", url.Values{"Digits": {digits}}, &st)
	return st, err
}

// Speak sends what the caller says to the call's pending <Gather>.
func (p *Phone) Speak(ctx context.Context, sid, speech string) (CallState, error) {
	var st CallState
	err := p.post(ctx, "/pstn/calls/"+url.PathEscape(sid)+"/speak", url.Values{"SpeechResult": {speech}}, &st)
	return st, err
}

// Hangup ends the call by the caller (the status callback follows).
func (p *Phone) Hangup(ctx context.Context, sid string) error {
	return p.post(ctx, "/pstn/calls/"+url.PathEscape(sid)+"/hangup", url.Values{}, nil)
}

// Text sends a text to a number whose messaging webhook is smsURL and
// returns the texts the node answered with.
func (p *Phone) Text(ctx context.Context, from, to, body, smsURL string) ([]string, error) {
	var out struct {
		Replies []string `json:"replies"`
	}
	err := p.post(ctx, "/pstn/texts", url.Values{"From": {from}, "To": {to}, "Body": {body}, "Url": {smsURL}}, &out)
	return out.Replies, err
}

// phoneClient sends a Phone's requests when it names no client.
var phoneClient = &http.Client{Timeout: 30 * time.Second}

func (p *Phone) post(ctx context.Context, path string, form url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(p.URL, "/")+path, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.SetBasicAuth(p.AccountSID, p.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := cmp.Or(p.Client, phoneClient).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case err != nil:
		return err
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("twiliotest: phone network %s: HTTP %d: %.200s", path, resp.StatusCode, b)
	case out == nil:
		return nil
	}
	return json.Unmarshal(b, out)
}
