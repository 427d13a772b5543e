package console

import (
	"context"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/o211/o211"
)

// navForm is the navigator's search beside a contact, as typed. Its
// fields are named s_* in the workspace's form and in the contact's URL,
// so that the search survives every save.
type navForm struct {
	Q, Near, Radius, Taxonomy, Scope, OpenAt, Language, Age string
	OpenNow                                                 bool
	Page                                                    int
}

// navFields are the form's names of navForm's text fields, in order.
var navFields = []string{"s_q", "s_near", "s_radius", "s_taxonomy", "s_scope", "s_open_at", "s_language", "s_age"}

// readNavForm reads the search from a form or a query string.
func readNavForm(v url.Values) navForm {
	g := func(k string, max int) string { return firstN(strings.TrimSpace(v.Get(k)), max) }
	f := navForm{Q: g("s_q", 200), Near: g("s_near", 40), Radius: g("s_radius", 10), Taxonomy: g("s_taxonomy", 60),
		Scope: g("s_scope", 10), OpenAt: g("s_open_at", 20), Language: g("s_language", 20), Age: g("s_age", 10),
		OpenNow: v.Get("s_open_now") == "yes"}
	f.Page, _ = strconv.Atoi(v.Get("s_page"))
	if f.Page < 1 || f.Page > 100 {
		f.Page = 1
	}
	return f
}

// empty reports whether the search asks for nothing (no search is run).
func (f navForm) empty() bool {
	return f.Q == "" && f.Near == "" && f.Taxonomy == "" && f.OpenAt == "" && !f.OpenNow && f.Language == "" && f.Age == ""
}

// values is the search as a query string's values.
func (f navForm) values() url.Values {
	v := url.Values{}
	for i, s := range []string{f.Q, f.Near, f.Radius, f.Taxonomy, f.Scope, f.OpenAt, f.Language, f.Age} {
		if s != "" {
			v.Set(navFields[i], s)
		}
	}
	if f.OpenNow {
		v.Set("s_open_now", "yes")
	}
	if f.Page > 1 {
		v.Set("s_page", strconv.Itoa(f.Page))
	}
	return v
}

// navResult is one result as the workspace lists it.
type navResult struct {
	// Value is what "add as referral" and "details" post: "svc|loc".
	Value                           string
	Name, Org, Address, Phone, Lang string
	Distance, Today, Verified       string
	Open                            int // 0 unknown, 1 open now, 2 closed
	// Stale says the record was not verified in the last year (or never).
	Stale bool
	Added bool
}

// navResults is the search panel's answer.
type navResults struct {
	Ran     bool
	Summary string
	Items   []navResult
	// List is Items as the page shows them (navResultsHTML).
	List template.HTML
	// NearUsed is the FSA of the caller used when "near" was left empty.
	NearUsed   string
	Prev, Next bool
}

// staleAfter is how old a record's last verification may be before the
// workspace flags it (211's annual verification).
const staleAfter = 365 * 24 * time.Hour

// navQuery checks the search and builds its query, adding a problem for
// each field in error (ids s_near, s_radius, ...). callerPostal is used as
// "near" when the search leaves it empty.
func (c *Console) navQuery(f *navForm, callerPostal string, errs *FormErrors) (o211.Query, string) {
	q := o211.Query{Text: f.Q, Distinct: true, Page: f.Page, PerPage: c.cfg.PerPage, Language: f.Language}
	near, used := f.Near, ""
	if near == "" && o211.FSAOf(callerPostal) != "" {
		near, used = o211.FSAOf(callerPostal), o211.FSAOf(callerPostal)
	}
	if near != "" {
		sub := &FormErrors{}
		c.locate(near, &q, sub)
		for _, e := range sub.List {
			errs.Add("s_near", e.Message, e.Args...)
		}
	}
	if f.Radius != "" {
		km, err := strconv.ParseFloat(f.Radius, 64)
		if err != nil || km <= 0 || km > 1000 {
			errs.Add("s_radius", "filters.radius.error")
		} else if q.HasNear {
			q.RadiusKm = km
		}
	}
	if f.Taxonomy != "" {
		if !o211.ValidTaxonomyCode(f.Taxonomy) {
			errs.Add("s_taxonomy", "filters.category.error")
		}
		q.Taxonomy = f.Taxonomy
	}
	if f.Age != "" {
		age, err := strconv.Atoi(f.Age)
		if err != nil || age < 0 || age > 120 {
			errs.Add("s_age", "filters.age.error")
		}
		a := float64(age)
		q.Age = &a
	}
	switch {
	case f.OpenNow:
		q.OpenAt = c.cfg.Now()
	case f.OpenAt != "":
		t, err := time.ParseInLocation("2006-01-02T15:04", f.OpenAt, o211.Toronto())
		if err != nil {
			errs.Add("s_open_at", "nav.open_at.error")
		}
		q.OpenAt = t
	}
	return q, used
}

