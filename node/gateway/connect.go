package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/queue"
)

var _ queue.Connector = (*Gateway)(nil)

// Connect brings a navigator who accepted an item together with the
// person: a held call is connected through the provider; a text, chat or
// e-mail conversation becomes the navigator's (the person is told on a
// text or a chat). An item the gateway does not hold (enqueued by another
// program through the queue's API) needs nothing from it.
func (g *Gateway) Connect(ctx context.Context, it queue.Item, navigator string) error {
	if it.Channel == o211.ChannelPhone {
		return g.connectCall(ctx, it, navigator)
	}
	c, err := g.store.Update(it.Ref, func(c *Conversation) error {
		if c.State == "ended" {
			return o211.Errorf(o211.ECONFLICT, "the conversation has ended")
		}
		c.State, c.Navigator = "connected", navigator
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("gateway: connect %s conversation %s: %w", it.Channel, clip(it.Ref, 40), err)
	}
	switch c.Channel {
	case o211.ChannelText:
		return g.sendText(ctx, c, "system", say(c.Language, "connected"))
	case o211.ChannelChat:
		_, err := g.post(c, Message{From: "system", Body: say(c.Language, "connected")})
		return err
	}
	return nil
}

// connectCall connects a call the gateway queued to the navigator.
func (g *Gateway) connectCall(ctx context.Context, it queue.Item, navigator string) error {
	c, err := g.store.Open(o211.ChannelPhone, it.Ref)
	if errors.Is(err, ErrNotFound) || it.Ref == "" {
		return nil
	} else if err != nil {
		return err
	}
	if g.cfg.Provider == nil {
		return errors.New("gateway: no provider to connect the call")
	}
	if err := g.cfg.Provider.ConnectCall(ctx, it.Ref, navigator); err != nil {
		return err
	}
	_, err = g.store.Update(c.ID, func(c *Conversation) error { c.State, c.Navigator = "connected", navigator; return nil })
	return err
}

// post stores a message and delivers it to the chat's connections and
// everyone watching the conversation.
func (g *Gateway) post(c *Conversation, m Message) (Message, error) {
	m, err := g.store.Append(c.ID, m)
	if err != nil {
		return m, err
	}
	g.chat.deliver(c.ID, frame{Type: "msg", Seq: m.Seq, From: m.From, Body: m.Body, At: &m.At, CID: m.CID})
	return m, nil
}

// sendText sends a text to the person through the provider and stores it
// (from "navigator" or "system").
func (g *Gateway) sendText(ctx context.Context, c *Conversation, from, body string) error {
	if g.cfg.Provider == nil {
		return errors.New("gateway: no provider to send texts")
	}
	if _, err := g.cfg.Provider.SendText(ctx, g.cfg.Number, c.Key, body); err != nil {
		return err
	}
	_, err := g.store.Append(c.ID, Message{From: from, Body: body})
	return err
}

// routesAPI mounts the navigators' conversations API:
//
//	GET  /api/v1/conversations/{id}          the conversation and its messages after ?after=N
//	POST /api/v1/conversations/{id}/messages {"body"}: a reply on the conversation's channel
//	POST /api/v1/conversations/{id}/typing   the navigator is typing (chat)
//	POST /api/v1/conversations/{id}/read     {"seq"}: the navigator read up to seq
//	POST /api/v1/conversations/{id}/end      the conversation is over
func (g *Gateway) routesAPI(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(httpx.Require(o211.ContactRoles...))
		r.Route("/api/v1/conversations/{id}", func(r chi.Router) {
			r.Get("/", g.handleGetConversation)
			r.Post("/messages", g.handleReply)
			r.Post("/typing", g.handleTyping)
			r.Post("/read", g.handleRead)
			r.Post("/end", g.handleEnd)
		})
	})
}

// ConversationView is the body of GET /api/v1/conversations/{id}.
type ConversationView struct {
	Conversation *Conversation `json:"conversation"`
	Messages     []Message     `json:"messages"`
	// PersonTyping is true while the person types in the chat.
	PersonTyping bool `json:"person_typing"`
}

