package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/queue"
)

// A warm transfer of a call to a program's phone number goes through a
// conference named after the call ("o211-" and its CallSid):
//
//  1. the caller's call is moved into the conference (Calls API update
//     with <Dial><Conference>); the navigator's leg of it drops;
//  2. the navigator is dialled back into it (Participants API, label
//     "navigator"), so the caller is never alone;
//  3. the program's number is dialled into it (label "program") with a
//     status callback to /gateway/twilio/transfer?conference=NAME;
//  4. when the program answers, the navigator is taken out (Participants
//     API, DELETE): the caller stays with the program. When it does not
//     (busy, no answer, failed), the caller stays with the navigator.

// Conferencer is what a Provider offers for warm transfers. Twilio
// implements it.
type Conferencer interface {
	// Conference moves the call ref into the conference name, which ends
	// when the call leaves it.
	Conference(ctx context.Context, ref, name string) error
	// AddParticipant dials p.To into the conference name and returns p
	// with its CallSID and ConferenceSID.
	AddParticipant(ctx context.Context, name string, p Participant) (Participant, error)
	// RemoveParticipant takes the participant label out of the conference
	// conferenceSID.
	RemoveParticipant(ctx context.Context, conferenceSID, label string) error
}

// Participant is a call dialled into a conference.
type Participant struct {
	Label    string
	From, To string
	// Timeout is how long it rings, in seconds (Twilio's default 30).
	Timeout int
	// StatusCallback receives the call's "answered" and "completed"
	// events.
	StatusCallback string
	// CallSID and ConferenceSID are the provider's, once dialled.
	CallSID, ConferenceSID string
}

var (
	_ Conferencer            = (*Twilio)(nil)
	_ queue.NumberTransferer = (*Gateway)(nil)
)

// Conference redirects the call ref to TwiML that puts it in the
// conference name: POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json
// with Twiml.
func (t *Twilio) Conference(ctx context.Context, ref, name string) error {
	doc, err := TwiML{Verbs: []any{Dial{Conference: &Conference{Label: "caller", Beep: "false",
		StartOnEnter: "true", EndOnExit: "true", Name: name}}}}.Marshal()
	if err != nil {
		return err
	}
	if _, err := t.post(ctx, "Calls/"+url.PathEscape(ref)+".json", url.Values{"Twiml": {string(doc)}}); err != nil {
		return fmt.Errorf("twilio: move call %s into conference %s: %w", ref, name, err)
	}
	return nil
}

// AddParticipant is POST
// /2010-04-01/Accounts/{AccountSid}/Conferences/{name}/Participants.json
// (a conference's friendly name stands for its SID when adding one).
func (t *Twilio) AddParticipant(ctx context.Context, name string, p Participant) (Participant, error) {
	form := url.Values{"From": {p.From}, "To": {p.To}, "Label": {p.Label}, "Beep": {"false"},
		"EndConferenceOnExit": {"false"}}
	if p.Timeout > 0 {
		form.Set("Timeout", strconv.Itoa(p.Timeout))
	}
	if p.StatusCallback != "" {
		form.Set("StatusCallback", p.StatusCallback)
		form.Set("StatusCallbackMethod", http.MethodPost)
		form["StatusCallbackEvent"] = []string{"answered", "completed"}
	}
	var res struct {
		CallSID       string `json:"call_sid"`
		ConferenceSID string `json:"conference_sid"`
	}
	path := "Conferences/" + url.PathEscape(name) + "/Participants.json"
	if err := t.do(ctx, http.MethodPost, path, form, &res); err != nil {
		return p, fmt.Errorf("twilio: dial %s into conference %s: %w", p.To, name, err)
	}
	p.CallSID, p.ConferenceSID = res.CallSID, res.ConferenceSID
	return p, nil
}

// RemoveParticipant is DELETE
// /2010-04-01/Accounts/{AccountSid}/Conferences/{ConferenceSid}/Participants/{Label}.json.
func (t *Twilio) RemoveParticipant(ctx context.Context, conferenceSID, label string) error {
	path := "Conferences/" + url.PathEscape(conferenceSID) + "/Participants/" + url.PathEscape(label) + ".json"
	if err := t.do(ctx, http.MethodDelete, path, nil, nil); err != nil {
		return fmt.Errorf("twilio: take %s out of conference %s: %w", label, conferenceSID, err)
	}
	return nil
}

// transfers are the warm transfers waiting for the program to answer:
// conference name -> the program leg's call statuses.
type transfers struct {
	mu sync.Mutex
	m  map[string]chan string
}

func (t *transfers) add(name string) chan string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = make(map[string]chan string)
	}
	ch := make(chan string, 8)
	t.m[name] = ch
	return ch
}

func (t *transfers) remove(name string) {
	t.mu.Lock()
	delete(t.m, name)
	t.mu.Unlock()
}

// notify passes a status to the transfer name and reports whether one
// waits.
func (t *transfers) notify(name, status string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	ch, ok := t.m[name]
	if ok {
		select {
		case ch <- status:
		default:
		}
	}
	return ok
}

