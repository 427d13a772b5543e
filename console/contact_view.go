package console

import (
	"context"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/o211/o211"
)

// contactBody is the contact page's: the workspace of an open contact, or
// the record of a closed one.
type contactBody struct {
	*workspace
	Action string // the form's URL
	Closed bool
	// The selects' options, written by optionsHTML.
	Channels, AgeBands, Langs template.HTML
	Needs                     []needView
	Choices                   []needView
	Refs                      []referralView
	Results                   *navResults
	Detail                    *navDetail
	// The search's options.
	Radius, SearchLangs, Taxa template.HTML
	HasProvince               bool
	Started, Ended, FollowUp  string
	// Audited says the page shows personal fields, whose view went to the
	// audit log; CanAudit that the reader may open that log.
	Audited, CanAudit bool
	Views             []auditView
}

// needView is one need as the page shows it.
type needView struct {
	I                  int
	Code, Name, Parent string
	Unmet              bool
	Reasons            template.HTML
	ReasonName         string
}

// referralView is one referral as the page shows it.
type referralView struct {
	I                        int
	Value, Name, Org, Detail string
	Lang                     string
}

// renderContact lays out the contact page.
func (c *Console) renderContact(w http.ResponseWriter, r *http.Request, a o211.Actor, status int, st *workspace, errs *FormErrors) {
	title := "contact.title"
	if st.Version == 0 {
		title = "contact.new_title"
	}
	p := c.staffView(w, r, a, title)
	p.Errors = errs
	ctx, lang, ct := r.Context(), p.Lang, st.C
	if st.Detail == "" {
		st.Detail = r.URL.Query().Get("detail")
	}
	b := &contactBody{workspace: st, Action: p.URL("/console/contacts/" + ct.ID), Closed: ct.Status == o211.ContactClosed,
		HasProvince: c.cfg.Province != nil, Audited: st.Stored && ct.HasPersonal(), CanAudit: a.HasRole(o211.AuditRoles...)}
	b.Channels = optionsHTML(c.enumOptions(lang, "channel.", channelNames(), string(ct.Channel), false))
	b.AgeBands = optionsHTML(c.enumOptions(lang, "", ageBandNames(), string(ct.Caller.AgeBand), true))
	b.Langs = optionsHTML(c.languageOptions(lang, ct.Caller.Language))
	b.Needs = c.needViews(lang, ct.Needs)
	for i, t := range st.NeedChoices {
		b.Choices = append(b.Choices, needView{I: i, Code: t.Code, Name: t.Name(lang), Parent: c.parentName(t.Code, lang)})
	}
	b.Refs = c.referralViews(ctx, lang, ct.Referrals)
	b.Started = c.dateTime(lang, ct.Start)
	if ct.End != nil {
		b.Ended = c.dateTime(lang, *ct.End)
	}
	if ct.FollowUp != nil {
		b.FollowUp = ct.FollowUp.Due
	}
	if !b.Closed {
		b.Radius = optionsHTML(c.radiusOptions(lang, st.Search.Radius))
		b.SearchLangs = optionsHTML(c.languageOptions(lang, st.Search.Language))
		b.Taxa = optionsHTML(c.taxonomyOptions(lang, st.Search.Taxonomy, ct))
		res, err := c.runNavSearch(ctx, lang, st, errs)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		b.Results = res
		if st.Detail != "" {
			b.Detail = c.detail(ctx, lang, st.Detail, ct)
		}
	}
	if b.CanAudit && st.Stored {
		b.Views, _ = c.auditViews(ctx, lang, o211.AuditQuery{ContactID: ct.ID, Limit: 20})
	}
	p.Body, p.ready = b, st.shown
	c.render(w, r, status, "contact", p)
}

// needViews names the needs in lang with the level above each.
func (c *Console) needViews(lang string, needs []o211.Need) []needView {
	out := make([]needView, len(needs))
	for i, n := range needs {
		out[i] = needView{I: i, Code: n.Code, Name: c.terms.name(n.Code, lang), Parent: c.parentName(n.Code, lang),
			Unmet: n.Status == o211.NeedUnmet, Reasons: c.reasonOptionsHTML(lang, reasonNames(), string(n.Reason))}
		if n.Reason != "" {
			out[i].ReasonName = c.msg.MustT(lang, "reason."+string(n.Reason))
		}
	}
	return out
}

func (c *Console) parentName(code, lang string) string {
	if t, ok := c.terms.parent(o211.SplitTaxonomyCode(code)[0]); ok {
		return t.Name(lang)
	}
	return ""
}

// referralViews names the referrals' services and places.
func (c *Console) referralViews(ctx context.Context, lang string, refs []o211.Referral) []referralView {
	out := make([]referralView, len(refs))
	for i, ref := range refs {
		v := referralView{I: i, Value: ref.ServiceID + "|" + ref.LocationID, Name: ref.ServiceID}
		if svc, err := c.cfg.Services.Service(ctx, ref.ServiceID); err == nil {
			v.Name, v.Lang = svc.Name, recordLanguage(svc)
			if svc.Organization != nil {
				v.Org = svc.Organization.Name
			}
			for _, sal := range svc.ServiceAtLocations {
				if sal.LocationID == ref.LocationID && sal.Location != nil {
					lv := c.locationView(lang, &sal, c.cfg.Now())
					if len(lv.Address) > 0 {
						v.Detail = lv.Address[0]
					}
				}
			}
		}
		if v.Lang == lang {
			v.Lang = ""
		}
		out[i] = v
	}
	return out
}

