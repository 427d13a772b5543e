package gateway

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/queue"
)

// Hand-off between regions. A text, chat or e-mail whose postal code
// another region serves is handed to that region's node (Config.Peers,
// the same peers a call is redirected to) with the conversation so far:
//
//	POST {peer}/gateway/peer/handoff   JSON PeerContact
//	  X-O211-Region: the sending node's region
//	  X-O211-Time: Unix seconds
//	  X-O211-Signature: base64 HMAC-SHA256 over region, time and body,
//	                    keyed by the peers' shared secret (Config.PeerSecret)
//
// The peer queues it in its own region and answers on the channel
// itself: a text through the provider's REST API; a chat answers a new
// session that the browser is told to reconnect to (a "moved" frame); an
// e-mail is the raw message, taken as its SMTP listener would. The
// sending node keeps the conversation as "handed" and relays what the
// person sends later (texts, e-mails) or moves the browser again (chat).
// When the peer cannot be reached the contact is answered locally, with
// RoutedBy saying so.

// PeerContact is a contact handed to the region that serves it.
type PeerContact struct {
	Channel o211.Channel `json:"channel"`
	// Key is the person's phone number (text).
	Key      string `json:"key,omitempty"`
	Language string `json:"language,omitempty"`
	Postal   string `json:"postal,omitempty"`
	RoutedBy string `json:"routed_by,omitempty"`
	// Messages are the transcript so far (a new hand-off) or the new
	// messages (a relay).
	Messages []Message `json:"messages,omitempty"`
	// Raw is an e-mail's whole message.
	Raw string `json:"raw,omitempty"`
}

// PeerAnswer is the peer's answer to a hand-off: the conversation it
// opened and, for a chat, its session and secret.
type PeerAnswer struct {
	Conversation string `json:"conversation"`
	Session      string `json:"session,omitempty"`
	Secret       string `json:"secret,omitempty"`
}

// ChatMove is where a chat handed to another region continues.
type ChatMove struct {
	URL     string `json:"url"`
	Session string `json:"session"`
	Secret  string `json:"secret"`
}

const (
	peerRegionHeader = "X-O211-Region"
	peerTimeHeader   = "X-O211-Time"
	peerSigHeader    = "X-O211-Signature"
	// peerSkew is how far a hand-off's time may be from the receiver's.
	peerSkew = 5 * time.Minute
	// maxPeerBytes bounds a hand-off (an e-mail of the SMTP limit, in
	// JSON, with room).
	maxPeerBytes = 4 << 20
)

// peerSignature signs a hand-off.
func peerSignature(secret, region, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte("o211 peer hand-off\x00"+secret))
	mac.Write([]byte(region + "\n" + ts + "\n"))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// peerFor returns the peer node that takes contacts of region, or "".
func (g *Gateway) peerFor(region string) string {
	if region == g.cfg.Region || g.cfg.PeerSecret == "" {
		return ""
	}
	return strings.TrimRight(g.cfg.Peers[region], "/")
}

