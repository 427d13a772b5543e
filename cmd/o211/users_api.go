package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/o211/o211"
)

// apiUsers manages users through the HTTP API of a running node or hub
// replica (/api/v1/users).
type apiUsers struct {
	url, token string
}

func (a *apiUsers) add(ctx context.Context, username, password string, role o211.Role) (*o211.User, error) {
	u := new(o211.User)
	return u, a.do(ctx, http.MethodPost, "/api/v1/users", map[string]string{
		"username": username, "password": password, "role": string(role)}, u)
}

func (a *apiUsers) list(ctx context.Context) ([]*o211.User, error) {
	var out struct {
		Users []*o211.User `json:"users"`
	}
	return out.Users, a.do(ctx, http.MethodGet, "/api/v1/users", nil, &out)
}

func (a *apiUsers) setDisabled(ctx context.Context, username string, disabled bool) (*o211.User, error) {
	u := new(o211.User)
	return u, a.do(ctx, http.MethodPatch, "/api/v1/users/"+url.PathEscape(username), map[string]bool{"disabled": disabled}, u)
}

func (a *apiUsers) setPassword(ctx context.Context, username, password string) (*o211.User, error) {
	u := new(o211.User)
	return u, a.do(ctx, http.MethodPatch, "/api/v1/users/"+url.PathEscape(username), map[string]string{"password": password}, u)
}

// do sends in as JSON and decodes a 2xx answer into out; an error answer
// becomes the *o211.Error its problem body describes.
func (a *apiUsers) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.url+path, body)
	if err != nil {
		return o211.Errorf(o211.EINVALID, "--url: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s cannot be reached: %w", a.url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var p struct {
			Detail, Code, Field string
		}
		if json.Unmarshal(raw, &p) != nil || p.Detail == "" {
			return fmt.Errorf("%s answered %s", a.url, resp.Status)
		}
		return &o211.Error{Code: p.Code, Message: p.Detail, Field: p.Field}
	}
	return json.Unmarshal(raw, out)
}

// demoPassword returns a random password of 16 URL-safe characters.
func demoPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
