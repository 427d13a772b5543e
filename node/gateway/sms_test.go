package gateway_test

import (
	"context"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/gateway"
)

// A French text opens a conversation that asks for a postal code; the
// answer queues it; the navigator who accepts is announced by a text
// through the REST API, replies through the API, and the person's next
// text joins the transcript.
func TestSMS_Conversation(t *testing.T) {
	e := MustStartEnv(t)
	ctx := context.Background()
	doc, err := e.twilio.Text(ctx, "+16135550123", centreNumber, "Bonjour, j'ai besoin d'aide pour mon loyer")
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Nodes) != 1 || !strings.Contains(doc.Nodes[0].Text, "code postal") {
		t.Fatalf("the first reply: %+v, want the French postal code question", doc.Nodes)
	}
	doc, err = e.twilio.Text(ctx, "+16135550123", centreNumber, "k1n 6n5")
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Nodes) != 1 || !strings.Contains(doc.Nodes[0].Text, "vous répondra") {
		t.Fatalf("the reply to the postal code: %+v", doc.Nodes)
	}
	c, it := e.waitingItem(o211.ChannelText, "+16135550123")
	if it.Channel != o211.ChannelText || it.Language != "fr" || it.RoutedBy != "postal code K1N 6N5" || it.Ref != c.ID {
		t.Fatalf("queued item %+v", it)
	}
	e.accept("nav-fr", "fr", it.ID)
	var sent gateway.Message
	if st := e.api("POST", "/api/v1/conversations/"+c.ID+"/messages", map[string]string{"body": "Bonjour! Où êtes-vous?"}, &sent); st != 201 {
		t.Fatalf("reply: %d", st)
	}
	got := e.twilio.Messages()
	if len(got) != 2 || got[0].To != "+16135550123" || got[0].From != centreNumber ||
		!strings.Contains(got[0].Body, "avec vous") || got[1].Body != "Bonjour! Où êtes-vous?" {
		t.Fatalf("texts sent through the REST API: %+v", got)
	}
	doc, err = e.twilio.Text(ctx, "+16135550123", centreNumber, "À Vanier")
	if err != nil || len(doc.Nodes) != 0 {
		t.Fatalf("a text during the conversation: %+v, %v; want no automatic reply", doc.Nodes, err)
	}
	lines := e.transcript(c.ID)
	for _, want := range []string{"person: Bonjour, j'ai besoin", "person: k1n 6n5", "navigator: Bonjour! Où", "person: À Vanier"} {
		if !hasLine(lines, want) {
			t.Fatalf("transcript %q lacks %q", lines, want)
		}
	}
	// The navigator finishes; days later the person writes again: the
	// conversation waits in the queue again, with its route.
	if err := e.q.Done(ctx, "nav-fr", it.ID, "referred"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.twilio.Text(ctx, "+16135550123", centreNumber, "Encore moi"); err != nil {
		t.Fatal(err)
	}
	again, it2 := e.waitingItem(o211.ChannelText, "+16135550123")
	if again.ID != c.ID || it2.ID == it.ID || it2.RoutedBy != "postal code K1N 6N5" || it2.Language != "fr" {
		t.Fatalf("written to again: conversation %s item %+v; want %s queued again as a new item", again.ID, it2, c.ID)
	}
}

// A text that answers SKIP is routed by its area code; a number of
// another province by the default region.
func TestSMS_Skip(t *testing.T) {
	e := MustStartEnv(t)
	ctx := context.Background()
	for _, tc := range []struct{ from, want string }{
		{"+16135550124", "area code 613"},
		{"+12125550124", "default region"},
	} {
		e.twilio.Text(ctx, tc.from, centreNumber, "help")
		e.twilio.Text(ctx, tc.from, centreNumber, "SKIP")
		_, it := e.waitingItem(o211.ChannelText, tc.from)
		if it.RoutedBy != tc.want {
			t.Fatalf("%s: routed by %q, want %q", tc.from, it.RoutedBy, tc.want)
		}
	}
}
