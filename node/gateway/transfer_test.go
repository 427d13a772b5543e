package gateway_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/queue"
)

// A navigator who has a call transfers it warm to a program's number,
// through the queue API: the caller and the navigator are moved into a
// conference and the program dialled into it. A program that does not
// answer leaves the caller with the navigator; one that answers takes
// the caller, the navigator leaves and the item ends as transferred.
func TestTransfer_WarmToProgramNumber(t *testing.T) {
	e := MustStartEnv(t)
	ctx := context.Background()
	call, err := e.twilio.Call(ctx, "+16135550100", centreNumber)
	if err != nil {
		t.Fatal(err)
	}
	if err := call.Press(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	if err := call.Speak(ctx, "K1N 6N5"); err != nil {
		t.Fatal(err)
	}
	_, it := e.waitingItem(o211.ChannelPhone, call.SID)
	nav := httpx.BootstrapActorID
	if st := e.api("PUT", "/api/v1/queue/presence", map[string]any{"state": "available", "languages": []string{"en"}}, nil); st != http.StatusNoContent {
		t.Fatalf("presence: %d", st)
	}
	var offer queue.Offer
	if st := e.api("GET", "/api/v1/queue/offer?wait=10s", nil, &offer); st != http.StatusOK || offer.Item.ID != it.ID {
		t.Fatalf("offer: %d %+v, want the call's", st, offer)
	}
	if st := e.api("POST", "/api/v1/queue/items/"+it.ID+"/accept", nil, nil); st != http.StatusOK {
		t.Fatalf("accept: %d", st)
	}
	if call.Dialed() != nav {
		t.Fatalf("the call is connected to %q, want %s", call.Dialed(), nav)
	}
	conf := "o211-" + call.SID
	const busy, program = "+16135550199", "+16135550123"
	e.twilio.SetOutcome(busy, "no-answer")

	t.Run("NotAnswered", func(t *testing.T) {
		st := e.api("POST", "/api/v1/queue/items/"+it.ID+"/transfer", map[string]string{"to": "number", "number": "(613) 555-0199"}, nil)
		if st != http.StatusServiceUnavailable {
			t.Fatalf("transfer to a number that does not answer: %d, want 503", st)
		}
		room, ok := e.twilio.Conference(conf)
		if call.InConference() != conf || !ok || room.Participants["navigator"] != "client:"+nav || room.Participants["program"] != "" {
			t.Fatalf("the caller is in %q; conference %v %+v, want the caller with the navigator and no program", call.InConference(), ok, room)
		}
		if !slices.ContainsFunc(e.q.Mine(nav), func(m queue.Item) bool { return m.ID == it.ID }) {
			t.Fatal("the navigator no longer has the call")
		}
	})
	t.Run("Answered", func(t *testing.T) {
		st := e.api("POST", "/api/v1/queue/items/"+it.ID+"/transfer", map[string]string{"to": "number", "number": program}, nil)
		if st != http.StatusNoContent {
			t.Fatalf("transfer: %d, want 204 (refused: %v)", st, e.twilio.Refused())
		}
		room, _ := e.twilio.Conference(conf)
		if call.InConference() != conf || room.Participants["program"] != program || room.Participants["navigator"] != "" ||
			room.Participants["caller"] != "+16135550100" {
			t.Fatalf("conference %+v, want the caller with the program and no navigator", room)
		}
		if slices.ContainsFunc(e.q.Mine(nav), func(m queue.Item) bool { return m.ID == it.ID }) {
			t.Fatal("the navigator still has the call after the transfer")
		}
	})
	if r := e.twilio.Refused(); len(r) != 0 {
		t.Fatalf("the provider refused requests: %v", r)
	}
}
