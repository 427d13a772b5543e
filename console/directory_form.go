package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/o211/o211"
)

// dirField is one input of a directory form as the template draws it.
type dirField struct {
	ID, Name, Type, Label, Heading, Width, Value string
	Options                                      []optionView
}

// optionView is one choice of a select or of the days of the week.
type optionView struct {
	Value, Label string
	Selected     bool
}

// childView lists the records that belong to the one shown (a service's
// phones) with a link to add one.
type childView struct {
	Title, AddURL, AddLabel string
	Items                   []linkView
}

// linkView is a link to a record's page.
type linkView struct{ Text, URL string }

// recordBody is the body of a record's form page.
type recordBody struct {
	Kind     string // the URL name of the kind
	ID       string // "" for a new record
	Action   string
	Fields   []dirField
	Hidden   []linkView // parent fields: Text is the name, URL the value
	Children []childView
	Back     *linkView
	Notice   string
	// Service is set on a service's page: its verification and closure.
	Service *serviceStatus
}

// serviceStatus is what a service's page says about its verification and
// closure.
type serviceStatus struct {
	Verified string // the date, in the page's language; "" if never
	Closure  *o211.Closure
	Until    string // the closure's last day, in the page's language
	Ended    bool   // the closure's day has passed
}

// spec returns the form of the request's {kind}, or answers 404.
func (c *Console) spec(w http.ResponseWriter, r *http.Request) (string, *kindSpec, bool) {
	name := chi.URLParam(r, "kind")
	s, ok := kindSpecs[name]
	if !ok || len(chi.URLParam(r, "id")) > o211.MaxIDLength {
		c.notFound(w, r)
	}
	return name, s, ok
}

// openedRecord is the record a directory page of {kind}/{id} is about.
type openedRecord struct {
	actor    o211.Actor
	kind, id string // the URL's
	spec     *kindSpec
	row      row
}

// openRecord reads the request's {kind}/{id} for a directory page, or
// answers (sign in, refused, not found, another region's) and returns
// false.
func (c *Console) openRecord(w http.ResponseWriter, r *http.Request) (*openedRecord, bool) {
	a, ok := c.directoryStaff(w, r)
	if !ok {
		return nil, false
	}
	name, s, ok := c.spec(w, r)
	if !ok {
		return nil, false
	}
	o := &openedRecord{actor: a, kind: name, id: chi.URLParam(r, "id"), spec: s}
	rec, err := c.cfg.Records.Record(r.Context(), s.Kind, o.id)
	if err != nil {
		c.recordError(w, r, err)
		return nil, false
	}
	if o.row, err = decodeRow(rec.Data); err != nil {
		c.fail(w, r, err)
		return nil, false
	}
	return o, true
}

// editRecord answers GET /console/directory/{kind}/{id}: the record's form.
func (c *Console) editRecord(w http.ResponseWriter, r *http.Request) {
	o, ok := c.openRecord(w, r)
	if !ok {
		return
	}
	a, s, m := o.actor, o.spec, o.row
	b := &recordBody{Kind: o.kind, ID: o.id}
	if r.URL.Query().Get("done") == "saved" {
		b.Notice = "dir.saved"
	}
	c.renderRecord(w, r, a, http.StatusOK, b, s, m, valuesOf(s, m), &FormErrors{})
}

// newRecord answers GET /console/directory/{kind}/new: an empty form,
// tied to the record named in the query (?service_id=...).
func (c *Console) newRecord(w http.ResponseWriter, r *http.Request) {
	a, ok := c.directoryStaff(w, r)
	if !ok {
		return
	}
	name, s, ok := c.spec(w, r)
	if !ok {
		return
	}
	m := parentsOf(s, r.URL.Query())
	vals := valuesOf(s, m)
	if s.Kind == o211.KindService {
		vals["status"] = o211.StatusActive
	}
	c.renderRecord(w, r, a, http.StatusOK, &recordBody{Kind: name}, s, m, vals, &FormErrors{})
}

// parentsOf returns the parent fields of a new record given in q.
func parentsOf(s *kindSpec, q url.Values) row {
	m := row{}
	for _, p := range s.Parents {
		if v := q.Get(p); v != "" && o211.ValidID(p, v) == nil {
			m.set(fieldSpec{Name: p}, v)
		}
	}
	return m
}

// valuesOf returns the form's values from a stored row.
func valuesOf(s *kindSpec, m row) map[string]string {
	vals := map[string]string{}
	for _, f := range s.Fields {
		vals[f.Name] = m.str(f.Name)
	}
	return vals
}

// createRecord answers POST /console/directory/{kind}/new.
func (c *Console) createRecord(w http.ResponseWriter, r *http.Request) { c.writeRecord(w, r, true) }

