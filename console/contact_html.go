package console

import (
	"html/template"
	"strconv"
	"strings"
)

// The workspace's longest parts, its selects and its search results, are
// written here in Go rather than by html/template: each action of a
// template costs a reflective call and an escaper, and these parts hold
// most of the page's actions (issue 14: the workspace's CPU per page).
// Every value is escaped as html/template would in these contexts.

// navLabels are the words of the workspace's results, looked up once a
// page.
type navLabels struct {
	lang, today, open, closed, never, stale, added, add, details string
}

func (c *Console) navLabels(lang string) navLabels {
	t := func(id string) string { return template.HTMLEscapeString(c.msg.MustT(lang, id)) }
	return navLabels{lang: lang, today: t("result.today"), open: t("result.open"), closed: t("result.closed"),
		never: t("nav.never_verified"), stale: t("nav.stale"), added: t("nav.added"), add: t("nav.add_referral"),
		details: t("nav.details")}
}

// navResultsHTML writes the workspace's list of results: each with its
// distance, today's hours, open or closed, its last verification, and its
// "add as referral" (or "added") and "details" buttons. A result in the
// other language is marked, and its labels in the page's.
func (c *Console) navResultsHTML(items []navResult, lang string) template.HTML {
	l := c.navLabels(lang)
	e := template.HTMLEscapeString
	var b strings.Builder
	b.Grow(1200 * len(items))
	b.WriteString(`<ol class="o211-navresults">`)
	for i, v := range items {
		pageLang := ""
		b.WriteString("\n  <li class=\"o211-navresult\"")
		if v.Lang != "" {
			b.WriteString(` lang="` + e(v.Lang) + `"`)
			pageLang = ` lang="` + e(lang) + `"`
		}
		b.WriteString(">\n    <p class=\"govuk-body govuk-!-margin-bottom-1\"><strong class=\"o211-navresult__name\">" + e(v.Name) +
			`</strong><br><span class="o211-meta">` + e(v.Org) + "</span></p>\n    <p class=\"govuk-body-s govuk-!-margin-bottom-1\"" + pageLang + ">\n      ")
		if v.Distance != "" {
			b.WriteString(e(v.Distance) + " · ")
		}
		b.WriteString(l.today + " " + e(v.Today))
		switch v.Open {
		case 1:
			b.WriteString(` · <span class="o211-open">` + l.open + `</span>`)
		case 2:
			b.WriteString(` · <span class="o211-closed">` + l.closed + `</span>`)
		}
		b.WriteString("\n      · ")
		if v.Verified != "" {
			b.WriteString(e(c.msg.MustT(lang, "nav.verified", "Date", v.Verified)))
		} else {
			b.WriteString(l.never)
		}
		if v.Stale {
			b.WriteString(` <strong class="govuk-tag govuk-tag--yellow">` + l.stale + `</strong>`)
		}
		b.WriteString("\n    </p>\n    <div class=\"govuk-button-group o211-navresult__actions\"" + pageLang + ">\n      ")
		hidden := `<span class="govuk-visually-hidden"> ` + e(v.Name) + `</span></button>`
		if v.Added {
			b.WriteString(`<strong class="govuk-tag govuk-tag--green">` + l.added + `</strong>`)
		} else {
			b.WriteString(`<button type="submit" name="add_referral" value="` + e(v.Value) +
				`" class="govuk-button govuk-!-margin-bottom-0 o211-small o211-add-referral" id="result-` + strconv.Itoa(i) + `">` + l.add + hidden)
		}
		b.WriteString("\n      <button type=\"submit\" name=\"detail\" value=\"" + e(v.Value) +
			`" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0 o211-small">` + l.details + hidden + "\n    </div>\n  </li>")
	}
	b.WriteString("\n</ol>")
	return template.HTML(b.String())
}

// reasonOptionsHTML writes the "unmet because" choices of a need: each
// reason's value prefixed "unmet:", the need's reason selected.
func (c *Console) reasonOptionsHTML(lang string, reasons []string, selected string) template.HTML {
	opts := make([]option, len(reasons))
	for i, v := range reasons {
		opts[i] = option{Value: "unmet:" + v, Label: c.msg.MustT(lang, "reason."+v), Selected: v == selected}
	}
	return optionsHTML(opts)
}
