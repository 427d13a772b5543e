package o211

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Channel is how a person reached 211.
type Channel string

// The channels of a 211 contact.
const (
	ChannelPhone  Channel = "phone"
	ChannelText   Channel = "text"
	ChannelChat   Channel = "chat"
	ChannelEmail  Channel = "email"
	ChannelWeb    Channel = "web"
	ChannelWalkIn Channel = "walk-in"
)

// Channels lists every channel, in the order reports show them.
var Channels = []Channel{ChannelPhone, ChannelText, ChannelChat, ChannelEmail, ChannelWeb, ChannelWalkIn}

// AgeBand is a caller's age group, the only form in which age is recorded.
type AgeBand string

// AgeBands lists the age bands, youngest first.
var AgeBands = []AgeBand{"0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"}

// NeedStatus says whether a need was met by the referrals given.
type NeedStatus string

// The two outcomes of a need.
const (
	NeedMet   NeedStatus = "met"
	NeedUnmet NeedStatus = "unmet"
)

// UnmetReason is why a need could not be met.
type UnmetReason string

// The reasons a need is unmet (211 Ontario's unmet-needs categories).
const (
	ReasonNotEligible     UnmetReason = "not-eligible"
	ReasonNotAvailable    UnmetReason = "not-available"
	ReasonWaitlistFull    UnmetReason = "waitlist-full"
	ReasonCost            UnmetReason = "cost"
	ReasonTransportation  UnmetReason = "transportation"
	ReasonLanguageBarrier UnmetReason = "language-barrier"
	ReasonDeclined        UnmetReason = "declined"
	ReasonOther           UnmetReason = "other"
)

// UnmetReasons lists every unmet reason.
var UnmetReasons = []UnmetReason{ReasonNotEligible, ReasonNotAvailable, ReasonWaitlistFull, ReasonCost,
	ReasonTransportation, ReasonLanguageBarrier, ReasonDeclined, ReasonOther}

// ContactStatus is where a contact stands: open while the navigator works
// on it, closed once done (a closed contact no longer changes, except for
// its follow-up outcome and the purge of its personal fields).
type ContactStatus string

// The states of a contact.
const (
	ContactOpen   ContactStatus = "open"
	ContactClosed ContactStatus = "closed"
)

// Contact is one conversation of a person with 211 (a call, a text thread,
// a chat, an e-mail, a web request or a visit) as the navigator records it.
// It holds personal information and never leaves its region; only its
// anonymised Report travels.
type Contact struct {
	ID        string        `json:"id"`
	Region    string        `json:"region"`
	Status    ContactStatus `json:"status"`
	Channel   Channel       `json:"channel"`
	Start     time.Time     `json:"start"`
	End       *time.Time    `json:"end,omitempty"`
	Navigator string        `json:"navigator,omitempty"`
	Caller    Caller        `json:"caller"`
	Needs     []Need        `json:"needs"`
	Referrals []Referral    `json:"referrals"`
	Consent   Consent       `json:"consent"`
	FollowUp  *FollowUp     `json:"follow_up,omitempty"`
	Notes     string        `json:"notes,omitempty"`
	// Crisis marks a contact where someone's safety was at risk.
	Crisis bool `json:"crisis"`
	// Emergency tags a contact made during a declared community emergency
	// ("2026-ottawa-ice-storm"): a slug, never free text.
	Emergency string `json:"emergency,omitempty"`

	// Set by the store.
	Version  uint64     `json:"version"`
	Created  time.Time  `json:"created"`
	Updated  time.Time  `json:"updated"`
	ClosedAt *time.Time `json:"closed_at,omitempty"`
	// Purged is when the personal fields were erased under the retention
	// policy.
	Purged *time.Time `json:"purged,omitempty"`
}

// Caller is what is known of the person; every field is optional.
type Caller struct {
	FirstName string `json:"first_name,omitempty"`
	// Callback is a phone number to call back on.
	Callback   string  `json:"callback,omitempty"`
	Email      string  `json:"email,omitempty"`
	PostalCode string  `json:"postal_code,omitempty"`
	AgeBand    AgeBand `json:"age_band,omitempty"`
	Gender     string  `json:"gender,omitempty"`
	// Language is the preferred language, an ISO 639 code ("en", "fr").
	Language string `json:"language,omitempty"`
}

