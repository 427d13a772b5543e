package o211

import (
	"time"
)

// KindReport is the kind of anonymised report records. They travel in the
// outbox like directory records but are not an HSDS table: Kinds and
// LookupKind leave them out, and the hub counts them instead of storing
// them in the provincial directory.
const KindReport Kind = "report"

// Report is the anonymised record of a closed contact: what a planner may
// know of it, and nothing that points to the person. Its id is drawn at
// random when the contact closes and is not the contact's id.
type Report struct {
	ID     string `json:"id"`
	Region string `json:"region"`
	// Day is the local day (America/Toronto) the contact started, YYYY-MM-DD.
	Day string `json:"day"`
	// FSA is the first three characters of the caller's postal code, "" if
	// unknown.
	FSA       string       `json:"fsa,omitempty"`
	Channel   Channel      `json:"channel"`
	AgeBand   AgeBand      `json:"age_band,omitempty"`
	Language  string       `json:"language,omitempty"`
	Emergency string       `json:"emergency,omitempty"`
	Needs     []ReportNeed `json:"needs"`
}

// ReportNeed is a need of a report: its taxonomy code, met or not, and for
// an unmet need the reason.
type ReportNeed struct {
	Code   string      `json:"code"`
	Met    bool        `json:"met"`
	Reason UnmetReason `json:"reason,omitempty"`
}

// Anonymise returns the report record of contact c under the given id:
// the day of its start in Toronto, the FSA of the caller's postal code, the
// channel, age band, language, emergency tag and needs. Nothing else of the
// contact is carried.
func Anonymise(c *Contact, id string) *Report {
	r := &Report{
		ID:        id,
		Region:    c.Region,
		Day:       c.Start.In(Toronto()).Format(time.DateOnly),
		FSA:       FSAOf(c.Caller.PostalCode),
		Channel:   c.Channel,
		AgeBand:   c.Caller.AgeBand,
		Language:  c.Caller.Language,
		Emergency: c.Emergency,
		Needs:     make([]ReportNeed, len(c.Needs)),
	}
	for i, n := range c.Needs {
		r.Needs[i] = ReportNeed{Code: n.Code, Met: n.Status == NeedMet, Reason: n.Reason}
	}
	return r
}

// ObjectKind returns KindReport.
func (r *Report) ObjectKind() Kind { return KindReport }

// ObjectID returns the report's id.
func (r *Report) ObjectID() string { return r.ID }

// SetObjectID sets the report's id.
func (r *Report) SetObjectID(id string) { r.ID = id }

// Refs returns nil: a report points to nothing.
func (r *Report) Refs() []Ref { return nil }

// Flat returns r itself: a report is stored whole.
func (r *Report) Flat() Object { return r }

// Validate returns an EINVALID *Error naming the first field of r that is
// wrong, or nil. Only the fields of a report are accepted, so a report that
// validates carries no direct identifier.
func (r *Report) Validate() error {
	var ck checker
	ck.id(r.ID)
	if !ValidRegionID(r.Region) {
		ck.fail("region", "%q is not a valid region id", r.Region)
	}
	if _, err := time.Parse(time.DateOnly, r.Day); err != nil {
		ck.fail("day", "%q is not a date of the form YYYY-MM-DD", r.Day)
	}
	if r.FSA != "" && !ValidFSA(r.FSA) {
		ck.fail("fsa", "%q is not an FSA (A1A)", r.FSA)
	}
	if !validChannel(r.Channel) {
		ck.fail("channel", "%q is not one of %s", r.Channel, joinChannels())
	}
	if r.AgeBand != "" && !validAgeBand(r.AgeBand) {
		ck.fail("age_band", "%q is not one of %s", r.AgeBand, joinAgeBands())
	}
	if r.Language != "" && !ValidLanguage(r.Language) {
		ck.fail("language", "%q is not an ISO 639 language code", r.Language)
	}
	if r.Emergency != "" && !ValidTag(r.Emergency) {
		ck.fail("emergency", "%q is not a tag", r.Emergency)
	}
	if len(r.Needs) > MaxContactNeeds {
		ck.fail("needs", "at most %d needs", MaxContactNeeds)
	}
	for i, n := range r.Needs {
		f := "needs[" + itoa(i) + "]"
		if !ValidTaxonomyCode(n.Code) {
			ck.fail(f+".code", "%q is not a 211 taxonomy code", n.Code)
		}
		switch {
		case n.Met && n.Reason != "":
			ck.fail(f+".reason", "a met need has no unmet reason")
		case !n.Met && !validReason(n.Reason):
			ck.fail(f+".reason", "%q is not one of %s", n.Reason, joinReasons())
		}
	}
	return ck.result()
}

// LookupRecordKind returns how to make an empty row of any kind of record
// that replicates: the HSDS tables and reports.
func LookupRecordKind(k Kind) (func() Object, bool) {
	if k == KindReport {
		return func() Object { return new(Report) }, true
	}
	ki, ok := LookupKind(k)
	return ki.New, ok
}