// saveRecord answers POST /console/directory/{kind}/{id}.
func (c *Console) saveRecord(w http.ResponseWriter, r *http.Request) { c.writeRecord(w, r, false) }

// writeRecord checks a posted form and writes the record through the
// directory's HSDS validation: 303 to the record's page (or its parent's)
// on success, the form again with each problem beside its field if not.
func (c *Console) writeRecord(w http.ResponseWriter, r *http.Request, create bool) {
	a, ok := c.directoryStaff(w, r)
	if !ok || !c.parseForm(w, r) {
		return
	}
	name, s, ok := c.spec(w, r)
	if !ok {
		return
	}
	b := &recordBody{Kind: name}
	m := parentsOf(s, r.PostForm)
	if !create {
		b.ID = chi.URLParam(r, "id")
		rec, err := c.cfg.Records.Record(r.Context(), s.Kind, b.ID)
		if err != nil {
			c.recordError(w, r, err)
			return
		}
		if m, err = decodeRow(rec.Data); err != nil {
			c.fail(w, r, err)
			return
		}
	}
	vals, errs := bindForm(s, m, r.PostForm)
	if create {
		if err := c.checkParents(r, s, m, errs); err != nil {
			c.recordError(w, r, err)
			return
		}
	}
	obj, err := rowObject(s, b.ID, m)
	switch {
	case err != nil:
	case errs.Any():
		err = obj.Validate() // the directory's problem too, beside the console's
	default:
		if err = c.cfg.Records.Write(r.Context(), []o211.Change{o211.Upsert(obj)}); err == nil {
			c.redirect(w, r, savedURL(s, obj.ObjectID(), m))
			return
		}
	}
	if err != nil && !writeProblems(errs, s, err) {
		c.recordError(w, r, err)
		return
	}
	c.renderRecord(w, r, a, http.StatusBadRequest, b, s, m, vals, errs)
}

// checkParents checks that a new record's parents are live records of
// the region (the directory only warns of a phone's missing service):
// a form error when one is not found, the error of another region's.
func (c *Console) checkParents(r *http.Request, s *kindSpec, m row, errs *FormErrors) error {
	for _, par := range s.Parents {
		id := m.str(par)
		if id == "" {
			continue
		}
		_, err := c.cfg.Records.Record(r.Context(), o211.Kind(strings.TrimSuffix(par, "_id")), id)
		if o211.ErrorCode(err) == o211.ENOTFOUND {
			errs.Add("f-"+s.Fields[0].Name, "dir.err.ref")
		} else if err != nil {
			return err
		}
	}
	return nil
}

// bindForm sets m's fields from the posted form and returns the values to
// show again, with the problems the console finds itself (a number that is
// not one). A field the form does not send at all keeps its stored value
// (an empty input is sent, and clears it); unticked days are not sent, so
// the days are always the ones ticked.
func bindForm(s *kindSpec, m row, form url.Values) (map[string]string, *FormErrors) {
	vals, errs := map[string]string{}, &FormErrors{}
	for _, f := range s.Fields {
		var v string
		if _, posted := form[f.Name]; !posted && f.Type != "days" {
			vals[f.Name] = m.str(f.Name) // a field the form did not send keeps its value
			continue
		}
		switch f.Type {
		case "days":
			var days []string
			for _, d := range form[f.Name] {
				if slices.Contains(weekDays, d) && !slices.Contains(days, d) {
					days = append(days, d)
				}
			}
			v = strings.Join(days, ",")
		case "textarea":
			v = strings.TrimSpace(strings.ReplaceAll(form.Get(f.Name), "\r\n", "\n"))
		default:
			v = strings.TrimSpace(form.Get(f.Name))
		}
		vals[f.Name] = v
		if !m.set(f, v) {
			errs.Add("f-"+f.Name, "dir.err.number")
		}
	}
	return vals, errs
}

// rowObject makes m a record of s's kind with id (a new id when "").
func rowObject(s *kindSpec, id string, m row) (o211.Object, error) {
	if id == "" {
		id = uuid.NewString()
	}
	m.set(fieldSpec{Name: "id"}, id)
	ki, _ := o211.LookupKind(s.Kind)
	obj := ki.New()
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, obj); err != nil {
		return nil, o211.Errorf(o211.EINVALID, "the form does not make a %s record", s.Kind)
	}
	return obj, nil
}

