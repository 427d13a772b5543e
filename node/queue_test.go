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
	if code, body := call(t, "PATCH", base+"/api/v1/users/ann", admin, `{"languages":["en","fr"]}`); code != http.StatusOK {
		t.Fatalf("giving ann French: %d %s", code, body)
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

// TestNode_QueueQualifications: a supervisor gives a navigator French
// and crisis training on her account; the queue routes to her by them;
// she may narrow them for a shift but not claim another, nor give
// herself one.
func TestNode_QueueQualifications(t *testing.T) {
	n := mustStartRegion(t, "east")
	base, admin := n.URL(), "tok-east"
	ann := personalToken(t, n, "ann", o211.RoleNavigator)
	sup := personalToken(t, n, "sue", o211.RoleSupervisor)
	presence := func(body string, want int) {
		t.Helper()
		if code, got := call(t, "PUT", base+"/api/v1/queue/presence", ann, body); code != want {
			t.Fatalf("presence %s: %d %s; want %d", body, code, got, want)
		}
	}
	navigator := func() queue.NavigatorState {
		t.Helper()
		_, body := call(t, "GET", base+"/api/v1/queue", admin, "")
		var s queue.Snapshot
		if err := json.Unmarshal([]byte(body), &s); err != nil || len(s.Navigators) != 1 {
			t.Fatalf("queue: %s", body)
		}
		return s.Navigators[0]
	}
	// Nothing given: English only; French or a skill is refused.
	presence(`{"state":"available","languages":["fr"]}`, http.StatusForbidden)
	presence(`{"state":"available","skills":["crisis"]}`, http.StatusForbidden)
	presence(`{"state":"available"}`, http.StatusNoContent)
	if nv := navigator(); strings.Join(nv.Languages, ",") != "en" || len(nv.Skills) != 0 {
		t.Fatalf("with nothing given: %v %v; want en and no skill", nv.Languages, nv.Skills)
	}
	// She cannot give herself French; her supervisor can.
	if code, body := call(t, "PATCH", base+"/api/v1/users/ann", ann, `{"languages":["en","fr"]}`); code != http.StatusForbidden {
		t.Fatalf("ann giving herself French: %d %s; want 403", code, body)
	}
	code, body := call(t, "PATCH", base+"/api/v1/users/ann", sup, `{"languages":["en","FR"],"skills":["crisis"]}`)
	if code != http.StatusOK || !strings.Contains(body, `"languages":["en","fr"]`) || !strings.Contains(body, `"skills":["crisis"]`) {
		t.Fatalf("the supervisor giving ann French and crisis: %d %s", code, body)
	}
	if code, body := call(t, "PATCH", base+"/api/v1/users/ann", sup, `{"skills":["crisis!"]}`); code != http.StatusBadRequest {
		t.Fatalf("a skill that is no word: %d %s; want 400", code, body)
	}
	// All she was given when she names none; narrowed when she does.
	presence(`{"state":"available"}`, http.StatusNoContent)
	if nv := navigator(); strings.Join(nv.Languages, ",") != "en,fr" || strings.Join(nv.Skills, ",") != "crisis" {
		t.Fatalf("all given: %v %v; want en,fr and crisis", nv.Languages, nv.Skills)
	}
	presence(`{"state":"available","languages":["en"],"skills":[]}`, http.StatusNoContent)
	if nv := navigator(); strings.Join(nv.Languages, ",") != "en" || len(nv.Skills) != 0 {
		t.Fatalf("narrowed: %v %v; want en and no skill", nv.Languages, nv.Skills)
	}
	presence(`{"state":"available","skills":["crisis","suicide"]}`, http.StatusForbidden)
	// A French crisis call reaches her once she takes French and crisis.
	code, body = call(t, "POST", base+"/api/v1/queue/items", admin, `{"channel":"phone","language":"fr","skills":["crisis"]}`)
	if code != http.StatusCreated {
		t.Fatalf("enqueue: %d %s", code, body)
	}
	if code, body := call(t, "GET", base+"/api/v1/queue/offer?wait=0s", ann, ""); code != http.StatusNoContent {
		t.Fatalf("offer while narrowed to English: %d %s; want 204", code, body)
	}
	presence(`{"state":"available"}`, http.StatusNoContent)
	if code, body := call(t, "GET", base+"/api/v1/queue/offer?wait=5s", ann, ""); code != http.StatusOK {
		t.Fatalf("offer with all she was given: %d %s; want 200", code, body)
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
