package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
)

// dayView is one day of a week of hours.
type dayView struct {
	Day, Hours string
	Today      bool
}

// locationView is one place where the service is delivered.
type locationView struct {
	Name           string
	Address        []string
	Transportation string
	Accessibility  []string
	Phones         []o211.Phone
	Hours          []dayView // when the place keeps hours of its own
}

// topicView is one of a service's taxonomy terms: its top-level category
// in the page's language, and the term's own name in its language.
type topicView struct {
	Category, Term, TermLang string
}

// serviceBody is the body of a service page.
type serviceBody struct {
	S          *o211.Service
	Lang       string // the record's language, when known
	OrgName    string
	Hours      []dayView
	HoursNotes []string
	Locations  []locationView
	Ages       string
	Fees       []string
	Languages  []string
	Documents  []string
	Areas      []string
	Topics     []topicView
	Reviewed   string
	Inactive   bool
	SearchURL  string
	// Closure is the service's temporary closure while it holds; the
	// alert that holds an o211 closure is not shown as it stands.
	Closure   *closureView
	HideAlert bool
}

// service answers GET /services/{id}: everything a caller needs about one
// service.
func (c *Console) service(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if len(id) > 200 {
		c.notFound(w, r)
		return
	}
	svc, err := c.cfg.Services.Service(r.Context(), id)
	if o211.ErrorCode(err) == o211.ENOTFOUND {
		c.notFound(w, r)
		return
	} else if err != nil {
		c.fail(w, r, err)
		return
	}
	p := c.view(r, "service.title", "Name", svc.Name)
	p.Title = svc.Name
	now := c.cfg.Now().In(o211.Toronto())
	b := &serviceBody{S: svc, Lang: recordLanguage(svc), SearchURL: p.URL("/search"),
		Inactive: svc.Status != "" && svc.Status != "active"}
	if svc.Organization != nil {
		b.OrgName = svc.Organization.Name
	}
	if cl, known := c.closureOfService(p.Lang, svc); known {
		b.Closure, b.Inactive, b.HideAlert = cl, false, true
	}
	wk := weeklyHours(svc.Schedules, now)
	b.Hours, b.HoursNotes = c.weekView(p.Lang, wk, now), wk.notes
	for _, sal := range svc.ServiceAtLocations {
		b.Locations = append(b.Locations, c.locationView(p.Lang, &sal, now))
	}
	if len(b.Hours) == 0 && len(b.Locations) == 1 && len(b.Locations[0].Hours) > 0 {
		b.Hours, b.Locations[0].Hours = b.Locations[0].Hours, nil
	}
	b.Ages = c.ages(p.Lang, svc.MinimumAge, svc.MaximumAge)
	b.Fees = c.fees(p.Lang, svc)
	for _, l := range svc.Languages {
		b.Languages = append(b.Languages, c.languageName(p.Lang, l))
	}
	for _, d := range svc.RequiredDocuments {
		if d.Document != "" {
			b.Documents = append(b.Documents, d.Document)
		}
	}
	for _, a := range svc.ServiceAreas {
		if a.Name != "" {
			b.Areas = append(b.Areas, a.Name)
		}
	}
	b.Topics = topics(p.Lang, svc.Attributes)
	if t, err := time.Parse("2006-01-02", firstN(svc.AssuredDate, 10)); err == nil {
		b.Reviewed = c.date(p.Lang, t)
	}
	p.Body = b
	c.render(w, r, http.StatusOK, "service", p)
}

// topics lists the service's taxonomy terms under their category, the
// category named in lang (terms of target populations, Y, are left out).
func topics(lang string, attrs []o211.Attribute) []topicView {
	var out []topicView
	seen := map[string]bool{}
	for _, a := range attrs {
		t := a.TaxonomyTerm
		if t == nil || t.Code == "" {
			continue
		}
		for _, code := range o211.SplitTaxonomyCode(t.Code) {
			cat, ok := o211.CategoryOf(code)
			if !ok || cat.Code == "Y" || seen[code] {
				continue
			}
			seen[code] = true
			v := topicView{Category: cat.Name, Term: t.Name}
			if lang == French {
				v.Category = cat.NameFr
			}
			if l := strings.ToLower(t.Language); l != lang && (l == English || l == French) {
				v.TermLang = l
			} else if l == "" && lang == French {
				v.TermLang = English // 211 HSIS term names are English unless a term says otherwise
			}
			out = append(out, v)
		}
	}
	return out
}

// recordLanguage tells whether a record is written in English or French
// from the small words of its name and description (records carry no
// language of their own).
func recordLanguage(svc *o211.Service) string {
	score := 0
	for _, w := range strings.Fields(strings.ToLower(svc.Name + " " + svc.Description)) {
		w = strings.Trim(w, ".,;:()«»\"'")
		score += frenchWords[w]
		if strings.ContainsAny(w, "éèêàâçîôûù") {
			score++
		}
	}
	if score > 0 {
		return French
	}
	return English
}