// savedURL is where a saved record's form goes: its parent's page for a
// record that belongs to one, else its own.
func savedURL(s *kindSpec, id string, m row) string {
	for _, p := range s.Parents {
		if v := m.str(p); v != "" && s.Kind != o211.KindService && s.Kind != o211.KindLocation {
			return "/console/directory/" + strings.TrimSuffix(p, "_id") + "/" + url.PathEscape(v) + "?done=saved"
		}
	}
	return "/console/directory/" + urlKind(s.Kind) + "/" + url.PathEscape(id) + "?done=saved"
}

// writeProblems puts the directory's validation problems beside their
// fields (beside the first field when the form has not the one named);
// false when err is not a validation error.
func writeProblems(errs *FormErrors, s *kindSpec, err error) bool {
	var e *o211.Error
	if !errors.As(err, &e) || e.Code != o211.EINVALID {
		return false
	}
	probs := e.Problems
	if len(probs) == 0 {
		probs = []o211.InputProblem{{Field: e.Field, Reason: strings.TrimPrefix(e.Message, e.Field+": ")}}
	}
	for _, p := range probs {
		id := "f-" + s.Fields[0].Name
		if slices.ContainsFunc(s.Fields, func(f fieldSpec) bool { return f.Name == p.Field }) {
			id = "f-" + p.Field
		}
		msg, args := reasonMessage(p.Reason)
		errs.Add(id, msg, args...)
	}
	return true
}

// reasons maps the directory's validation reasons (o211's checker) to the
// console's messages.
var reasons = []struct{ has, msg string }{
	{"is required", "dir.err.required"},
	{"is not an e-mail address", "dir.err.email"},
	{"is not an absolute URI", "dir.err.url"},
	{"is not a date", "dir.err.date"},
	{"is not a time of day", "dir.err.time"},
	{"is outside", "dir.err.range"},
	{"is above maximum_age", "dir.err.age_order"},
	{"is not one of", "dir.err.choice"},
	{"is longer than", "dir.err.long"},
	{"list of days", "dir.err.days"},
	{"neither stored nor valid", "dir.err.ref"},
}

// reasonMessage returns the message of a validation reason; an unknown one
// is shown as the directory wrote it (in English), cut short.
func reasonMessage(reason string) (string, []any) {
	for _, r := range reasons {
		if strings.Contains(reason, r.has) {
			return r.msg, nil
		}
	}
	return "dir.err.other", []any{"Reason", firstN(reason, 160)}
}

// renderRecord draws a record's form with vals, its children and, for a
// service, its verification and closure.
func (c *Console) renderRecord(w http.ResponseWriter, r *http.Request, a o211.Actor, status int, b *recordBody, s *kindSpec, m row, vals map[string]string, errs *FormErrors) {
	p := c.staffView(w, r, a, "dir.new."+b.Kind)
	if b.ID != "" {
		name := summary(s.Kind, m)
		if s.Kind == o211.KindSchedule {
			name = scheduleText(p, m)
		}
		p.Title = p.mustT("dir.edit."+b.Kind, "Name", firstN(name, 80))
	}
	b.Action = "/console/directory/" + b.Kind + "/new"
	if b.ID != "" {
		b.Action = "/console/directory/" + b.Kind + "/" + url.PathEscape(b.ID)
	}
	for _, par := range s.Parents {
		if v := m.str(par); v != "" {
			b.Hidden = append(b.Hidden, linkView{Text: par, URL: v})
			if b.Back == nil {
				b.Back = &linkView{Text: p.mustT("dir.back." + strings.TrimSuffix(par, "_id")),
					URL: "/console/directory/" + strings.TrimSuffix(par, "_id") + "/" + url.PathEscape(v)}
			}
		}
	}
	var locations []linkView
	if s.Kind == o211.KindServiceAtLocation {
		var err error
		if locations, err = c.orgLocations(r, m.str("service_id")); err != nil {
			c.fail(w, r, err)
			return
		}
	}
	b.Fields = c.formFields(p, s, vals, locations)
	if b.ID != "" {
		if err := c.children(r, p, b, s); err != nil {
			c.fail(w, r, err)
			return
		}
		if s.Kind == o211.KindService {
			b.Service = c.serviceStatus(p.Lang, m)
		}
	}

	p.Body, p.Errors = b, errs
	c.render(w, r, status, "directory_record", p)
}

// mustT is T for messages the catalogues are known to hold.
func (p *page) mustT(id string, args ...any) string { return p.c.msg.MustT(p.Lang, id, args...) }

