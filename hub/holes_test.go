package hub

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
)

// testHTTPHoles checks the holes an outside probe found in the hub's API
// (issue 11): one way to read a bearer token, "needs a token" only when
// none was sent, JSON bodies that are not UTF-8 refused, and error
// messages that echo no more than a short prefix of what was sent.
func testHTTPHoles(t *testing.T, c *cluster, leader, follower *Replica) {
	put := func(t *testing.T, auth, body string, status int) (httpx.Problem, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, "http://"+follower.HTTPAddr()+"/api/v1/regions/holes", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != status {
			t.Fatalf("PUT with %q: %d %s, want %d", auth, resp.StatusCode, b, status)
		}
		var p httpx.Problem
		if status >= 300 {
			p = httpx.Problem{}
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
		}
		return p, string(b)
	}
	t.Run("NeedsTokenOnlyWithout", func(t *testing.T) {
		if p, _ := put(t, "", `{"name":"Holes"}`, 401); !strings.Contains(p.Detail, "needs") {
			t.Errorf("no token: %q, want it to say a token is needed", p.Detail)
		}
		for _, auth := range []string{"Bearer not-the-token", "Basic " + testToken} {
			if p, _ := put(t, auth, `{"name":"Holes"}`, 401); strings.Contains(p.Detail, "needs") || p.Code != o211.EUNAUTHORIZED {
				t.Errorf("%s: %q, want it to say the credential is wrong, not missing", auth, p.Detail)
			}
		}
	})
	t.Run("BearerReadAsOnNodes", func(t *testing.T) {
		put(t, "bearer  "+testToken+" ", `{"name":"Holes"}`, 200)
	})
	t.Run("ErrInvalidUTF8", func(t *testing.T) {
		if p, _ := put(t, "Bearer "+testToken, "{\"name\":\"Hol\xffes\"}", 400); p.Code != o211.EINVALID || !strings.Contains(p.Detail, "UTF-8") {
			t.Errorf("problem %+v, want invalid UTF-8", p)
		}
	})
	t.Run("ShortEcho", func(t *testing.T) {
		long := strings.Repeat("x", 5000)
		_, body := put(t, "Bearer "+testToken, `{"name":"Holes","`+long+`":1}`, 400)
		if strings.Contains(body, long[:httpx.MaxEcho+1]) {
			t.Errorf("the problem echoes more than %d bytes of the body: %.300s", httpx.MaxEcho, body)
		}
	})
}
