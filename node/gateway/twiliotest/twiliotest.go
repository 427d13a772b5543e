// Package twiliotest is a Twilio stand-in on loopback for tests: a REST
// API server that checks every request the way Twilio does (HTTP basic
// auth with the account SID and auth token, the account in the path,
// form-encoded bodies with the required fields, known calls and numbers;
// conferences and their participants, with the dialled legs' status
// callbacks)
// and a caller that sends the voice, text and status webhooks of a phone
// number to a node, signed with the auth token as Twilio signs them, and
// follows the TwiML the node answers.
package twiliotest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Config configures a Server.
type Config struct {
	// AccountSID and AuthToken are the account's credentials (defaults: a
	// random SID and token).
	AccountSID, AuthToken string
	// Numbers are the account's phone numbers: a text may only be sent
	// from one of them.
	Numbers []string
	// VoiceURL, SMSURL and StatusURL are the webhooks configured on the
	// numbers (the node's /gateway/twilio/... URLs).
	VoiceURL, SMSURL, StatusURL string
	// Client sends the webhooks (default: a client with a 10 s timeout).
	Client *http.Client
}

// Server is a Twilio stand-in listening on loopback. It is safe for
// concurrent use.
type Server struct {
	cfg Config
	srv *http.Server
	ln  net.Listener

	mu       sync.Mutex
	calls    map[string]*Call
	messages []SentMessage
	refused  []string
	confs    map[string]*conference // by friendly name
	outcomes map[string]Outcome
	wg       sync.WaitGroup // the legs ringing
}

// SentMessage is a text that the account sent through the REST API.
type SentMessage struct {
	SID, From, To, Body string
}

// NewServer starts a server on 127.0.0.1:0. Close stops it.
func NewServer(cfg Config) (*Server, error) {
	if cfg.AccountSID == "" {
		cfg.AccountSID = "AC" + randHex(16)
	}
	if cfg.AuthToken == "" {
		cfg.AuthToken = randHex(16)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, ln: ln, calls: make(map[string]*Call), confs: make(map[string]*conference)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{account}/Calls/{call}", s.updateCall)
	mux.HandleFunc("POST /2010-04-01/Accounts/{account}/Messages.json", s.createMessage)
	mux.HandleFunc("POST /2010-04-01/Accounts/{account}/Conferences/{conf}/Participants.json", s.createParticipant)
	mux.HandleFunc("DELETE /2010-04-01/Accounts/{account}/Conferences/{conf}/Participants/{part}", s.deleteParticipant)
	s.phoneNetwork(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// SetWebhooks sets the numbers' voice, messaging and status webhooks.
func (s *Server) SetWebhooks(voice, sms, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.VoiceURL, s.cfg.SMSURL, s.cfg.StatusURL = voice, sms, status
}

// webhooks returns the numbers' voice, messaging and status webhooks.
func (s *Server) webhooks() (voice, sms, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.VoiceURL, s.cfg.SMSURL, s.cfg.StatusURL
}

// URL returns the REST API's base URL (Twilio's https://api.twilio.com).
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// AccountSID returns the account's SID.
func (s *Server) AccountSID() string { return s.cfg.AccountSID }

// AuthToken returns the account's auth token.
func (s *Server) AuthToken() string { return s.cfg.AuthToken }

// Close stops the server once the legs it is dialling have rung.
func (s *Server) Close() error {
	err := s.srv.Close()
	s.wg.Wait()
	return err
}

// Messages returns the texts sent so far, oldest first.
func (s *Server) Messages() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentMessage(nil), s.messages...)
}

// Refused returns why each refused REST request was refused.
func (s *Server) Refused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refused...)
}

// fail answers as Twilio does: a JSON error with its code, and remembers it.
func (s *Server) fail(w http.ResponseWriter, status, code int, msg string) {
	s.mu.Lock()
	s.refused = append(s.refused, fmt.Sprintf("%d %d %s", status, code, msg))
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg, "status": status,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code)})
}

