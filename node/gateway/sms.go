package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/o211/o211"
)

// maxTextRunes bounds a stored text (Twilio's concatenated limit).
const maxTextRunes = 1600

// handleSMS is the messaging webhook. A first text opens a conversation
// and asks for a postal code (unless it is one); the answer routes it
// into the queue; later texts join its transcript, where the navigator
// reads them.
func (g *Gateway) handleSMS(w http.ResponseWriter, r *http.Request, form url.Values) {
	from, body := form.Get("From"), form.Get("Body")
	if from == "" || form.Get("MessageSid") == "" {
		g.log.Warn("gateway: malformed SMS webhook: From and MessageSid are required")
		http.Error(w, "An SMS webhook needs From and MessageSid.", http.StatusBadRequest)
		return
	}
	if !utf8.ValidString(body) {
		g.log.Warn("gateway: SMS webhook refused: the body is not UTF-8", "from", clip(from, 20))
		http.Error(w, "The message body is not UTF-8.", http.StatusBadRequest)
		return
	}
	if utf8.RuneCountInString(body) > maxTextRunes {
		body = string([]rune(body)[:maxTextRunes])
	}
	reply, err := g.text(r.Context(), from, body, form.Get("MessageSid"))
	if err != nil {
		g.log.Error("gateway: an inbound text could not be recorded", "from", clip(from, 20), "err", err)
		http.Error(w, "The message could not be recorded.", http.StatusInternalServerError)
		return
	}
	if reply == "" {
		g.writeTwiML(w)
		return
	}
	g.writeTwiML(w, TextReply{Body: reply})
}

// text records an inbound text from a number (once per MessageSid: a
// retried webhook adds nothing) and returns the reply, if any.
func (g *Gateway) text(ctx context.Context, from, body, sid string) (string, error) {
	c, err := g.store.Open(o211.ChannelText, from)
	if errors.Is(err, ErrNotFound) {
		c = &Conversation{Channel: o211.ChannelText, Key: from, Region: g.cfg.Region, State: "postal",
			Language: guessLanguage(body)}
		if err := g.store.Create(c); err != nil {
			return "", err
		}
		if _, err := g.store.Append(c.ID, Message{From: "person", Body: body, CID: clip(sid, 64)}); err != nil {
			return "", err
		}
		if _, ok := routePostal(body); !ok {
			return say(c.Language, "sms.welcome"), nil
		}
		return g.queueText(ctx, c, body)
	} else if err != nil {
		return "", err
	}
	if c.State == "handed" {
		return "", g.relay(ctx, c, PeerContact{Messages: []Message{{From: "person", Body: body, CID: clip(sid, 64)}}})
	}
	if _, err := g.store.Append(c.ID, Message{From: "person", Body: body, CID: clip(sid, 64)}); err != nil {
		return "", err
	}
	if c.State != "postal" && c.State != "handing" {
		return "", g.requeue(ctx, c)
	}
	if strings.EqualFold(strings.TrimSpace(body), "fr") {
		g.store.Update(c.ID, func(c *Conversation) error { c.Language = "fr"; return nil })
		return say("fr", "sms.welcome"), nil
	}
	return g.queueText(ctx, c, body)
}

// queueText routes a text conversation by what the person answered (their
// postal code, else their area code) and queues it.
func (g *Gateway) queueText(ctx context.Context, c *Conversation, answer string) (string, error) {
	postal := answer
	if skipWord(answer) {
		postal = ""
	}
	queued, err := g.queueConversation(ctx, c, postal, c.Key)
	if err != nil || !queued {
		return "", err
	}
	return say(c.Language, "sms.queued"), nil
}
