package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// LangCookie is the cookie that keeps the reader's choice of language.
const LangCookie = "o211_lang"

type langKey struct{}

// langChoice is the language of one request and how it was chosen.
type langChoice struct {
	Lang   string
	Prefix bool // the URL starts with /fr/
}

var langMatcher = language.NewMatcher([]language.Tag{language.English, language.French})

// langOf returns the request's language, as the language middleware set it.
func langOf(r *http.Request) langChoice {
	if c, ok := r.Context().Value(langKey{}).(langChoice); ok {
		return c
	}
	return langChoice{Lang: English}
}

// chooseLanguage picks the request's language: a /fr/ prefix, then ?lang=,
// then the cookie, then Accept-Language. It returns ok=false and the code
// when ?lang= names a language the console does not speak.
func chooseLanguage(r *http.Request) (c langChoice, explicit bool, bad string) {
	if r.URL.Path == "/fr" || strings.HasPrefix(r.URL.Path, "/fr/") {
		return langChoice{Lang: French, Prefix: true}, true, ""
	}
	if q := r.URL.Query(); q.Has("lang") {
		switch v := strings.ToLower(strings.TrimSpace(q.Get("lang"))); v {
		case English, French:
			return langChoice{Lang: v}, true, ""
		default:
			return langChoice{Lang: English}, false, q.Get("lang")
		}
	}
	if ck, err := r.Cookie(LangCookie); err == nil && (ck.Value == English || ck.Value == French) {
		return langChoice{Lang: ck.Value}, false, ""
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if len(tags) > 0 {
		_, i, conf := langMatcher.Match(tags...)
		if conf != language.No && i == 1 {
			return langChoice{Lang: French}, false, ""
		}
	}
	return langChoice{Lang: English}, false, ""
}

// language is the middleware that chooses each request's language, keeps
// an explicit choice in a cookie, and answers an unknown ?lang= code with
// a page that lists the languages there are.
func (c *Console) language(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		choice, explicit, bad := chooseLanguage(r)
		w.Header().Add("Vary", "Accept-Language, Cookie")
		ctx := context.WithValue(r.Context(), langKey{}, choice)
		r = r.WithContext(ctx)
		if bad != "" {
			c.unknownLanguage(w, r, bad)
			return
		}
		if explicit {
			if ck, err := r.Cookie(LangCookie); err != nil || ck.Value != choice.Lang {
				http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: choice.Lang, Path: "/",
					MaxAge: int(365 * 24 * time.Hour / time.Second), HttpOnly: true,
					Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
			}
		}
		next.ServeHTTP(w, r)
	})
}

// localPath returns the path of a page in the request's language: with the
// /fr prefix on French pages reached through it.
func localPath(lc langChoice, path string) string {
	if lc.Lang == French {
		return "/fr" + path
	}
	return path
}

// switchURL returns the URL of the same page in the other language: the
// French one under /fr, the English one with lang=en (which also replaces
// a French cookie).
func switchURL(r *http.Request, lc langChoice) string {
	path := strings.TrimPrefix(r.URL.Path, "/fr")
	if path == "" {
		path = "/"
	}
	q := r.URL.Query()
	q.Del("lang")
	if lc.Lang == English {
		return "/fr" + path + encodeQuery(q)
	}
	q.Set("lang", English)
	return path + encodeQuery(q)
}

func encodeQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}
