package node

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/gateway"
	"github.com/o211/o211/node/gateway/twiliotest"
)

// TestNode_Gateway: a text to the node's Twilio number reaches the
// region's queue through the real webhook; a navigator accepts it over
// the queue API and is announced by a text through the REST API, then
// answers through the conversations API; the chat page is served under
// the node's security headers.
func TestNode_Gateway(t *testing.T) {
	tw, err := twiliotest.NewServer(twiliotest.Config{Numbers: []string{"+18772110211"}})
	if err != nil {
		t.Fatal(err)
	}
	defer tw.Close()
	n := New(Config{Region: "east", DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", Token: "tok-east", NoSync: true,
		Hasher: cheapHasher, QueueOfferTimeout: time.Minute, Gateway: GatewayConfig{TwilioAccountSID: tw.AccountSID(),
			TwilioAuthToken: tw.AuthToken(), TwilioAPI: tw.URL(), Number: "+18772110211"}})
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	base := n.URL()
	tw.SetWebhooks(base+"/gateway/twilio/voice", base+"/gateway/twilio/sms", base+"/gateway/twilio/status")
	ctx := context.Background()
	if _, err := tw.Text(ctx, "+16135550100", "+18772110211", "I need help with rent"); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Text(ctx, "+16135550100", "+18772110211", "K1N 6N5"); err != nil {
		t.Fatal(err)
	}
	conv, err := n.Gateway().Store().Open(o211.ChannelText, "+16135550100")
	if err != nil || conv.ItemID == "" {
		t.Fatalf("the text's conversation: %+v, %v", conv, err)
	}
	ann := personalToken(t, n, "ann", o211.RoleNavigator)
	if code, body := call(t, "PUT", base+"/api/v1/queue/presence", ann, `{"state":"available","languages":["en"]}`); code != http.StatusNoContent {
		t.Fatalf("presence: %d %s", code, body)
	}
	code, body := call(t, "GET", base+"/api/v1/queue/offer?wait=5s", ann, "")
	if code != http.StatusOK || !strings.Contains(body, conv.ItemID) || !strings.Contains(body, "postal code K1N 6N5") {
		t.Fatalf("offer: %d %s; want %s routed by the postal code", code, body, conv.ItemID)
	}
	if code, body := call(t, "POST", base+"/api/v1/queue/items/"+conv.ItemID+"/accept", ann, ""); code != http.StatusOK {
		t.Fatalf("accept: %d %s", code, body)
	}
	code, body = call(t, "POST", base+"/api/v1/conversations/"+conv.ID+"/messages", ann, `{"body":"Hello, this is Ann."}`)
	var m gateway.Message
	if code != http.StatusCreated || json.Unmarshal([]byte(body), &m) != nil || m.From != "navigator" {
		t.Fatalf("reply: %d %s", code, body)
	}
	testutil.WaitFor(t, 10*time.Second, "the two texts sent", func() bool { return len(tw.Messages()) == 2 })
	if got := tw.Messages(); got[1].Body != "Hello, this is Ann." || got[1].To != "+16135550100" {
		t.Fatalf("texts sent: %+v", got)
	}
	if code, body := call(t, "GET", base+"/api/v1/conversations/"+conv.ID, ann, ""); code != http.StatusOK || !strings.Contains(body, "Hello, this is Ann.") {
		t.Fatalf("the transcript: %d %s", code, body)
	}
	code, body = call(t, "GET", base+"/api/v1/audit?contact="+conv.ID, "tok-east", "")
	if code != http.StatusOK || !strings.Contains(body, `"action":"read"`) || !strings.Contains(body, `"action":"reply"`) ||
		!strings.Contains(body, `"username":"ann"`) {
		t.Fatalf("the audit log of the transcript: %d %s; want ann's reply and read", code, body)
	}
	if code, _ := call(t, "GET", base+"/api/v1/conversations/"+conv.ID, "", ""); code != http.StatusUnauthorized {
		t.Fatalf("a transcript without a credential: %d, want 401", code)
	}
	if code, body := call(t, "GET", base+"/", "", ""); code != http.StatusOK || !strings.Contains(body, `href="/gateway/chat"`) {
		t.Fatalf("the portal does not link to the chat: %d", code)
	}
	resp, err := http.Get(base + "/gateway/chat")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("the chat page: %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
}

// TestNode_HandOffText: two nodes on loopback share the provincial
// number's Twilio account; east takes the number's webhooks and hands a
// text whose postal code central serves to central's node, whose queue
// offers it to central's navigator; central texts the person through the
// REST API, and the navigator's reply goes out the same way.
func TestNode_HandOffText(t *testing.T) {
	tw, err := twiliotest.NewServer(twiliotest.Config{Numbers: []string{"+18772110211"}})
	if err != nil {
		t.Fatal(err)
	}
	defer tw.Close()
	start := func(region string, peers map[string]string) *Node {
		n := New(Config{Region: region, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", Token: "tok-" + region, NoSync: true,
			Hasher: cheapHasher, QueueOfferTimeout: time.Minute, Gateway: GatewayConfig{TwilioAccountSID: tw.AccountSID(),
				TwilioAuthToken: tw.AuthToken(), TwilioAPI: tw.URL(), Number: "+18772110211", Peers: peers}})
		if err := n.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		return n
	}
	central := start("central", nil)
	east := start("east", map[string]string{"central": central.URL()})
	tw.SetWebhooks(east.URL()+"/gateway/twilio/voice", east.URL()+"/gateway/twilio/sms", east.URL()+"/gateway/twilio/status")
	ctx := context.Background()
	for _, body := range []string{"I need help with rent", "M5V 2T6"} {
		if _, err := tw.Text(ctx, "+16135550101", "+18772110211", body); err != nil {
			t.Fatal(err)
		}
	}
	conv, err := central.Gateway().Store().Open(o211.ChannelText, "+16135550101")
	if err != nil || conv.Region != "central" {
		t.Fatalf("central's conversation: %+v, %v", conv, err)
	}
	ben := personalToken(t, central, "ben", o211.RoleNavigator)
	if code, body := call(t, "PUT", central.URL()+"/api/v1/queue/presence", ben, `{"state":"available","languages":["en"]}`); code != http.StatusNoContent {
		t.Fatalf("presence: %d %s", code, body)
	}
	code, body := call(t, "GET", central.URL()+"/api/v1/queue/offer?wait=5s", ben, "")
	if code != http.StatusOK || !strings.Contains(body, conv.ItemID) || !strings.Contains(body, "handed over by east") {
		t.Fatalf("offer at central: %d %s; want %s handed over by east", code, body, conv.ItemID)
	}
	if code, body := call(t, "POST", central.URL()+"/api/v1/queue/items/"+conv.ItemID+"/accept", ben, ""); code != http.StatusOK {
		t.Fatalf("accept: %d %s", code, body)
	}
	if code, body := call(t, "POST", central.URL()+"/api/v1/conversations/"+conv.ID+"/messages", ben, `{"body":"Hello, this is Ben."}`); code != http.StatusCreated {
		t.Fatalf("reply: %d %s", code, body)
	}
	testutil.WaitFor(t, 10*time.Second, "central's texts", func() bool { return len(tw.Messages()) == 3 })
	if got := tw.Messages(); !strings.Contains(got[0].Body, "will reply soon") || got[2].Body != "Hello, this is Ben." {
		t.Fatalf("texts sent: %+v", got)
	}
	if c, err := east.Gateway().Store().Open(o211.ChannelText, "+16135550101"); err != nil || c.State != "handed" {
		t.Fatalf("east's conversation %+v (%v), want handed", c, err)
	}
}
