package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/o211/o211"
)

// historyEntryView is one change of a record as the history page shows it.
type historyEntryView struct {
	When, Who, Action string
	Changes           []changeView
}

// changeView is one field a change changed: its label in the page's
// language (its HSDS name when the forms have no label for it).
type changeView struct{ Field, Label, Old, New string }

// historyBody is the body of a record's change history page.
type historyBody struct {
	Kind, Name, RecordURL string
	Entries               []historyEntryView
	// Next continues the listing (older pages first: the history is read
	// oldest first, and each page is shown newest first).
	Next string
}

// recordHistory answers GET /console/directory/{kind}/{id}/history: who
// changed the record, when, and each field's old and new value, the
// newest change first.
func (c *Console) recordHistory(w http.ResponseWriter, r *http.Request) {
	o, ok := c.openRecord(w, r)
	if !ok {
		return
	}
	a, name, s, id, m := o.actor, o.kind, o.spec, o.id, o.row
	cursor := r.URL.Query().Get("cursor")
	hp, err := c.cfg.Records.History(r.Context(), o211.HistoryQuery{Kind: s.Kind, ID: id, Cursor: firstN(cursor, 200), Limit: 50})
	if o211.ErrorCode(err) == o211.EINVALID {
		c.notFound(w, r) // a cursor of another listing
		return
	} else if err != nil {
		c.fail(w, r, err)
		return
	}
	p := c.staffView(w, r, a, "dir.history.title", "Name", firstN(summary(s.Kind, m), 80))
	b := &historyBody{Kind: name, Name: summary(s.Kind, m), RecordURL: "/console/directory/" + name + "/" + url.PathEscape(id)}
	if hp.Next != "" {
		b.Next = b.RecordURL + "/history?cursor=" + url.QueryEscape(hp.Next)
	}
	for _, e := range slices.Backward(hp.Entries) {
		b.Entries = append(b.Entries, c.historyEntry(p, e))
	}
	p.Body = b
	c.render(w, r, http.StatusOK, "directory_history", p)
}

// historyEntry lays out one change: when in Toronto time, who (name and
// role), what, and the fields changed.
func (c *Console) historyEntry(p *page, e o211.HistoryEntry) historyEntryView {
	t := e.Time.In(o211.Toronto())
	v := historyEntryView{When: c.date(p.Lang, t) + " " + t.Format("15:04"), Action: p.mustT("dir.history.action." + e.Action)}
	who := e.Actor.Username
	if who == "" {
		who = e.Actor.ID
	}
	v.Who = who + " (" + c.roleName(p.Lang, e.Actor.Role) + ")"
	for _, ch := range e.Changes {
		label, err := p.T("dir.f." + ch.Field)
		if err != nil {
			label = ch.Field
		}
		v.Changes = append(v.Changes, changeView{Field: ch.Field, Label: label, Old: jsonText(ch.Old), New: jsonText(ch.New)})
	}
	return v
}

// jsonText writes a JSON value for reading: a string without its quotes,
// anything else as JSON; cut to 300 bytes.
func jsonText(v json.RawMessage) string {
	if len(v) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return firstN(strings.TrimSpace(s), 300)
	}
	return firstN(string(v), 300)
}