// handOff sends a contact to the node of region.
func (g *Gateway) handOff(ctx context.Context, region string, pc PeerContact) (PeerAnswer, error) {
	var ans PeerAnswer
	peer := g.peerFor(region)
	if peer == "" {
		return ans, fmt.Errorf("gateway: no peer node for region %s", region)
	}
	body, err := json.Marshal(pc)
	if err != nil {
		return ans, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, peer+"/gateway/peer/handoff", bytes.NewReader(body))
	if err != nil {
		return ans, err
	}
	ts := strconv.FormatInt(g.cfg.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(peerRegionHeader, g.cfg.Region)
	req.Header.Set(peerTimeHeader, ts)
	req.Header.Set(peerSigHeader, peerSignature(g.cfg.PeerSecret, g.cfg.Region, ts, body))
	resp, err := g.peerClient.Do(req)
	if err != nil {
		return ans, fmt.Errorf("gateway: hand-off to %s: %w", region, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return ans, fmt.Errorf("gateway: hand-off to %s: %s: %s", region, resp.Status, clip(strings.TrimSpace(string(b)), 120))
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		return ans, fmt.Errorf("gateway: hand-off to %s: reading the answer: %w", region, err)
	}
	return ans, nil
}

// peerRequest checks a hand-off's signature, time and freshness and
// returns its sending region and body; it answers a refusal itself.
func (g *Gateway) peerRequest(w http.ResponseWriter, r *http.Request) (string, []byte, bool) {
	region, ts, sig := r.Header.Get(peerRegionHeader), r.Header.Get(peerTimeHeader), r.Header.Get(peerSigHeader)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPeerBytes))
	if err != nil {
		g.log.Warn("gateway: hand-off refused: unreadable or too large", "remote", r.RemoteAddr)
		http.Error(w, "The hand-off could not be read.", http.StatusRequestEntityTooLarge)
		return "", nil, false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	switch {
	case g.cfg.PeerSecret == "" || region == "" || region == g.cfg.Region:
		g.log.Warn("gateway: hand-off refused: no peer secret here, or no other region named", "region", clip(region, 30), "remote", r.RemoteAddr)
		http.Error(w, "Hand-offs are taken from the peers of this node only.", http.StatusForbidden)
	case !hmac.Equal([]byte(sig), []byte(peerSignature(g.cfg.PeerSecret, region, ts, body))):
		g.log.Warn("gateway: hand-off refused: its signature is missing or wrong", "region", clip(region, 30), "remote", r.RemoteAddr)
		http.Error(w, "The hand-off's signature is missing or wrong.", http.StatusForbidden)
	case err != nil || g.cfg.Now().Sub(time.Unix(sec, 0)).Abs() > peerSkew:
		g.log.Warn("gateway: hand-off refused: its time is missing or too far from this node's", "region", region, "time", clip(ts, 20))
		http.Error(w, "The hand-off's time is missing or too far from this node's clock.", http.StatusForbidden)
	case !g.replay.Add("peer\x00"+sig, g.cfg.Now()):
		g.log.Warn("gateway: hand-off refused: a replay", "region", region, "remote", r.RemoteAddr)
		http.Error(w, "This hand-off was already received.", http.StatusForbidden)
	default:
		return region, body, true
	}
	return "", nil, false
}

// handlePeer takes a contact another region's node hands over.
func (g *Gateway) handlePeer(w http.ResponseWriter, r *http.Request) {
	from, body, ok := g.peerRequest(w, r)
	if !ok {
		return
	}
	var pc PeerContact
	if err := json.Unmarshal(body, &pc); err != nil {
		http.Error(w, "The hand-off is not a JSON contact.", http.StatusBadRequest)
		return
	}
	var ans PeerAnswer
	var err error
	switch pc.Channel {
	case o211.ChannelText:
		ans, err = g.takeText(r.Context(), from, pc)
	case o211.ChannelChat:
		ans, err = g.takeChat(r.Context(), from, pc)
	case o211.ChannelEmail:
		ans, err = g.takeEmail(r.Context(), pc)
	default:
		err = o211.Errorf(o211.EINVALID, "a hand-off's channel is text, chat or email, not %q", clip(string(pc.Channel), 20))
	}
	if err != nil {
		if o211.ErrorCode(err) == o211.EINVALID {
			http.Error(w, o211.ErrorMessage(err), http.StatusBadRequest)
			return
		}
		g.log.Error("gateway: a handed-over contact could not be taken", "from", from, "channel", clip(string(pc.Channel), 20), "err", err)
		http.Error(w, "The contact could not be taken.", http.StatusInternalServerError)
		return
	}
	g.log.Info("gateway: a contact handed over by another region taken", "from", from, "channel", pc.Channel, "conversation", ans.Conversation)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ans)
}

// takeConversation opens a handed-over conversation with its transcript
// and queues it in this region.
func (g *Gateway) takeConversation(ctx context.Context, from string, c *Conversation, pc PeerContact) error {
	if c.ID == "" {
		c.ID = newID("cv_")
	}
	c.Region, c.Language, c.Postal, c.State, c.ItemID = g.cfg.Region, pc.Language, pc.Postal, "waiting", c.ID
	c.RoutedBy = clip(pc.RoutedBy, 100) + " (handed over by " + from + ")"
	if c.Language != "fr" {
		c.Language = "en"
	}
	if err := g.store.CreateWith(c, pc.Messages); err != nil {
		return err
	}
	_, err := g.enqueue(ctx, c, queueItem(c))
	return err
}

// takeText takes a text conversation, or new texts of one taken before.
func (g *Gateway) takeText(ctx context.Context, from string, pc PeerContact) (PeerAnswer, error) {
	if pc.Key == "" {
		return PeerAnswer{}, o211.Errorf(o211.EINVALID, "a text's hand-off needs the person's number (key)")
	}
	if c, err := g.store.Open(o211.ChannelText, pc.Key); err == nil {
		for _, m := range pc.Messages {
			if _, err := g.store.Append(c.ID, Message{From: "person", Body: clip(m.Body, 4*maxTextRunes), CID: m.CID}); err != nil {
				return PeerAnswer{}, err
			}
		}
		return PeerAnswer{Conversation: c.ID}, g.requeue(ctx, c)
	} else if !errors.Is(err, ErrNotFound) {
		return PeerAnswer{}, err
	}
	c := &Conversation{Channel: o211.ChannelText, Key: pc.Key}
	if err := g.takeConversation(ctx, from, c, pc); err != nil {
		return PeerAnswer{}, err
	}
	if err := g.sendText(ctx, c, "system", say(c.Language, "sms.queued")); err != nil {
		g.log.Error("gateway: telling a handed-over texter they are queued", "conversation", c.ID, "err", err)
	}
	return PeerAnswer{Conversation: c.ID}, nil
}

