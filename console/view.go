package console

import (
	"bytes"
	"net/http"
	"sync"

	"github.com/o211/o211"
)

// page is what every template receives: the layout's data, the request's
// language and the page's own Body. Templates call {{$.T "id"}} for words.
type page struct {
	c         *Console
	Lang      string
	OtherLang string
	SwitchURL string
	Path      string // the page's path without the /fr prefix
	Title     string
	CSS       string
	Area      string // what the portal searches: the region or the province
	Reach     Reach
	Alerts    []Alert
	Errors    *FormErrors
	// Actor is who is signed in, on the staff console's pages.
	Actor *o211.Actor
	// FormToken is the cross-site request token of the page's forms.
	FormToken string
	// followUps is the count of the reader's follow-ups due.
	followUps string
	Body      any
	// ready, when set, must return nil before the page is sent (the
	// audit entry of the personal fields it shows is durable): render
	// calls it after laying the page out, and answers 500 on an error.
	ready func() error
}

// view starts the page of a request: title is a message id.
func (c *Console) view(r *http.Request, title string, args ...any) *page {
	lc := langOf(r)
	p := &page{c: c, Lang: lc.Lang, OtherLang: French, SwitchURL: switchURL(r, lc),
		Reach: *c.cfg.Reach, Errors: &FormErrors{}}
	if lc.Lang == French {
		p.OtherLang = English
	}
	p.Path = r.URL.Path
	if lc.Prefix {
		p.Path = p.Path[len("/fr"):]
	}
	p.Title = c.msg.MustT(lc.Lang, title, args...)
	p.CSS, _ = c.assets.URL("o211.css")
	p.Area = c.areaName(lc.Lang)
	if c.cfg.Alerts != nil {
		p.Alerts = c.cfg.Alerts(r.Context())
	}
	return p
}

// T returns message id in the page's language; arguments come in name,
// value pairs. An unknown id fails the template.
func (p *page) T(id string, args ...any) (string, error) { return p.c.msg.T(p.Lang, id, args...) }

// Tv is T with the arguments in a slice (from a page body).
func (p *page) Tv(id string, args []any) (string, error) { return p.c.msg.T(p.Lang, id, args...) }

// RecordLang is the language of the record a service page shows, or "".
func (p *page) RecordLang() string {
	if b, ok := p.Body.(*serviceBody); ok {
		return b.Lang
	}
	return ""
}

// URL returns the path of a page of the portal in the page's language.
func (p *page) URL(path string) string { return localPath(langChoice{Lang: p.Lang}, path) }

// OtherLanguage reports whether a record's text is in the language the
// page is not: the template then marks it with lang.
func (p *page) OtherLanguage(lang string) bool {
	return (lang == English || lang == French) && lang != p.Lang
}

// areaName names what the portal searches in lang: the node's region, or
// Ontario on the hub.
func (c *Console) areaName(lang string) string {
	if c.cfg.Region == "" {
		return c.msg.MustT(lang, "area.province")
	}
	if s, err := c.msg.T(lang, "region."+c.cfg.Region); err == nil {
		return s
	}
	if c.cfg.RegionName != "" {
		return c.cfg.RegionName
	}
	return c.cfg.Region
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes the page's template into a buffer, then writes it with
// its status; a template error is logged and answered with a plain 500
// page, before any header has gone out.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	t := c.tpl.page(p.Lang, name)
	if err := t.ExecuteTemplate(buf, "layout", p); err != nil {
		c.log.Error("console: rendering a page", "page", name, "path", r.URL.Path, "err", err)
		buf.Reset()
		status = http.StatusInternalServerError
		p = c.view(r, "error.internal.title")
		p.Body = errorBody{Message: "error.internal.body"}
		if err := c.tpl.page(p.Lang, "error").ExecuteTemplate(buf, "layout", p); err != nil {
			http.Error(w, c.msg.MustT(p.Lang, "error.internal.body"), status)
			return
		}
	}
	if p.ready != nil {
		if err := p.ready(); err != nil {
			c.fail(w, r, err)
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", p.Lang)
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache")
	}
	compressPage(w, r, status, buf.Bytes())
}

// redirect answers a form post that succeeded: 303 See Other to path in
// the request's language.
func (c *Console) redirect(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, localPath(langOf(r), path), http.StatusSeeOther)
}
