package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/o211/o211"
)

// Contacts records the region's 211 contacts (node/contacts' Service).
// Every method takes the actor from ctx; reads of personal fields are
// written to the audit log under that actor before they return.
type Contacts interface {
	// Create stores a new contact (its ID given by the form, so that a
	// form sent twice stores it once: the second gets ECONFLICT).
	Create(ctx context.Context, c *o211.Contact) (*o211.Contact, error)
	// Get returns a contact (ENOTFOUND); unless redacted, after auditing
	// the view of its personal fields.
	Get(ctx context.Context, id string, redacted bool) (*o211.Contact, error)
	// View reads a contact once, refusing it as not found (ENOTFOUND,
	// nothing audited) when allow says no; otherwise it starts the audit
	// entry of its personal fields and returns with shown, which returns
	// once that entry is durable: the page may be laid out meanwhile, but
	// not sent before shown returned nil.
	View(ctx context.Context, id string, allow func(*o211.Contact) bool) (c *o211.Contact, shown func() error, err error)
	// CountDue counts navigator's follow-ups due on day or before, up to
	// limit (no personal field: not audited).
	CountDue(ctx context.Context, navigator, day string, limit int) (int, error)
	// List returns a page of contacts, audited as Get.
	List(ctx context.Context, q o211.ContactQuery, redacted bool) (*o211.ContactPage, error)
	// Update changes a contact; ifVersion (not 0) must be the stored
	// version (ECONFLICT otherwise); action names the audit entry.
	Update(ctx context.Context, id string, ifVersion uint64, action string,
		change func(*o211.Contact) (*o211.Contact, error)) (*o211.Contact, error)
	// Audit returns a page of the audit log.
	Audit(ctx context.Context, q o211.AuditQuery) (*o211.AuditPage, error)
}

// routesContacts mounts the navigators' pages: the contact workspace
// (with its search), the follow-ups and contact lists, the supervisors'
// views and the type-ahead. Without Contacts only the type-ahead of the
// taxonomy is served.
func (c *Console) routesContacts(r chi.Router) {
	r.Get("/console/suggest", c.suggest)
	if c.cfg.Contacts == nil {
		return
	}
	r.Get("/console/contacts/new", c.newContact)
	r.Get("/console/contacts/{id}", c.showContact)
	r.Post("/console/contacts/{id}", c.saveContact)
	r.Post("/console/contacts/{id}/outcome", c.saveOutcome)
	r.Get("/console/contacts", c.myContacts)
	r.Get("/console/followups", c.followUps)
	r.Get("/console/followups/count", c.followUpCount)
	r.Get("/console/region", c.regionContacts)
	r.Get("/console/audit", c.auditLog)
}

// newContact opens the workspace on a contact not yet stored: its id is
// chosen now and travels in the form, so that the first save creates it
// once however often the form is sent. The queue opens an accepted
// contact here with ?channel=phone&from=+16135550100&queue_item=ID.
func (c *Console) newContact(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r, o211.ContactRoles...)
	if !ok {
		return
	}
	id, err := uuid.NewV7()
	if err != nil {
		c.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	ct := &o211.Contact{ID: id.String(), Region: a.Region, Status: o211.ContactOpen, Channel: o211.ChannelPhone,
		Start: c.cfg.Now(), Navigator: a.Username}
	if ch := o211.Channel(q.Get("channel")); validChannel(ch) {
		ct.Channel = ch
	}
	prefillFrom(ct, firstN(strings.TrimSpace(q.Get("from")), 100))
	st := &workspace{C: ct, QueueItem: firstN(q.Get("queue_item"), 100), Search: readNavForm(q)}
	c.renderContact(w, r, a, http.StatusOK, st, &FormErrors{})
}

// prefillFrom puts where a queued contact came from into the caller's
// fields: an e-mail address, else a phone number to call back.
func prefillFrom(ct *o211.Contact, from string) {
	switch {
	case from == "":
	case strings.Contains(from, "@"):
		ct.Caller.Email = from
	case ct.Channel == o211.ChannelPhone || ct.Channel == o211.ChannelText:
		ct.Caller.Callback = from
	}
}

