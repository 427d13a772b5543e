package console_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node"
	"github.com/o211/o211/node/queue"
)

// enqueue puts a contact in the node's queue.
func enqueue(tb testing.TB, n *node.Node, it queue.Item) queue.Item {
	tb.Helper()
	got, err := n.Queue().Enqueue(context.Background(), it)
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

// TestConsole_Queue walks the live queue page without JavaScript: a
// supervisor gives a navigator French and crisis training on the users
// page; the navigator's presence form offers those (and nothing she was
// not given); she sets herself available in English and French, sees the
// French call offered, accepts it (and lands in the contact workspace,
// filled in), finishes it; a stale accept shows an error; roles are
// checked.
func TestConsole_Queue(t *testing.T) {
	n := MustStartPortal(t)
	mustAddUser(t, n, "nadia", o211.RoleNavigator)
	mustAddUser(t, n, "anna", o211.RoleAnalyst)
	mustAddUser(t, n, "sara", o211.RoleSupervisor)
	sup := newStaff(t, n)
	sup.signIn("sara")
	sup.get("/console/users").mustStatus(t, http.StatusOK).mustContain(t, `id="languages-nadia" name="languages"`, `value="en"`)
	sup.post("/console/users/nadia/qualifications", "languages", "en fr", "skills", "crisis!").mustStatus(t, http.StatusBadRequest).
		mustContain(t, "Enter skills as short lower-case words")
	sup.post("/console/users/nadia/qualifications", "languages", "en, fr", "skills", "crisis").mustRedirect(t, "/console/users?done=qualified&name=nadia")
	sup.get("/console/users?done=qualified&name=nadia").mustContain(t, "languages and skills have been saved", `value="en fr"`, `value="crisis"`)
	sup.post("/console/users/sara/qualifications", "languages", "en fr").mustStatus(t, http.StatusForbidden)
	s := newStaff(t, n)
	if p := s.get("/console/queue"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/console/login") {
		t.Fatalf("a stranger got %d to %q; want 303 to the sign-in page", p.status, p.header.Get("Location"))
	}
	a := newStaff(t, n)
	a.signIn("anna")
	a.get("/console/queue").mustStatus(t, http.StatusForbidden)

	s.signIn("nadia")
	s.get("/console/queue").mustStatus(t, http.StatusOK).mustContain(t, "Live queue", "Nobody is waiting.", "Service level, last 24 hours",
		`id="language-fr" name="language" type="checkbox" value="fr" checked`, `id="skill-crisis" name="skill" type="checkbox" value="crisis" checked`)
	form := url.Values{"form_token": {s.token}, "presence": {"available"}, "language": {"en", "fr", "xx"}}
	s.postRaw("/console/queue/presence", form.Encode()).mustRedirect(t, "/console/queue?done=presence")
	it := enqueue(t, n, queue.Item{Channel: o211.ChannelPhone, Language: "fr", From: "+16135550100", RoutedBy: "postal code K1N 6N5"})
	s.get("/console/queue").mustStatus(t, http.StatusOK).mustContain(t, "A contact is offered to you", "Call · French",
		"routed here by postal code K1N 6N5", `id="language-fr" name="language" type="checkbox" value="fr" checked`)
	want := queue.WorkspaceURL(it)
	s.post("/console/queue/"+it.ID+"/accept").mustRedirect(t, want)
	if !strings.HasPrefix(want, "/console/contacts/new?channel=phone&from=%2B16135550100&language=fr&queue_item=") {
		t.Fatalf("workspace link %q", want)
	}
	s.get("/console/queue").mustContain(t, "Your contacts", "Open in the contact workspace", `href="`+strings.ReplaceAll(want, "&", "&amp;")+`"`)
	s.post("/console/queue/"+it.ID+"/accept").mustStatus(t, http.StatusConflict).mustContain(t, "There is a problem", "no longer offered to you")
	// A transfer to a program named by its directory service finds its
	// number (the food bank's), then meets telephony that cannot
	// transfer yet; an unknown service is not found.
	tok, _, err := n.Accounts().CreateToken(context.Background(), nadiaActor(t, n), "t", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		service string
		want    int
	}{{banqueID, http.StatusNotImplemented}, {"no-such-service", http.StatusNotFound}} {
		req, _ := http.NewRequest("POST", n.URL()+"/api/v1/queue/items/"+it.ID+"/transfer",
			strings.NewReader(`{"to":"number","service":"`+tc.service+`"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("transfer to service %s: %d; want %d", tc.service, resp.StatusCode, tc.want)
		}
	}
	s.post("/console/queue/"+it.ID+"/done").mustRedirect(t, "/console/queue?done=finished")
	s.get("/fr/console/queue").mustStatus(t, http.StatusOK).mustContain(t, "File d’attente en direct", "Post-appel", "Répondus en 90 s")
}

// TestConsole_QueueEvents reads the live queue's event stream: the first
// event on connecting is the whole state, a change sends it again, and a
// reconnected stream starts with the state as it is now.
func TestConsole_QueueEvents(t *testing.T) {
	n := MustStartPortal(t)
	mustAddUser(t, n, "nadia", o211.RoleNavigator)
	s := newStaff(t, n)
	s.signIn("nadia")
	first := func(ctx context.Context) (*bufio.Reader, func()) {
		ctx, cancel := context.WithCancel(ctx)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/console/queue/events", nil)
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		return bufio.NewReader(resp.Body), func() { cancel(); resp.Body.Close() }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, stop := first(ctx)
	if ev := readEvent(t, r); !strings.Contains(ev, "Waiting (0)") {
		t.Fatalf("first event:\n%.500s\nwant the state with nobody waiting", ev)
	}
	enqueue(t, n, queue.Item{Channel: o211.ChannelChat, Language: "en"})
	for ev := readEvent(t, r); !strings.Contains(ev, "Waiting (1)"); ev = readEvent(t, r) {
	}
	stop()
	r, stop = first(ctx)
	defer stop()
	if ev := readEvent(t, r); !strings.Contains(ev, "Waiting (1)") || !strings.Contains(ev, "Chat") {
		t.Fatalf("first event after reconnecting:\n%.500s\nwant the chat waiting", ev)
	}
}

// nadiaActor returns the actor of user nadia.
func nadiaActor(tb testing.TB, n *node.Node) o211.Actor {
	tb.Helper()
	us, err := n.Accounts().Users(context.Background(), o211.System("test"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, u := range us {
		if u.Username == "nadia" {
			return u.Actor()
		}
	}
	tb.Fatal("no user nadia")
	return o211.Actor{}
}

// readEvent reads one server-sent event and returns its data.
func readEvent(tb testing.TB, r *bufio.Reader) string {
	tb.Helper()
	var data strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			tb.Fatalf("reading the event stream: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		if line == "" && data.Len() > 0 {
			return data.String()
		}
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			data.WriteString(d + "\n")
		}
	}
}