// runNavSearch runs the workspace's search, when it asks for anything.
func (c *Console) runNavSearch(ctx context.Context, lang string, st *workspace, errs *FormErrors) (*navResults, error) {
	out := &navResults{}
	if st.Search.empty() {
		return out, nil
	}
	q, used := c.navQuery(&st.Search, st.C.Caller.PostalCode, errs)
	if errs.Any() {
		return out, nil
	}
	searcher := c.cfg.Searcher
	if st.Search.Scope == o211.ScopeProvince && c.cfg.Province != nil {
		searcher = c.cfg.Province
	}
	res, err := searcher.Search(ctx, q)
	if o211.ErrorCode(err) == o211.EINVALID {
		errs.Add("s_q", "nav.invalid")
		return out, nil
	} else if err != nil {
		return nil, err
	}
	out.Ran, out.NearUsed = true, used
	out.Summary = c.msg.MustT(lang, "results.count", "Count", res.Total)
	out.Prev = st.Search.Page > 1
	out.Next = res.PerPage > 0 && st.Search.Page*res.PerPage < res.Total
	views := c.resultViews(ctx, lang, res.Results)
	dates := c.assuredDates(ctx, res.Results)
	now := c.cfg.Now()
	for i, r := range res.Results {
		v := navResult{Value: r.ServiceID + "|" + r.LocationID, Name: r.ServiceName, Org: r.OrganizationName,
			Address: r.Address, Phone: r.Phone, Lang: views[i].Lang, Distance: views[i].Distance, Today: views[i].Today,
			Open: views[i].Open, Stale: true}
		v.Added = hasReferral(st.C, o211.Referral{ServiceID: r.ServiceID, LocationID: r.LocationID})
		if t, err := time.Parse(time.DateOnly, firstN(dates[i], 10)); err == nil {
			v.Verified, v.Stale = c.date(lang, t), now.Sub(t) > staleAfter
		}
		out.Items = append(out.Items, v)
	}
	out.List = c.navResultsHTML(out.Items, lang)
	return out, nil
}

// navDetail is the detail pane of one result.
type navDetail struct {
	Value, Name, Org, Description, Lang string
	Address                             []string
	Phones                              []o211.Phone
	Hours                               []dayView
	Eligibility, Ages, Verified         string
	Fees, Languages                     []string
	URL                                 string
	Added                               bool
}

// detail reads the service of a result for the detail pane; nil when it
// cannot be read.
func (c *Console) detail(ctx context.Context, lang, value string, ct *o211.Contact) *navDetail {
	ref, ok := parseReferral(value)
	if !ok {
		return nil
	}
	svc, err := c.cfg.Services.Service(ctx, ref.ServiceID)
	if err != nil {
		return nil
	}
	now := c.cfg.Now().In(o211.Toronto())
	d := &navDetail{Value: value, Name: svc.Name, Description: svc.Description, Lang: recordLanguage(svc),
		Phones: svc.Phones, Eligibility: svc.EligibilityDescription, Ages: c.ages(lang, svc.MinimumAge, svc.MaximumAge),
		Fees: c.fees(lang, svc), URL: localPath(langChoice{Lang: lang}, "/services/"+svc.ID), Added: hasReferral(ct, ref)}
	if svc.Organization != nil {
		d.Org = svc.Organization.Name
	}
	d.Hours = c.weekView(lang, weeklyHours(schedulesAt(svc, "", ref.LocationID), now), now)
	for _, sal := range svc.ServiceAtLocations {
		if sal.LocationID == ref.LocationID || ref.LocationID == "" {
			lv := c.locationView(lang, &sal, now)
			d.Address, d.Phones = lv.Address, append(d.Phones, lv.Phones...)
			break
		}
	}
	for _, l := range svc.Languages {
		d.Languages = append(d.Languages, c.languageName(lang, l))
	}
	if t, err := time.Parse(time.DateOnly, firstN(svc.AssuredDate, 10)); err == nil {
		d.Verified = c.date(lang, t)
	}
	return d
}

// taxonomyOptions are the search's taxonomy picker: the contact's needs
// first, then the categories and their branches.
func (c *Console) taxonomyOptions(lang, selected string, ct *o211.Contact) []option {
	broad := c.terms.broadLabels(lang)
	out := make([]option, 0, len(ct.Needs)+len(broad)+1)
	seen := func(code string) bool {
		return slices.ContainsFunc(out[:min(len(out), len(ct.Needs))], func(o option) bool { return o.Value == code })
	}
	for _, n := range ct.Needs {
		if !seen(n.Code) {
			out = append(out, option{Value: n.Code, Label: c.terms.name(n.Code, lang) + " (" + n.Code + ")", Selected: n.Code == selected})
		}
	}
	needs, found := len(out), selected == ""
	for i, t := range c.terms.broad {
		if !seen(t.Code) {
			out = append(out, option{Value: t.Code, Label: broad[i], Selected: t.Code == selected})
			found = found || t.Code == selected
		}
	}
	if !found && !slices.ContainsFunc(out[:needs], func(o option) bool { return o.Value == selected }) {
		out = append(out, option{Value: selected, Label: c.terms.name(selected, lang), Selected: true})
	}
	return out
}

// Verification reads when the services of a page of results were last
// verified, without reading each whole service.
type Verification interface {
	// AssuredDates returns the assured_date of each service ("" when it
	// has none or is not found).
	AssuredDates(ctx context.Context, serviceIDs []string) ([]string, error)
}

// assuredDates reads the results' last verification dates: through
// Config.Verification in one read, else service by service.
func (c *Console) assuredDates(ctx context.Context, results []o211.Result) []string {
	out := make([]string, len(results))
	if c.cfg.Verification != nil {
		ids := make([]string, len(results))
		for i, r := range results {
			ids[i] = r.ServiceID
		}
		dates, err := c.cfg.Verification.AssuredDates(ctx, ids)
		if err != nil {
			c.log.Warn("console: reading when results were verified", "err", err)
		}
		copy(out, dates)
		return out
	}
	for i, r := range results {
		if svc, err := c.cfg.Services.Service(ctx, r.ServiceID); err == nil {
			out[i] = svc.AssuredDate
		}
	}
	return out
}