// showContact shows a contact: the workspace while it is open, its record
// once closed. Its personal fields are shown, so the view is written to
// the audit log (Contacts.Get). A contact of another region is not found.
func (c *Console) showContact(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r, o211.ContactRoles...)
	if !ok {
		return
	}
	ct, shown, ok := c.regionContact(w, r, a, chi.URLParam(r, "id"))
	if !ok {
		return
	}
	st := &workspace{C: ct, Version: ct.Version, Search: readNavForm(r.URL.Query()), Stored: true, shown: shown}
	switch r.URL.Query().Get("done") {
	case "saved":
		st.Notice = "contact.saved"
	case "closed":
		st.Notice = "contact.closed_done"
	case "outcome":
		st.Notice = "contact.outcome_done"
	}
	c.renderContact(w, r, a, http.StatusOK, st, &FormErrors{})
}

// regionContact reads a contact of the actor's region, answering a
// missing one, or one of another region, with 404 itself (a stranger's
// attempt audits nothing). The view of its personal fields is audited:
// shown returns once that entry is durable, and the page must not be sent
// before (renderContact waits for it after laying the page out).
func (c *Console) regionContact(w http.ResponseWriter, r *http.Request, a o211.Actor, id string) (ct *o211.Contact, shown func() error, ok bool) {
	if o211.ValidID("id", id) != nil {
		c.notFound(w, r)
		return nil, nil, false
	}
	ct, shown, err := c.cfg.Contacts.View(r.Context(), id, func(ct *o211.Contact) bool { return ct.Region == a.Region })
	switch {
	case o211.ErrorCode(err) == o211.ENOTFOUND:
		c.notFound(w, r)
		return nil, nil, false
	case err != nil:
		c.fail(w, r, err)
		return nil, nil, false
	}
	return ct, shown, true
}

// saveContact takes a post of the workspace: it applies the button that
// was pressed (save, close, add or remove a need or a referral, search,
// details) to the contact the form holds, and stores it: created on its
// first save, updated (at the form's version) after. It answers 303 to the
// contact with the search in the URL, or the form again with its problems.
func (c *Console) saveContact(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r, o211.ContactRoles...)
	if !ok || !c.parseForm(w, r) {
		return
	}
	id := chi.URLParam(r, "id")
	if o211.ValidID("id", id) != nil {
		c.notFound(w, r)
		return
	}
	lang := langOf(r).Lang
	st, errs := c.readWorkspace(r.PostForm, lang)
	st.C.ID, st.C.Region = id, a.Region
	if st.C.Navigator == "" {
		st.C.Navigator = a.Username
	}
	act := c.applyAction(st, r.PostForm, lang, errs)
	c.checkContact(st.C, errs)
	if errs.Any() || act.stay {
		status := http.StatusBadRequest
		if !errs.Any() {
			status = http.StatusOK
		}
		c.renderContact(w, r, a, status, st, errs)
		return
	}
	saved, err := c.store(r.Context(), a, st, act.close)
	if err != nil {
		c.saveFailed(w, r, a, st, err)
		return
	}
	c.redirect(w, r, contactURL(saved, st.Search, act))
}

// saveFailed answers a store error: a problem with a field, or a contact
// changed by someone else in between, comes back in the form.
func (c *Console) saveFailed(w http.ResponseWriter, r *http.Request, a o211.Actor, st *workspace, err error) {
	errs := &FormErrors{}
	var oe *o211.Error
	switch {
	case errors.Is(err, errOtherRegion), o211.ErrorCode(err) == o211.ENOTFOUND:
		c.notFound(w, r)
		return
	case errors.As(err, &oe) && oe.Code == o211.ECONFLICT:
		errs.Add("save", "contact.conflict")
		if cur, gerr := c.cfg.Contacts.Get(r.Context(), st.C.ID, true); gerr == nil {
			st.Version = cur.Version
		}
	case errors.As(err, &oe) && oe.Code == o211.EINVALID:
		field, msg := formField(oe.Field)
		errs.Add(field, msg)
	default:
		c.fail(w, r, err)
		return
	}
	c.renderContact(w, r, a, http.StatusBadRequest, st, errs)
}

// errOtherRegion refuses a write to a contact of another region.
var errOtherRegion = errors.New("console: the contact is another region's")

