package gateway_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/gateway"
	"github.com/o211/o211/node/gateway/twiliotest"
	"github.com/o211/o211/node/queue"
)

// Every webhook that Twilio did not sign as it was received, or that was
// already received, is refused with 403 and a log line; malformed and
// oversized ones with 4xx; and a waiting contact stays in the queue.
func TestWebhook_Refused(t *testing.T) {
	e := MustStartEnv(t)
	ctx := context.Background()
	e.twilio.Text(ctx, "+16135550125", centreNumber, "hello")
	e.twilio.Text(ctx, "+16135550125", centreNumber, "K1N 6N5")
	_, waiting := e.waitingItem(o211.ChannelText, "+16135550125")

	smsURL := e.http.URL() + "/gateway/twilio/sms"
	form := url.Values{"AccountSid": {e.twilio.AccountSID()}, "From": {"+16135550126"}, "To": {centreNumber},
		"Body": {"hi"}, "MessageSid": {"SM0001"}}
	altered := url.Values{}
	for k, v := range form {
		altered[k] = v
	}
	altered.Set("Body", "hi there")
	sig := twiliotest.Sign(e.twilio.AuthToken(), smsURL, form)
	tests := []struct {
		name   string
		url    string
		form   url.Values
		h      http.Header
		status int
		log    string
	}{
		{"ErrNoSignature", smsURL, form, http.Header{"X-Twilio-Signature": {""}}, 403, "signature is missing or wrong"},
		{"ErrForged", smsURL, form, http.Header{"X-Twilio-Signature": {twiliotest.Sign("not-the-token", smsURL, form)}}, 403, "signature is missing or wrong"},
		{"ErrAltered", smsURL, altered, http.Header{"X-Twilio-Signature": {sig}}, 403, "signature is missing or wrong"},
		{"ErrOtherURL", smsURL + "?x=1", form, http.Header{"X-Twilio-Signature": {sig}}, 403, "signature is missing or wrong"},
		{"FirstTime", smsURL, form, http.Header{"I-Twilio-Idempotency-Token": {"tok-1"}}, 200, ""},
		{"ErrReplayed", smsURL, form, http.Header{"I-Twilio-Idempotency-Token": {"tok-2"}}, 403, "a replay of one already answered"},
		{"ErrSameIdempotencyToken", smsURL, url.Values{"From": {"+16135550127"}, "MessageSid": {"SM0002"}, "Body": {"x"}},
			http.Header{"I-Twilio-Idempotency-Token": {"tok-1"}}, 403, "a replay of one already answered"},
		{"ErrUnknownNumber", smsURL, url.Values{"From": {"+16135550131"}, "To": {"+15555550000"}, "MessageSid": {"SM0003"}, "Body": {"x"}},
			nil, 403, "not the centre's"},
		{"ErrMalformedStatus", e.http.URL() + "/gateway/twilio/status", url.Values{"CallSid": {"CA1"}}, nil, 400, "malformed status callback"},
		{"ErrMalformedSMS", smsURL, url.Values{"Body": {"no sender"}}, nil, 400, "malformed SMS webhook"},
		{"ErrUnknownStep", e.http.URL() + "/gateway/twilio/voice?step=nope", url.Values{"CallSid": {"CA2"}}, nil, 400, "unknown step"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, err := e.twilio.Webhook(ctx, tt.url, tt.form, tt.h)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status {
				t.Fatalf("status %d (%s), want %d", status, body, tt.status)
			}
			if strings.Contains(string(body), "hi there") {
				t.Fatalf("the refusal echoes the request: %s", body)
			}
			if tt.log != "" && !strings.Contains(e.logs.String(), tt.log) {
				t.Fatalf("no log line with %q", tt.log)
			}
		})
	}
	t.Run("ErrNotForm", func(t *testing.T) {
		resp, err := http.Post(smsURL, "application/json", strings.NewReader(`{"From":"+1"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 415 {
			t.Fatalf("status %d, want 415", resp.StatusCode)
		}
	})
	t.Run("ErrOversized", func(t *testing.T) {
		big := url.Values{"From": {"+16135550128"}, "MessageSid": {"SM3"}, "Body": {strings.Repeat("x", 70<<10)}}
		status, _, err := e.twilio.Webhook(ctx, smsURL, big, nil)
		if err != nil || status != 413 {
			t.Fatalf("status %d, %v; want 413", status, err)
		}
	})
	if _, ok := e.q.Waiting(ctx, waiting.ID); !ok {
		t.Fatal("the contact waiting before the refused webhooks is no longer waiting")
	}
}

// A flood of texts from one number is cut off by its rate limit, with a
// log line; another number still gets through.
func TestWebhook_Flood(t *testing.T) {
	e := MustStartEnv(t, withGateway(func(c *gateway.Config) { c.PerNumber = gateway.Rate{PerMinute: 6, Burst: 5} }))
	ctx := context.Background()
	refused := 0
	for i := 0; i < 20; i++ {
		form := url.Values{"From": {"+16135550129"}, "To": {centreNumber}, "Body": {"spam"}, "MessageSid": {"SMflood" + string(rune('a'+i))}}
		status, _, err := e.twilio.Webhook(ctx, e.http.URL()+"/gateway/twilio/sms", form, nil)
		if err != nil {
			t.Fatal(err)
		}
		if status == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused < 14 {
		t.Fatalf("%d of 20 refused, want at least 14 (burst 5)", refused)
	}
	if !strings.Contains(e.logs.String(), "too many from one number") {
		t.Fatal("no log line for the flood")
	}
	if _, err := e.twilio.Text(ctx, "+16135550130", centreNumber, "help"); err != nil {
		t.Fatalf("another number during the flood: %v", err)
	}
}

// failingQueue is the region's queue, refusing enqueues while fail is set
// (a disk error, a queue closing).
type failingQueue struct {
	*queue.Queue
	fail atomic.Bool
}

func (f *failingQueue) Enqueue(ctx context.Context, it queue.Item) (queue.Item, error) {
	if f.fail.Load() {
		return queue.Item{}, o211.Errorf(o211.EUNAVAILABLE, "the queue is closed")
	}
	return f.Queue.Enqueue(ctx, it)
}

// A text whose contact could not be queued is answered 500, and Twilio's
// retry of the very same request (same signature, same idempotency token)
// is taken, not refused as a replay: the contact is queued.
func TestWebhook_RetryAfterServerError(t *testing.T) {
	var fq *failingQueue
	e := MustStartEnv(t, func(c *envConfig) {
		c.queue = func(q *queue.Queue) gateway.Queue { fq = &failingQueue{Queue: q}; return fq }
	})
	ctx := context.Background()
	e.twilio.Text(ctx, "+16135550140", centreNumber, "hello")
	form := url.Values{"From": {"+16135550140"}, "To": {centreNumber}, "Body": {"K1N 6N5"}, "MessageSid": {"SMretry"}}
	h := http.Header{"I-Twilio-Idempotency-Token": {"retry-1"}}
	fq.fail.Store(true)
	if status, _, err := e.twilio.Webhook(ctx, e.http.URL()+"/gateway/twilio/sms", form, h); err != nil || status != 500 {
		t.Fatalf("with the queue failing: %d, %v; want 500", status, err)
	}
	fq.fail.Store(false)
	if status, _, err := e.twilio.Webhook(ctx, e.http.URL()+"/gateway/twilio/sms", form, h); err != nil || status != 200 {
		t.Fatalf("Twilio's retry: %d, %v; want 200", status, err)
	}
	c, it := e.waitingItem(o211.ChannelText, "+16135550140")
	if it.RoutedBy != "postal code K1N 6N5" {
		t.Fatalf("queued item %+v", it)
	}
	if lines := e.transcript(c.ID); len(lines) != 2 {
		t.Fatalf("transcript %q: the retried text is in it twice", lines)
	}
	if status, _, _ := e.twilio.Webhook(ctx, e.http.URL()+"/gateway/twilio/sms", form, h); status != 403 {
		t.Fatalf("a replay of the answered retry: %d, want 403", status)
	}
}
