package console

import (
	"errors"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/o211/o211"
)

// workspace is the contact workspace's state: the contact as the form
// holds it (stored or not), and the search beside it.
type workspace struct {
	C *o211.Contact
	// Version is the stored version the form was made from; 0 for a
	// contact not stored yet.
	Version uint64
	// Stored says C was read from the store (not from a form).
	Stored bool
	// QueueItem is the queue item the contact came from, when the queue
	// opened it; it rides along in the form.
	QueueItem string
	// NeedQ is what was typed in the needs type-ahead; NeedChoices the
	// terms it matched when it matched more than one.
	NeedQ       string
	NeedChoices []Term
	Search      navForm
	// Detail is the search result whose details are shown ("svc|loc").
	Detail string
	Notice string
	// shown, when set, returns once the audit entry of this view of C's
	// personal fields is durable: the page is sent only after.
	shown func() error
}

// action is what a press of one of the workspace's buttons asks, beyond
// saving the form.
type action struct {
	close, saved bool
	// stay re-renders the form without saving (the typed need matched
	// several terms: the navigator picks one).
	stay   bool
	detail string
	anchor string
}

// The limits of what the form holds.
const (
	maxFormReferrals = 50
	maxShortField    = 200
)

// readWorkspace reads the posted form into a workspace: every field of the
// contact as typed (trimmed, capped), the needs and referrals it lists and
// the search beside it.
func (c *Console) readWorkspace(f url.Values, lang string) (*workspace, *FormErrors) {
	errs := &FormErrors{}
	get := func(k string) string { return firstN(strings.TrimSpace(f.Get(k)), maxShortField) }
	ct := &o211.Contact{Status: o211.ContactOpen, Channel: o211.Channel(get("channel")), Navigator: get("navigator"),
		Caller: o211.Caller{FirstName: get("first_name"), Callback: get("callback"), Email: get("email"),
			PostalCode: get("postal_code"), AgeBand: o211.AgeBand(get("age_band")), Gender: get("gender"), Language: get("language")},
		Consent: o211.Consent{FollowUp: f.Get("consent_follow_up") == "yes", Overflow: f.Get("consent_overflow") == "yes"},
		Notes:   firstN(strings.TrimSpace(strings.ReplaceAll(f.Get("notes"), "\r\n", "\n")), o211.MaxContactNotes+1),
		Crisis:  f.Get("crisis") == "yes"}
	if due := get("follow_up"); due != "" {
		ct.FollowUp = &o211.FollowUp{Due: due}
	}
	for i := 0; i < o211.MaxContactNeeds; i++ {
		code := get("need_code_" + strconv.Itoa(i))
		if code == "" {
			break
		}
		n := o211.Need{Code: code, Status: o211.NeedMet}
		if reason, ok := strings.CutPrefix(get("outcome_"+strconv.Itoa(i)), "unmet"); ok {
			n.Status, n.Reason = o211.NeedUnmet, o211.UnmetReason(strings.TrimPrefix(reason, ":"))
		}
		ct.Needs = append(ct.Needs, n)
	}
	for _, v := range f["referral"][:min(len(f["referral"]), maxFormReferrals)] {
		if ref, ok := parseReferral(v); ok {
			ct.Referrals = append(ct.Referrals, ref)
		}
	}
	st := &workspace{C: ct, QueueItem: get("queue_item"), NeedQ: firstN(strings.TrimSpace(f.Get("need_q")), 100), Search: readNavForm(f)}
	st.Version, _ = strconv.ParseUint(f.Get("version"), 10, 64)
	return st, errs
}

// parseReferral reads "service id|location id" (the location optional).
func parseReferral(v string) (o211.Referral, bool) {
	svc, loc, _ := strings.Cut(v, "|")
	if o211.ValidID("service_id", svc) != nil || (loc != "" && o211.ValidID("location_id", loc) != nil) {
		return o211.Referral{}, false
	}
	return o211.Referral{ServiceID: svc, LocationID: loc}, true
}