// Need is one thing the person asked for, as a 211 HSIS taxonomy code,
// and whether it was met.
type Need struct {
	Code   string      `json:"code"`
	Status NeedStatus  `json:"status"`
	Reason UnmetReason `json:"reason,omitempty"`
}

// Referral is a service given to the person: a service of the directory,
// and where it was offered, the location.
type Referral struct {
	ServiceID  string `json:"service_id"`
	LocationID string `json:"location_id,omitempty"`
}

// Consent records what the person agreed to.
type Consent struct {
	// FollowUp: 211 may contact the person again.
	FollowUp bool `json:"follow_up"`
	// Overflow: the contact may be shared with another region that takes
	// it during a surge.
	Overflow bool `json:"overflow"`
}

// FollowUp is a planned call back: when it is due and how it went.
type FollowUp struct {
	Due     string `json:"due"` // YYYY-MM-DD
	Outcome string `json:"outcome,omitempty"`
}

// PersonalFields names the fields of a contact that identify or describe a
// person (of the postal code, all but its FSA): they are audited when read and erased by the retention purge.
var PersonalFields = []string{"caller.first_name", "caller.callback", "caller.email", "caller.postal_code",
	"caller.gender", "notes", "follow_up.outcome"}

// HasPersonal reports whether c holds any personal field.
func (c *Contact) HasPersonal() bool {
	p := c.Caller
	fullPostal := p.PostalCode != "" && !ValidFSA(p.PostalCode)
	return p.FirstName != "" || p.Callback != "" || p.Email != "" || fullPostal || p.Gender != "" ||
		c.Notes != "" || (c.FollowUp != nil && c.FollowUp.Outcome != "")
}

// PersonalHeld returns the names (as in PersonalFields) of the personal
// fields c holds, in the order of PersonalFields; nil when it holds none. A
// postal code counts only when it is more than its FSA.
func (c *Contact) PersonalHeld() []string {
	p := c.Caller
	held := []bool{p.FirstName != "", p.Callback != "", p.Email != "",
		p.PostalCode != "" && !ValidFSA(p.PostalCode), p.Gender != "", c.Notes != "",
		c.FollowUp != nil && c.FollowUp.Outcome != ""}
	var out []string
	for i, h := range held {
		if h {
			out = append(out, PersonalFields[i])
		}
	}
	return out
}

// Redact returns a copy of c without its personal fields; the FSA of the
// postal code, the age band and the language stay.
func (c *Contact) Redact() *Contact {
	r := *c
	r.Caller = Caller{PostalCode: FSAOf(c.Caller.PostalCode), AgeBand: c.Caller.AgeBand, Language: c.Caller.Language}
	r.Notes = ""
	if c.FollowUp != nil {
		fu := *c.FollowUp
		fu.Outcome = ""
		r.FollowUp = &fu
	}
	r.Needs = append([]Need(nil), c.Needs...)
	r.Referrals = append([]Referral(nil), c.Referrals...)
	return &r
}

// Limits on the free-text fields of a contact.
const (
	MaxContactNotes = 20000
	MaxContactNeeds = 50
)

// Normalize tidies what a person typed: trims spaces, upper-cases the
// postal code into "A1A 1A1" form and lower-cases the language.
func (c *Contact) Normalize() {
	c.Navigator = strings.TrimSpace(c.Navigator)
	p := &c.Caller
	p.FirstName = strings.TrimSpace(p.FirstName)
	p.Callback = strings.TrimSpace(p.Callback)
	p.Email = strings.TrimSpace(p.Email)
	p.Gender = strings.TrimSpace(p.Gender)
	p.Language = strings.ToLower(strings.TrimSpace(p.Language))
	if pc := NormalizePostalCode(p.PostalCode); pc != "" {
		p.PostalCode = pc
	} else {
		p.PostalCode = strings.TrimSpace(p.PostalCode)
	}
	c.Emergency = strings.TrimSpace(c.Emergency)
	for i := range c.Needs {
		c.Needs[i].Code = strings.TrimSpace(c.Needs[i].Code)
	}
}