// frenchWords scores words: French ones +1, English ones -1.
var frenchWords = func() map[string]int {
	m := map[string]int{}
	for _, w := range strings.Fields("le la les des du et pour avec aux une est dans sur au") {
		m[w] = 1
	}
	for _, w := range strings.Fields("the and for with of to is in on are a an") {
		m[w] = -1
	}
	return m
}()

// weekView lays out a week of hours, Monday first, marking today; nil when
// the schedules give no weekly hours.
func (c *Console) weekView(lang string, wk week, now time.Time) []dayView {
	if !wk.known {
		return nil
	}
	out := make([]dayView, 7)
	for d := range out {
		out[d] = dayView{Day: c.msg.MustT(lang, "day."+weekdayCodes[d]), Hours: c.dayHours(lang, wk.days[d]),
			Today: d == mondayIndex(now)}
	}
	return out
}

// locationView describes one service at location.
func (c *Console) locationView(lang string, sal *o211.ServiceAtLocation, now time.Time) locationView {
	var v locationView
	scheds := sal.Schedules
	if loc := sal.Location; loc != nil {
		v.Name, v.Transportation = loc.Name, loc.Transportation
		for _, a := range loc.Addresses {
			if a.AddressType == o211.LocationPostal && len(loc.Addresses) > 1 {
				continue
			}
			v.Address = addressLines(a)
			break
		}
		for _, a := range loc.Accessibility {
			if d := strings.TrimSpace(a.Description + " " + a.Details); d != "" {
				v.Accessibility = append(v.Accessibility, d)
			}
		}
		v.Phones = loc.Phones
		if len(scheds) == 0 {
			scheds = loc.Schedules
		}
	}
	v.Phones = append(append([]o211.Phone(nil), sal.Phones...), v.Phones...)
	v.Hours = c.weekView(lang, weeklyHours(scheds, now), now)
	return v
}

// addressLines writes an address as its lines.
func addressLines(a o211.Address) []string {
	var out []string
	for _, l := range []string{a.Attention, a.Address1, a.Address2} {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	city := strings.TrimSpace(strings.Join(nonEmpty(a.City, a.StateProvince), ", ") + "  " + a.PostalCode)
	if city != "" {
		out = append(out, city)
	}
	return out
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func firstN(s string, n int) string { return s[:min(n, len(s))] }

// ages says who the service is for by age, in lang, or "".
func (c *Console) ages(lang string, lo, hi *float64) string {
	num := func(f *float64) string { return strconv.FormatFloat(*f, 'f', -1, 64) }
	switch {
	case lo != nil && hi != nil:
		return c.msg.MustT(lang, "service.ages.between", "Min", num(lo), "Max", num(hi))
	case lo != nil:
		return c.msg.MustT(lang, "service.ages.from", "Min", num(lo))
	case hi != nil:
		return c.msg.MustT(lang, "service.ages.to", "Max", num(hi))
	}
	return ""
}

// fees lists what the service costs: its description and cost options.
func (c *Console) fees(lang string, svc *o211.Service) []string {
	out := nonEmpty(svc.FeesDescription, svc.Fees)
	for _, o := range svc.CostOptions {
		s := strings.TrimSpace(o.Option)
		if o.Amount != nil {
			amt := strconv.FormatFloat(*o.Amount, 'f', 2, 64)
			if lang == French {
				amt = strings.Replace(amt, ".", ",", 1) + " $"
			} else {
				amt = "$" + amt
			}
			s = strings.TrimSpace(s + " " + amt)
		}
		if d := strings.TrimSpace(o.AmountDescription); d != "" {
			s = strings.TrimSpace(s + " " + d)
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// languageName names a language of service in lang when the catalogue
// knows its code, else as the record wrote it.
func (c *Console) languageName(lang string, l o211.Language) string {
	if code := strings.ToLower(strings.TrimSpace(l.Code)); code != "" {
		if s, err := c.msg.T(lang, "language."+code); err == nil {
			return s
		}
	}
	if l.Name != "" {
		return l.Name
	}
	return l.Code
}

// date writes a date in lang: "7 December 2026" / "7 décembre 2026".
func (c *Console) date(lang string, t time.Time) string {
	month := c.msg.MustT(lang, "month."+strconv.Itoa(int(t.Month())))
	if lang == English {
		return month + " " + strconv.Itoa(t.Day()) + ", " + strconv.Itoa(t.Year())
	}
	return strconv.Itoa(t.Day()) + " " + month + " " + strconv.Itoa(t.Year())
}
