package gateway

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/o211/o211"
	"github.com/o211/o211/node/queue"
)

// The voice webhook's steps (the "step" query parameter of its URL):
//
//	(none)  greet in both languages and <Gather> the language choice
//	lang    the choice (Digits 1/2 or "English"/"français"), then ask for
//	        the postal code (<Gather input="dtmf speech">), once more if
//	        nothing usable came
//	postal  route (postal code, area code, default), redirect to the
//	        serving region's node when it is another and known, else
//	        <Enqueue> into this region's queue
//
// Every action URL carries the attempt number n, so that a caller who
// answers the same twice sends two different (differently signed)
// requests, and a real replay is still refused.

func (g *Gateway) handleVoice(w http.ResponseWriter, r *http.Request, form url.Values) {
	q := r.URL.Query()
	lang := q.Get("lang")
	if lang != "fr" {
		lang = "en"
	}
	n, _ := strconv.Atoi(q.Get("n"))
	switch q.Get("step") {
	case "":
		g.writeTwiML(w, Gather{Input: "dtmf speech", NumDigits: 1, Timeout: 6, Language: "en-CA",
			Action: "voice?step=lang&n=1", Says: []Say{
				{Language: "en-CA", Text: say("en", "greeting")}, {Language: "fr-CA", Text: say("fr", "greeting")},
				{Language: "en-CA", Text: say("en", "choose.en")}, {Language: "fr-CA", Text: say("fr", "choose.fr")}}},
			Redirect{URL: "voice?step=lang&n=2"})
	case "lang":
		g.writeTwiML(w, g.askPostal(chooseLanguage(form), 1, false)...)
	case "postal":
		g.voicePostal(w, r, form, lang, n)
	default:
		g.log.Warn("gateway: voice webhook with an unknown step", "step", clip(q.Get("step"), 20))
		http.Error(w, "Unknown step.", http.StatusBadRequest)
	}
}

// chooseLanguage reads the language choice: 2 or French speech is French.
func chooseLanguage(form url.Values) string {
	speech := strings.ToLower(form.Get("SpeechResult"))
	if form.Get("Digits") == "2" || strings.Contains(speech, "fran") {
		return "fr"
	}
	return "en"
}

// askPostal is the postal code prompt, attempt n.
func (g *Gateway) askPostal(lang string, n int, again bool) []any {
	key := "postal.ask"
	if again {
		key = "postal.again"
	}
	next := "voice?step=postal&lang=" + lang + "&n=" + strconv.Itoa(n)
	return []any{Gather{Input: "dtmf speech", Timeout: 8, Language: voiceLang(lang), Action: next,
		Says: []Say{{Language: voiceLang(lang), Text: say(lang, key)}}}, Redirect{URL: next + "&none=1"}}
}

// voicePostal routes the call by what the caller said or keyed.
func (g *Gateway) voicePostal(w http.ResponseWriter, r *http.Request, form url.Values, lang string, n int) {
	q := r.URL.Query()
	input := form.Get("SpeechResult")
	if input == "" {
		input = form.Get("Digits")
	}
	if input == "" {
		input = q.Get("given")
	}
	if _, ok := routePostal(input); !ok && n < 2 && q.Get("none") == "" {
		g.writeTwiML(w, g.askPostal(lang, n+1, true)...)
		return
	}
	rt := g.cfg.Router.Route(input, form.Get("From"))
	if peer := g.cfg.Peers[rt.Region]; peer != "" && rt.Region != g.cfg.Region && q.Get("hop") == "" {
		u := strings.TrimRight(peer, "/") + "/gateway/twilio/voice?step=postal&n=9&hop=1&lang=" + lang +
			"&given=" + url.QueryEscape(normalizeSpoken(input))
		g.log.Info("gateway: call redirected to the region that serves it", "region", rt.Region, "by", rt.RoutedBy)
		g.writeTwiML(w, Redirect{URL: u})
		return
	}
	it, err := g.enqueueCall(r.Context(), form, lang, input)
	if err != nil {
		g.log.Error("gateway: a call could not be queued", "call", clip(form.Get("CallSid"), 40), "err", err)
		g.writeTwiML(w, Say{Language: voiceLang(lang), Text: say(lang, "unavailable")}, Hangup{})
		return
	}
	g.writeTwiML(w, Say{Language: voiceLang(lang), Text: say(lang, "queued")}, Enqueue{Name: it.Region})
}