// applyAction applies the button pressed to the workspace. The form's
// first button, hidden, is the one Enter in a text field presses: it adds
// the need typed when there is one, else searches when the search has
// words, else saves.
func (c *Console) applyAction(st *workspace, f url.Values, lang string, errs *FormErrors) action {
	act := action{}
	switch {
	case f.Has("add_need"):
		c.addNeed(st, f.Get("add_need"), lang, errs)
		act.anchor = "need_q"
	case f.Has("remove_need"):
		i, _ := strconv.Atoi(f.Get("remove_need"))
		if i >= 0 && i < len(st.C.Needs) {
			st.C.Needs = append(st.C.Needs[:i], st.C.Needs[i+1:]...)
		}
		act.anchor = "need_q"
	case f.Has("add_referral"):
		if ref, ok := parseReferral(f.Get("add_referral")); ok && !hasReferral(st.C, ref) {
			st.C.Referrals = append(st.C.Referrals, ref)
		}
		act.anchor = "referrals"
	case f.Has("remove_referral"):
		i, _ := strconv.Atoi(f.Get("remove_referral"))
		if i >= 0 && i < len(st.C.Referrals) {
			st.C.Referrals = append(st.C.Referrals[:i], st.C.Referrals[i+1:]...)
		}
		act.anchor = "referrals"
	case f.Has("detail"):
		if _, ok := parseReferral(f.Get("detail")); ok {
			act.detail, st.Detail = f.Get("detail"), f.Get("detail")
		}
		act.anchor = "detail"
	}
	switch f.Get("action") {
	case "close":
		act.close = true
	case "save":
		act.saved = true
	case "add_need":
		c.addNeed(st, f.Get("need_code"), lang, errs)
		act.anchor = "need_q"
	case "search":
		act.anchor = "result-0"
	case "default":
		switch {
		case st.NeedQ != "" || f.Get("need_code") != "":
			c.addNeed(st, f.Get("need_code"), lang, errs)
			act.anchor = "need_q"
		case !st.Search.empty():
			act.anchor = "result-0"
		default:
			act.saved = true
		}
	}
	act.stay = len(st.NeedChoices) > 0
	return act
}

// addNeed adds a need: the code chosen (from the type-ahead's list or a
// button of the choices), else what was typed when it is a code or names
// one term only; several matches are offered as choices, none is a
// problem beside the field.
func (c *Console) addNeed(st *workspace, code, lang string, errs *FormErrors) {
	code = strings.TrimSpace(code)
	if code == "" && st.NeedQ != "" {
		if _, ok := c.terms.lookup(strings.ToUpper(st.NeedQ)); ok {
			code = strings.ToUpper(st.NeedQ)
		} else {
			found := c.terms.suggest(st.NeedQ, lang, 8)
			switch len(found) {
			case 0:
				errs.Add("need_q", "contact.need.none", "Text", firstN(st.NeedQ, 40))
				return
			case 1:
				code = found[0].Code
			default:
				st.NeedChoices = found
				return
			}
		}
	}
	if code == "" {
		errs.Add("need_q", "contact.need.missing")
		return
	}
	if _, ok := c.terms.lookup(code); !ok {
		errs.Add("need_q", "contact.need.unknown", "Code", firstN(code, 40))
		return
	}
	for _, n := range st.C.Needs {
		if n.Code == code {
			st.NeedQ = ""
			return
		}
	}
	if len(st.C.Needs) >= o211.MaxContactNeeds {
		errs.Add("need_q", "contact.need.too_many")
		return
	}
	st.C.Needs = append(st.C.Needs, o211.Need{Code: code, Status: o211.NeedMet})
	st.NeedQ = ""
}

func hasReferral(ct *o211.Contact, ref o211.Referral) bool {
	for _, r := range ct.Referrals {
		if r == ref {
			return true
		}
	}
	return false
}

// fieldMap ties the contact's fields (as o211.Contact.Validate names them)
// to the form's inputs and the message that says what to do, and clears
// the field so that the next problem can be found.
var fieldMap = []struct {
	field, id, msg string
	clear          func(*o211.Contact)
}{
	{"channel", "channel", "contact.channel.error", func(c *o211.Contact) { c.Channel = o211.ChannelPhone }},
	{"caller.first_name", "first_name", "contact.first_name.error", func(c *o211.Contact) { c.Caller.FirstName = "" }},
	{"caller.callback", "callback", "contact.callback.error", func(c *o211.Contact) { c.Caller.Callback = "" }},
	{"caller.email", "email", "contact.email.error", func(c *o211.Contact) { c.Caller.Email = "" }},
	{"caller.postal_code", "postal_code", "contact.postal_code.error", func(c *o211.Contact) { c.Caller.PostalCode = "" }},
	{"caller.age_band", "age_band", "contact.age_band.error", func(c *o211.Contact) { c.Caller.AgeBand = "" }},
	{"caller.gender", "gender", "contact.gender.error", func(c *o211.Contact) { c.Caller.Gender = "" }},
	{"caller.language", "language", "contact.language.error", func(c *o211.Contact) { c.Caller.Language = "" }},
	{"follow_up.due", "follow_up", "contact.follow_up.error", func(c *o211.Contact) { c.FollowUp = nil }},
	{"follow_up", "follow_up", "contact.follow_up.consent", func(c *o211.Contact) { c.FollowUp = nil }},
	{"notes", "notes", "contact.notes.error", func(c *o211.Contact) { c.Notes = "" }},
}