// Validate returns an EINVALID *Error naming the first field of c that is
// wrong ("needs[1].reason: a met need has no unmet reason"), or nil. It
// checks the contact on its own; whether its taxonomy codes and referrals
// exist is the store's to check.
func (c *Contact) Validate() error {
	var ck checker
	if c.ID != "" {
		ck.id(c.ID)
	}
	ck.enum("status", string(c.Status), string(ContactOpen), string(ContactClosed))
	if c.Channel == "" {
		ck.fail("channel", "is required: one of %s", joinChannels())
	} else if !validChannel(c.Channel) {
		ck.fail("channel", "%q is not one of %s", c.Channel, joinChannels())
	}
	if c.Start.IsZero() {
		ck.fail("start", "is required (RFC 3339 time)")
	}
	if c.End != nil && c.End.Before(c.Start) {
		ck.fail("end", "%s is before start %s", c.End.Format(time.RFC3339), c.Start.Format(time.RFC3339))
	}
	ck.text("navigator", c.Navigator, 200)
	c.Caller.validate(&ck)
	if len(c.Needs) > MaxContactNeeds {
		ck.fail("needs", "at most %d needs", MaxContactNeeds)
	}
	for i, n := range c.Needs {
		n.validate(&ck, "needs["+itoa(i)+"]")
	}
	for i, r := range c.Referrals {
		f := "referrals[" + itoa(i) + "]"
		if r.ServiceID == "" {
			ck.fail(f+".service_id", "is required")
		}
		ck.ref(f+".service_id", r.ServiceID)
		ck.ref(f+".location_id", r.LocationID)
	}
	if c.FollowUp != nil {
		if c.FollowUp.Due == "" {
			ck.fail("follow_up.due", "is required (YYYY-MM-DD)")
		}
		ck.date("follow_up.due", c.FollowUp.Due)
		ck.text("follow_up.outcome", c.FollowUp.Outcome, 2000)
		if !c.Consent.FollowUp {
			ck.fail("follow_up", "the person did not consent to a follow-up (consent.follow_up is false)")
		}
	}
	ck.text("notes", c.Notes, MaxContactNotes)
	if c.Emergency != "" && !ValidTag(c.Emergency) {
		ck.fail("emergency", "%q is not a tag: use 1 to 63 lower-case letters, digits and hyphens", c.Emergency)
	}
	if c.Status == ContactClosed && c.End == nil {
		ck.fail("end", "a closed contact needs its end time")
	}
	return ck.result()
}

func (p *Caller) validate(ck *checker) {
	ck.text("caller.first_name", p.FirstName, 200)
	if p.Callback != "" && !validPhone(p.Callback) {
		ck.fail("caller.callback", "%q is not a phone number", p.Callback)
	}
	ck.email("caller.email", p.Email)
	if p.PostalCode != "" && NormalizePostalCode(p.PostalCode) == "" && !ValidFSA(p.PostalCode) {
		ck.fail("caller.postal_code", "%q is not a Canadian postal code (A1A 1A1) or FSA (A1A)", p.PostalCode)
	}
	if p.AgeBand != "" && !validAgeBand(p.AgeBand) {
		ck.fail("caller.age_band", "%q is not one of %s", p.AgeBand, joinAgeBands())
	}
	ck.text("caller.gender", p.Gender, 100)
	if p.Language != "" && !ValidLanguage(p.Language) {
		ck.fail("caller.language", "%q is not an ISO 639 language code (\"en\", \"fr\")", p.Language)
	}
}

