package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/o211/o211"
)

// regionContacts answers GET /console/region for supervisors: the region's
// recent contacts and each navigator's load (open contacts, contacts of
// the last days, follow-ups due).
func (c *Console) regionContacts(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r, o211.AuditRoles...)
	if !ok {
		return
	}
	p := c.staffView(w, r, a, "region.title", "Area", c.areaName(langOf(r).Lang))
	all, err := c.recent(r.Context(), "", 5000)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	due, err := c.dueContacts(r.Context(), "", o211.MaxContactPage)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p.Body = &listBody{Team: c.contactRows(p.Lang, all[:min(100, len(all))]), Load: load(all, due), Days: recentDays}
	c.render(w, r, http.StatusOK, "region", p)
}

// load counts each navigator's contacts: open ones, all recent ones and
// follow-ups due; busiest first.
func load(recent, due []*o211.Contact) []loadRow {
	by := map[string]*loadRow{}
	row := func(nav string) *loadRow {
		if by[nav] == nil {
			by[nav] = &loadRow{Navigator: nav}
		}
		return by[nav]
	}
	for _, ct := range recent {
		l := row(ct.Navigator)
		l.Recent++
		if ct.Status == o211.ContactOpen {
			l.Open++
		}
	}
	for _, ct := range due {
		row(ct.Navigator).FollowUps++
	}
	out := make([]loadRow, 0, len(by))
	for _, l := range by {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b loadRow) int {
		if a.Open != b.Open {
			return b.Open - a.Open
		}
		if a.Recent != b.Recent {
			return b.Recent - a.Recent
		}
		return strings.Compare(a.Navigator, b.Navigator)
	})
	return out
}

// auditView is one entry of the audit log as the page shows it.
type auditView struct {
	Time, Who, Role, Action, Contact, ContactURL, Fields, Path string
}

// auditBody is the audit page's.
type auditBody struct {
	Entries []auditView
	Contact string
	Days    int
	// Older is the URL of the page of older entries ("" on the last).
	Older string
}

// auditDays is how far back the audit page goes; auditPageSize how many
// entries it shows at once, newest first.
const (
	auditDays     = 7
	auditPageSize = 100
)

// auditLog answers GET /console/audit (supervisors): who was shown, or
// changed, which contact's personal fields, newest first, a page of
// auditPageSize at a time (?cursor= continues); ?contact=ID keeps one
// contact's.
func (c *Console) auditLog(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r, o211.AuditRoles...)
	if !ok {
		return
	}
	p := c.staffView(w, r, a, "audit.title")
	q := o211.AuditQuery{From: c.cfg.Now().Add(-auditDays * 24 * time.Hour), Limit: auditPageSize, Cursor: firstN(r.URL.Query().Get("cursor"), 200)}
	b := &auditBody{Days: auditDays}
	more := url.Values{}
	if id := r.URL.Query().Get("contact"); id != "" && o211.ValidID("contact", id) == nil {
		q.ContactID, q.From, b.Contact = id, time.Time{}, id
		more.Set("contact", id)
	}
	var next string
	b.Entries, next = c.auditViews(r.Context(), p.Lang, q)
	if next != "" {
		more.Set("cursor", next)
		b.Older = p.URL("/console/audit") + "?" + more.Encode()
	}
	p.Body = b
	c.render(w, r, http.StatusOK, "audit", p)
}

// auditViews reads a page of the audit entries of q, newest first, and
// returns the cursor of the next one. A cursor that is not one of this
// listing's starts from the newest; an entry of another region's actor is
// the hub's or a system's: shown as it is.
func (c *Console) auditViews(ctx context.Context, lang string, q o211.AuditQuery) ([]auditView, string) {
	q.Newest = true
	page, err := c.cfg.Contacts.Audit(ctx, q)
	if o211.ErrorCode(err) == o211.EINVALID && q.Cursor != "" {
		q.Cursor = ""
		page, err = c.cfg.Contacts.Audit(ctx, q)
	}
	if err != nil {
		c.log.Error("console: reading the audit log", "err", err)
		return nil, ""
	}
	all := page.Entries
	out := make([]auditView, len(all))
	for i, e := range all {
		v := auditView{Time: c.dateTime(lang, e.Time), Who: e.Actor.Username, Role: c.roleName(lang, e.Actor.Role),
			Action: e.Action, Contact: e.ContactID, Fields: strings.Join(e.Fields, ", "), Path: e.Path}
		if v.Who == "" {
			v.Who = e.Actor.ID
		}
		if s, err := c.msg.T(lang, "audit.action."+e.Action); err == nil {
			v.Action = s
		}
		if e.ContactID != "" {
			v.ContactURL = localPath(langChoice{Lang: lang}, "/console/contacts/"+e.ContactID)
		}
		out[i] = v
	}
	return out, page.Next
}
