package gateway_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/gateway"
)

// A French-speaking caller chooses French, says a postal code of the
// region, waits in its queue and is connected to the navigator who
// accepts, through the REST API.
func TestVoice_FrenchCallerQueuedAndConnected(t *testing.T) {
	e := MustStartEnv(t)
	ctx := context.Background()
	call, err := e.twilio.Call(ctx, "+14165550100", centreNumber)
	if err != nil {
		t.Fatal(err)
	}
	heard := call.Heard()
	if len(heard) != 4 || heard[0].Language != "en-CA" || heard[1].Language != "fr-CA" {
		t.Fatalf("the greeting: %+v, want both languages", heard)
	}
	if err := call.Press(ctx, "2"); err != nil {
		t.Fatal(err)
	}
	if lang, ok := call.Gathering(); !ok || lang != "fr-CA" {
		t.Fatalf("after choosing French: gathering %v in %q, want fr-CA", ok, lang)
	}
	if err := call.Speak(ctx, "K1N 6N5"); err != nil {
		t.Fatal(err)
	}
	if call.Status() != "queued" || call.Queue() != "east" {
		t.Fatalf("call %s in queue %q, want queued in east", call.Status(), call.Queue())
	}
	_, it := e.waitingItem(o211.ChannelPhone, call.SID)
	if it.Channel != o211.ChannelPhone || it.Language != "fr" || it.RoutedBy != "postal code K1N 6N5" ||
		it.Postal != "K1N 6N5" || it.From != "+14165550100" || it.Ref != call.SID {
		t.Fatalf("queued item %+v", it)
	}
	e.accept("nav-fr", "fr", it.ID)
	if call.Dialed() != "nav-fr" || call.Status() != "connected" {
		t.Fatalf("after Accept the call is %s to %q, want connected to nav-fr", call.Status(), call.Dialed())
	}
}

// A caller whose keyed digits spell FSAs of two regions, then hangs up:
// the area code routes the call, which the status callback abandons.
func TestVoice_AreaCodeThenHangup(t *testing.T) {
	e := MustStartEnv(t)
	ctx := context.Background()
	call, err := e.twilio.Call(ctx, "+16135550100", centreNumber)
	if err != nil {
		t.Fatal(err)
	}
	if err := call.Press(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	if err := call.Press(ctx, "516"); err != nil { // K1M, K1N (east), L1M, L1N (central): no answer
		t.Fatal(err)
	}
	if _, ok := call.Gathering(); !ok {
		t.Fatal("an unusable answer: the postal code is not asked again")
	}
	if err := call.Silence(ctx); err != nil {
		t.Fatal(err)
	}
	if call.Status() != "queued" {
		t.Fatalf("after silence the call is %s, want queued by its area code", call.Status())
	}
	_, it := e.waitingItem(o211.ChannelPhone, call.SID)
	if it.RoutedBy != "area code 613" || it.Language != "en" {
		t.Fatalf("item routed by %q in %q, want area code 613 in en", it.RoutedBy, it.Language)
	}
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, "the item abandoned", func() bool {
		_, waiting := e.q.Waiting(ctx, it.ID)
		return !waiting
	})
}

// A caller whose postal code another region serves is kept here (no
// hand-off exists) and the item says so; with a peer node known, the
// call is redirected to it instead.
func TestVoice_OtherRegion(t *testing.T) {
	t.Run("Local", func(t *testing.T) {
		e := MustStartEnv(t)
		ctx := context.Background()
		call, _ := e.twilio.Call(ctx, "+16135550100", centreNumber)
		call.Press(ctx, "1")
		if err := call.Speak(ctx, "P7B 2B2"); err != nil {
			t.Fatal(err)
		}
		_, it := e.waitingItem(o211.ChannelPhone, call.SID)
		if !strings.HasPrefix(it.RoutedBy, "postal code P7B 2B2 (served by north;") || it.Region != "east" {
			t.Fatalf("item in %s routed by %q", it.Region, it.RoutedBy)
		}
	})
	t.Run("RedirectedToPeer", func(t *testing.T) {
		north := MustStartEnv(t, func(c *envConfig) { c.region = "north" })
		e := MustStartEnv(t, func(c *envConfig) { c.twilio = north.twilio },
			withGateway(func(c *gateway.Config) { c.Peers = map[string]string{"north": north.http.URL()} }))
		ctx := context.Background()
		call, err := e.twilio.Call(ctx, "+16135550100", centreNumber)
		if err != nil {
			t.Fatal(err)
		}
		call.Press(ctx, "2")
		if err := call.Speak(ctx, "P7B 2B2"); err != nil {
			t.Fatal(err)
		}
		_, it := north.waitingItem(o211.ChannelPhone, call.SID)
		if it.Region != "north" || it.RoutedBy != "postal code P7B 2B2" || it.Language != "fr" {
			t.Fatalf("the item at the peer: %+v", it)
		}
		if c, err := e.gw.Store().Open(o211.ChannelPhone, call.SID); err == nil {
			t.Fatalf("the redirecting node queued the call too: %+v", c)
		}
	})
}

// A call waiting in the queue when the node restarts is still waiting
// after it, and the navigator who accepts it is connected to the call
// Twilio still holds.
func TestVoice_HeldCallReattachedAfterRestart(t *testing.T) {
	e := MustStartEnv(t)
	ctx := context.Background()
	call, err := e.twilio.Call(ctx, "+16135550100", centreNumber)
	if err != nil {
		t.Fatal(err)
	}
	call.Press(ctx, "1")
	call.Speak(ctx, "K1N 6N5")
	_, it := e.waitingItem(o211.ChannelPhone, call.SID)
	e.restart()
	if _, ok := e.q.Waiting(ctx, it.ID); !ok {
		t.Fatal("the call is not waiting after the restart")
	}
	e.accept("nav-en", "en", it.ID)
	if call.Dialed() != "nav-en" || call.Status() != "connected" {
		t.Fatalf("after the restart and Accept the call is %s to %q, want connected to nav-en", call.Status(), call.Dialed())
	}
}
