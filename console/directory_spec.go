package console

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/o211/o211"
)

// fieldSpec is one input of a directory form: the HSDS field it sets and
// how it is entered. Its label is the message dir.f.<Name>; a select's
// options are messages dir.opt.<Name>.<value> (spaces as _).
type fieldSpec struct {
	Name string
	// Type is text, textarea, number, date, time, email, url, select or
	// days (checkboxes of the week, written as HSDS byday "MO,WE").
	Type    string
	Options []string
	// Heading, when set, is the message id of a heading shown before the
	// field (the service's eligibility).
	Heading string
	// Width is a GOV.UK input width class suffix ("10", "20"), "" for full.
	Width string
}

// childSpec is a list of records an edit page shows under its form: the
// records of Kind whose Field is the record's id.
type childSpec struct {
	Kind  o211.Kind
	Field string
}

// kindSpec is the form of one HSDS table.
type kindSpec struct {
	Kind   o211.Kind
	Fields []fieldSpec
	// Parents are the fields that tie a new record to the one it belongs
	// to, taken from the query of the "add" link (?service_id=...).
	Parents  []string
	Children []childSpec
}

var weekDays = []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}

// kindSpecs are the tables a resource specialist edits, by URL name.
var kindSpecs = map[string]*kindSpec{
	"organization": {Kind: o211.KindOrganization, Fields: []fieldSpec{
		{Name: "name"}, {Name: "alternate_name"}, {Name: "description", Type: "textarea"},
		{Name: "email", Type: "email"}, {Name: "website", Type: "url"}, {Name: "year_incorporated", Type: "number", Width: "4"},
	}, Children: []childSpec{{o211.KindService, "organization_id"}, {o211.KindLocation, "organization_id"}, {o211.KindPhone, "organization_id"}}},
	"service": {Kind: o211.KindService, Parents: []string{"organization_id"}, Fields: []fieldSpec{
		{Name: "name"}, {Name: "alternate_name"}, {Name: "description", Type: "textarea"},
		{Name: "status", Type: "select", Options: []string{o211.StatusActive, o211.StatusInactive, o211.StatusDefunct, o211.StatusTemporarilyClosed}},
		{Name: "url", Type: "url"}, {Name: "email", Type: "email"},
		{Name: "application_process", Type: "textarea"}, {Name: "fees_description", Type: "textarea"}, {Name: "wait_time"},
		{Name: "eligibility_description", Type: "textarea", Heading: "dir.eligibility"},
		{Name: "minimum_age", Type: "number", Width: "3"}, {Name: "maximum_age", Type: "number", Width: "3"},
	}, Children: []childSpec{{o211.KindSchedule, "service_id"}, {o211.KindPhone, "service_id"}, {o211.KindLanguage, "service_id"},
		{o211.KindServiceArea, "service_id"}, {o211.KindServiceAtLocation, "service_id"}}},
	"location": {Kind: o211.KindLocation, Parents: []string{"organization_id"}, Fields: []fieldSpec{
		{Name: "name"}, {Name: "location_type", Type: "select", Options: []string{o211.LocationPhysical, o211.LocationPostal, o211.LocationVirtual}},
		{Name: "description", Type: "textarea"}, {Name: "transportation", Type: "textarea"}, {Name: "url", Type: "url"},
		{Name: "latitude", Type: "number", Width: "10"}, {Name: "longitude", Type: "number", Width: "10"},
	}, Children: []childSpec{{o211.KindAddress, "location_id"}, {o211.KindPhone, "location_id"}, {o211.KindSchedule, "location_id"},
		{o211.KindLanguage, "location_id"}}},
	"address": {Kind: o211.KindAddress, Parents: []string{"location_id"}, Fields: []fieldSpec{
		{Name: "address_type", Type: "select", Options: []string{o211.LocationPhysical, o211.LocationPostal, o211.LocationVirtual}},
		{Name: "attention"}, {Name: "address_1"}, {Name: "address_2"}, {Name: "city", Width: "20"},
		{Name: "state_province", Width: "10"}, {Name: "postal_code", Width: "10"}, {Name: "country", Width: "4"},
	}},
	"phone": {Kind: o211.KindPhone, Parents: []string{"service_id", "location_id", "organization_id"}, Fields: []fieldSpec{
		{Name: "number", Width: "20"}, {Name: "extension", Type: "number", Width: "5"},
		{Name: "type", Type: "select", Options: []string{"", "voice", "text", "fax", "cell", "video", "pager", "textphone"}},
		{Name: "description"},
	}},
	"schedule": {Kind: o211.KindSchedule, Parents: []string{"service_id", "location_id"}, Fields: []fieldSpec{
		{Name: "freq", Type: "select", Options: []string{"WEEKLY", "MONTHLY"}}, {Name: "byday", Type: "days"},
		{Name: "opens_at", Type: "time", Width: "5"}, {Name: "closes_at", Type: "time", Width: "5"},
		{Name: "valid_from", Type: "date", Width: "10"}, {Name: "valid_to", Type: "date", Width: "10"},
		{Name: "description"}, {Name: "notes", Type: "textarea"},
	}},
	"language": {Kind: o211.KindLanguage, Parents: []string{"service_id", "location_id"}, Fields: []fieldSpec{
		{Name: "name", Width: "20"}, {Name: "code", Width: "5"}, {Name: "note"},
	}},
	"service_area": {Kind: o211.KindServiceArea, Parents: []string{"service_id"}, Fields: []fieldSpec{
		{Name: "name"}, {Name: "description", Type: "textarea"},
	}},
	"service_at_location": {Kind: o211.KindServiceAtLocation, Parents: []string{"service_id"}, Fields: []fieldSpec{
		{Name: "location_id", Type: "select"}, {Name: "description", Type: "textarea"},
	}},
}

