package console

import (
	"cmp"
	"context"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/o211/o211"
)

// searchForm is the portal's search as the reader sent it, kept as typed
// so that a page with errors shows it back.
type searchForm struct {
	Q, Near, Radius, Category, Language, Age, Scope string
	OpenNow                                         bool
	Page                                            int
}

// option is one choice of a select in the page's language.
type option struct {
	Value, Label string
	Selected     bool
}

// resultView is one search result as the page shows it, every word in
// the page's language already (the template only places them).
type resultView struct {
	URL, Name, Org, Address, Phone string
	Tel                            template.URL
	Distance                       string // "2,5 km"
	Open                           int    // 0 unknown, 1 open now, 2 closed now
	Today                          string // today's hours
	Lang                           string // the record's language when it is not the page's
	Closure                        *closureView
}

// resultLabels are the words of every result, looked up once a page.
type resultLabels struct {
	Distance, Now, Open, Closed, Today, Address, Phone string
}

// pages holds the links to the neighbouring pages of results.
type pages struct{ Prev, Next string }

// searchBody is the body of the home and search pages.
type searchBody struct {
	Form        searchForm
	Categories  []categoryView
	HasProvince bool
	// The filters' <option> lists, written in Go (optionsHTML): a page of
	// results is mostly these, and html/template's escaping calls cost a
	// quarter of the page's time when they were template loops.
	CategoryOptions, RadiusOptions, LanguageOptions template.HTML
	Summary                                         string
	Items                                           []resultView
	// ResultsHTML is the list of results, written in Go (resultsHTML) for
	// the same reason as the options.
	ResultsHTML template.HTML
	Pages       pages
}

// serviceLanguages are the languages of service the filter offers.
var serviceLanguages = []string{"en", "fr", "ar", "zh", "es", "pa", "ur", "tl", "pt", "it", "so", "ta"}

// radii are the distances the filter offers, in kilometres.
var radii = []string{"1", "5", "10", "25", "50", "100"}

// readSearchForm reads the query string; sizes are capped, never echoed
// whole.
func readSearchForm(r *http.Request) searchForm {
	q := r.URL.Query()
	get := func(k string, max int) string {
		v := strings.TrimSpace(q.Get(k))
		if len(v) > max {
			v = v[:max]
		}
		return v
	}
	f := searchForm{Q: get("q", 200), Near: get("near", 40), Radius: get("radius_km", 10),
		Category: get("category", 40), Language: get("language", 20), Age: get("age", 10),
		Scope: get("scope", 10), OpenNow: q.Get("open_now") == "true" || q.Get("open_now") == "on"}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	if f.Page < 1 || f.Page > 1000 {
		f.Page = 1
	}
	return f
}

// query checks the form and builds the search, adding a problem for each
// field in error.
func (c *Console) query(f searchForm, errs *FormErrors) o211.Query {
	q := o211.Query{Text: f.Q, Distinct: true, Page: f.Page, PerPage: c.cfg.PerPage, Language: f.Language}
	if f.Near != "" {
		c.locate(f.Near, &q, errs)
	}
	if f.Radius != "" {
		km, err := strconv.ParseFloat(f.Radius, 64)
		if err != nil || km <= 0 || km > 1000 {
			errs.Add("radius_km", "filters.radius.error")
		} else if q.HasNear {
			q.RadiusKm = km
		}
	}
	if f.Category != "" {
		if _, ok := o211.CategoryOf(f.Category); !ok || !validTaxonomyCode(f.Category) {
			errs.Add("category", "filters.category.error")
		}
		q.Taxonomy = f.Category
	}
	if f.Age != "" {
		age, err := strconv.Atoi(f.Age)
		if err != nil || age < 0 || age > 120 {
			errs.Add("age", "filters.age.error")
		}
		a := float64(age)
		q.Age = &a
	}
	if f.OpenNow {
		q.OpenAt = c.cfg.Now()
	}
	return q
}

// locate resolves "near", saying which of the two problems it has: not a
// postal code at all, or one the portal does not know in Ontario.
func (c *Console) locate(near string, q *o211.Query, errs *FormErrors) {
	compact := strings.ToUpper(strings.Join(strings.Fields(near), ""))
	if o211.FSAOf(compact) == "" || (len(compact) != 3 && len(compact) != 6) ||
		(len(compact) == 6 && o211.NormalizePostalCode(compact) == "") {
		errs.Add("near", "search.near.error_format")
		return
	}
	if c.cfg.Locator == nil {
		errs.Add("near", "search.near.error_unknown", "Code", compact[:3])
		return
	}
	lat, lon, err := c.cfg.Locator.Locate(compact)
	if err != nil {
		errs.Add("near", "search.near.error_unknown", "Code", compact[:3])
		return
	}
	q.HasNear, q.Lat, q.Lon = true, lat, lon
}

