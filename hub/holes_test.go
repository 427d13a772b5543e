package hub

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

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

// TestHTTP_IdleTimeout checks that the hub's HTTP server closes a
// keep-alive connection left idle, as a node's does (issue 11): without
// an idle timeout a client could hold connections open for ever.
func TestHTTP_IdleTimeout(t *testing.T) {
	c := newCluster(t, 1, withConfig(func(cfg *Config) { cfg.HTTPIdleTimeout = 200 * time.Millisecond }))
	r := c.leader(10 * time.Second)
	conn, err := net.Dial("tcp", r.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("GET /healthz: %d, close %v; want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection: read %v, want EOF (closed by the server)", err)
	}
}

// TestHTTP_ReadHeaderTimeout checks that the hub's HTTP server closes a
// connection whose request headers never end (issue 11), as a node's does:
// without a header timeout a slow client could hold connections for ever.
// A replica left to its defaults gets the node's: 10 s and 2 min.
func TestHTTP_ReadHeaderTimeout(t *testing.T) {
	c := newCluster(t, 1, withConfig(func(cfg *Config) { cfg.HTTPReadHeaderTimeout = 200 * time.Millisecond }))
	r := c.leader(10 * time.Second)
	conn, err := net.Dial("tcp", r.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second)) // less than the 10 s default: the setting must apply
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("a request whose headers never end: %v after %q, want the server to close the connection", err, b)
	}
	if strings.Contains(string(b), " 200 ") {
		t.Fatalf("the server answered a request whose headers never ended: %q", b)
	}
	if rh, idle := r.http.Timeouts(); rh != 200*time.Millisecond || idle != 2*time.Minute {
		t.Errorf("the hub's HTTP timeouts: header %s, idle %s; want the configured 200ms and the default 2m0s", rh, idle)
	}
}
