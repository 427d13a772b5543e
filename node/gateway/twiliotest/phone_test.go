package twiliotest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/o211/o211/node/gateway/twiliotest"
)

// TestPhone: the phone network places a call to the webhooks given,
// signed with the account's token, follows the TwiML (a <Gather>, then
// <Enqueue> after a key press) and sends the status callback on a
// hang-up; a text gets the TwiML reply's texts back. Without the
// account's credentials the phone network refuses.
func TestPhone(t *testing.T) {
	srv, err := twiliotest.NewServer(twiliotest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var statuses []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		full := "http://" + r.Host + r.URL.String()
		if r.Header.Get("X-Twilio-Signature") != twiliotest.Sign(srv.AuthToken(), full, r.PostForm) {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		switch r.URL.Path {
		case "/voice":
			if r.PostForm.Get("Digits") == "" {
				w.Write([]byte(`<Response><Gather input="dtmf" action="/voice"><Say>Press 1</Say></Gather></Response>`))
				return
			}
			w.Write([]byte(`<Response><Enqueue>east</Enqueue></Response>`))
		case "/sms":
			w.Write([]byte(`<Response><Message>Your postal code?</Message></Response>`))
		case "/status":
			statuses = append(statuses, r.PostForm.Get("CallStatus"))
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer hook.Close()
	ctx := context.Background()
	p := &twiliotest.Phone{URL: srv.URL(), AccountSID: srv.AccountSID(), AuthToken: srv.AuthToken()}
	st, err := p.Call(ctx, "+15555550100", "+18005550211", hook.URL+"/voice", hook.URL+"/status")
	if err != nil || !st.Gathering || st.SID == "" {
		t.Fatalf("call: %+v, %v; want a gathering call", st, err)
	}
	if st, err = p.Press(ctx, st.SID, "1"); err != nil || st.Queue != "east" || st.Status != "queued" {
		t.Fatalf("press: %+v, %v; want queued in east", st, err)
	}
	if err := p.Hangup(ctx, st.SID); err != nil || strings.Join(statuses, ",") != "completed" {
		t.Fatalf("hang-up: %v, status callbacks %v; want one, completed", err, statuses)
	}
	if replies, err := p.Text(ctx, "+15555550100", "+18005550211", "hello", hook.URL+"/sms"); err != nil || len(replies) != 1 || replies[0] != "Your postal code?" {
		t.Fatalf("text: %v, %v", replies, err)
	}
	bad := &twiliotest.Phone{URL: srv.URL(), AccountSID: srv.AccountSID(), AuthToken: "wrong"}
	if _, err := bad.Call(ctx, "+15555550100", "+18005550211", hook.URL+"/voice", ""); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("a call without the account's token: %v; want 401", err)
	}
	if _, err := p.Press(ctx, "CAnosuchcall", "1"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("an unknown call: %v; want 404", err)
	}
}
