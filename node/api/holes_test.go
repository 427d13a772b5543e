package api_test

import (
	"net/http"
	"os"
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
		r = do(t, http.MethodGet, u+"/"+long, nil, authed()...)
		r.problem(t, http.StatusNotFound)
		if strings.Contains(string(r.body), long[:2*httpx.MaxEcho+1]) {
			t.Errorf("the problem echoes more than a prefix of the path: %.300s", r.body)
		}
	})
}

// TestImport_NoTempFolder checks that an import's problems never name the
// temporary folder the upload was unpacked in (issue 11), even where the
// importer names the folder itself rather than a file in it.
func TestImport_NoTempFolder(t *testing.T) {
	srv, _ := MustStartImportServer(t)
	body, ct := multipartOf(t, map[string][]byte{"notes.txt": []byte("hello"), "more.txt": []byte("world")})
	r := do(t, http.MethodPost, srv.URL()+"/api/v1/import?format=hsds-json", body, "Authorization", "Bearer "+testToken, "Content-Type", ct)
	if r.StatusCode < 400 {
		t.Fatalf("importing two text files as hsds-json: %d %s, want a problem", r.StatusCode, r.body)
	}
	if strings.Contains(string(r.body), "o211-import-") || strings.Contains(string(r.body), os.TempDir()) {
		t.Errorf("the problem names the temporary folder: %s", r.body)
	}
}