// formFields lays out the form's inputs with their values.
func (c *Console) formFields(p *page, s *kindSpec, vals map[string]string, locations []linkView) []dirField {
	out := make([]dirField, 0, len(s.Fields))
	for _, f := range s.Fields {
		ff := dirField{ID: "f-" + f.Name, Name: f.Name, Type: f.Type, Label: p.mustT("dir.f." + f.Name),
			Width: f.Width, Value: vals[f.Name]}
		if f.Heading != "" {
			ff.Heading = p.mustT(f.Heading)
		}
		switch {
		case f.Type == "days":
			for _, d := range weekDays {
				ff.Options = append(ff.Options, optionView{Value: d, Label: p.mustT("day." + d),
					Selected: slices.Contains(strings.Split(ff.Value, ","), d)})
			}
		case f.Name == "location_id":
			for _, l := range locations {
				ff.Options = append(ff.Options, optionView{Value: l.URL, Label: l.Text, Selected: l.URL == ff.Value})
			}
		case f.Type == "select":
			for _, o := range f.Options {
				ff.Options = append(ff.Options, optionView{Value: o, Label: p.mustT("dir.opt." + f.Name + "." + strings.ReplaceAll(o, " ", "_")),
					Selected: o == ff.Value})
			}
		}
		out = append(out, ff)
	}
	return out
}

// orgLocations lists the locations of the organization of service id, as
// the choices of a service_at_location (Text the name, URL the id).
func (c *Console) orgLocations(r *http.Request, serviceID string) ([]linkView, error) {
	if serviceID == "" {
		return nil, nil
	}
	svc, err := c.cfg.Records.Record(r.Context(), o211.KindService, serviceID)
	if err != nil {
		return nil, err
	}
	m, err := decodeRow(svc.Data)
	if err != nil || m.str("organization_id") == "" {
		return nil, err
	}
	locs, err := c.cfg.Records.Linked(r.Context(), o211.KindLocation, "organization_id", m.str("organization_id"))
	var out []linkView
	for _, l := range locs {
		lm, _ := decodeRow(l.Data)
		out = append(out, linkView{Text: summary(o211.KindLocation, lm), URL: l.ID})
	}
	return out, err
}

// children lists the records that belong to the one shown.
func (c *Console) children(r *http.Request, p *page, b *recordBody, s *kindSpec) error {
	for _, ch := range s.Children {
		recs, err := c.cfg.Records.Linked(r.Context(), ch.Kind, ch.Field, b.ID)
		if err != nil {
			return err
		}
		kind := urlKind(ch.Kind)
		v := childView{Title: p.mustT("dir.list." + kind), AddLabel: p.mustT("dir.add." + kind),
			AddURL: "/console/directory/" + kind + "/new?" + ch.Field + "=" + url.QueryEscape(b.ID)}
		for _, rec := range recs {
			m, err := decodeRow(rec.Data)
			if err != nil {
				return err
			}
			text := summary(ch.Kind, m)
			switch ch.Kind {
			case o211.KindServiceAtLocation:
				text = c.locationName(r, m.str("location_id"))
			case o211.KindSchedule:
				text = scheduleText(p, m)
			}
			v.Items = append(v.Items, linkView{Text: text, URL: "/console/directory/" + kind + "/" + url.PathEscape(rec.ID)})
		}
		b.Children = append(b.Children, v)
	}
	return nil
}

// scheduleText names a schedule by its days in the page's language and
// its hours ("Monday, Friday 09:00–16:30").
func scheduleText(p *page, m row) string {
	var days []string
	for _, d := range strings.Split(m.str("byday"), ",") {
		if d = strings.TrimSpace(d); slices.Contains(weekDays, d) {
			days = append(days, p.mustT("day."+d))
		} else if d != "" {
			days = append(days, d)
		}
	}
	hours := strings.Trim(m.str("opens_at")+"–"+m.str("closes_at"), "–")
	return strings.Join(nonEmpty(strings.Join(days, ", "), hours, m.str("description")), " ")
}

// locationName names a location by its id (the id when it cannot be read).
func (c *Console) locationName(r *http.Request, id string) string {
	rec, err := c.cfg.Records.Record(r.Context(), o211.KindLocation, id)
	if err != nil {
		return id
	}
	m, _ := decodeRow(rec.Data)
	return summary(o211.KindLocation, m)
}

// serviceStatus says when a service was last verified and whether it is
// temporarily closed.
func (c *Console) serviceStatus(lang string, m row) *serviceStatus {
	st := &serviceStatus{}
	if t, err := time.Parse(time.DateOnly, m.str("assured_date")); err == nil {
		st.Verified = c.date(lang, t)
	}
	if cl, ok := o211.ClosureOf(m.str("status"), m.str("alert")); ok {
		st.Closure = &cl
		if t, err := time.Parse(time.DateOnly, cl.Until); err == nil {
			st.Until = c.date(lang, t)
		}
		st.Ended = !cl.On(c.cfg.Now())
	}
	return st
}