// conversation returns the conversation of a request's path, recording
// the navigator's action on its transcript in the audit log.
func (g *Gateway) conversation(w http.ResponseWriter, r *http.Request, action string) (*Conversation, bool) {
	c, err := g.store.Get(chi.URLParam(r, "id"))
	if err != nil {
		httpx.WriteError(w, r, g.log, err)
		return nil, false
	}
	if g.cfg.Audit != nil && action != "" {
		a, _ := o211.ActorFrom(r.Context())
		err := g.cfg.Audit.AppendAudit(r.Context(), o211.AuditEntry{Time: g.cfg.Now().UTC(), Actor: a, Action: action,
			ContactID: c.ID, Fields: []string{"transcript"}, Path: r.URL.Path})
		if err != nil {
			g.log.Error("gateway: recording a transcript's read in the audit log", "conversation", c.ID, "err", err)
			httpx.WriteError(w, r, g.log, o211.Errorf(o211.EUNAVAILABLE, "The audit log could not be written; try again."))
			return nil, false
		}
	}
	c.Secret = ""
	return c, true
}

func (g *Gateway) handleGetConversation(w http.ResponseWriter, r *http.Request) {
	c, ok := g.conversation(w, r, "read")
	if !ok {
		return
	}
	after, _ := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	msgs, err := g.store.Messages(c.ID, after, 500)
	if err != nil {
		httpx.WriteError(w, r, g.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, ConversationView{Conversation: c, Messages: msgs, PersonTyping: g.chat.isTyping(c.ID)})
}

// readBody decodes a small JSON body into v.
func readBody(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		return o211.Errorf(o211.EINVALID, "the body must be a JSON object: %s", clip(err.Error(), 80))
	}
	return nil
}

func (g *Gateway) handleReply(w http.ResponseWriter, r *http.Request) {
	c, ok := g.conversation(w, r, "reply")
	if !ok {
		return
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := readBody(w, r, &in); err != nil {
		httpx.WriteError(w, r, g.log, err)
		return
	}
	in.Body = strings.TrimSpace(in.Body)
	if in.Body == "" || utf8.RuneCountInString(in.Body) > maxTextRunes {
		httpx.WriteError(w, r, g.log, o211.FieldErrorf("body", "a reply has 1 to %d characters", maxTextRunes))
		return
	}
	m, err := g.reply(r.Context(), c, in.Body)
	if err != nil {
		httpx.WriteError(w, r, g.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, m)
}

// reply sends a navigator's reply on the conversation's channel.
func (g *Gateway) reply(ctx context.Context, c *Conversation, body string) (Message, error) {
	switch c.Channel {
	case o211.ChannelText:
		if err := g.sendText(ctx, c, "navigator", body); err != nil {
			g.log.Error("gateway: sending a text reply", "conversation", c.ID, "err", err)
			return Message{}, o211.Errorf(o211.EUNAVAILABLE, "The text could not be sent; try again.")
		}
		msgs, _ := g.store.Messages(c.ID, c.Seq, 1)
		if len(msgs) == 1 {
			return msgs[0], nil
		}
		return Message{From: "navigator", Body: body}, nil
	case o211.ChannelChat:
		return g.post(c, Message{From: "navigator", Body: body})
	case o211.ChannelEmail:
		return g.replyEmail(ctx, c, body)
	}
	return Message{}, o211.Errorf(o211.ECONFLICT, "a %s conversation has no written replies", c.Channel)
}

func (g *Gateway) handleTyping(w http.ResponseWriter, r *http.Request) {
	c, ok := g.conversation(w, r, "")
	if !ok {
		return
	}
	g.chat.deliver(c.ID, frame{Type: "typing", From: "navigator"})
	w.WriteHeader(http.StatusNoContent)
}

func (g *Gateway) handleRead(w http.ResponseWriter, r *http.Request) {
	c, ok := g.conversation(w, r, "")
	if !ok {
		return
	}
	var in struct {
		Seq uint64 `json:"seq"`
	}
	if err := readBody(w, r, &in); err != nil {
		httpx.WriteError(w, r, g.log, err)
		return
	}
	if _, err := g.store.Update(c.ID, func(c *Conversation) error {
		c.ReadNavigator = max(c.ReadNavigator, min(in.Seq, c.Seq))
		return nil
	}); err != nil {
		httpx.WriteError(w, r, g.log, err)
		return
	}
	g.chat.deliver(c.ID, frame{Type: "read", From: "navigator", Seq: min(in.Seq, c.Seq)})
	w.WriteHeader(http.StatusNoContent)
}

func (g *Gateway) handleEnd(w http.ResponseWriter, r *http.Request) {
	c, ok := g.conversation(w, r, "")
	if !ok {
		return
	}
	if _, err := g.store.Update(c.ID, func(c *Conversation) error { c.State = "ended"; return nil }); err != nil {
		httpx.WriteError(w, r, g.log, err)
		return
	}
	g.chat.deliver(c.ID, frame{Type: "end"})
	w.WriteHeader(http.StatusNoContent)
}
