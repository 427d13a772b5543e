package gateway

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
)

// maxWebhookBytes bounds a webhook's body; Twilio's are a few kilobytes.
const maxWebhookBytes = 64 << 10

// Routes mounts the webhooks, the chat and the conversations API on r:
//
//	POST /gateway/twilio/voice    the voice webhook (steps in the query)
//	POST /gateway/twilio/sms      the messaging webhook
//	POST /gateway/twilio/status   the call status callback
//	POST /gateway/twilio/transfer the status callback of a warm transfer's program leg
//	POST /gateway/peer/handoff    a contact another region's node hands over (handoff.go)
//	GET  /gateway/chat            the chat page, or the chat's WebSocket
//	GET  /gateway/chat.js         the chat's script
//	/api/v1/conversations/...     transcripts and replies (navigators)
func (g *Gateway) Routes(r chi.Router) {
	r.Post("/gateway/twilio/voice", g.webhook(g.handleVoice, true))
	r.Post("/gateway/twilio/sms", g.webhook(g.handleSMS, true))
	r.Post("/gateway/twilio/status", g.webhook(g.handleStatus, false))
	r.Post("/gateway/twilio/transfer", g.webhook(g.handleTransferStatus, false))
	r.Post("/gateway/peer/handoff", g.handlePeer)
	r.Get("/gateway/chat", g.handleChat)
	r.Get("/gateway/chat.js", g.handleChatJS)
	g.routesAPI(r)
}

// webhook checks a provider's webhook before h sees it: a form of bounded
// size, signed by the provider over the full URL, not seen before, and
// (limited) not one of a flood from one number. A refusal is logged with
// what was wrong and answered 4xx; the form is never echoed.
func (g *Gateway) webhook(h func(http.ResponseWriter, *http.Request, url.Values), limited bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if g.cfg.Provider == nil {
			http.Error(w, "The voice and text channels are not configured on this node.", http.StatusServiceUnavailable)
			return
		}
		form, ok := g.readForm(w, r)
		if !ok {
			return
		}
		full := g.fullURL(r)
		if err := g.cfg.Provider.Verify(full, form, r.Header); err != nil {
			g.log.Warn("gateway: webhook refused: its signature is missing or wrong", "path", r.URL.Path,
				"from", clip(form.Get("From"), 20), "remote", r.RemoteAddr)
			http.Error(w, "The request's signature is missing or wrong.", http.StatusForbidden)
			return
		}
		if base, _, ok := strings.Cut(full, "/gateway/twilio/"); ok && g.cfg.PublicURL == "" {
			g.lastBase.Store(&base)
		}
		keys, fresh := g.fresh(r, form)
		if !fresh {
			g.log.Warn("gateway: webhook refused: a replay of one already answered", "path", r.URL.Path,
				"sid", clip(form.Get("CallSid")+form.Get("MessageSid"), 40), "remote", r.RemoteAddr)
			http.Error(w, "This request was already received.", http.StatusForbidden)
			return
		}
		if to := form.Get("To"); limited && g.cfg.Number != "" && to != "" && to != g.cfg.Number {
			g.log.Warn("gateway: webhook refused: for a number that is not the centre's", "path", r.URL.Path, "to", clip(to, 20))
			http.Error(w, "This number is not served here.", http.StatusForbidden)
			return
		}
		if limited && !g.limits.Allow(form.Get("From")) {
			g.log.Warn("gateway: webhook refused: too many from one number", "path", r.URL.Path,
				"from", clip(form.Get("From"), 20))
			http.Error(w, "Too many requests from this number.", http.StatusTooManyRequests)
			return
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h(sw, r, form)
		if sw.status >= 500 {
			for _, k := range keys {
				g.replay.Forget(k) // Twilio's retry of a failed webhook is not a replay
			}
		}
	}
}

// statusWriter remembers the status of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// readForm reads a webhook's form-encoded body, answering 400 or 413 itself.
func (g *Gateway) readForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		g.log.Warn("gateway: webhook refused: not form-encoded", "path", r.URL.Path, "content_type", clip(ct, 40))
		http.Error(w, "A webhook's body must be form-encoded.", http.StatusUnsupportedMediaType)
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxWebhookBytes)
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		if strings.Contains(err.Error(), "too large") {
			status = http.StatusRequestEntityTooLarge
		}
		g.log.Warn("gateway: webhook refused: unreadable form", "path", r.URL.Path, "err", clip(err.Error(), 80))
		http.Error(w, "The webhook's form could not be read.", status)
		return nil, false
	}
	return r.PostForm, true
}

// fresh records a signed webhook and reports whether it is new: neither
// its signature with its call or message SID, nor its idempotency token,
// was seen within the replay window. It returns the keys it recorded.
func (g *Gateway) fresh(r *http.Request, form url.Values) ([]string, bool) {
	now := g.cfg.Now()
	sig := "sig\x00" + r.Header.Get(SignatureHeader) + "\x00" + form.Get("CallSid") + form.Get("MessageSid")
	if !g.replay.Add(sig, now) {
		return nil, false
	}
	keys := []string{sig}
	if tok := r.Header.Get(IdempotencyHeader); tok != "" {
		if !g.replay.Add("idem\x00"+tok, now) {
			g.replay.Forget(sig)
			return nil, false
		}
		keys = append(keys, "idem\x00"+tok)
	}
	return keys, true
}

// writeTwiML answers a TwiML document.
func (g *Gateway) writeTwiML(w http.ResponseWriter, verbs ...any) {
	b, err := TwiML{Verbs: verbs}.Marshal()
	if err != nil {
		g.log.Error("gateway: encoding TwiML", "err", err)
		http.Error(w, "The answer could not be written.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Write(b)
}
