package twiliotest

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Conference is a conference room as Twilio holds it: its SID, friendly
// name and the participants in it now, by label.
type Conference struct {
	SID, Name string
	// Participants maps a label to whom the participant's leg called (a
	// number or client:identity; the caller's own number for a call
	// moved in by TwiML).
	Participants map[string]string
	Ended        bool
}

// conference is a room and its participants (label -> participant).
type conference struct {
	sid, name string
	parts     map[string]*participant
	ended     bool
}

type participant struct {
	callSID, label, to string
	endOnExit          bool
}

// Outcome is what a dialled number does: "answer" (the default),
// "no-answer", "busy" or "failed".
type Outcome string

// SetOutcome sets what dialling the number (or client:identity) does.
func (s *Server) SetOutcome(number string, o Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outcomes == nil {
		s.outcomes = make(map[string]Outcome)
	}
	s.outcomes[number] = o
}

// Conference returns the conference named name (its friendly name), and
// whether there is one.
func (s *Server) Conference(name string) (Conference, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.confs[name]
	if c == nil {
		return Conference{}, false
	}
	out := Conference{SID: c.sid, Name: c.name, Participants: make(map[string]string), Ended: c.ended}
	for l, p := range c.parts {
		out.Participants[l] = p.to
	}
	return out, true
}

// confLocked returns the conference of a friendly name or SID, creating
// one for an unknown name when create (Twilio starts a conference when
// its first participant is added). s.mu must be held.
func (s *Server) confLocked(ref string, create bool) *conference {
	if c := s.confs[ref]; c != nil && !c.ended {
		return c
	}
	for _, c := range s.confs {
		if c.sid == ref && !c.ended {
			return c
		}
	}
	if !create || strings.HasPrefix(ref, "CF") {
		return nil
	}
	c := &conference{sid: "CF" + randHex(16), name: ref, parts: make(map[string]*participant)}
	s.confs[ref] = c
	return c
}

// join puts a call moved by TwiML into a conference.
func (s *Server) join(c *Call, v Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conf := s.confLocked(strings.TrimSpace(v.Text), true)
	label := v.Attr("participantLabel")
	if label == "" {
		label = c.SID
	}
	conf.parts[label] = &participant{callSID: c.SID, label: label, to: c.From, endOnExit: v.Attr("endConferenceOnExit") == "true"}
}

// leave takes a call out of every conference (it hung up or was given
// other TwiML); a conference it was to end on leaving ends.
func (s *Server) leave(callSID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.confs {
		for l, p := range c.parts {
			if p.callSID == callSID {
				delete(c.parts, l)
				if p.endOnExit {
					c.ended, c.parts = true, map[string]*participant{}
				}
			}
		}
	}
}

// participantForm checks a Participants create request's form as Twilio
// does and returns the error code and message of a refusal.
func (s *Server) participantForm(f url.Values) (int, string) {
	from, to := f.Get("From"), f.Get("To")
	client := strings.HasPrefix(to, "client:") && len(to) > len("client:")
	switch {
	case from == "" || to == "":
		return 21604, "From and To are required"
	case !client && !e164(to):
		return 21211, "The 'To' number " + to + " is not a valid phone number or client identity."
	case !client && !s.ownNumber(from):
		return 21210, "The source phone number provided, " + from + ", is not yet verified for your account."
	}
	if t := f.Get("Timeout"); t != "" {
		if n, err := strconv.Atoi(t); err != nil || n < 5 || n > 600 {
			return 21201, "Timeout must be an integer from 5 to 600"
		}
	}
	for _, e := range f["StatusCallbackEvent"] {
		for _, ev := range strings.Fields(e) {
			if ev != "initiated" && ev != "ringing" && ev != "answered" && ev != "completed" {
				return 21626, "Invalid StatusCallbackEvent " + ev
			}
		}
	}
	if cb := f.Get("StatusCallback"); cb != "" {
		if u, err := url.Parse(cb); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return 21609, "StatusCallback is not a valid URL"
		}
	}
	return 0, ""
}

