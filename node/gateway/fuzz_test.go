package gateway_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/o211/o211"
	"github.com/o211/o211/node/gateway"
	"github.com/o211/o211/node/gateway/twiliotest"
)

// FuzzWebhook: any body posted to the SMS and status webhooks, signed or
// not, is answered without a server error, and the contact already
// waiting is still waiting.
func FuzzWebhook(f *testing.F) {
	for _, s := range []string{"From=%2B16135550100&To=%2B18772110211&Body=K1N+6N5&MessageSid=SM1",
		"From=%2B16135550100&MessageSid=SM2&Body=%FF%FE", "CallSid=CA1&CallStatus=completed", "CallSid=CA1&CallStatus=",
		"Body=" + strings.Repeat("x", 2000), "%zz=1", "a=1&a=2&a=3", "", "From=&MessageSid=&CallSid=CA9&CallStatus=no-answer"} {
		f.Add(s, true, false)
		f.Add(s, false, true)
	}
	e := MustStartEnv(f, withGateway(func(c *gateway.Config) { c.PerNumber = gateway.Rate{PerMinute: 1e6, Burst: 1e6} }))
	ctx := context.Background()
	e.twilio.Text(ctx, "+16135550199", centreNumber, "hello")
	e.twilio.Text(ctx, "+16135550199", centreNumber, "K1N 6N5")
	_, waiting := e.waitingItem(o211.ChannelText, "+16135550199")
	f.Fuzz(func(t *testing.T, body string, signed, status bool) {
		u := e.http.URL() + "/gateway/twilio/sms"
		if status {
			u = e.http.URL() + "/gateway/twilio/status"
		}
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if form, err := url.ParseQuery(body); signed && err == nil {
			req.Header.Set(gateway.SignatureHeader, twiliotest.Sign(e.twilio.AuthToken(), u, form))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%q: status %d", body, resp.StatusCode)
		}
		if _, ok := e.q.Waiting(ctx, waiting.ID); !ok {
			t.Fatalf("%q: the waiting contact is gone", body)
		}
	})
}

// FuzzParseEmail: any message is parsed or refused with an error, never a
// panic; what is kept is valid UTF-8 and bounded.
func FuzzParseEmail(f *testing.F) {
	f.Add([]byte(strings.ReplaceAll(frenchMail, "\n", "\r\n")))
	for _, s := range []string{"From: a@b.example\r\n\r\nhi", "Subject: =?utf-8?b?w4A=?=\r\n\r\n",
		"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: multipart/mixed; boundary=y\r\n\r\n--y\r\n\r\nin\r\n--y--\r\n--x--\r\n",
		"Content-Transfer-Encoding: base64\r\n\r\n!!!!", "Content-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=\r\n", "\r\n\r\n", "From: <<\r\n\r\n",
		"Content-Type: text/html\r\n\r\n<p>\xff</p>"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := gateway.ParseEmail(raw)
		if err != nil {
			return
		}
		if !utf8.ValidString(m.Body) || len(m.Body) > 16<<10+4 || len(m.Subject) > 204 {
			t.Fatalf("kept a body of %d bytes (valid UTF-8: %v), subject of %d", len(m.Body), utf8.ValidString(m.Body), len(m.Subject))
		}
	})
}
