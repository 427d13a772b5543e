package node

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/queue"
)

// TestNode_QueueAPI drives the region's queue over real HTTP: the admin
// enqueues a French call, a French-speaking navigator sets herself
// available, long-polls her offer, accepts it (the answer links to the
// contact workspace, filled in) and finishes; the service level shows at
// /api/v1/queue/stats and in /metrics; each role reaches only its part.
func TestNode_QueueAPI(t *testing.T) {
	n := mustStartRegion(t, "east")
	base, admin := n.URL(), "tok-east"
	ann := personalToken(t, n, "ann", o211.RoleNavigator)
	analyst := personalToken(t, n, "al", o211.RoleAnalyst)
	specialist := personalToken(t, n, "rs", o211.RoleResourceSpecialist)

	code, body := call(t, "POST", base+"/api/v1/queue/items", admin, `{"channel":"phone","language":"fr","from":"+16135550100","routed_by":"postal code K1N 6N5"}`)
	if code != http.StatusCreated {
		t.Fatalf("enqueue: %d %s", code, body)
	}
	var it queue.Item
	if err := json.Unmarshal([]byte(body), &it); err != nil {
		t.Fatal(err)
	}
	if code, body := call(t, "PUT", base+"/api/v1/queue/presence", ann, `{"state":"available","languages":["en","fr"]}`); code != http.StatusNoContent {
		t.Fatalf("presence: %d %s", code, body)
	}
	code, body = call(t, "GET", base+"/api/v1/queue/offer?wait=5s", ann, "")
	if code != http.StatusOK || !strings.Contains(body, it.ID) {
		t.Fatalf("offer: %d %s; want 200 with %s", code, body, it.ID)
	}
	code, body = call(t, "POST", base+"/api/v1/queue/items/"+it.ID+"/accept", ann, "")
	var acc queue.Accepted
	if code != http.StatusOK || json.Unmarshal([]byte(body), &acc) != nil {
		t.Fatalf("accept: %d %s", code, body)
	}
	u, err := url.Parse(acc.Workspace)
	if err != nil || u.Path != "/console/contacts/new" || u.Query().Get("channel") != "phone" ||
		u.Query().Get("from") != "+16135550100" || u.Query().Get("queue_item") != it.ID {
		t.Fatalf("workspace %q; want /console/contacts/new with channel, from and queue_item", acc.Workspace)
	}
	if code, body := call(t, "POST", base+"/api/v1/queue/items/"+it.ID+"/done", ann, `{"outcome":"referred"}`); code != http.StatusNoContent {
		t.Fatalf("done: %d %s", code, body)
	}
	code, body = call(t, "GET", base+"/api/v1/queue/stats", analyst, "")
	var s queue.Stats
	if code != http.StatusOK || json.Unmarshal([]byte(body), &s) != nil || len(s.Levels) != 1 ||
		s.Levels[0].Answered != 1 || s.Levels[0].Language != "fr" || s.Levels[0].Handled != 1 {
		t.Fatalf("stats: %d %s; want one French call answered and handled", code, body)
	}
	_, body = call(t, "GET", base+"/metrics", admin, "")
	if !strings.Contains(body, `o211_queue_service_level_ratio{channel="phone",language="fr",region="east"} 1`) {
		t.Fatalf("/metrics has no service level of French calls:\n%s", grepLines(body, "o211_queue"))
	}

	for _, tc := range []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"NoCredential", "GET", "/api/v1/queue", "", "", http.StatusUnauthorized},
		{"SpecialistCannotSeeTheQueue", "GET", "/api/v1/queue", specialist, "", http.StatusForbidden},
		{"AnalystCannotTakeCalls", "PUT", "/api/v1/queue/presence", analyst, `{"state":"available"}`, http.StatusForbidden},
		{"NavigatorCannotEnqueue", "POST", "/api/v1/queue/items", ann, `{"channel":"phone"}`, http.StatusForbidden},
		{"UnknownState", "PUT", "/api/v1/queue/presence", ann, `{"state":"asleep"}`, http.StatusBadRequest},
		{"UnknownField", "PUT", "/api/v1/queue/presence", ann, `{"state":"away","mood":"fine"}`, http.StatusBadRequest},
		{"TooLarge", "POST", "/api/v1/queue/items", admin, `{"from":"` + strings.Repeat("x", 20<<10) + `"}`, http.StatusRequestEntityTooLarge},
		{"NotMine", "POST", "/api/v1/queue/items/" + it.ID + "/done", ann, "", http.StatusNotFound},
		{"NoOffer", "POST", "/api/v1/queue/items/east-99/accept", ann, "", http.StatusConflict},
		{"BadWait", "GET", "/api/v1/queue/offer?wait=1h", ann, "", http.StatusBadRequest},
		{"BadTransfer", "POST", "/api/v1/queue/items/" + it.ID + "/transfer", ann, `{"to":"moon"}`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := call(t, tc.method, base+tc.path, tc.token, tc.body); code != tc.want {
				t.Fatalf("%s %s: %d %s; want %d", tc.method, tc.path, code, body, tc.want)
			}
		})
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
