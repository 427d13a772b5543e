package node

import (
	"net/http"
	"strings"
	"testing"
)

// TestNode_EmergencyTagFromTheList checks that a contact's emergency tag
// comes only from the list an administrator keeps, never from free text
// (issue 11.3).
func TestNode_EmergencyTagFromTheList(t *testing.T) {
	n := mustStartNode(t, t.TempDir())
	defer n.Close()
	do := func(method, path, token, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, n.URL()+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			k, err := resp.Body.Read(buf)
			b.Write(buf[:k])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	contact := `{"channel":"phone","status":"closed","start":"2026-11-02T10:00:00Z","end":"2026-11-02T10:10:00Z",
		"emergency":"kashechewan-flood","caller":{"first_name":"Ann"},"needs":[{"code":"BD-1800.2000","status":"met"}]}`
	if st, body := do("POST", "/api/v1/contacts", "tok", contact); st != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"emergency"`) {
		t.Fatalf("a contact tagged with an emergency no one listed: %d %s, want 422 about emergency", st, body)
	}
	if st, body := do("PUT", "/api/v1/emergencies/kashechewan-flood", "", ""); st != http.StatusUnauthorized {
		t.Fatalf("listing an emergency without the token: %d %s, want 401", st, body)
	}
	if st, body := do("PUT", "/api/v1/emergencies/Big Flood!", "tok", ""); st != http.StatusBadRequest {
		t.Fatalf("a free-text emergency: %d %s, want 400", st, body)
	}
	if st, body := do("PUT", "/api/v1/emergencies/kashechewan-flood", "tok", ""); st != http.StatusOK || !strings.Contains(body, `["kashechewan-flood"]`) {
		t.Fatalf("listing an emergency: %d %s", st, body)
	}
	if st, body := do("POST", "/api/v1/contacts", "tok", contact); st != http.StatusCreated {
		t.Fatalf("a contact tagged with a listed emergency: %d %s, want 201", st, body)
	}
	if st, body := do("GET", "/api/v1/emergencies", "", ""); st != http.StatusOK || !strings.Contains(body, "kashechewan-flood") {
		t.Fatalf("the list: %d %s", st, body)
	}
}