// enqueueCall records the call (its item id is its conversation's) and
// puts it in the queue.
func (g *Gateway) enqueueCall(ctx context.Context, form url.Values, lang, input string) (queue.Item, error) {
	sid, from := form.Get("CallSid"), form.Get("From")
	if sid == "" {
		return queue.Item{}, o211.Errorf(o211.EINVALID, "the webhook names no CallSid")
	}
	rt := g.route(input, from)
	c := &Conversation{ID: newID("cv_"), Channel: o211.ChannelPhone, Key: sid, Ref: sid, Language: lang,
		Postal: rt.Postal, Region: rt.Region, RoutedBy: rt.RoutedBy, State: "waiting"}
	c.ItemID = c.ID
	if err := g.store.Create(c); err != nil {
		return queue.Item{}, err
	}
	it, err := g.enqueue(ctx, c, queue.Item{Region: rt.Region, Channel: o211.ChannelPhone, Language: lang,
		From: from, RoutedBy: rt.RoutedBy, Postal: rt.Postal, Ref: sid})
	if err != nil {
		g.store.Update(c.ID, func(c *Conversation) error { c.State, c.ItemID = "ended", ""; return nil })
	}
	return it, err
}

// enqueue puts a conversation, stored as waiting with its item id, into
// the queue. The person may leave meanwhile (a status callback, a chat's
// leave): whoever of the two comes second sees the other's write, so the
// item is abandoned either by them or here.
func (g *Gateway) enqueue(ctx context.Context, c *Conversation, it queue.Item) (queue.Item, error) {
	it.ID = c.ItemID
	it, err := g.cfg.Queue.Enqueue(ctx, it)
	if err != nil {
		return it, err
	}
	if now, err := g.store.Get(c.ID); err == nil && now.State == "ended" {
		if err := g.cfg.Queue.Abandon(ctx, it.ID, "left while being queued"); err != nil {
			g.log.Error("gateway: abandoning a contact that left while being queued", "item", it.ID, "err", err)
		}
	}
	return it, nil
}

// terminalCallStatus are the CallStatus values of a call that is over.
var terminalCallStatus = map[string]bool{"completed": true, "busy": true, "no-answer": true, "canceled": true, "failed": true}

// handleStatus is the call status callback: a call that ended while it
// waited is abandoned in the queue.
func (g *Gateway) handleStatus(w http.ResponseWriter, r *http.Request, form url.Values) {
	sid, st := form.Get("CallSid"), form.Get("CallStatus")
	if sid == "" || st == "" {
		g.log.Warn("gateway: malformed status callback: CallSid and CallStatus are required")
		http.Error(w, "A status callback needs CallSid and CallStatus.", http.StatusBadRequest)
		return
	}
	if !terminalCallStatus[st] {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	c, err := g.store.Open(o211.ChannelPhone, sid)
	if err != nil {
		g.log.Info("gateway: status callback of a call never queued here", "call", clip(sid, 40), "status", clip(st, 20))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var item string
	if _, err := g.store.Update(c.ID, func(c *Conversation) error { item, c.State = c.ItemID, "ended"; return nil }); err != nil {
		g.log.Error("gateway: recording the end of a call", "call", clip(sid, 40), "err", err)
		http.Error(w, "The status could not be recorded.", http.StatusInternalServerError)
		return
	}
	if _, waiting := g.cfg.Queue.Waiting(r.Context(), item); item != "" && waiting {
		err := g.cfg.Queue.AbandonIfWaiting(r.Context(), item, "caller hung up (CallStatus "+st+")")
		if err != nil && o211.ErrorCode(err) != o211.ECONFLICT {
			g.log.Error("gateway: abandoning a call in the queue", "item", item, "err", err)
			http.Error(w, "The status could not be recorded.", http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
