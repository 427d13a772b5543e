package httpx_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
)

func TestStatusOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"Invalid", o211.Errorf(o211.EINVALID, "x"), 400},
		{"Unprocessable", httpx.Unprocessable(o211.Errorf(o211.EINVALID, "x")), 422},
		{"UnprocessableNotFound", httpx.Unprocessable(o211.Errorf(o211.ENOTFOUND, "x")), 404},
		{"Unauthorized", o211.Errorf(o211.EUNAUTHORIZED, "x"), 401},
		{"Forbidden", o211.Errorf(o211.EFORBIDDEN, "x"), 403},
		{"Conflict", o211.Errorf(o211.ECONFLICT, "x"), 409},
		{"TooLarge", o211.Errorf(o211.ETOOLARGE, "x"), 413},
		{"NotImplemented", o211.Errorf(o211.ENOTIMPLEMENTED, "x"), 501},
		{"Unavailable", o211.Errorf(o211.EUNAVAILABLE, "x"), 503},
		{"Deadline", context.DeadlineExceeded, 503},
		{"Cancelled", context.Canceled, 499},
		{"Internal", errors.New("bolt: /var/lib/secret"), 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := httpx.StatusOf(tc.err); got != tc.want {
				t.Errorf("StatusOf(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}

// serve runs h on a request and returns the recorded answer.
func serve(h http.Handler, method, path, auth string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// problemOf decodes the problem of an answer, checking its media type.
func problemOf(t *testing.T, w *httptest.ResponseRecorder) httpx.Problem {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != httpx.ContentTypeProblem {
		t.Fatalf("Content-Type %q, want %s (body %s)", ct, httpx.ContentTypeProblem, w.Body)
	}
	var p httpx.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWriteError(t *testing.T) {
	t.Run("InternalHidden", func(t *testing.T) {
		var logged strings.Builder
		log := slog.New(slog.NewTextHandler(&logged, nil))
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			httpx.WriteError(w, r, log, errors.New("open /tmp/o211-import-1/x: secret"))
		})
		w := serve(httpx.RequestID(h), "GET", "/x", "")
		p := problemOf(t, w)
		if p.Status != 500 || p.Code != o211.EINTERNAL || strings.Contains(w.Body.String(), "secret") || p.RequestID == "" {
			t.Errorf("got %s, want a 500 with a plain sentence and a request id", w.Body)
		}
		if !strings.Contains(logged.String(), "secret") {
			t.Errorf("the internal error is not logged in full: %s", logged.String())
		}
	})
	t.Run("FieldAndProblems", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			httpx.WriteError(w, r, nil, o211.FieldErrorf("name", "is required"))
		})
		p := problemOf(t, serve(h, "GET", "/x", ""))
		if p.Status != 400 || p.Field != "name" || len(p.Errors) != 1 || p.Errors[0].Reason != "is required" {
			t.Errorf("got %+v", p)
		}
		if e := p.Err(); e.Code != o211.EINVALID || e.Field != "name" {
			t.Errorf("Err() = %+v", e)
		}
	})
}

func TestIdentity(t *testing.T) {
	auth := httpx.NewTokenAuthenticator("s3cret", "east")
	var got o211.Actor
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = o211.ActorFrom(r.Context())
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"id": got.ID})
	})
	r := chi.NewRouter()
	r.Use(httpx.Identify(auth, nil))
	r.Get("/open", ok)
	r.With(httpx.Require()).Get("/any", ok)
	r.With(httpx.Require(o211.RoleNavigator)).Get("/navigators", ok)
	for _, tc := range []struct {
		name, path, auth string
		status           int
		needs            bool // the problem says a credential is needed
	}{
		{"OpenWithout", "/open", "", 200, false},
		{"OpenBadToken", "/open", "Bearer nope", 401, false},
		{"Token", "/any", "Bearer s3cret", 200, false},
		{"LowerCaseScheme", "/any", "bearer  s3cret ", 200, false},
		{"NoCredential", "/any", "", 401, true},
		{"BadToken", "/any", "Bearer nope", 401, false},
		{"NotBearer", "/any", "Basic czNjcmV0", 401, false},
		{"EmptyBearer", "/any", "Bearer ", 401, false},
		{"WrongRole", "/navigators", "Bearer s3cret", 403, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got = o211.Actor{}
			w := serve(r, "GET", tc.path, tc.auth)
			if w.Code != tc.status {
				t.Fatalf("%s: %d %s, want %d", tc.auth, w.Code, w.Body, tc.status)
			}
			if tc.status == 200 {
				if tc.path != "/open" && (got.ID != httpx.BootstrapActorID || got.Role != o211.RoleAdmin || got.Region != "east") {
					t.Errorf("actor %+v, want the bootstrap administrator of east", got)
				}
				return
			}
			p := problemOf(t, w)
			if needs := strings.Contains(p.Detail, "needs"); needs != tc.needs {
				t.Errorf("detail %q: says a credential is needed = %v, want %v", p.Detail, needs, tc.needs)
			}
			if tc.status == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without a WWW-Authenticate challenge")
			}
		})
	}
}

