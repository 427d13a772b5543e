package console

import (
	"context"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
)

// Records reads and writes the region's directory for the resource
// specialist's pages under /console/directory (node wires its region's
// store through it; the hub's console has none and offers no such pages).
type Records interface {
	// Record returns the region's live record kind/id: an ENOTFOUND error
	// when there is none, an ECONFLICT error naming the owner when another
	// region's record has that id.
	Record(ctx context.Context, kind o211.Kind, id string) (*o211.Record, error)
	// Linked returns the region's live records of kind whose field holds
	// id (a service's phones: KindPhone, "service_id"), at most 200.
	Linked(ctx context.Context, kind o211.Kind, field, id string) ([]*o211.Record, error)
	// Write writes the changes as the actor ctx carries, with the
	// directory's HSDS validation: an EINVALID error listing the problems
	// (o211.Error.Problems, each naming its field), ECONFLICT for a record
	// another region owns.
	Write(ctx context.Context, changes []o211.Change) error
	// History returns a page of a record's change history, oldest first.
	History(ctx context.Context, q o211.HistoryQuery) (*o211.HistoryPage, error)
	// Unverified returns the region's services whose assured_date is
	// before the day before (YYYY-MM-DD) or missing, the most referred
	// first, at most limit of them, and how many there are in all.
	Unverified(ctx context.Context, before string, limit int) ([]Unverified, int, error)
}

// Unverified is a service due for verification.
type Unverified struct {
	ID, Name, OrganizationName string
	// AssuredDate is the day it was last verified, "" if never.
	AssuredDate string
	// Referrals counts the region's contacts that referred someone to it.
	Referrals int
}

// routesDirectory mounts the resource specialist's pages, when the
// console has the region's records.
func (c *Console) routesDirectory(r chi.Router) {
	if c.cfg.Records == nil {
		return
	}
	r.Get("/console/directory", c.directoryHome)
	r.Get("/console/directory/verify", c.verifyQueue)
	r.Post("/console/directory/service/{id}/verify", c.verify)
	r.Get("/console/directory/service/{id}/closure", c.closureForm)
	r.Post("/console/directory/service/{id}/closure", c.saveClosure)
	r.Get("/console/directory/{kind}/new", c.newRecord)
	r.Post("/console/directory/{kind}/new", c.createRecord)
	r.Get("/console/directory/{kind}/{id}", c.editRecord)
	r.Post("/console/directory/{kind}/{id}", c.saveRecord)
	r.Get("/console/directory/{kind}/{id}/history", c.recordHistory)
}

// directoryStaff returns the signed-in actor when it may edit the
// region's directory: a resource specialist, supervisor or administrator
// of the region. Anyone else gets the sign-in page or a refusal.
func (c *Console) directoryStaff(w http.ResponseWriter, r *http.Request) (o211.Actor, bool) {
	a, ok := c.staff(w, r, o211.DirectoryRoles...)
	if !ok {
		return a, false
	}
	if a.Region != c.cfg.Region {
		p := c.view(r, "account.forbidden.title")
		p.Body = errorBody{Message: "dir.other_region_user"}
		c.render(w, r, http.StatusForbidden, "error", p)
		return a, false
	}
	return a, true
}

// CanEditDirectory reports whether the signed-in actor may open the
// directory pages.
func (p *page) CanEditDirectory() bool {
	return p.c.cfg.Records != nil && p.Actor != nil && p.Actor.HasRole(o211.DirectoryRoles...) &&
		p.Actor.Region == p.c.cfg.Region
}

// dirHomeBody is the directory's front page: a search of the region's
// services and what awaits verification.
type dirHomeBody struct {
	Q        string
	Searched bool
	Results  []o211.Result
	Total    int
	Due      int
}

// directoryHome answers GET /console/directory: find a service of the
// region by name, or start a new organization.
func (c *Console) directoryHome(w http.ResponseWriter, r *http.Request) {
	a, ok := c.directoryStaff(w, r)
	if !ok {
		return
	}
	b := &dirHomeBody{Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	if len(b.Q) > 200 {
		b.Q = firstN(b.Q, 200)
	}
	ctx := r.Context()
	if b.Q != "" {
		res, err := c.cfg.Searcher.Search(ctx, o211.Query{Text: b.Q, Region: c.cfg.Region, IncludeInactive: true,
			Distinct: true, PerPage: 25})
		if err != nil {
			c.fail(w, r, err)
			return
		}
		b.Searched, b.Results, b.Total = true, res.Results, res.Total
	}
	_, due, err := c.cfg.Records.Unverified(ctx, c.verifyBefore(), 0)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	b.Due = due
	p := c.staffView(w, r, a, "dir.title")
	p.Body = b
	c.render(w, r, http.StatusOK, "directory", p)
}

// recordError answers an error reading or writing a record: not found,
// another region's, or a failure.
func (c *Console) recordError(w http.ResponseWriter, r *http.Request, err error) {
	switch o211.ErrorCode(err) {
	case o211.ENOTFOUND:
		c.notFound(w, r)
	case o211.ECONFLICT:
		p := c.view(r, "dir.conflict.title")
		p.Body = errorBody{Message: "dir.conflict.body"}
		c.render(w, r, http.StatusConflict, "error", p)
	default:
		c.fail(w, r, err)
	}
}

// dirFieldArgs are the arguments of the dir-field template.
type dirFieldArgs struct {
	P *page
	F dirField
}

// inputTypes are the HTML input types of the form's field types.
var inputTypes = map[string]string{"email": "email", "url": "url", "date": "date", "time": "time"}

func init() {
	templateFuncs["fieldOf"] = func(p *page, f dirField) dirFieldArgs { return dirFieldArgs{P: p, F: f} }
	templateFuncs["inputType"] = func(t string) string {
		if s, ok := inputTypes[t]; ok {
			return s
		}
		return "text"
	}
	templateFuncs["underscore"] = func(s string) string { return strings.ReplaceAll(s, " ", "_") }
}
