package contacts_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
)

// TestContacts_Holes checks holes an outside probe found (issue 11): a JSON
// body that is not UTF-8 is refused rather than stored with U+FFFD in place
// of what was sent, and a problem never echoes more than a short prefix of
// the body.
func TestContacts_Holes(t *testing.T) {
	n := MustOpenNode(t, nil)
	b, _ := json.Marshal(body(start))
	t.Run("ErrInvalidUTF8", func(t *testing.T) {
		bad := strings.Replace(string(b), "Zebulon", "Zeb\xffulon", 1)
		if bad == string(b) {
			t.Fatal("the test contact has no first name to spoil")
		}
		p := n.do(t, "POST", "/api/v1/contacts", bad).problem(t, http.StatusBadRequest)
		if p.Code != o211.EINVALID || !strings.Contains(p.Detail, "UTF-8") {
			t.Errorf("problem %+v, want invalid UTF-8", p)
		}
		c := n.do(t, "POST", "/api/v1/contacts", string(b)).want(t, http.StatusCreated).contact(t)
		n.do(t, "PATCH", "/api/v1/contacts/"+c.ID, "{\"notes\":\"caf\xe9\"}", "If-Match", `"1"`).problem(t, http.StatusBadRequest)
	})
	t.Run("ShortEcho", func(t *testing.T) {
		long := strings.Repeat("y", 5000)
		bad := strings.Replace(string(b), "{", `{"`+long+`":1,`, 1)
		r := n.do(t, "POST", "/api/v1/contacts", bad)
		r.problem(t, http.StatusBadRequest)
		if strings.Contains(string(r.body), long[:httpx.MaxEcho+1]) {
			t.Errorf("the problem echoes more than %d bytes of the body: %.300s", httpx.MaxEcho, r.body)
		}
		for _, q := range []string{"limit=", "from=", "status=", "redacted="} {
			r := n.do(t, "GET", "/api/v1/contacts?"+q+long, nil)
			r.problem(t, http.StatusBadRequest)
			if strings.Contains(string(r.body), long[:httpx.MaxEcho+1]) {
				t.Errorf("%s: the problem echoes more than %d bytes of the query: %.300s", q, httpx.MaxEcho, r.body)
			}
		}
	})
}