var needField = regexp.MustCompile(`^needs\[(\d+)\]\.(\w+)$`)

// formField returns the input and message of a field o211 named.
func formField(field string) (id, msg string) {
	for _, m := range fieldMap {
		if m.field == field {
			return m.id, m.msg
		}
	}
	if m := needField.FindStringSubmatch(field); m != nil {
		if m[2] == "code" {
			return "need_q", "contact.need.code_error"
		}
		return "outcome_" + m[1], "contact.reason.error"
	}
	if strings.HasPrefix(field, "referrals") {
		return "referrals", "contact.referral.error"
	}
	return "save", "contact.invalid"
}

// checkContact finds every problem of the contact's fields, beside the
// input it comes from: o211's own checks, run again with each field in
// error cleared, so that the form lists them all at once.
func (c *Console) checkContact(ct *o211.Contact, errs *FormErrors) {
	probe := *ct
	probe.Needs = append([]o211.Need(nil), ct.Needs...)
	probe.Start = c.cfg.Now()
	probe.ID = ""
	if d := ct.FollowUp; d != nil {
		if _, err := time.Parse(time.DateOnly, d.Due); err != nil {
			errs.Add("follow_up", "contact.follow_up.error")
			probe.FollowUp = nil
		}
	}
	for range 30 {
		err := probe.Validate()
		var oe *o211.Error
		if err == nil || !errors.As(err, &oe) {
			return
		}
		id, msg := formField(oe.Field)
		if errs.For(id) == nil {
			errs.Add(id, msg)
		}
		if m := needField.FindStringSubmatch(oe.Field); m != nil {
			i, _ := strconv.Atoi(m[1])
			probe.Needs[i] = o211.Need{Code: "B", Status: o211.NeedMet}
			continue
		}
		cleared := false
		for _, f := range fieldMap {
			if f.field == oe.Field {
				f.clear(&probe)
				cleared = true
			}
		}
		if !cleared {
			return
		}
	}
}

// mergeWorkspace returns the stored contact with the form's fields in
// place of its own (the fields the workspace edits; the rest stays).
func mergeWorkspace(cur, form *o211.Contact) *o211.Contact {
	next := *cur
	next.Channel, next.Caller, next.Consent, next.Notes, next.Crisis = form.Channel, form.Caller, form.Consent, form.Notes, form.Crisis
	next.Needs = append([]o211.Need(nil), form.Needs...)
	next.Referrals = append([]o211.Referral(nil), form.Referrals...)
	next.FollowUp = nil
	if form.FollowUp != nil {
		fu := *form.FollowUp
		if cur.FollowUp != nil && cur.FollowUp.Due == fu.Due {
			fu.Outcome = cur.FollowUp.Outcome
		}
		next.FollowUp = &fu
	}
	if next.Navigator == "" {
		next.Navigator = form.Navigator
	}
	return &next
}

// sameContent reports whether two versions of a contact hold the same
// fields the workspace edits (after o211's normalising).
func sameContent(a, b *o211.Contact) bool {
	x, y := *a, *b
	x.Normalize()
	y.Normalize()
	type content struct {
		Status    o211.ContactStatus
		Channel   o211.Channel
		Caller    o211.Caller
		Needs     []o211.Need
		Referrals []o211.Referral
		Consent   o211.Consent
		FollowUp  *o211.FollowUp
		Notes     string
		Crisis    bool
	}
	cx := content{x.Status, x.Channel, x.Caller, x.Needs, x.Referrals, x.Consent, x.FollowUp, x.Notes, x.Crisis}
	cy := content{y.Status, y.Channel, y.Caller, y.Needs, y.Referrals, y.Consent, y.FollowUp, y.Notes, y.Crisis}
	if len(cx.Needs) == 0 {
		cx.Needs = nil
	}
	if len(cy.Needs) == 0 {
		cy.Needs = nil
	}
	if len(cx.Referrals) == 0 {
		cx.Referrals = nil
	}
	if len(cy.Referrals) == 0 {
		cy.Referrals = nil
	}
	return reflect.DeepEqual(cx, cy)
}