func (n Need) validate(ck *checker, f string) {
	switch {
	case n.Code == "":
		ck.fail(f+".code", "is required (a 211 taxonomy code such as BD-1800.2000)")
	case !ValidTaxonomyCode(n.Code):
		ck.fail(f+".code", "%q is not a 211 taxonomy code", n.Code)
	}
	switch n.Status {
	case NeedMet:
		if n.Reason != "" {
			ck.fail(f+".reason", "a met need has no unmet reason (got %q)", n.Reason)
		}
	case NeedUnmet:
		if n.Reason == "" {
			ck.fail(f+".reason", "an unmet need needs its reason: one of %s", joinReasons())
		} else if !validReason(n.Reason) {
			ck.fail(f+".reason", "%q is not one of %s", n.Reason, joinReasons())
		}
	case "":
		ck.fail(f+".status", "is required: met or unmet")
	default:
		ck.fail(f+".status", "%q is not met or unmet", n.Status)
	}
}

// ValidTaxonomyCode reports whether code has the shape of a 211 HSIS code:
// a category letter, an optional second letter, then numeric levels joined
// by '-' and '.' ("B", "BD", "BD-1800.2000-100"), optionally followed by
// "*" and target-population codes.
func ValidTaxonomyCode(code string) bool {
	parts := SplitTaxonomyCode(code)
	if len(parts) == 0 || len(parts) != strings.Count(code, "*")+1 {
		return false
	}
	for _, p := range parts {
		if !validTaxonomyTerm(p) {
			return false
		}
	}
	return true
}

func validTaxonomyTerm(p string) bool {
	if len(p) == 0 || len(p) > 40 || p[0] < 'A' || p[0] > 'Z' {
		return false
	}
	i := 1
	if i < len(p) && p[i] >= 'A' && p[i] <= 'Z' {
		i++
	}
	for i < len(p) {
		if p[i] != '-' && p[i] != '.' {
			return false
		}
		j := i + 1
		for j < len(p) && p[j] >= '0' && p[j] <= '9' {
			j++
		}
		if j == i+1 {
			return false
		}
		i = j
	}
	return true
}

// NormalizePostalCode returns a Canadian postal code in "A1A 1A1" form, or
// "" if s is not one.
func NormalizePostalCode(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	s = strings.ReplaceAll(s, "-", "")
	if len(s) != 6 || !ValidFSA(s[:3]) || !isDigit(s[3]) || !isUpper(s[4]) || !isDigit(s[5]) {
		return ""
	}
	return s[:3] + " " + s[3:]
}

// FSAOf returns the forward sortation area (the first three characters) of
// a postal code or FSA, upper case, or "" when s has none.
func FSAOf(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) < 3 || !ValidFSA(s[:3]) {
		return ""
	}
	return s[:3]
}

// ValidFSA reports whether s is a forward sortation area: letter, digit,
// letter, upper case ("K1N").
func ValidFSA(s string) bool {
	return len(s) == 3 && isUpper(s[0]) && isDigit(s[1]) && isUpper(s[2])
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// validPhone accepts digits with the usual separators, an optional leading
// '+', and an optional extension, with 7 to 15 digits.
func validPhone(s string) bool {
	if !utf8.ValidString(s) || len(s) > 40 {
		return false
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '-', r == '(', r == ')', r == '.', r == 'x', r == 'X':
		default:
			return false
		}
	}
	return digits >= 7 && digits <= 20
}

// ValidLanguage reports whether s has the form of an ISO 639 language
// code: two or three lower-case letters.
func ValidLanguage(s string) bool {
	if len(s) < 2 || len(s) > 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// ValidTag reports whether s can tag an emergency: 1 to 63 lower-case
// letters, digits and hyphens, starting with a letter or digit.
func ValidTag(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func validChannel(c Channel) bool {
	for _, v := range Channels {
		if c == v {
			return true
		}
	}
	return false
}

func validAgeBand(a AgeBand) bool {
	for _, v := range AgeBands {
		if a == v {
			return true
		}
	}
	return false
}

func validReason(r UnmetReason) bool {
	for _, v := range UnmetReasons {
		if r == v {
			return true
		}
	}
	return false
}

func joinChannels() string {
	s := make([]string, len(Channels))
	for i, v := range Channels {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func joinAgeBands() string {
	s := make([]string, len(AgeBands))
	for i, v := range AgeBands {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func joinReasons() string {
	s := make([]string, len(UnmetReasons))
	for i, v := range UnmetReasons {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}
