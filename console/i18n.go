package console

import (
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// The languages of the console, English first (the default).
const (
	English = "en"
	French  = "fr"
)

// Languages lists the language codes the console speaks.
var Languages = []string{English, French}

//go:embed locales/*.json
var localeFS embed.FS

// catalog holds the message catalogues: go-i18n bundles, with each message
// that takes no arguments localised once at start.
type catalog struct {
	bundle *i18n.Bundle
	loc    map[string]*i18n.Localizer
	plain  map[string]map[string]string // lang -> id -> text
	// simple holds the messages whose only template actions are plain
	// {{.Name}} fields and that have no plural forms: T fills them in
	// itself, which is a tenth of the cost of go-i18n's text/template.
	simple map[string]map[string]string
}

// simplePlaceholder matches a template made only of text and {{.Name}}.
var simplePlaceholder = regexp.MustCompile(`^([^{}]|\{\{\.[A-Za-z]+\}\})*$`)

// loadCatalog reads locales/*.json and checks that every message has its
// text in every language; a missing or extra French key is an error.
func loadCatalog() (*catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	c := &catalog{bundle: b, loc: map[string]*i18n.Localizer{}, plain: map[string]map[string]string{},
		simple: map[string]map[string]string{}}
	ids := map[string][]string{}
	templated := map[string]bool{}
	for _, lang := range Languages {
		f, err := b.LoadMessageFileFS(localeFS, "locales/"+lang+".json")
		if err != nil {
			return nil, fmt.Errorf("console: message catalogue %s: %w", lang, err)
		}
		c.simple[lang] = map[string]string{}
		for _, m := range f.Messages {
			ids[lang] = append(ids[lang], m.ID)
			if strings.Contains(m.Other+m.One, "{{") {
				templated[m.ID] = true
				if m.One == "" && m.Few == "" && m.Many == "" && m.Two == "" && m.Zero == "" && simplePlaceholder.MatchString(m.Other) {
					c.simple[lang][m.ID] = m.Other
				}
			}
		}
		slices.Sort(ids[lang])
		c.loc[lang] = i18n.NewLocalizer(b, lang)
	}
	if err := sameKeys(ids[English], ids[French]); err != nil {
		return nil, err
	}
	for _, lang := range Languages {
		c.plain[lang] = map[string]string{}
		for _, id := range ids[lang] {
			if templated[id] {
				continue
			}
			s, err := c.loc[lang].Localize(&i18n.LocalizeConfig{MessageID: id})
			if err == nil {
				c.plain[lang][id] = s
			}
		}
	}
	return c, nil
}

// sameKeys returns an error naming the first keys that the English or the
// French catalogue lacks.
func sameKeys(en, fr []string) error {
	var missFr, missEn []string
	for _, id := range en {
		if _, ok := slices.BinarySearch(fr, id); !ok {
			missFr = append(missFr, id)
		}
	}
	for _, id := range fr {
		if _, ok := slices.BinarySearch(en, id); !ok {
			missEn = append(missEn, id)
		}
	}
	if len(missFr) > 0 {
		return fmt.Errorf("console: %d messages lack their French text, first %q", len(missFr), missFr[0])
	}
	if len(missEn) > 0 {
		return fmt.Errorf("console: %d French messages have no English text, first %q", len(missEn), missEn[0])
	}
	return nil
}

// T returns message id in lang. Arguments come in name, value pairs
// ("Count", 3); a "Count" argument also chooses the plural form. An
// unknown id is an error, so a template that names one fails its test.
func (c *catalog) T(lang, id string, args ...any) (string, error) {
	if len(args) == 0 {
		if s, ok := c.plain[lang][id]; ok {
			return s, nil
		}
	}
	if len(args)%2 != 0 {
		return "", fmt.Errorf("console: message %q: arguments must come in name, value pairs", id)
	}
	if tpl, ok := c.simple[lang][id]; ok {
		return fillSimple(tpl, args), nil
	}
	data := make(map[string]any, len(args)/2)
	var count any
	for i := 0; i < len(args); i += 2 {
		name, _ := args[i].(string)
		data[name] = args[i+1]
		if name == "Count" {
			count = args[i+1]
		}
	}
	loc, ok := c.loc[lang]
	if !ok {
		loc = c.loc[English]
	}
	s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil {
		return "", fmt.Errorf("console: message %q in %s: %w", id, lang, err)
	}
	return s, nil
}

// MustT is T for Go code whose ids are constants checked by the tests: it
// returns the id itself when the message is missing.
func (c *catalog) MustT(lang, id string, args ...any) string {
	s, err := c.T(lang, id, args...)
	if err != nil {
		return id
	}
	return s
}

// fillSimple replaces each {{.Name}} of tpl with its argument (name, value
// pairs), formatted with fmt's %v; a name without an argument gives
// "<no value>", as text/template does.
func fillSimple(tpl string, args []any) string {
	var b strings.Builder
	for {
		i := strings.Index(tpl, "{{.")
		if i < 0 {
			b.WriteString(tpl)
			return b.String()
		}
		j := strings.Index(tpl[i:], "}}")
		b.WriteString(tpl[:i])
		name, v := tpl[i+3:i+j], any("<no value>")
		for k := 0; k+1 < len(args); k += 2 {
			if args[k] == name {
				v = args[k+1]
				break
			}
		}
		if s, ok := v.(string); ok {
			b.WriteString(s)
		} else {
			fmt.Fprint(&b, v)
		}
		tpl = tpl[i+j+2:]
	}
}