// programRing is how long a program's number rings before the transfer
// is given up.
const programRing = 30

// TransferToNumber makes a warm transfer of the call it (held by this
// gateway) from the navigator to number: it returns nil once the
// program answered and the navigator left, an error when the program did
// not answer (the caller is then with the navigator, in the conference).
// Errors with a code: ENOTIMPLEMENTED without a provider that
// conferences, ECONFLICT for a call this gateway does not hold.
func (g *Gateway) TransferToNumber(ctx context.Context, it queue.Item, navigator, number string) error {
	conf, ok := g.cfg.Provider.(Conferencer)
	if !ok {
		return o211.Errorf(o211.ENOTIMPLEMENTED, "this node's telephony cannot transfer calls to a number")
	}
	c, err := g.store.Open(o211.ChannelPhone, it.Ref)
	if errors.Is(err, ErrNotFound) || it.Ref == "" {
		return o211.Errorf(o211.ECONFLICT, "this call did not come through this node's telephony; it cannot be transferred from here")
	} else if err != nil {
		return err
	}
	base := g.callbackBase()
	if base == "" {
		return errors.New("gateway: no public URL for the transfer's status callback (set the gateway's public URL)")
	}
	name := "o211-" + it.Ref
	events := g.transfers.add(name)
	defer g.transfers.remove(name)
	confSID, err := g.intoConference(ctx, conf, c, name, navigator)
	if err != nil {
		return err
	}
	prog, err := conf.AddParticipant(ctx, name, Participant{Label: "program", From: g.cfg.Number, To: number,
		Timeout: programRing, StatusCallback: base + "/gateway/twilio/transfer?conference=" + url.QueryEscape(name)})
	if err != nil {
		return err
	}
	if ended, err := g.awaitAnswer(ctx, events); err != nil {
		if ended { // the leg is over: nothing to hang up
			return err
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if rerr := conf.RemoveParticipant(rctx, prog.ConferenceSID, "program"); rerr != nil {
			g.log.Info("gateway: hanging up a program leg that did not answer", "conference", name, "err", rerr)
		}
		return err
	}
	if err := conf.RemoveParticipant(ctx, confSID, "navigator"); err != nil {
		return err
	}
	if _, err := g.store.Update(c.ID, func(c *Conversation) error { c.State = "ended"; return nil }); err != nil {
		g.log.Error("gateway: recording a transferred call", "call", clip(it.Ref, 40), "err", err)
	}
	g.log.Info("gateway: call transferred to a program's number", "call", clip(it.Ref, 40), "navigator", navigator)
	return nil
}

// intoConference moves the caller into the conference name and dials the
// navigator into it, once (a second attempt finds them there), and
// returns the conference's SID.
func (g *Gateway) intoConference(ctx context.Context, conf Conferencer, c *Conversation, name, navigator string) (string, error) {
	if c.Conference != "" {
		return c.Conference, nil
	}
	if err := conf.Conference(ctx, c.Ref, name); err != nil {
		return "", err
	}
	nav, err := conf.AddParticipant(ctx, name, Participant{Label: "navigator", From: g.cfg.Number, To: "client:" + navigator})
	if err != nil {
		return "", err
	}
	_, err = g.store.Update(c.ID, func(c *Conversation) error { c.Conference = nav.ConferenceSID; return nil })
	return nav.ConferenceSID, err
}

// awaitAnswer waits for the program leg's status: nil when it answered;
// ended says the leg is over (busy, not answered).
func (g *Gateway) awaitAnswer(ctx context.Context, events chan string) (ended bool, err error) {
	timeout := time.NewTimer(programRing*time.Second + 15*time.Second)
	defer timeout.Stop()
	for {
		select {
		case st := <-events:
			switch st {
			case "in-progress", "answered":
				return false, nil
			case "completed", "busy", "no-answer", "failed", "canceled":
				return true, fmt.Errorf("gateway: the program's number did not answer (%s)", st)
			}
		case <-timeout.C:
			return false, errors.New("gateway: the program's number did not answer in time")
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

// handleTransferStatus is the status callback of a program's leg in a
// warm transfer.
func (g *Gateway) handleTransferStatus(w http.ResponseWriter, r *http.Request, form url.Values) {
	name, st := r.URL.Query().Get("conference"), form.Get("CallStatus")
	if name == "" || st == "" {
		g.log.Warn("gateway: malformed transfer callback: conference and CallStatus are required")
		http.Error(w, "A transfer callback needs its conference and CallStatus.", http.StatusBadRequest)
		return
	}
	if !g.transfers.notify(name, st) {
		g.log.Info("gateway: transfer callback of no transfer in progress", "conference", clip(name, 50), "status", clip(st, 20))
	}
	w.WriteHeader(http.StatusNoContent)
}

// callbackBase is the base URL the provider reaches this node at: the
// public URL, else the scheme and host of the last signed webhook.
func (g *Gateway) callbackBase() string {
	if g.cfg.PublicURL != "" {
		return strings.TrimRight(g.cfg.PublicURL, "/")
	}
	if p := g.lastBase.Load(); p != nil {
		return *p
	}
	return ""
}