// createParticipant is POST .../Conferences/{ConferenceSid or name}/Participants.json.
func (s *Server) createParticipant(w http.ResponseWriter, r *http.Request) {
	if !s.check(w, r) {
		return
	}
	if code, msg := s.participantForm(r.PostForm); code != 0 {
		s.fail(w, http.StatusBadRequest, code, msg)
		return
	}
	f := r.PostForm
	to, label := f.Get("To"), f.Get("Label")
	p := &participant{callSID: "CA" + randHex(16), label: label, to: to, endOnExit: f.Get("EndConferenceOnExit") == "true"}
	if label == "" {
		p.label = p.callSID
	}
	s.mu.Lock()
	conf := s.confLocked(strings.TrimSuffix(r.PathValue("conf"), ".json"), true)
	var inUse bool
	if conf != nil {
		_, inUse = conf.parts[p.label]
	}
	outcome := s.outcomes[to]
	s.mu.Unlock()
	switch {
	case conf == nil:
		s.fail(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	case inUse:
		s.fail(w, http.StatusBadRequest, 16025, "Participant label is in use by another participant")
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"account_sid": s.cfg.AccountSID, "call_sid": p.callSID,
		"conference_sid": conf.sid, "label": label, "status": "queued", "muted": false, "hold": false,
		"end_conference_on_exit": p.endOnExit})
	s.wg.Add(1)
	go s.ring(conf, p, outcome, f)
}

// ring dials a participant's leg: it answers (and joins the conference)
// or not, with the status callbacks asked for.
func (s *Server) ring(conf *conference, p *participant, o Outcome, f url.Values) {
	defer s.wg.Done()
	events := map[string]bool{}
	for _, e := range f["StatusCallbackEvent"] {
		for _, ev := range strings.Fields(e) {
			events[ev] = true
		}
	}
	if len(events) == 0 {
		events["completed"] = true
	}
	seq := 0
	callback := func(status string) {
		if cb := f.Get("StatusCallback"); cb != "" {
			form := url.Values{"AccountSid": {s.cfg.AccountSID}, "ApiVersion": {"2010-04-01"}, "CallSid": {p.callSID},
				"CallStatus": {status}, "Called": {p.to}, "Caller": {f.Get("From")}, "Direction": {"outbound-api"},
				"From": {f.Get("From")}, "To": {p.to}, "SequenceNumber": {strconv.Itoa(seq)},
				"CallbackSource": {"call-progress-events"}, "Timestamp": {time.Now().UTC().Format(http.TimeFormat)}}
			seq++
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s.Webhook(ctx, cb, form, nil)
		}
	}
	if events["initiated"] {
		callback("initiated")
	}
	if events["ringing"] {
		callback("ringing")
	}
	switch o {
	case "", "answer":
		s.mu.Lock()
		ok := !conf.ended
		if ok {
			conf.parts[p.label] = p
		}
		s.mu.Unlock()
		if ok && events["answered"] {
			callback("in-progress")
		}
		if !ok {
			callback("completed")
		}
	default:
		if events["completed"] {
			callback(string(o))
		}
	}
}

// deleteParticipant is DELETE .../Conferences/{ConferenceSid}/Participants/{CallSid or Label}.json.
func (s *Server) deleteParticipant(w http.ResponseWriter, r *http.Request) {
	if !s.check(w, r) {
		return
	}
	ref, _ := strings.CutSuffix(r.PathValue("part"), ".json")
	s.mu.Lock()
	conf := s.confLocked(r.PathValue("conf"), false)
	var p *participant
	if conf != nil {
		if p = conf.parts[ref]; p == nil {
			for _, q := range conf.parts {
				if q.callSID == ref {
					p = q
				}
			}
		}
	}
	if p != nil {
		delete(conf.parts, p.label)
		if p.endOnExit {
			conf.ended, conf.parts = true, map[string]*participant{}
		}
	}
	s.mu.Unlock()
	if p == nil {
		s.fail(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
