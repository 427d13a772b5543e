package console

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
)

// TestTemplates_FixedWordsRenderTheSame checks that the per-language
// template sets, with the plain words written in, give byte for byte the
// pages the generic templates give, in English and in French, errors and
// all.
func TestTemplates_FixedWordsRenderTheSame(t *testing.T) {
	c, err := New(Config{Region: "east", Searcher: tenResults{}, Services: noServices{}})
	if err != nil {
		t.Fatal(err)
	}
	if c.tpl.page(French, "search") == c.tpl.pages["search"] || c.tpl.page(English, "home") == c.tpl.pages["home"] {
		t.Fatal("the pages are not rendered from the per-language sets")
	}
	r := chi.NewRouter()
	c.Routes(r)
	get := func(path string) (int, string) {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		b, _ := io.ReadAll(w.Result().Body)
		return w.Code, string(b)
	}
	paths := []string{"/", "/fr/", "/search?q=food&category=BD&open_now=true", "/fr/search?q=banque&open_now=true",
		"/search?q=food&age=abc", "/fr/search?q=x&age=abc&radius_km=zz", "/services/none", "/fr/services/none", "/console/", "/fr/console/"}
	fixed := map[string]string{}
	for _, p := range paths {
		code, body := get(p)
		if code >= 500 {
			t.Fatalf("GET %s: %d", p, code)
		}
		fixed[p] = body
	}
	byLang := c.tpl.byLang
	c.tpl.byLang = nil // the generic templates, every word a call
	defer func() { c.tpl.byLang = byLang }()
	for _, p := range paths {
		if _, body := get(p); body != fixed[p] {
			t.Errorf("GET %s differs with the words written in:\n%s\n---- generic:\n%s", p, fixed[p], body)
		}
	}
}

// TestFixWords checks that a word written into a template is escaped, and
// that a message that is missing or holds braces stays a call.
func TestFixWords(t *testing.T) {
	words := map[string]string{"a": `Fish & "chips" <now>`, "b": "{{.Count}} found"}
	got := fixWords(`<p title="{{$.T "a"}}">{{$.T "a"}}</p>{{$.T "b"}}{{$.T "c"}}{{$.T "a" "X" 1}}`, words)
	want := `<p title="Fish &amp; &#34;chips&#34; &lt;now&gt;">Fish &amp; &#34;chips&#34; &lt;now&gt;</p>{{$.T "b"}}{{$.T "c"}}{{$.T "a" "X" 1}}`
	if got != want {
		t.Errorf("fixWords:\n got %s\nwant %s", got, want)
	}
}
