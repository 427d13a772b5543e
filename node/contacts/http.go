package contacts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
)

// The HTTP API, every route behind a credential (httpx.Require: the
// node's server identifies the caller, see node/httpx):
//
//	POST  /api/v1/contacts             create (201, Location, ETag); status "closed" closes at once
//	GET   /api/v1/contacts             list: from to navigator follow_up_due status cursor limit redacted
//	GET   /api/v1/contacts/{id}        the contact (ETag); redacted=true leaves out personal fields
//	PATCH /api/v1/contacts/{id}        JSON merge patch (RFC 7396); If-Match: the version
//	PUT   /api/v1/contacts/{id}        replace (If-Match)
//	POST  /api/v1/contacts/{id}/close  close: the body (optional) is a merge patch; end defaults to now
//	GET   /api/v1/audit                the audit log: contact from to cursor limit
//
// The actor of the audit log is the actor of the request's checked
// credential, which the token check puts in the request's context; a
// header that names someone else changes nothing.

// Routes mounts the contact and audit routes on r.
func (s *Service) Routes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(httpx.Require(o211.ContactRoles...))
		r.Route("/api/v1/contacts", func(r chi.Router) {
			r.Post("/", s.handleCreate)
			r.Get("/", s.handleList)
			r.Get("/{id}", s.handleGet)
			r.Patch("/{id}", s.handlePatch)
			r.Put("/{id}", s.handlePut)
			r.Post("/{id}/close", s.handleClose)
		})
	})
	r.Group(func(r chi.Router) {
		r.Use(httpx.Require(o211.AuditRoles...))
		r.Get("/api/v1/audit", s.handleAudit)
	})
}

// ContactList is the body of GET /api/v1/contacts.
type ContactList struct {
	Contacts []*o211.Contact `json:"contacts"`
	// NextCursor continues the listing (the cursor parameter); "" at the
	// end.
	NextCursor string `json:"next_cursor"`
}

// AuditList is the body of GET /api/v1/audit.
type AuditList struct {
	Entries    []o211.AuditEntry `json:"entries"`
	NextCursor string            `json:"next_cursor"`
}

// auditContext returns the request's context with its path, for the audit
// entries; the actor is in it already.
func auditContext(r *http.Request) context.Context { return withPath(r.Context(), r.URL.Path) }

func (s *Service) handleCreate(w http.ResponseWriter, r *http.Request) {
	c := new(o211.Contact)
	if err := s.decode(w, r, c); err != nil {
		s.fail(w, r, err)
		return
	}
	got, err := s.Create(auditContext(r), c)
	if err != nil {
		s.fail(w, r, bodyError(err))
		return
	}
	w.Header().Set("Location", "/api/v1/contacts/"+got.ID)
	writeContact(w, http.StatusCreated, got)
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	redacted, err := boolParam(r, "redacted")
	if err == nil {
		var c *o211.Contact
		if c, err = s.Get(auditContext(r), chi.URLParam(r, "id"), redacted); err == nil {
			writeContact(w, http.StatusOK, c)
			return
		}
	}
	s.fail(w, r, err)
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	q, redacted, err := listQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.List(auditContext(r), q, redacted)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if page.Contacts == nil {
		page.Contacts = []*o211.Contact{}
	}
	writeJSON(w, http.StatusOK, ContactList{Contacts: page.Contacts, NextCursor: page.Next})
}

func (s *Service) handlePatch(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, "update", func(patch []byte, cur *o211.Contact) (*o211.Contact, error) {
		return mergeContact(cur, patch)
	})
}

func (s *Service) handlePut(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, "update", func(body []byte, cur *o211.Contact) (*o211.Contact, error) {
		c := new(o211.Contact)
		if err := httpx.DecodeJSON(body, c); err != nil {
			return nil, err
		}
		return c, nil
	})
}

func (s *Service) handleClose(w http.ResponseWriter, r *http.Request) {
	now := s.cfg.Now()
	s.update(w, r, "close", func(patch []byte, cur *o211.Contact) (*o211.Contact, error) {
		c := cur
		if len(bytes.TrimSpace(patch)) > 0 {
			var err error
			if c, err = mergeContact(cur, patch); err != nil {
				return nil, err
			}
		}
		if cur.Status == o211.ContactClosed {
			return nil, o211.Errorf(o211.ECONFLICT, "contact %q is closed already", cur.ID)
		}
		c.Status = o211.ContactClosed
		if c.End == nil {
			end := now
			if end.Before(c.Start) {
				end = c.Start
			}
			c.End = &end
		}
		return c, nil
	})
}

