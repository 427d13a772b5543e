package node

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/auth"
)

var cheapHasher = auth.NewHasher(auth.Params{Memory: 1024, Time: 1, Threads: 1}, 2)

// mustStartRegion starts a node of region with its own bootstrap token.
func mustStartRegion(tb testing.TB, region string) *Node {
	tb.Helper()
	n := New(Config{Region: region, DataDir: tb.TempDir(), HTTPAddr: "127.0.0.1:0", Token: "tok-" + region,
		NoSync: true, Hasher: cheapHasher})
	if err := n.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { n.Close() })
	return n
}

// personalToken adds a user of n's region with role and returns a token.
func personalToken(tb testing.TB, n *Node, name string, role o211.Role) string {
	tb.Helper()
	ctx := context.Background()
	u, err := n.Accounts().AddUser(ctx, o211.System("test"), name, name+"-password", role)
	if err != nil {
		tb.Fatal(err)
	}
	tok, _, err := n.Accounts().CreateToken(ctx, u.Actor(), "test", "", nil)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// call sends a request with a bearer token (and a cookie) and returns the
// status and body.
func call(tb testing.TB, method, url, token, body string, cookies ...*http.Cookie) (int, string) {
	tb.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const contactBody = `{"channel":"phone","start":"2026-11-02T10:00:00Z","caller":{"first_name":"Ann","callback":"416-555-0100"},
	"needs":[{"code":"BD-1800.2000","status":"met"}]}`

// TestAccounts_RegionAndRole: a navigator of one region cannot read
// another region's contacts, whatever URL, id or credential of theirs it
// sends; each role reaches only its own APIs.
func TestAccounts_RegionAndRole(t *testing.T) {
	east, west := mustStartRegion(t, "east"), mustStartRegion(t, "west")
	nadia := personalToken(t, east, "nadia", o211.RoleNavigator)
	wes := personalToken(t, west, "wes", o211.RoleNavigator)
	st, body := call(t, "POST", west.URL()+"/api/v1/contacts", wes, strings.Replace(contactBody, "Ann", "Wendy", 1))
	var westContact o211.Contact
	if err := json.Unmarshal([]byte(body), &westContact); st != http.StatusCreated || err != nil {
		t.Fatalf("west's navigator creating a contact: %d %s", st, body)
	}
	if st, body := call(t, "POST", east.URL()+"/api/v1/contacts", nadia, contactBody); st != http.StatusCreated {
		t.Fatalf("east's navigator creating a contact: %d %s", st, body)
	}
	w := httptest.NewRecorder()
	if _, err := east.Accounts().SignIn(w, httptest.NewRequest("POST", "/console/login", nil), "nadia", "nadia-password"); err != nil {
		t.Fatal(err)
	}
	session := w.Result().Cookies()[0]
	for _, tc := range []struct {
		name, method, url, token string
		cookie                   *http.Cookie
		want                     int
	}{
		{"ErrTokenOfAnotherRegion", "GET", west.URL() + "/api/v1/contacts/" + westContact.ID, nadia, nil, http.StatusUnauthorized},
		{"ErrTokenOfAnotherRegionList", "GET", west.URL() + "/api/v1/contacts", nadia, nil, http.StatusUnauthorized},
		{"ErrSessionOfAnotherRegion", "GET", west.URL() + "/api/v1/contacts/" + westContact.ID, "", session, http.StatusUnauthorized},
		{"ErrBootstrapOfAnotherRegion", "GET", west.URL() + "/api/v1/contacts/" + westContact.ID, "tok-east", nil, http.StatusUnauthorized},
		{"ErrIDOfAnotherRegion", "GET", east.URL() + "/api/v1/contacts/" + westContact.ID, nadia, nil, http.StatusNotFound},
		{"ErrIDOfAnotherRegionBySession", "GET", east.URL() + "/api/v1/contacts/" + westContact.ID, "", session, http.StatusNotFound},
		{"SessionAtHome", "GET", east.URL() + "/api/v1/contacts", "", session, http.StatusOK},
		{"ErrSessionWriteWithoutFormToken", "POST", east.URL() + "/api/v1/contacts", "", session, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cookies []*http.Cookie
			if tc.cookie != nil {
				cookies = append(cookies, tc.cookie)
			}
			body := ""
			if tc.method == "POST" {
				body = contactBody
			}
			if st, b := call(t, tc.method, tc.url, tc.token, body, cookies...); st != tc.want || strings.Contains(b, "Wendy") {
				t.Errorf("status %d, want %d; body %.200s", st, tc.want, b)
			}
		})
	}
	t.Run("Roles", func(t *testing.T) {
		rita := personalToken(t, east, "rita", o211.RoleResourceSpecialist)
		ana := personalToken(t, east, "ana", o211.RoleAnalyst)
		sam := personalToken(t, east, "sam", o211.RoleSupervisor)
		org := `{"id":"org-1","name":"Org","description":"x"}`
		for _, tc := range []struct {
			name, method, path, token, body string
			want                            int
		}{
			{"ErrSpecialistReadsContacts", "GET", "/api/v1/contacts", rita, "", http.StatusForbidden},
			{"ErrAnalystReadsContacts", "GET", "/api/v1/contacts", ana, "", http.StatusForbidden},
			{"ErrNavigatorReadsAudit", "GET", "/api/v1/audit", nadia, "", http.StatusForbidden},
			{"ErrNavigatorWritesDirectory", "POST", "/api/v1/organizations", nadia, org, http.StatusForbidden},
			{"SpecialistWritesDirectory", "POST", "/api/v1/organizations", rita, org, http.StatusCreated},
			{"SupervisorReadsAudit", "GET", "/api/v1/audit", sam, "", http.StatusOK},
			{"ErrNavigatorListsUsers", "GET", "/api/v1/users", nadia, "", http.StatusForbidden},
			{"SupervisorListsUsers", "GET", "/api/v1/users", sam, "", http.StatusOK},
			{"ErrNoCredential", "GET", "/api/v1/contacts", "", "", http.StatusUnauthorized},
			{"ErrMadeUpToken", "GET", "/api/v1/contacts", "o211_0123456789abcdef_" + strings.Repeat("A", 43), "", http.StatusUnauthorized},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if st, b := call(t, tc.method, east.URL()+tc.path, tc.token, tc.body); st != tc.want {
					t.Errorf("%s %s: status %d, want %d; body %.200s", tc.method, tc.path, st, tc.want, b)
				}
			})
		}
	})
}

// TestAccounts_Headers: every answer, portal page or API, carries the
// security headers, and a write a browser says came from another site is
// refused.
func TestAccounts_Headers(t *testing.T) {
	n := mustStartRegion(t, "east")
	for _, path := range []string{"/", "/console/login", "/api/v1/search?q=x", "/hsds/", "/no-such-page"} {
		resp, err := http.Get(n.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
	req, _ := http.NewRequest("POST", n.URL()+"/api/v1/contacts", strings.NewReader(contactBody))
	req.Header.Set("Authorization", "Bearer tok-east")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site write: status %d, want 403", resp.StatusCode)
	}
}
