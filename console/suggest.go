package console

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/o211/o211"
)

// maxSuggestions is how many choices the type-ahead offers.
const maxSuggestions = 8

// suggest answers the type-ahead, GET /console/suggest?kind=need&q=banq
// (terms of the taxonomy) or kind=service (services of the region, by the
// search's prefix match on the last word), as the <li role="option">
// items of a listbox that console.js places under the field. Each item's
// data-value is what choosing it posts: a taxonomy code for a need, a
// "service|location" for a referral.
func (c *Console) suggest(w http.ResponseWriter, r *http.Request) {
	a, ok := o211.ActorFrom(r.Context())
	if !ok || !a.HasRole(o211.ContactRoles...) {
		http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
		return
	}
	q := firstN(strings.TrimSpace(r.URL.Query().Get("q")), 100)
	lang := langOf(r).Lang
	var b strings.Builder
	switch r.URL.Query().Get("kind") {
	case "service":
		if len(q) >= 2 {
			res, err := c.cfg.Searcher.Search(r.Context(), o211.Query{Text: q, Distinct: true, PerPage: maxSuggestions})
			if err != nil && o211.ErrorCode(err) != o211.EINVALID {
				c.log.Error("console: service type-ahead", "err", err)
			}
			if res != nil {
				for i, s := range res.Results {
					writeSuggestion(&b, i, s.ServiceID+"|"+s.LocationID, s.ServiceName, s.OrganizationName, s.Address, s.Language, lang)
				}
			}
		}
	default:
		for i, t := range c.terms.suggest(q, lang, maxSuggestions) {
			writeSuggestion(&b, i, t.Code, t.Name(lang), t.Code, c.parentName(t.Code, lang), "", lang)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(b.String()))
}

// writeSuggestion writes one option: its name, then what tells it apart.
func writeSuggestion(b *strings.Builder, i int, value, name, meta1, meta2, recordLang, lang string) {
	e := template.HTMLEscapeString
	b.WriteString(`<li role="option" class="o211-suggest__item" aria-selected="false" id="suggest-` + itoa(i) +
		`" data-value="` + e(value) + `" data-label="` + e(name) + `"`)
	if (recordLang == English || recordLang == French) && recordLang != lang {
		b.WriteString(` lang="` + recordLang + `"`)
	}
	b.WriteString(`><span class="o211-suggest__name">` + e(name) + `</span>`)
	meta := strings.Join(nonEmpty(meta1, meta2), " · ")
	if meta != "" {
		b.WriteString(` <span class="o211-suggest__meta">` + e(meta) + `</span>`)
	}
	b.WriteString("</li>")
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
