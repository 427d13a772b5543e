package gateway_test

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/gateway"
)

const peerSecret = "peer-secret-for-tests"

// twoRegions starts central, then east with central as its peer; both
// share the Twilio stand-in, whose webhooks point at east (the
// provincial number's node). opts change east.
func twoRegions(t *testing.T, opts ...envOption) (east, central *env) {
	t.Helper()
	// Each lists the other as its peer, so east's address is chosen first.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	eastAddr := ln.Addr().String()
	ln.Close()
	central = MustStartEnv(t, func(c *envConfig) { c.region = "central" }, withGateway(func(c *gateway.Config) {
		c.Peers, c.PeerSecret = map[string]string{"east": "http://" + eastAddr}, peerSecret
	}))
	opts = append([]envOption{func(c *envConfig) { c.twilio, c.addr = central.twilio, eastAddr }}, opts...)
	opts = append(opts, withGateway(func(c *gateway.Config) {
		c.Peers, c.PeerSecret = map[string]string{"central": central.http.URL()}, peerSecret
	}))
	east = MustStartEnv(t, opts...)
	return east, central
}

// A text whose postal code central serves is handed from east to central
// with the conversation so far; central tells the person through the
// REST API and queues it; a later text is relayed to it.
func TestHandOff_Text(t *testing.T) {
	east, central := twoRegions(t)
	ctx := context.Background()
	const person = "+16135550177"
	if _, err := east.twilio.Text(ctx, person, centreNumber, "I need a shelter tonight"); err != nil {
		t.Fatal(err)
	}
	doc, err := east.twilio.Text(ctx, person, centreNumber, "M5V 2T6")
	if err != nil || len(doc.Nodes) != 0 {
		t.Fatalf("east answered %+v (%v), want an empty answer (central texts the person)", doc, err)
	}
	c, it := central.waitingItem(o211.ChannelText, person)
	if it.Region != "central" || it.RoutedBy != "postal code M5V 2T6 (handed over by east)" || it.From != person {
		t.Fatalf("central's item %+v", it)
	}
	testutil.WaitFor(t, 10*time.Second, "central's text to the person", func() bool {
		m := east.twilio.Messages()
		return len(m) == 1 && m[0].To == person && strings.Contains(m[0].Body, "A community navigator will reply soon")
	})
	if _, err := east.twilio.Text(ctx, person, centreNumber, "Are you there?"); err != nil {
		t.Fatal(err)
	}
	lines := central.transcript(c.ID)
	want := []string{"person: I need a shelter tonight", "person: M5V 2T6", "system: 211 Ontario: thank you", "person: Are you there?"}
	if len(lines) != len(want) {
		t.Fatalf("central's transcript %q, want %q", lines, want)
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Fatalf("central's transcript %q, want %q", lines, want)
		}
	}
	ec, err := east.gw.Store().Open(o211.ChannelText, person)
	if err != nil || ec.State != "handed" || ec.Region != "central" {
		t.Fatalf("east's conversation %+v (%v), want handed to central", ec, err)
	}
	if _, ok := east.q.Waiting(ctx, ec.ID); ok {
		t.Fatal("east queued the text too")
	}
}

// A chat whose postal code central serves: east hands it over and tells
// the browser to reconnect to central's chat, where the conversation so
// far waits in central's queue; a browser that comes back to east is
// told again.
func TestHandOff_Chat(t *testing.T) {
	east, central := twoRegions(t)
	b := east.dialChat(t)
	b.send(chatFrame{Type: "hello", Lang: "fr"})
	w := b.next("welcome", func(f chatFrame) bool { return f.Type == "welcome" })
	b.send(chatFrame{Type: "msg", CID: "c1", Body: "M5V 2T6"})
	mv := b.next("moved", func(f chatFrame) bool { return f.Type == "moved" })
	wantURL := "ws" + strings.TrimPrefix(central.http.URL(), "http") + "/gateway/chat"
	if mv.URL != wantURL || mv.Session == "" || mv.Secret == "" {
		t.Fatalf("moved frame %+v, want central's chat %s", mv, wantURL)
	}
	// The browser, on east's page, reconnects to central.
	c2 := dialChatURL(t, mv.URL, http.Header{"Origin": {east.http.URL()}})
	c2.send(chatFrame{Type: "hello", Session: mv.Session, Secret: mv.Secret})
	c2.next("central's welcome", func(f chatFrame) bool { return f.Type == "welcome" && f.Session == mv.Session })
	got := []string{}
	for len(got) < 3 {
		f := c2.next("the transcript", func(f chatFrame) bool { return f.Type == "msg" })
		got = append(got, f.From+": "+f.Body)
	}
	if !strings.HasPrefix(got[0], "system: Bonjour") || got[1] != "person: M5V 2T6" || !strings.HasPrefix(got[2], "system: Merci") {
		t.Fatalf("the transcript at central %q", got)
	}
	_, it := central.waitingItem(o211.ChannelChat, mv.Session)
	if it.Language != "fr" || it.RoutedBy != "postal code M5V 2T6 (handed over by east)" {
		t.Fatalf("central's item %+v", it)
	}
	resp, err := http.Get(east.http.URL() + "/gateway/chat")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' "+wantURL) {
		t.Fatalf("east's chat page allows connections to %q, want central's chat too", csp)
	}
	again := east.dialChat(t)
	again.send(chatFrame{Type: "hello", Session: w.Session, Secret: w.Secret})
	if mv2 := again.next("moved again", func(f chatFrame) bool { return f.Type == "moved" }); mv2 != mv {
		t.Fatalf("back at east: %+v, want %+v", mv2, mv)
	}
}

