package console

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/o211/o211"
)

// contactRow is one contact in a list: never its personal fields (lists
// read contacts redacted, so that opening a list audits nothing; opening a
// contact does).
type contactRow struct {
	URL, Started, Channel, Navigator, Due string
	Needs                                 []string
	Closed, Overdue, Crisis               bool
}

// listBody is the body of the follow-ups and contact-list pages.
type listBody struct {
	Mine, Team []contactRow
	// Load is each navigator's work, on the supervisors' page.
	Load []loadRow
	// Days is how far back the list goes.
	Days int
}

// loadRow is one navigator's load.
type loadRow struct {
	Navigator               string
	Open, Recent, FollowUps int
}

// today is the date in Toronto, as follow-ups are due.
func (c *Console) today() string { return c.cfg.Now().In(o211.Toronto()).Format(time.DateOnly) }

// dueContacts lists the contacts whose follow-up is due today or overdue
// (of one navigator, or of the region with ""), earliest first.
func (c *Console) dueContacts(ctx context.Context, navigator string, limit int) ([]*o211.Contact, error) {
	page, err := c.cfg.Contacts.List(ctx, o211.ContactQuery{FollowUpDue: c.today(), Navigator: navigator, Limit: limit}, true)
	if err != nil {
		return nil, err
	}
	return page.Contacts, nil
}

// followUps answers GET /console/followups: the follow-ups due today and
// overdue, the reader's and the team's (the region's navigators).
func (c *Console) followUps(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r, o211.ContactRoles...)
	if !ok {
		return
	}
	p := c.staffView(w, r, a, "followups.title")
	mine, err := c.dueContacts(r.Context(), a.Username, o211.MaxContactPage)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	team, err := c.dueContacts(r.Context(), "", o211.MaxContactPage)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p.Body = &listBody{Mine: c.contactRows(p.Lang, mine), Team: c.contactRows(p.Lang, team)}
	c.render(w, r, http.StatusOK, "followups", p)
}

// followUpCount answers the live count of the reader's follow-ups due
// (console.js refreshes the navigation's count with it): plain text.
func (c *Console) followUpCount(w http.ResponseWriter, r *http.Request) {
	a, ok := o211.ActorFrom(r.Context())
	if !ok || !a.HasRole(o211.ContactRoles...) {
		http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
		return
	}
	n, err := c.countDue(r.Context(), a)
	if err != nil {
		c.log.Error("console: counting follow-ups", "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if n == "" {
		n = "0"
	}
	_, _ = w.Write([]byte(n))
}

// maxCounted bounds the follow-ups counted for the navigation ("99+").
const maxCounted = 99

// countDue counts the actor's follow-ups due, as the navigation shows it
// ("" for none).
func (c *Console) countDue(ctx context.Context, a o211.Actor) (string, error) {
	n, err := c.cfg.Contacts.CountDue(ctx, a.Username, c.today(), maxCounted+1)
	if err != nil {
		return "", err
	}
	if n > maxCounted {
		return strconv.Itoa(maxCounted) + "+", nil
	}
	if n == 0 {
		return "", nil
	}
	return strconv.Itoa(n), nil
}

// recentDays is how far back "my contacts" and the region's list go.
const recentDays = 14

// recent lists the contacts started in the last recentDays (of one
// navigator, or of the region), newest first, at most limit.
func (c *Console) recent(ctx context.Context, navigator string, limit int) ([]*o211.Contact, error) {
	q := o211.ContactQuery{Navigator: navigator, From: c.cfg.Now().Add(-recentDays * 24 * time.Hour), Limit: o211.MaxContactPage}
	var all []*o211.Contact
	for {
		page, err := c.cfg.Contacts.List(ctx, q, true)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Contacts...)
		if page.Next == "" || len(all) >= 5000 {
			break
		}
		q.Cursor = page.Next
	}
	slices.Reverse(all)
	return all[:min(limit, len(all))], nil
}

// myContacts answers GET /console/contacts: the reader's recent contacts.
func (c *Console) myContacts(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r, o211.ContactRoles...)
	if !ok {
		return
	}
	p := c.staffView(w, r, a, "contacts.title")
	mine, err := c.recent(r.Context(), a.Username, 50)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p.Body = &listBody{Mine: c.contactRows(p.Lang, mine), Days: recentDays}
	c.render(w, r, http.StatusOK, "contacts", p)
}

// contactRows lays out contacts for a list.
func (c *Console) contactRows(lang string, cs []*o211.Contact) []contactRow {
	today := c.today()
	out := make([]contactRow, len(cs))
	for i, ct := range cs {
		row := contactRow{URL: localPath(langChoice{Lang: lang}, "/console/contacts/"+ct.ID), Started: c.dateTime(lang, ct.Start),
			Channel: c.msg.MustT(lang, "channel."+string(ct.Channel)), Navigator: ct.Navigator,
			Closed: ct.Status == o211.ContactClosed, Crisis: ct.Crisis}
		if ct.FollowUp != nil {
			row.Due, row.Overdue = ct.FollowUp.Due, ct.FollowUp.Due < today
		}
		for _, n := range ct.Needs {
			row.Needs = append(row.Needs, c.terms.name(n.Code, lang))
		}
		out[i] = row
	}
	return out
}

// FollowUpCount is the navigation's count of the reader's follow-ups due,
// "" when the reader has none to count.
func (p *page) FollowUpCount() string { return p.followUps }

// CanTakeContacts reports whether the reader works on contacts.
func (p *page) CanTakeContacts() bool {
	return p.Actor != nil && p.c.cfg.Contacts != nil && p.Actor.HasRole(o211.ContactRoles...)
}

// CanSupervise reports whether the reader supervises the region.
func (p *page) CanSupervise() bool {
	return p.Actor != nil && p.c.cfg.Contacts != nil && p.Actor.HasRole(o211.AuditRoles...)
}

// Script is the URL of the console's script.
func (p *page) Script() string {
	u, _ := p.c.assets.URL("console.js")
	return u
}

// ConsoleCSS is the URL of the console's own styles.
func (p *page) ConsoleCSS() string {
	u, _ := p.c.assets.URL("console.css")
	return u
}