// enumOptions lists the values of an enumeration named by the catalogue
// (prefix+value), with an empty first choice when blank.
func (c *Console) enumOptions(lang, prefix string, values []string, selected string, blank bool) []option {
	var out []option
	if blank {
		out = append(out, option{Value: "", Label: c.msg.MustT(lang, "contact.choose"), Selected: selected == ""})
	}
	for _, v := range values {
		label := v
		if prefix != "" {
			label = c.msg.MustT(lang, prefix+v)
		}
		out = append(out, option{Value: v, Label: label, Selected: v == selected})
	}
	return out
}

func channelNames() []string {
	out := make([]string, len(o211.Channels))
	for i, v := range o211.Channels {
		out[i] = string(v)
	}
	return out
}

func ageBandNames() []string {
	out := make([]string, len(o211.AgeBands))
	for i, v := range o211.AgeBands {
		out[i] = string(v)
	}
	return out
}

func reasonNames() []string {
	out := make([]string, len(o211.UnmetReasons))
	for i, v := range o211.UnmetReasons {
		out[i] = string(v)
	}
	return out
}

// dateTime writes a time in Toronto in lang: "December 7, 2026, 10:05".
func (c *Console) dateTime(lang string, t time.Time) string {
	t = t.In(o211.Toronto())
	return c.date(lang, t) + ", " + formatClock(lang, t.Hour()*60+t.Minute())
}

// Itoa writes an integer (templates).
func (p *page) Itoa(i int) string { return strconv.Itoa(i) }

// fieldErrArgs are the arguments of the field-error partial.
type fieldErrArgs struct {
	P *page
	E *FieldError
}

// FieldErr returns the field-error partial's arguments for an input.
func (p *page) FieldErr(id string) fieldErrArgs { return fieldErrArgs{P: p, E: p.Errors.For(id)} }

// inputArgs are the arguments of the text-field partial.
type inputArgs struct {
	P                              *page
	ID, Label, Value, Autocomplete string
}

// Input returns the text-field partial's arguments.
func (p *page) Input(id, label, value, autocomplete string) inputArgs {
	return inputArgs{P: p, ID: id, Label: label, Value: value, Autocomplete: autocomplete}
}

// Row returns the record-row partial's arguments.
func (p *page) Row(key, value string) detailArgs { return detailArgs{P: p, Key: key, Value: value} }

// tableArgs are the arguments of the contact-table partial.
type tableArgs struct {
	P       *page
	Caption string
	Rows    []contactRow
}

// Table returns the contact-table partial's arguments.
func (p *page) Table(caption string, rows []contactRow) tableArgs {
	return tableArgs{P: p, Caption: caption, Rows: rows}
}

// auditArgs are the arguments of the audit-table partial.
type auditArgs struct {
	P       *page
	Entries []auditView
	Caption string
	// Rows are Entries as the table's rows (auditRowsHTML).
	Rows template.HTML
}

// AuditTable returns the audit-table partial's arguments.
func (p *page) AuditTable(entries []auditView, caption string) auditArgs {
	return auditArgs{P: p, Entries: entries, Caption: caption, Rows: p.auditRowsHTML(entries)}
}

// auditRowsHTML writes the audit table's rows in Go (a hundred of them
// through html/template cost about 2 ms of reflective calls a page):
// when, who with their role, what with a link to the contact, and the
// personal fields. Every value is escaped.
func (p *page) auditRowsHTML(entries []auditView) template.HTML {
	e := template.HTMLEscapeString
	open, none := e(p.c.msg.MustT(p.Lang, "audit.contact")), e(p.c.msg.MustT(p.Lang, "contact.none"))
	var b strings.Builder
	b.Grow(400 * len(entries))
	for _, v := range entries {
		b.WriteString("<tr class=\"govuk-table__row\">\n    <td class=\"govuk-table__cell\">" + e(v.Time) + "</td>\n    <td class=\"govuk-table__cell\">" +
			e(v.Who) + `<br><span class="o211-meta">` + e(v.Role) + "</span></td>\n    <td class=\"govuk-table__cell\">" + e(v.Action))
		if v.ContactURL != "" {
			b.WriteString(`<br><a class="govuk-link o211-meta" href="` + e(v.ContactURL) + `">` + open +
				`<span class="govuk-visually-hidden"> ` + e(v.Contact) + `</span></a>`)
		}
		b.WriteString("</td>\n    <td class=\"govuk-table__cell\">")
		if v.Fields != "" {
			b.WriteString(e(v.Fields))
		} else {
			b.WriteString(`<span class="o211-meta">` + none + `</span>`)
		}
		b.WriteString("</td>\n  </tr>")
	}
	return template.HTML(b.String())
}

// Day writes a YYYY-MM-DD date in the page's language, or returns it as
// it is when it is not one.
func (p *page) Day(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return p.c.date(p.Lang, t)
}