// check checks the credentials, the account of the path and the form of a
// REST request; it answers the refusal itself and returns false.
func (s *Server) check(w http.ResponseWriter, r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok || user != s.cfg.AccountSID || pass != s.cfg.AuthToken {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		s.fail(w, http.StatusUnauthorized, 20003, "Authenticate")
		return false
	}
	if r.PathValue("account") != s.cfg.AccountSID {
		s.fail(w, http.StatusForbidden, 20003, "the account in the path is not the credential's")
		return false
	}
	if r.Method == http.MethodDelete {
		return true
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		s.fail(w, http.StatusBadRequest, 20001, "the body must be form-encoded, not "+ct)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, http.StatusBadRequest, 20001, "unreadable form: "+err.Error())
		return false
	}
	return true
}

// createMessage is POST .../Messages.json.
func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) {
	if !s.check(w, r) {
		return
	}
	m := SentMessage{SID: "SM" + randHex(16), From: r.PostForm.Get("From"), To: r.PostForm.Get("To"), Body: r.PostForm.Get("Body")}
	switch {
	case m.To == "":
		s.fail(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case !e164(m.To):
		s.fail(w, http.StatusBadRequest, 21211, "The 'To' number "+m.To+" is not a valid phone number.")
		return
	case !s.ownNumber(m.From):
		s.fail(w, http.StatusBadRequest, 21606, "The From phone number "+m.From+" is not a valid, SMS-capable inbound phone number for your account.")
		return
	case m.Body == "":
		s.fail(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	case len([]rune(m.Body)) > 1600:
		s.fail(w, http.StatusBadRequest, 21617, "The concatenated message body exceeds the 1600 character limit.")
		return
	}
	s.mu.Lock()
	s.messages = append(s.messages, m)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"sid": m.SID, "account_sid": s.cfg.AccountSID, "from": m.From,
		"to": m.To, "body": m.Body, "status": "queued", "direction": "outbound-api", "api_version": "2010-04-01"})
}

// updateCall is POST .../Calls/{CallSid}.json: new TwiML (Twiml) or a URL
// (Url) for a call in progress.
func (s *Server) updateCall(w http.ResponseWriter, r *http.Request) {
	if !s.check(w, r) {
		return
	}
	sid, ok := strings.CutSuffix(r.PathValue("call"), ".json")
	s.mu.Lock()
	c := s.calls[sid]
	s.mu.Unlock()
	if !ok || c == nil {
		s.fail(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	twiml, u := r.PostForm.Get("Twiml"), r.PostForm.Get("Url")
	if twiml == "" && u == "" {
		s.fail(w, http.StatusBadRequest, 21205, "Url or Twiml is required")
		return
	}
	if twiml != "" {
		doc, err := parseTwiML([]byte(twiml))
		if err != nil {
			s.fail(w, http.StatusBadRequest, 12100, "Document parse failure: "+err.Error())
			return
		}
		if err := c.update(doc); err != nil {
			s.fail(w, http.StatusBadRequest, 21220, err.Error())
			return
		}
	} else if err := c.redirect(r.Context(), u); err != nil {
		s.fail(w, http.StatusBadRequest, 21220, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sid": sid, "account_sid": s.cfg.AccountSID, "status": c.Status()})
}

func (s *Server) ownNumber(n string) bool {
	for _, x := range s.cfg.Numbers {
		if x == n {
			return true
		}
	}
	return false
}

// e164 reports whether n is a phone number in E.164 form (+ and 8 to 15
// digits).
func e164(n string) bool {
	if len(n) < 9 || len(n) > 16 || n[0] != '+' {
		return false
	}
	for _, c := range n[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Node is one element of a TwiML document.
type Node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []Node     `xml:",any"`
}

// Attr returns the attribute name's value, or "".
func (n Node) Attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// parseTwiML parses a TwiML document; its root must be <Response>.
func parseTwiML(b []byte) (Node, error) {
	var doc Node
	if err := xml.Unmarshal(b, &doc); err != nil {
		return Node{}, err
	}
	if doc.XMLName.Local != "Response" {
		return Node{}, fmt.Errorf("the root element is <%s>, not <Response>", doc.XMLName.Local)
	}
	return doc, nil
}
