package console

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
)

// closureBody is the body of a service's closure form.
type closureBody struct {
	ID, Name, ServiceURL string
	Closure              o211.Closure
	// Closed says the service is temporarily closed now: the form then
	// also offers to reopen it.
	Closed bool
}

// closureForm answers GET /console/directory/service/{id}/closure: until
// when and why the service is closed, in English and French.
func (c *Console) closureForm(w http.ResponseWriter, r *http.Request) {
	a, ok := c.directoryStaff(w, r)
	if !ok {
		return
	}
	svc, err := c.readService(r, chi.URLParam(r, "id"))
	if err != nil {
		c.recordError(w, r, err)
		return
	}
	b := closureOf(svc)
	b.Closure, _ = o211.ClosureOf(svc.Status, svc.Alert)
	c.renderClosure(w, r, a, http.StatusOK, b, &FormErrors{})
}

func closureOf(svc *o211.Service) *closureBody {
	return &closureBody{ID: svc.ID, Name: svc.Name, ServiceURL: "/console/directory/service/" + svc.ID,
		Closed: svc.Status == o211.StatusTemporarilyClosed}
}

func (c *Console) renderClosure(w http.ResponseWriter, r *http.Request, a o211.Actor, status int, b *closureBody, errs *FormErrors) {
	p := c.staffView(w, r, a, "dir.closure.title", "Name", firstN(b.Name, 80))
	p.Body, p.Errors = b, errs
	c.render(w, r, status, "directory_closure", p)
}

// saveClosure answers POST /console/directory/service/{id}/closure: the
// service becomes temporarily closed with the dated message (its HSDS
// status and alert, which the portal, search and the API show), or, with
// reopen=1, active again without it.
func (c *Console) saveClosure(w http.ResponseWriter, r *http.Request) {
	a, ok := c.directoryStaff(w, r)
	if !ok || !c.parseForm(w, r) {
		return
	}
	svc, err := c.readService(r, chi.URLParam(r, "id"))
	if err != nil {
		c.recordError(w, r, err)
		return
	}
	b := closureOf(svc)
	if r.PostForm.Get("reopen") == "1" {
		svc.Status, svc.Alert = o211.StatusActive, ""
	} else {
		b.Closure = o211.Closure{Until: strings.TrimSpace(r.PostForm.Get("until")),
			En: strings.TrimSpace(r.PostForm.Get("message_en")), Fr: strings.TrimSpace(r.PostForm.Get("message_fr"))}
		errs := c.checkClosure(b.Closure)
		if errs.Any() {
			c.renderClosure(w, r, a, http.StatusBadRequest, b, errs)
			return
		}
		svc.Status, svc.Alert = o211.StatusTemporarilyClosed, b.Closure.Alert()
	}
	if err := c.cfg.Records.Write(r.Context(), []o211.Change{o211.Upsert(svc)}); err != nil {
		c.recordError(w, r, err)
		return
	}
	c.redirect(w, r, b.ServiceURL+"?done=saved")
}

// checkClosure checks a closure: a day not before today, and a message in
// at least one language.
func (c *Console) checkClosure(cl o211.Closure) *FormErrors {
	errs := &FormErrors{}
	if err := cl.Validate(); err != nil {
		var field string
		if e, ok := err.(*o211.Error); ok {
			field = e.Field
		}
		msg := "dir.err.date"
		if field != "until" {
			msg = "dir.err.long"
		} else if cl.Until == "" {
			msg = "dir.closure.until.missing"
		}
		errs.Add("closure-"+field, msg)
		return errs
	}
	if !cl.On(c.cfg.Now()) {
		errs.Add("closure-until", "dir.closure.until.past")
	}
	if cl.En == "" && cl.Fr == "" {
		errs.Add("closure-message_en", "dir.closure.message.missing")
	}
	return errs
}