// validTaxonomyCode reports whether s looks like a 211 taxonomy code
// ("B", "BD-1800.2000"): letters, digits, '-', '.' only.
func validTaxonomyCode(s string) bool {
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// search answers GET /search: the results, or the form with its problems.
func (c *Console) search(w http.ResponseWriter, r *http.Request) {
	f := readSearchForm(r)
	p := c.view(r, "search.title")
	cats := categories(p.Lang, f.Category)
	catOpts := make([]option, len(cats))
	for i, cv := range cats {
		catOpts[i] = option{Value: cv.Code, Label: cv.Name, Selected: cv.Selected}
	}
	body := &searchBody{Form: f, HasProvince: c.cfg.Province != nil, CategoryOptions: optionsHTML(catOpts),
		RadiusOptions: optionsHTML(c.radiusOptions(p.Lang, f.Radius)), LanguageOptions: optionsHTML(c.languageOptions(p.Lang, f.Language))}
	p.Body = body
	q := c.query(f, p.Errors)
	if p.Errors.Any() {
		c.render(w, r, http.StatusBadRequest, "search", p)
		return
	}
	searcher := c.cfg.Searcher
	if f.Scope == o211.ScopeProvince && c.cfg.Province != nil {
		searcher = c.cfg.Province
	}
	res, err := searcher.Search(r.Context(), q)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	w.Header().Set("X-O211-Results", strconv.Itoa(res.Total))
	body.Summary = c.msg.MustT(p.Lang, "results.count", "Count", res.Total)
	body.Items = c.resultViews(r.Context(), p.Lang, res.Results)
	body.ResultsHTML = resultsHTML(body.Items, c.resultLabels(p.Lang), p.Lang)
	body.Pages = pageLinks(r, p.Lang, f.Page, res)
	c.render(w, r, http.StatusOK, "search", p)
}

// resultViews lays out the results in lang, with today's hours.
func (c *Console) resultViews(ctx context.Context, lang string, results []o211.Result) []resultView {
	now := c.cfg.Now().In(o211.Toronto())
	var scheds [][]o211.Schedule
	if slices.ContainsFunc(results, func(r o211.Result) bool { return r.Hours == nil }) {
		scheds = c.schedules(ctx, results) // a searcher that does not give the hours
	}
	unknown := c.msg.MustT(lang, "hours.unknown")
	out := make([]resultView, len(results))
	for i, res := range results {
		v := resultView{URL: localPath(langChoice{Lang: lang}, "/services/"+res.ServiceID), Name: res.ServiceName,
			Org: res.OrganizationName, Address: res.Address, Phone: res.Phone, Tel: telURL(res.Phone), Today: unknown}
		if res.DistanceKm != nil {
			v.Distance = c.msg.MustT(lang, "result.km", "Km", formatKm(lang, *res.DistanceKm))
		}
		if v.Closure = c.closureOfResult(lang, &res); v.Closure != nil {
			v.Open = 2 // closed, whatever its hours say
		} else if res.OpenNow != nil {
			v.Open = 2
			if *res.OpenNow {
				v.Open = 1
			}
		}
		if (res.Language == English || res.Language == French) && res.Language != lang {
			v.Lang = res.Language
		}
		if res.Hours != nil {
			if spans, ok := res.Hours.On(now); ok {
				v.Today = c.dayHours(lang, spansOf(spans))
			}
		} else if i < len(scheds) {
			if wk := weeklyHours(scheds[i], now); wk.known {
				v.Today = c.dayHours(lang, wk.days[mondayIndex(now)])
			}
		}
		out[i] = v
	}
	return out
}

// resultsHTML writes the list of results: every value escaped, the
// record's language marked on each result written in the other language
// (and the page's on its labels).
func resultsHTML(items []resultView, l resultLabels, lang string) template.HTML {
	var b strings.Builder
	e := template.HTMLEscapeString
	fact := func(label, value, valueLang string) {
		b.WriteString("<dt>" + e(label) + "</dt><dd")
		if valueLang != "" {
			b.WriteString(` lang="` + valueLang + `"`)
		}
		b.WriteString(">" + value + "</dd>")
	}
	b.WriteString(`<ol class="o211-results" aria-labelledby="results-heading">`)
	for _, v := range items {
		b.WriteString(`<li class="o211-result"`)
		if v.Lang != "" {
			b.WriteString(` lang="` + v.Lang + `"`)
		}
		b.WriteString(`><h3 class="govuk-heading-m o211-result__title"><a class="govuk-link" href="` + e(v.URL) + `">` + e(v.Name) +
			`</a></h3><p class="govuk-body o211-result__org">` + e(v.Org) + `</p>`)
		if cl := v.Closure; cl != nil {
			b.WriteString(`<p class="govuk-body o211-result__closure"><strong class="govuk-tag govuk-tag--orange">` + e(cl.Title) + `</strong>`)
			if cl.Msg != "" {
				b.WriteString(` <span lang="` + e(cmp.Or(cl.Lang, lang)) + `">` + e(cl.Msg) + `</span>`)
			}
			b.WriteString(`</p>`)
		}
		b.WriteString(`<dl class="o211-result__facts"`)
		if v.Lang != "" {
			b.WriteString(` lang="` + lang + `"`)
		}
		b.WriteString(">")
		if v.Distance != "" {
			fact(l.Distance, e(v.Distance), "")
		}
		switch v.Open {
		case 1:
			fact(l.Now, `<span class="o211-open">`+e(l.Open)+`</span>`, "")
		case 2:
			fact(l.Now, `<span class="o211-closed">`+e(l.Closed)+`</span>`, "")
		}
		fact(l.Today, e(v.Today), "")
		if v.Address != "" {
			fact(l.Address, e(v.Address), v.Lang)
		}
		if v.Phone != "" {
			fact(l.Phone, `<a class="govuk-link" href="`+e(string(v.Tel))+`">`+e(v.Phone)+`</a>`, "")
		}
		b.WriteString("</dl></li>")
	}
	b.WriteString("</ol>")
	return template.HTML(b.String())
}

// resultLabels looks up the words of the results once.
func (c *Console) resultLabels(lang string) resultLabels {
	t := func(id string) string { return c.msg.MustT(lang, id) }
	return resultLabels{Distance: t("result.distance"), Now: t("result.now"), Open: t("result.open"),
		Closed: t("result.closed"), Today: t("result.today"), Address: t("result.address"), Phone: t("result.phone")}
}

// schedules reads the hours of the results: through Config.Hours in one
// read, else service by service. A result whose hours cannot be read shows
// "call to check", and the error is logged.
func (c *Console) schedules(ctx context.Context, results []o211.Result) [][]o211.Schedule {
	if c.cfg.Hours != nil {
		s, err := c.cfg.Hours.Schedules(ctx, results)
		if err != nil && !errors.Is(err, context.Canceled) {
			c.log.Warn("console: reading the hours of results", "err", err)
		}
		return s
	}
	out := make([][]o211.Schedule, len(results))
	for i, res := range results {
		svc, err := c.cfg.Services.Service(ctx, res.ServiceID)
		if err != nil {
			if !errors.Is(err, context.Canceled) && o211.ErrorCode(err) != o211.ENOTFOUND {
				c.log.Warn("console: reading a result's hours", "service", res.ServiceID, "err", err)
			}
			continue
		}
		out[i] = schedulesAt(svc, res.ServiceAtLocationID, res.LocationID)
	}
	return out
}

// schedulesAt returns the schedules that say when a service is open at one
// location: the service at location's own, else the service's, else the
// location's.
func schedulesAt(svc *o211.Service, salID, locID string) []o211.Schedule {
	for _, sal := range svc.ServiceAtLocations {
		if (salID != "" && sal.ID == salID) || (salID == "" && locID != "" && sal.LocationID == locID) {
			if len(sal.Schedules) > 0 {
				return sal.Schedules
			}
			if len(svc.Schedules) == 0 && sal.Location != nil {
				return sal.Location.Schedules
			}
		}
	}
	return svc.Schedules
}

// pageLinks returns the links to the previous and next pages of results.
func pageLinks(r *http.Request, lang string, page int, res *o211.Results) pages {
	link := func(n int) string {
		q := r.URL.Query()
		q.Del("lang")
		q.Set("page", strconv.Itoa(n))
		return localPath(langChoice{Lang: lang}, "/search") + "?" + q.Encode()
	}
	var p pages
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if res.PerPage > 0 && page*res.PerPage < res.Total {
		p.Next = link(page + 1)
	}
	return p
}

// optionsHTML writes <option> elements, every value and label escaped.
func optionsHTML(opts []option) template.HTML {
	var b strings.Builder
	for _, o := range opts {
		b.WriteString(`<option value="`)
		b.WriteString(template.HTMLEscapeString(o.Value))
		b.WriteString(`"`)
		if o.Selected {
			b.WriteString(" selected")
		}
		b.WriteString(">")
		b.WriteString(template.HTMLEscapeString(o.Label))
		b.WriteString("</option>")
	}
	return template.HTML(b.String())
}

func (c *Console) radiusOptions(lang, selected string) []option {
	out := make([]option, len(radii))
	for i, km := range radii {
		out[i] = option{Value: km, Label: c.msg.MustT(lang, "result.km", "Km", km), Selected: km == selected}
	}
	return out
}

func (c *Console) languageOptions(lang, selected string) []option {
	out := make([]option, len(serviceLanguages))
	for i, code := range serviceLanguages {
		out[i] = option{Value: code, Label: c.msg.MustT(lang, "language."+code), Selected: code == selected}
	}
	return out
}