// row is a record's fields as the form reads and writes them.
type row map[string]json.RawMessage

// decodeRow reads a record's data.
func decodeRow(data []byte) (row, error) {
	m := row{}
	if len(data) == 0 {
		return m, nil
	}
	return m, json.Unmarshal(data, &m)
}

// str returns field name as text: a string as is, a number written out.
func (m row) str(name string) string {
	v, ok := m[name]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var f float64
	if json.Unmarshal(v, &f) == nil {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return string(v)
}

// set sets field name to v (a string, or a number for number fields);
// empty removes it. A number that does not parse is reported false.
func (m row) set(f fieldSpec, v string) bool {
	if v == "" {
		delete(m, f.Name)
		return true
	}
	if f.Type == "number" {
		n, err := strconv.ParseFloat(strings.Replace(v, ",", ".", 1), 64)
		if err != nil {
			return false
		}
		m[f.Name], _ = json.Marshal(n)
		return true
	}
	m[f.Name], _ = json.Marshal(v)
	return true
}

// summary names a record in a list: its name, number, address or hours.
func summary(kind o211.Kind, m row) string {
	switch kind {
	case o211.KindSchedule:
		return strings.TrimSpace(strings.Join(nonEmpty(m.str("byday"), strings.Trim(m.str("opens_at")+"–"+m.str("closes_at"), "–"),
			m.str("description")), " "))
	case o211.KindAddress:
		return strings.Join(nonEmpty(m.str("address_1"), m.str("city"), m.str("postal_code")), ", ")
	case o211.KindPhone:
		return m.str("number")
	case o211.KindLanguage:
		return strings.Join(nonEmpty(m.str("name"), m.str("code")), " · ")
	}
	if s := m.str("name"); s != "" {
		return s
	}
	return m.str("id")
}

// urlKind returns the URL name of a kind's form, "" when it has none.
func urlKind(k o211.Kind) string {
	for name, s := range kindSpecs {
		if s.Kind == k {
			return name
		}
	}
	return ""
}