// takeChat opens a chat session for a chat handed over; the browser
// reconnects to it.
func (g *Gateway) takeChat(ctx context.Context, from string, pc PeerContact) (PeerAnswer, error) {
	c := &Conversation{ID: newID("ch_"), Channel: o211.ChannelChat, Secret: newID("")}
	c.Key = c.ID
	if err := g.takeConversation(ctx, from, c, pc); err != nil {
		return PeerAnswer{}, err
	}
	if _, err := g.post(c, Message{From: "system", Body: say(c.Language, "chat.queued")}); err != nil {
		return PeerAnswer{}, err
	}
	return PeerAnswer{Conversation: c.ID, Session: c.ID, Secret: c.Secret}, nil
}

// takeEmail takes an e-mail handed over, as the SMTP listener would (it
// is not handed on again).
func (g *Gateway) takeEmail(ctx context.Context, pc PeerContact) (PeerAnswer, error) {
	m, err := ParseEmail([]byte(pc.Raw))
	if err != nil {
		return PeerAnswer{}, o211.Errorf(o211.EINVALID, "the handed-over e-mail is malformed: %s", clip(err.Error(), 80))
	}
	if m.From == "" {
		return PeerAnswer{}, o211.Errorf(o211.EINVALID, "the handed-over e-mail names no sender")
	}
	id, err := g.receiveEmailHere(ctx, m)
	return PeerAnswer{Conversation: id}, err
}

// chatURL is the WebSocket URL of a peer's chat.
func chatURL(peer string) string {
	if rest, ok := strings.CutPrefix(peer, "https://"); ok {
		return "wss://" + rest + "/gateway/chat"
	}
	return "ws://" + strings.TrimPrefix(peer, "http://") + "/gateway/chat"
}

// queueItem is the queue item of a conversation stored as waiting.
func queueItem(c *Conversation) queue.Item {
	return queue.Item{Region: c.Region, Channel: c.Channel, Language: c.Language, From: c.Key, RoutedBy: c.RoutedBy,
		Postal: c.Postal, Ref: c.ID}
}

// errHandedOff is returned inside an update when a conversation is
// being handed to another region already.
var errHandedOff = errors.New("gateway: the conversation is handed to another region already")

// handOffConversation hands a text or chat conversation that waits for
// its postal code to the region rt names, when that region has a peer
// node. It reports whether the conversation was handed; false with a nil
// error: it stays here (no peer, or the peer could not take it, which is
// logged and noted in rt.RoutedBy).
func (g *Gateway) handOffConversation(ctx context.Context, c *Conversation, rt *Route) (bool, error) {
	if g.peerFor(rt.Region) == "" {
		return false, nil
	}
	// Claim it, so that a second message does not hand it over twice (a
	// claim left by a node that stopped meanwhile goes stale).
	if _, err := g.store.Update(c.ID, func(c *Conversation) error {
		if c.State != "postal" && (c.State != "handing" || g.cfg.Now().Sub(c.Updated) < 30*time.Second) {
			return errHandedOff
		}
		c.State = "handing"
		return nil
	}); err != nil {
		return errors.Is(err, errHandedOff), ignore(err, errHandedOff)
	}
	msgs, err := g.store.Messages(c.ID, 0, 1000)
	var ans PeerAnswer
	if err == nil {
		ans, err = g.handOff(ctx, rt.Region, PeerContact{Channel: c.Channel, Key: c.Key, Language: c.Language,
			Postal: rt.Postal, RoutedBy: rt.RoutedBy, Messages: msgs})
	}
	if err != nil {
		g.log.Warn("gateway: the region that serves a contact could not take it; answered here", "region", rt.Region,
			"conversation", c.ID, "err", err)
		rt.RoutedBy += " (hand-off to " + rt.Region + " failed)"
		_, err := g.store.Update(c.ID, func(c *Conversation) error { c.State = "postal"; return nil })
		return false, err
	}
	var move *ChatMove
	if c.Channel == o211.ChannelChat {
		move = &ChatMove{URL: chatURL(g.peerFor(rt.Region)), Session: ans.Session, Secret: ans.Secret}
	}
	if _, err := g.store.Update(c.ID, func(c *Conversation) error {
		c.State, c.Region, c.RoutedBy, c.Postal, c.Moved = "handed", rt.Region, rt.RoutedBy+" (handed to "+rt.Region+")", rt.Postal, move
		return nil
	}); err != nil {
		return true, err
	}
	if move != nil {
		g.chat.deliver(c.ID, moveFrame(move))
	}
	g.log.Info("gateway: a contact handed to the region that serves it", "region", rt.Region, "channel", c.Channel, "conversation", c.ID)
	return true, nil
}

// moveFrame tells a browser to continue the chat at another node.
func moveFrame(m *ChatMove) frame {
	return frame{Type: "moved", URL: m.URL, Session: m.Session, Secret: m.Secret}
}

// relay passes what a person sent later on a handed conversation to the
// region that has it.
func (g *Gateway) relay(ctx context.Context, c *Conversation, pc PeerContact) error {
	pc.Channel, pc.Key, pc.Language = c.Channel, c.Key, c.Language
	_, err := g.handOff(ctx, c.Region, pc)
	return err
}

// ignore returns err unless it is target.
func ignore(err, target error) error {
	if errors.Is(err, target) {
		return nil
	}
	return err
}
