package console

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
)

// verifyLimit is the number of services the verification queue shows.
const verifyLimit = 100

// verifyBefore is the first day a verification still holds: services
// verified before it (or never) are due.
func (c *Console) verifyBefore() string {
	return c.cfg.Now().In(o211.Toronto()).AddDate(0, -c.cfg.VerifyMonths, 0).Format(time.DateOnly)
}

// queueHTML writes the verification queue's items, each with its last
// verification, its referrals and its "mark verified" form, in Go: a
// hundred items through html/template cost about 4 ms a page of
// reflective calls and plural look-ups (issue 14). Every value is escaped.
func (c *Console) queueHTML(p *page, items []verifyItem) template.HTML {
	e := template.HTMLEscapeString
	t := func(id string) string { return e(c.msg.MustT(p.Lang, id)) }
	never, verify, action := t("dir.queue.never"), t("dir.verify"), e(p.URL("/console/directory/service/"))
	token := e(p.FormToken)
	referred := map[int]string{}
	var b strings.Builder
	b.Grow(900 * len(items))
	for _, it := range items {
		name := e(it.Name)
		b.WriteString("<li class=\"o211-queue__item\">\n    <h2 class=\"govuk-heading-s govuk-!-margin-bottom-1\"><a class=\"govuk-link\" href=\"" +
			e(p.URL(it.URL)) + `">` + name + "</a></h2>\n    ")
		if it.OrganizationName != "" {
			b.WriteString(`<p class="govuk-body-s govuk-!-margin-bottom-1">` + e(it.OrganizationName) + "</p>\n    ")
		}
		b.WriteString(`<p class="govuk-body-s govuk-!-margin-bottom-2">`)
		if it.Verified != "" {
			b.WriteString(e(c.msg.MustT(p.Lang, "dir.queue.last", "Date", it.Verified)))
		} else {
			b.WriteString(never)
		}
		r, ok := referred[it.Referrals]
		if !ok {
			r = e(c.msg.MustT(p.Lang, "dir.queue.referred", "Count", it.Referrals))
			referred[it.Referrals] = r
		}
		b.WriteString(" · " + r + "</p>\n    <form method=\"post\" action=\"" + action + e(url.PathEscape(it.ID)) + "/verify\">\n" +
			"      <input type=\"hidden\" name=\"form_token\" value=\"" + token + "\">\n      <input type=\"hidden\" name=\"from\" value=\"queue\">\n" +
			"      <button type=\"submit\" class=\"govuk-button govuk-button--secondary\" data-module=\"govuk-button\">" + verify +
			`<span class="govuk-visually-hidden"> ` + name + "</span></button>\n    </form>\n  </li>")
	}
	return template.HTML(b.String())
}

// verifyItem is one service of the verification queue.
type verifyItem struct {
	Unverified
	Verified string // the last verification, in the page's language
	URL      string
}

// verifyQueueBody is the body of the verification queue.
type verifyQueueBody struct {
	Items []verifyItem
	// List is Items as the page shows them (queueHTML).
	List   template.HTML
	Total  int
	Months int
	Notice string
	Name   string
}

// verifyQueue answers GET /console/directory/verify: the services whose
// last verification is older than the period (or missing), the most
// referred first.
func (c *Console) verifyQueue(w http.ResponseWriter, r *http.Request) {
	a, ok := c.directoryStaff(w, r)
	if !ok {
		return
	}
	due, total, err := c.cfg.Records.Unverified(r.Context(), c.verifyBefore(), verifyLimit)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p := c.staffView(w, r, a, "dir.queue.title")
	b := &verifyQueueBody{Total: total, Months: c.cfg.VerifyMonths}
	if r.URL.Query().Get("done") == "verified" {
		b.Notice, b.Name = "dir.queue.verified", firstN(r.URL.Query().Get("name"), 80)
	}
	for _, u := range due {
		it := verifyItem{Unverified: u, URL: "/console/directory/service/" + u.ID}
		if t, err := time.Parse(time.DateOnly, u.AssuredDate); err == nil {
			it.Verified = c.date(p.Lang, t)
		}
		b.Items = append(b.Items, it)
	}
	b.List = c.queueHTML(p, b.Items)
	p.Body = b
	c.render(w, r, http.StatusOK, "directory_queue", p)
}

// verify answers POST /console/directory/service/{id}/verify: the service
// is verified today by the signed-in user (assured_date; the change
// history names who), and leaves the queue. The form's "from" says where
// to go back: the queue, or the service's page.
func (c *Console) verify(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.directoryStaff(w, r); !ok || !c.parseForm(w, r) {
		return
	}
	svc, err := c.readService(r, chi.URLParam(r, "id"))
	if err != nil {
		c.recordError(w, r, err)
		return
	}
	svc.AssuredDate = c.cfg.Now().In(o211.Toronto()).Format(time.DateOnly)
	// HSDS names the assurer by e-mail only, and users have none: the
	// change history names the user who verified, so an e-mail that named
	// the previous assurer is cleared rather than left to mislead.
	svc.AssurerEmail = ""
	if err := c.cfg.Records.Write(r.Context(), []o211.Change{o211.Upsert(svc)}); err != nil {
		c.recordError(w, r, err)
		return
	}
	if r.PostForm.Get("from") == "queue" {
		c.redirect(w, r, "/console/directory/verify?done=verified&name="+url.QueryEscape(firstN(svc.Name, 80)))
		return
	}
	c.redirect(w, r, "/console/directory/service/"+svc.ID+"?done=saved")
}

// readService reads the region's service id as a flat HSDS service.
func (c *Console) readService(r *http.Request, id string) (*o211.Service, error) {
	if len(id) > o211.MaxIDLength {
		return nil, o211.Errorf(o211.ENOTFOUND, "no such service")
	}
	rec, err := c.cfg.Records.Record(r.Context(), o211.KindService, id)
	if err != nil {
		return nil, err
	}
	svc := new(o211.Service)
	if err := json.Unmarshal(rec.Data, svc); err != nil {
		return nil, err
	}
	return svc, nil
}