// store creates or updates the workspace's contact. A create whose id is
// taken by the same navigator's contact is the same form sent twice: the
// stored contact is the answer. An update made from an older version
// whose result is what is stored already (a second click) is too.
func (c *Console) store(ctx context.Context, a o211.Actor, st *workspace, closing bool) (*o211.Contact, error) {
	now := c.cfg.Now()
	if st.Version == 0 {
		in := *st.C
		in.Start = now
		if closing {
			closeContact(&in, now)
		}
		saved, err := c.cfg.Contacts.Create(ctx, &in)
		if o211.ErrorCode(err) != o211.ECONFLICT {
			return saved, err
		}
		cur, gerr := c.cfg.Contacts.Get(ctx, st.C.ID, true)
		if gerr != nil || cur.Region != a.Region || cur.Navigator != st.C.Navigator {
			return nil, err
		}
		return cur, nil
	}
	var unchanged *o211.Contact
	saved, err := c.cfg.Contacts.Update(ctx, st.C.ID, 0, updateAction(closing), func(cur *o211.Contact) (*o211.Contact, error) {
		if cur.Region != a.Region {
			return nil, errOtherRegion
		}
		next := mergeWorkspace(cur, st.C)
		if closing && cur.Status != o211.ContactClosed {
			closeContact(next, now)
		}
		if cur.Version != st.Version {
			if sameContent(cur, next) {
				unchanged = cur
				return nil, errUnchanged
			}
			return nil, o211.Errorf(o211.ECONFLICT, "contact %q changed since version %d", cur.ID, st.Version)
		}
		return next, nil
	})
	if errors.Is(err, errUnchanged) {
		return unchanged, nil
	}
	return saved, err
}

// errUnchanged ends an update that would change nothing.
var errUnchanged = errors.New("console: nothing to change")

func updateAction(closing bool) string {
	if closing {
		return "close"
	}
	return "update"
}

// closeContact marks c closed now (never before its start).
func closeContact(c *o211.Contact, now time.Time) {
	c.Status = o211.ContactClosed
	end := now
	if end.Before(c.Start) {
		end = c.Start
	}
	c.End = &end
}

// contactURL is where a saved workspace goes: the contact, with the
// search and the detail shown, at the part of the page the button was in.
func contactURL(ct *o211.Contact, f navForm, act action) string {
	v := f.values()
	switch {
	case act.close:
		v = url.Values{"done": {"closed"}}
	case act.saved:
		v.Set("done", "saved")
	}
	if act.detail != "" {
		v.Set("detail", act.detail)
	}
	u := "/console/contacts/" + ct.ID
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	if act.anchor != "" {
		u += "#" + act.anchor
	}
	return u
}

// saveOutcome records how a follow-up went, the one change a closed
// contact takes.
func (c *Console) saveOutcome(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r, o211.ContactRoles...)
	if !ok || !c.parseForm(w, r) {
		return
	}
	id := chi.URLParam(r, "id")
	outcome := strings.TrimSpace(r.PostForm.Get("outcome"))
	if o211.ValidID("id", id) != nil {
		c.notFound(w, r)
		return
	}
	_, err := c.cfg.Contacts.Update(r.Context(), id, 0, "update", func(cur *o211.Contact) (*o211.Contact, error) {
		if cur.Region != a.Region {
			return nil, errOtherRegion
		}
		if cur.FollowUp == nil {
			return nil, o211.FieldErrorf("follow_up", "no follow-up is planned")
		}
		next := *cur
		fu := *cur.FollowUp
		fu.Outcome = firstN(outcome, 2000)
		next.FollowUp = &fu
		return &next, nil
	})
	switch {
	case errors.Is(err, errOtherRegion), o211.ErrorCode(err) == o211.ENOTFOUND:
		c.notFound(w, r)
	case err != nil && o211.ErrorCode(err) != o211.EINVALID:
		c.fail(w, r, err)
	default:
		c.redirect(w, r, "/console/contacts/"+id+"?done=outcome")
	}
}

func validChannel(ch o211.Channel) bool {
	for _, v := range o211.Channels {
		if v == ch {
			return true
		}
	}
	return false
}
