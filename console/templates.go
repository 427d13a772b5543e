package console

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"path"
	"regexp"
	"strconv"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageNames lists every page template; parseTemplates fails when one is
// missing, so a typo fails at start rather than on a request.
var pageNames = []string{"home", "search", "service", "console_home", "error", "login", "account", "users",
	"contact", "followups", "contacts", "region", "audit", "queue",
	"directory", "directory_record", "directory_queue", "directory_history", "directory_closure"}

// templates holds one parsed template set per page: the layout and the
// partials, plus the page's own file. byLang holds the same sets once per
// language, with every plain `{{$.T "id"}}` replaced by its text, escaped:
// a page's fixed words then cost nothing when it is rendered (text/template
// calls a method through reflection at every action, and the escaper after
// it), which is most of a results page's template time.
type templates struct {
	pages  map[string]*template.Template
	byLang map[string]map[string]*template.Template
}

// page returns page name's template set for lang.
func (t *templates) page(lang, name string) *template.Template {
	if p := t.byLang[lang][name]; p != nil {
		return p
	}
	return t.pages[name]
}

// parseTemplates parses templates/_*.html (layout and partials) once, then
// each page file on a clone of them; then the same again for each language
// of msg, with its plain words in place.
func parseTemplates(msg *catalog) (*templates, error) {
	t := &templates{byLang: map[string]map[string]*template.Template{}}
	var err error
	if t.pages, err = parseSet(func(s string) string { return s }); err != nil {
		return nil, err
	}
	for _, name := range pageNames {
		if t.pages[name] == nil {
			return nil, fmt.Errorf("console: template templates/%s.html is missing", name)
		}
	}
	if msg == nil {
		return t, nil
	}
	for _, lang := range []string{English, French} {
		if t.byLang[lang], err = parseSet(func(s string) string { return fixWords(s, msg.plain[lang]) }); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// parseSet parses every page's template set, each file's text through
// edit first.
func parseSet(edit func(string) string) (map[string]*template.Template, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	parse := func(t *template.Template, f string) error {
		b, err := templateFS.ReadFile(f)
		if err == nil {
			_, err = t.New(path.Base(f)).Parse(edit(string(b)))
		}
		if err != nil {
			return fmt.Errorf("console: template %s: %w", f, err)
		}
		return nil
	}
	base := template.New("").Funcs(templateFuncs)
	for _, f := range files {
		if strings.HasPrefix(path.Base(f), "_") {
			if err := parse(base, f); err != nil {
				return nil, err
			}
		}
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		clone, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if err := parse(clone, f); err != nil {
			return nil, err
		}
		pages[name] = clone
	}
	return pages, nil
}

// plainT matches a page's plain message call, `{{$.T "id"}}`.
var plainT = regexp.MustCompile(`\{\{\$\.T "([A-Za-z0-9_.\-]+)"\}\}`)

// fixWords replaces each plain message call of a template's text with the
// message of words, HTML-escaped (safe in text and in quoted attributes,
// the only places such calls stand). A call whose message is not in words,
// or holds braces, stays a call.
func fixWords(text string, words map[string]string) string {
	return plainT.ReplaceAllStringFunc(text, func(call string) string {
		id := plainT.FindStringSubmatch(call)[1]
		w, ok := words[id]
		if !ok || strings.ContainsAny(w, "{}") {
			return call
		}
		return template.HTMLEscapeString(w)
	})
}

// templateFuncs are the functions every template may call. Words come from
// the page's T method, never from here.
var templateFuncs = template.FuncMap{
	"tel":  telURL,
	"add":  func(a, b int) int { return a + b },
	"list": func(s ...string) []string { return s },
	"hoursArgs": func(p *page, days []dayView, caption string) hoursArgs {
		return hoursArgs{P: p, Days: days, Caption: caption}
	},
	"detail": func(p *page, key, value string, record bool) detailArgs {
		return detailArgs{P: p, Key: key, Value: value, Record: record}
	},
	"deref": func(f *float64) float64 {
		if f == nil {
			return 0
		}
		return *f
	},
}

// telURL returns a tel: URL for a phone number as written ("416-555-0100
// ext. 2" gives "tel:+14165550100"); digits and a leading + only, so it is
// safe in an href.
func telURL(number string) template.URL {
	main, _, _ := strings.Cut(strings.ToLower(number), "ext")
	var b strings.Builder
	for _, r := range main {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	switch {
	case len(d) == 10:
		d = "+1" + d
	case len(d) == 11 && d[0] == '1':
		d = "+" + d
	}
	return template.URL("tel:" + d)
}

// formatKm writes a distance with one decimal in the page's language
// ("2.5" in English, "2,5" in French).
func formatKm(lang string, km float64) string {
	s := strconv.FormatFloat(math.Round(km*10)/10, 'f', 1, 64)
	if lang == French {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// hoursArgs are the arguments of the hours-table partial.
type hoursArgs struct {
	P       *page
	Days    []dayView
	Caption string
}

// detailArgs are the arguments of the detail-row partial: Record says the
// value is the record's text (so it may need a lang attribute).
type detailArgs struct {
	P      *page
	Key    string
	Value  string
	Record bool
}
