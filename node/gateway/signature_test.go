package gateway_test

import (
	"math/rand/v2"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/o211/o211/node/gateway"
	"github.com/o211/o211/node/gateway/twiliotest"
)

// Twilio's published example: this URL, these parameters and the auth
// token 12345 sign to 0/KCTR6DLpKmkAf8muzZqo1nDgQ=.
func exampleWebhook() (string, url.Values) {
	return "https://mycompany.com/myapp.php?foo=1&bar=2", url.Values{"CallSid": {"CA1234567890ABCDE"},
		"Caller": {"+12349013030"}, "Digits": {"1234"}, "From": {"+12349013030"}, "To": {"+18005551212"}}
}

func TestSign_TwiliosExample(t *testing.T) {
	u, form := exampleWebhook()
	if got, want := gateway.Sign("12345", u, form), "0/KCTR6DLpKmkAf8muzZqo1nDgQ="; got != want {
		t.Fatalf("Sign = %q, want %q (Twilio's documented example)", got, want)
	}
	if got := twiliotest.Sign("12345", u, form); got != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Fatalf("twiliotest.Sign = %q, want Twilio's example", got)
	}
}

func TestValidSignature(t *testing.T) {
	u, form := exampleWebhook()
	sig := gateway.Sign("12345", u, form)
	altered := url.Values{}
	for k, v := range form {
		altered[k] = v
	}
	altered.Set("Digits", "1235")
	extra := url.Values{}
	for k, v := range form {
		extra[k] = v
	}
	extra.Set("Extra", "x")
	tests := []struct {
		name  string
		token string
		url   string
		form  url.Values
		sig   string
		want  bool
	}{
		{"Valid", "12345", u, form, sig, true},
		{"ErrAlteredParam", "12345", u, altered, sig, false},
		{"ErrAddedParam", "12345", u, extra, sig, false},
		{"ErrAlteredURL", "12345", u + "&baz=3", form, sig, false},
		{"ErrOtherToken", "54321", u, form, sig, false},
		{"ErrNoSignature", "12345", u, form, "", false},
		{"ErrNoToken", "", u, form, gateway.Sign("", u, form), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := gateway.ValidSignature(tt.token, tt.url, tt.form, tt.sig); got != tt.want {
				t.Fatalf("ValidSignature = %v, want %v", got, tt.want)
			}
		})
	}
}

// The gateway's signing and the stand-in's, written apart, agree on
// random forms (several values for one name included).
func TestSign_AgreesWithStandIn(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		form := url.Values{}
		for j := 0; j < r.IntN(6); j++ {
			k := "K" + strconv.Itoa(r.IntN(5))
			form.Add(k, strconv.Itoa(r.IntN(1000))+"é&=")
		}
		u := "https://node.example/gateway/twilio/voice?step=" + strconv.Itoa(i)
		if a, b := gateway.Sign("tok", u, form), twiliotest.Sign("tok", u, form); a != b {
			t.Fatalf("form %v: gateway %q, stand-in %q", form, a, b)
		}
	}
}

func TestReplayGuard(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	g := gateway.NewReplayGuard(time.Hour, 3)
	if !g.Add("a", now) {
		t.Fatal("a first time: refused")
	}
	if g.Add("a", now.Add(time.Minute)) {
		t.Fatal("a again within the hour: accepted")
	}
	if !g.Add("a", now.Add(61*time.Minute)) {
		t.Fatal("a after the hour: refused")
	}
	for _, k := range []string{"b", "c", "d", "e"} {
		g.Add(k, now.Add(62*time.Minute))
	}
	if n := g.Len(); n > 3 {
		t.Fatalf("%d keys kept, want at most 3", n)
	}
}
