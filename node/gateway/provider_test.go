package gateway_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/o211/o211/node/gateway"
	"github.com/o211/o211/node/gateway/twiliotest"
)

func MustTwilio(tb testing.TB, cfg twiliotest.Config) *twiliotest.Server {
	tb.Helper()
	if cfg.Numbers == nil {
		cfg.Numbers = []string{"+18772110211"}
	}
	s, err := twiliotest.NewServer(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestTwilio_SendText(t *testing.T) {
	srv := MustTwilio(t, twiliotest.Config{})
	tw := &gateway.Twilio{AccountSID: srv.AccountSID(), AuthToken: srv.AuthToken(), BaseURL: srv.URL()}
	ctx := context.Background()
	sid, err := tw.SendText(ctx, "+18772110211", "+16135550100", "Bonjour, ici 211.")
	if err != nil || !strings.HasPrefix(sid, "SM") {
		t.Fatalf("SendText = %q, %v; want an SM sid", sid, err)
	}
	got := srv.Messages()
	if len(got) != 1 || got[0].To != "+16135550100" || got[0].Body != "Bonjour, ici 211." || got[0].From != "+18772110211" {
		t.Fatalf("the stand-in received %+v", got)
	}
	tests := []struct {
		name     string
		tw       *gateway.Twilio
		from, to string
		want     string
	}{
		{"ErrWrongToken", &gateway.Twilio{AccountSID: srv.AccountSID(), AuthToken: "wrong", BaseURL: srv.URL()}, "+18772110211", "+16135550100", "20003"},
		{"ErrNotOurNumber", tw, "+15555550100", "+16135550100", "21606"},
		{"ErrBadTo", tw, "+18772110211", "613-555-0100", "21211"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.tw.SendText(ctx, tt.from, tt.to, "x"); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("SendText = %v, want Twilio error %s", err, tt.want)
			}
		})
	}
}

func TestTwilio_ConnectCall_UnknownCall(t *testing.T) {
	srv := MustTwilio(t, twiliotest.Config{})
	tw := &gateway.Twilio{AccountSID: srv.AccountSID(), AuthToken: srv.AuthToken(), BaseURL: srv.URL()}
	err := tw.ConnectCall(context.Background(), "CA0123", "nav1")
	if err == nil || !strings.Contains(err.Error(), "20404") {
		t.Fatalf("ConnectCall of an unknown call = %v, want Twilio's 20404", err)
	}
}

// The stand-in refuses what Twilio refuses: another account's path, a
// body that is not a form, an update without Twiml or Url.
func TestStandIn_ChecksRequests(t *testing.T) {
	srv := MustTwilio(t, twiliotest.Config{})
	post := func(path, ctype, body, user string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.SetBasicAuth(user, srv.AuthToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	acct := "/2010-04-01/Accounts/" + srv.AccountSID()
	form := "application/x-www-form-urlencoded"
	msg := url.Values{"From": {"+18772110211"}, "To": {"+16135550100"}, "Body": {"hi"}}.Encode()
	tests := []struct {
		name                    string
		path, ctype, body, user string
		want                    int
	}{
		{"OK", acct + "/Messages.json", form, msg, srv.AccountSID(), 201},
		{"ErrOtherAccountsPath", "/2010-04-01/Accounts/AC999/Messages.json", form, msg, srv.AccountSID(), 403},
		{"ErrOtherUser", acct + "/Messages.json", form, msg, "AC999", 401},
		{"ErrJSONBody", acct + "/Messages.json", "application/json", `{"To":"+1"}`, srv.AccountSID(), 400},
		{"ErrNoBody", acct + "/Messages.json", form, "From=%2B18772110211&To=%2B16135550100", srv.AccountSID(), 400},
		{"ErrUnknownResource", acct + "/Queues.json", form, "", srv.AccountSID(), 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := post(tt.path, tt.ctype, tt.body, tt.user); got != tt.want {
				t.Fatalf("status %d, want %d", got, tt.want)
			}
		})
	}
}