// update reads the body and runs an update whose change makes the new
// contact from the body and the stored one.
func (s *Service) update(w http.ResponseWriter, r *http.Request, action string, change func(body []byte, cur *o211.Contact) (*o211.Contact, error)) {
	ifVersion, err := ifMatch(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := httpx.ReadBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := httpx.CheckUTF8(body); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Update(auditContext(r), chi.URLParam(r, "id"), ifVersion, action, func(cur *o211.Contact) (*o211.Contact, error) {
		return change(body, cur)
	})
	if err != nil {
		s.fail(w, r, bodyError(err))
		return
	}
	writeContact(w, http.StatusOK, c)
}

func (s *Service) handleAudit(w http.ResponseWriter, r *http.Request) {
	q := o211.AuditQuery{ContactID: r.URL.Query().Get("contact"), Cursor: r.URL.Query().Get("cursor")}
	var err error
	if q.From, err = timeParam(r, "from", false); err == nil {
		if q.To, err = timeParam(r, "to", true); err == nil {
			q.Limit, err = intParam(r, "limit")
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.Audit(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if page.Entries == nil {
		page.Entries = []o211.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, AuditList{Entries: page.Entries, NextCursor: page.Next})
}

// listQuery reads the parameters of GET /api/v1/contacts.
func listQuery(r *http.Request) (q o211.ContactQuery, redacted bool, err error) {
	v := r.URL.Query()
	q.Navigator, q.FollowUpDue, q.Cursor = v.Get("navigator"), v.Get("follow_up_due"), v.Get("cursor")
	if q.FollowUpDue != "" {
		if _, err := time.Parse(time.DateOnly, q.FollowUpDue); err != nil {
			return q, false, o211.FieldErrorf("follow_up_due", "%q is not a date of the form YYYY-MM-DD", httpx.Prefix(q.FollowUpDue))
		}
	}
	switch st := o211.ContactStatus(v.Get("status")); st {
	case "", o211.ContactOpen, o211.ContactClosed:
		q.Status = st
	default:
		return q, false, o211.FieldErrorf("status", "%q is not open or closed", httpx.Prefix(string(st)))
	}
	if q.From, err = timeParam(r, "from", false); err != nil {
		return q, false, err
	}
	if q.To, err = timeParam(r, "to", true); err != nil {
		return q, false, err
	}
	if q.Limit, err = intParam(r, "limit"); err != nil {
		return q, false, err
	}
	redacted, err = boolParam(r, "redacted")
	return q, redacted, err
}

// timeParam reads an RFC 3339 time or a date; a date is the start of that
// day in Toronto, or for the end of a range (end), the start of the next.
func timeParam(r *http.Request, name string, end bool) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, o211.Toronto())
	if err != nil {
		return time.Time{}, o211.FieldErrorf(name, "%q is neither an RFC 3339 time nor a date (YYYY-MM-DD)", httpx.Prefix(s))
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

func intParam(r *http.Request, name string) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, o211.FieldErrorf(name, "%q is not a positive whole number", httpx.Prefix(s))
	}
	return n, nil
}

func boolParam(r *http.Request, name string) (bool, error) {
	switch s := r.URL.Query().Get(name); s {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	default:
		return false, o211.FieldErrorf(name, "%q is not true or false", httpx.Prefix(s))
	}
}

// ifMatch returns the version of an If-Match header ("3" or "\"3\""), 0
// without one.
func ifMatch(r *http.Request) (uint64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	v, err := strconv.ParseUint(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil || v == 0 {
		return 0, o211.FieldErrorf("If-Match", "%q is not a version of this contact (its ETag)", httpx.Prefix(h))
	}
	return v, nil
}

// decode reads a JSON body into v, refusing unknown fields.
func (s *Service) decode(w http.ResponseWriter, r *http.Request, v any) error {
	return httpx.ReadJSON(w, r, s.cfg.MaxBodyBytes, v)
}

// mergeContact applies a JSON merge patch (RFC 7396) to cur.
func mergeContact(cur *o211.Contact, patch []byte) (*o211.Contact, error) {
	var p any
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, o211.Errorf(o211.EINVALID, "The body is not a JSON merge patch: %s", httpx.JSONProblem(err))
	}
	if _, ok := p.(map[string]any); !ok {
		return nil, o211.Errorf(o211.EINVALID, "The body is not a JSON merge patch: send an object of the fields to change.")
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	merged, err := json.Marshal(mergePatch(doc, p))
	if err != nil {
		return nil, err
	}
	c := new(o211.Contact)
	if err := httpx.DecodeJSON(merged, c); err != nil {
		return nil, err
	}
	return c, nil
}

// mergePatch is RFC 7396's MergePatch(target, patch).
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
		} else {
			t[k] = mergePatch(t[k], v)
		}
	}
	return t
}

// bodyError makes an EINVALID error about a request's contact answered 422
// (the body is well-formed JSON with wrong contents), as the write API does.
func bodyError(err error) error { return httpx.Unprocessable(err) }

// fail answers err as a problem; internal errors are logged in full.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, s.log, err)
}

func writeContact(w http.ResponseWriter, status int, c *o211.Contact) {
	w.Header().Set("ETag", fmt.Sprintf("%q", strconv.FormatUint(c.Version, 10)))
	writeJSON(w, status, c)
}

// writeJSON writes v as JSON that no cache keeps (it holds personal
// fields).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, status, v)
}
