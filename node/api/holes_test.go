package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
)

// TestWrite_Holes checks holes an outside probe found (issue 11): "needs a
// token" only when none was sent, JSON bodies that are not UTF-8 refused,
// and problems that echo no more than a short prefix of what was sent.
func TestWrite_Holes(t *testing.T) {
	d := MustOpenDirectory(t)
	srv := MustStartServer(t, d)
	u := srv.URL() + "/api/v1/organizations"
	t.Run("NeedsTokenOnlyWithout", func(t *testing.T) {
		if p := do(t, http.MethodPost, u, strings.NewReader(`{}`)).problem(t, 401); !strings.Contains(p.Detail, "needs") {
			t.Errorf("no token: %q, want it to say a token is needed", p.Detail)
		}
		for _, auth := range []string{"Bearer not-the-token", "Basic " + testToken, "Bearer"} {
			p := do(t, http.MethodPost, u, strings.NewReader(`{}`), "Authorization", auth).problem(t, 401)
			if strings.Contains(p.Detail, "needs") {
				t.Errorf("%s: %q, want it to say the credential is wrong, not missing", auth, p.Detail)
			}
		}
	})
	t.Run("ErrInvalidUTF8", func(t *testing.T) {
		p := do(t, http.MethodPost, u, strings.NewReader("{\"name\":\"Parkdale Caf\xe9\"}"), authed()...).problem(t, 400)
		if p.Code != o211.EINVALID || !strings.Contains(p.Detail, "UTF-8") {
			t.Errorf("problem %+v, want invalid UTF-8", p)
		}
	})
	t.Run("ShortEcho", func(t *testing.T) {
		long := strings.Repeat("z", 5000)
		r := do(t, http.MethodPost, u, strings.NewReader(`{"name":"Parkdale","`+long+`":1}`), authed()...)
		r.problem(t, http.StatusUnprocessableEntity)
		if strings.Contains(string(r.body), long[:httpx.MaxEcho+1]) {
			t.Errorf("the problem echoes more than %d bytes of the body: %.300s", httpx.MaxEcho, r.body)
		}
	})
}
