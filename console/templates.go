package console

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"strconv"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageNames lists every page template; parseTemplates fails when one is
// missing, so a typo fails at start rather than on a request.
var pageNames = []string{"home", "search", "service", "console_home", "error", "login", "account", "users",
	"contact", "followups", "contacts", "region", "audit", "queue"}

// templates holds one parsed template set per page: the layout and the
// partials, plus the page's own file.
type templates struct {
	pages map[string]*template.Template
}

// parseTemplates parses templates/_*.html (layout and partials) once, then
// each page file on a clone of them.
func parseTemplates() (*templates, error) {
	base, err := template.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	t := &templates{pages: map[string]*template.Template{}}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		clone, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if t.pages[name], err = clone.ParseFS(templateFS, f); err != nil {
			return nil, fmt.Errorf("console: template %s: %w", f, err)
		}
	}
	for _, name := range pageNames {
		if t.pages[name] == nil {
			return nil, fmt.Errorf("console: template templates/%s.html is missing", name)
		}
	}
	return t, nil
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