// An e-mail with a postal code central serves is handed to central as
// the raw message; the sender's next e-mail follows it there.
func TestHandOff_Email(t *testing.T) {
	east, central := twoRegions(t, withEmail(MustStartRelay(t)))
	msg := strings.NewReplacer("K1N 6N5", "M5V 2T6", "Ottawa", "Toronto").Replace(frenchMail)
	if err := sendMail(east, "lise@example.org", mailbox, msg); err != nil {
		t.Fatal(err)
	}
	c, it := central.waitingItem(o211.ChannelEmail, "lise@example.org")
	if it.Language != "fr" || !strings.HasPrefix(it.RoutedBy, "postal code M5V 2T6") {
		t.Fatalf("central's item %+v", it)
	}
	next := strings.Replace(msg, "<m1@example.org>", "<m2@example.org>", 1)
	if err := sendMail(east, "lise@example.org", mailbox, next); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, "the second e-mail at central", func() bool { return len(central.transcript(c.ID)) == 2 })
	if ec, err := east.gw.Store().Open(o211.ChannelEmail, "lise@example.org"); err != nil || ec.State != "handed" {
		t.Fatalf("east's thread %+v (%v), want handed", ec, err)
	}
}

// Hand-offs that are not signed with the peers' secret, or replayed, are
// refused; a peer that cannot be reached leaves the contact here.
func TestHandOff_Refused(t *testing.T) {
	east, central := twoRegions(t)
	const body = `{"channel":"text","key":"+16135550100","messages":[{"from":"person","body":"hi"}]}`
	post := func(sig, ts string) int {
		req, _ := http.NewRequest("POST", central.http.URL()+"/gateway/peer/handoff", strings.NewReader(body))
		req.Header.Set("X-O211-Region", "east")
		req.Header.Set("X-O211-Time", ts)
		req.Header.Set("X-O211-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	now := strconv.FormatInt(time.Now().Unix(), 10)
	if st := post("bm90IGEgc2lnbmF0dXJl", now); st != http.StatusForbidden {
		t.Fatalf("a forged hand-off: %d, want 403", st)
	}
	if st := post(gateway.PeerSignature("another secret", "east", now, []byte(body)), now); st != http.StatusForbidden {
		t.Fatalf("a hand-off signed with another secret: %d, want 403", st)
	}
	old := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	if st := post(gateway.PeerSignature(peerSecret, "east", old, []byte(body)), old); st != http.StatusForbidden {
		t.Fatalf("an hour-old hand-off: %d, want 403", st)
	}
	sig := gateway.PeerSignature(peerSecret, "east", now, []byte(body))
	if st := post(sig, now); st != http.StatusOK {
		t.Fatalf("a signed hand-off: %d, want 200", st)
	}
	if st := post(sig, now); st != http.StatusForbidden {
		t.Fatalf("the same hand-off again: %d, want 403", st)
	}
	central.http.Close() // central is down: east answers the text itself
	ctx := context.Background()
	east.twilio.Text(ctx, "+16135550178", centreNumber, "hello")
	east.twilio.Text(ctx, "+16135550178", centreNumber, "M5V 2T6")
	_, it := east.waitingItem(o211.ChannelText, "+16135550178")
	if it.Region != "east" || !strings.Contains(it.RoutedBy, "hand-off to central failed") {
		t.Fatalf("east's item %+v", it)
	}
}