func TestCheckUTF8(t *testing.T) {
	if err := httpx.CheckUTF8([]byte(`{"name":"Café"}`)); err != nil {
		t.Errorf("valid text refused: %v", err)
	}
	err := httpx.CheckUTF8([]byte("{\"name\":\"Caf\xe9\"}"))
	if o211.ErrorCode(err) != o211.EINVALID || !strings.Contains(o211.ErrorMessage(err), "at byte 12") {
		t.Errorf("got %v, want EINVALID at byte 12", err)
	}
}

func TestPrefix(t *testing.T) {
	long := strings.Repeat("é", 100)
	got := httpx.Prefix(long)
	if len(got) > httpx.MaxEcho+len("…") || !strings.HasSuffix(got, "…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("Prefix = %q", got)
	}
	if httpx.Prefix("short") != "short" {
		t.Error("a short string was changed")
	}
}

func TestServer(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv := httpx.New(httpx.Config{Addr: "127.0.0.1:0", Registerer: reg, Logger: slog.New(slog.DiscardHandler)})
	srv.Mount(groupFunc(func(r chi.Router) {
		r.Get("/hello", func(w http.ResponseWriter, r *http.Request) { httpx.WriteJSON(w, 200, "hi") })
		r.Get("/panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	}))
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	get := func(method, path string) (*http.Response, string) {
		req, _ := http.NewRequest(method, srv.URL()+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, body := get("GET", "/hello"); resp.StatusCode != 200 || body != "\"hi\"\n" || resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("GET /hello: %d %q", resp.StatusCode, body)
	}
	if resp, body := get("GET", "/"+strings.Repeat("x", 500)); resp.StatusCode != 404 || strings.Contains(body, strings.Repeat("x", 120)) {
		t.Errorf("404 echoes the whole path: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get("DELETE", "/hello"); resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET" {
		t.Errorf("DELETE /hello: %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if resp, body := get("GET", "/panic"); resp.StatusCode != 500 || strings.Contains(body, "boom") {
		t.Errorf("GET /panic: %d %s", resp.StatusCode, body)
	}
	if n, err := testutilCount(reg, "o211_http_requests_total"); err != nil || n < 4 {
		t.Errorf("requests counted: %d (%v)", n, err)
	}
	if h, i := srv.Timeouts(); h <= 0 || i <= 0 {
		t.Errorf("timeouts %v %v: want both set", h, i)
	}
	if err := srv.Close(); err != nil {
		t.Error(err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// groupFunc adapts a function to httpx.Group.
type groupFunc func(chi.Router)

func (f groupFunc) Routes(r chi.Router) { f(r) }

// testutilCount sums the counter family name in reg.
func testutilCount(reg *prometheus.Registry, name string) (int, error) {
	fams, err := reg.Gather()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range fams {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				n += int(m.GetCounter().GetValue())
			}
		}
	}
	return n, nil
}

func TestReadJSON(t *testing.T) {
	type body struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	read := func(optional bool, limit int64, in string) (body, error) {
		t.Helper()
		r := httptest.NewRequest("POST", "/", strings.NewReader(in))
		var v body
		var err error
		if optional {
			err = httpx.ReadOptionalJSON(httptest.NewRecorder(), r, limit, &v)
		} else {
			err = httpx.ReadJSON(httptest.NewRecorder(), r, limit, &v)
		}
		return v, err
	}
	if v, err := read(false, 64, `{"name":"a","count":2}`); err != nil || v != (body{"a", 2}) {
		t.Fatalf("good body: %+v, %v", v, err)
	}
	for _, tc := range []struct {
		name, in string
		code     string
		says     string
	}{
		{"Empty", "  ", o211.EINVALID, "empty"},
		{"UnknownField", `{"name":"a","nick":"b"}`, o211.EINVALID, `unknown field "nick"`},
		{"WrongType", `{"count":"two"}`, o211.EINVALID, "count"},
		{"TwoValues", `{"name":"a"} {"name":"b"}`, o211.EINVALID, "more than one"},
		{"Truncated", `{"name":"a"`, o211.EINVALID, "not the JSON"},
		{"BadUTF8", "{\"name\":\"\xff\"}", o211.EINVALID, "UTF-8 (at byte 9)"},
		{"TooLarge", `{"name":"` + strings.Repeat("x", 100) + `"}`, o211.ETOOLARGE, "64 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := read(false, 64, tc.in)
			if o211.ErrorCode(err) != tc.code || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("got %v (%s); want %s saying %q", err, o211.ErrorCode(err), tc.code, tc.says)
			}
		})
	}
	t.Run("LongFieldNotEchoed", func(t *testing.T) {
		_, err := read(false, 1<<20, `{"`+strings.Repeat("n", 5000)+`":1}`)
		if err == nil || len(err.Error()) > 400 {
			t.Fatalf("error of %d bytes: %.80v", len(err.Error()), err)
		}
	})
	t.Run("OptionalEmpty", func(t *testing.T) {
		if v, err := read(true, 64, " \n"); err != nil || v != (body{}) {
			t.Fatalf("empty optional body: %+v, %v", v, err)
		}
		if _, err := read(true, 64, `{"nick":1}`); o211.ErrorCode(err) != o211.EINVALID {
			t.Fatalf("optional body with an unknown field: %v", err)
		}
	})
}
