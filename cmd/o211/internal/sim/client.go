package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// client calls one node's HTTP API with a bearer token. When Retry is
// set, a request that could not reach the node (refused, reset: the node
// is restarting) is sent again until Retry passes; requests are made
// idempotent by the simulator (its own item ids, "if_waiting").
type client struct {
	base  string
	token string
	hc    *http.Client
	retry time.Duration
}

// statusError is an answer other than the one expected.
type statusError struct {
	Status int
	Body   string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Status, strings.TrimSpace(truncate(e.Body, 200)))
}

func statusOf(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// do sends method path with body (JSON when not nil) and decodes a JSON
// answer into out (when not nil). A status of 300 or more is a
// *statusError.
func (c *client) do(ctx context.Context, method, path string, body, out any) (int, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return 0, err
		}
	}
	deadline := time.Now().Add(c.retry)
	for {
		code, err := c.once(ctx, method, path, b, out)
		if err == nil || statusOf(err) != 0 || ctx.Err() != nil || time.Now().After(deadline) {
			return code, err
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (c *client) once(ctx context.Context, method, path string, b []byte, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if b != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, &statusError{resp.StatusCode, string(rb)}
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(rb, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

var formTokenRE = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

// navigatorToken makes sure a navigator user username exists with the
// languages given (the admin token adds them, as an administrator does
// on the console's users page), signs in through the console's form
// like a browser and makes a personal API token with the session. It
// returns the token and its id (to revoke at the end).
func navigatorToken(ctx context.Context, base, admin, username, password string, langs []string, hc *http.Client) (token, id string, err error) {
	ac := &client{base: base, token: admin, hc: hc}
	_, err = ac.do(ctx, "POST", "/api/v1/users", map[string]any{"username": username, "password": password, "role": "navigator", "languages": langs}, nil)
	if statusOf(err) == http.StatusConflict {
		_, err = ac.do(ctx, "PATCH", "/api/v1/users/"+username, map[string]any{"languages": langs}, nil)
	}
	if err != nil {
		return "", "", fmt.Errorf("adding navigator %s: %w", username, err)
	}
	jar, _ := cookiejar.New(nil)
	bc := &http.Client{Jar: jar, Transport: hc.Transport, Timeout: 30 * time.Second}
	form, err := formToken(ctx, bc, base+"/console/login")
	if err != nil {
		return "", "", err
	}
	v := url.Values{"username": {username}, "password": {password}, "form_token": {form}}
	resp, err := bc.PostForm(base+"/console/login", v)
	if err != nil {
		return "", "", err
	}
	resp.Body.Close()
	if form, err = formToken(ctx, bc, base+"/console/account"); err != nil {
		return "", "", fmt.Errorf("signing in as %s (does the user have another password?): %w", username, err)
	}
	b, _ := json.Marshal(map[string]string{"name": "o211 sim"})
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/tokens", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-O211-Form-Token", form)
	resp, err = bc.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	var out struct {
		Token  string `json:"token"`
		Record struct {
			ID string `json:"id"`
		} `json:"record"`
	}
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(rb, &out) != nil || out.Token == "" {
		return "", "", fmt.Errorf("making a token for %s: HTTP %d: %s", username, resp.StatusCode, truncate(string(rb), 200))
	}
	return out.Token, out.Record.ID, nil
}

// formToken reads the cross-site form token of a console page.
func formToken(ctx context.Context, hc *http.Client, u string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := formTokenRE.FindSubmatch(b)
	if resp.StatusCode != http.StatusOK || m == nil {
		return "", fmt.Errorf("GET %s: HTTP %d without a form token", u, resp.StatusCode)
	}
	return string(m[1]), nil
}
