package search

import (
	"strings"
	"time"

	"github.com/o211/o211"
)

// Doc is one searchable unit: a service at one location, or a service that
// has no location. Docs are derived from fully nested HSDS services by
// DocsFromService; the index keeps their display fields and the analysed
// text, not the text itself.
type Doc struct {
	// Key identifies the doc: service id + "/" + location id (the location
	// part is empty for a service without a location).
	Key                 string
	ServiceID           string
	LocationID          string
	ServiceAtLocationID string
	OrganizationID      string
	Region              string

	// Display fields, returned in results.
	ServiceName      string
	OrganizationName string
	LocationName     string
	Address          string // one line
	Phone            string
	Status           string // HSDS service status
	RecordLanguage   string // "en" or "fr"

	// Text fields, analysed in English and French; the order is the ranking
	// weight, highest first.
	AlternateName           string
	TaxonomyNames           []string // English and French names of the codes
	LocationText            string   // location name and city
	Description             string   // service description and eligibility
	OrganizationDescription string

	// Taxonomy holds the 211 HSIS codes, combined "A*B" codes split.
	Taxonomy        []string
	TaxonomyTermIDs []string
	TaxonomyIDs     []string

	HasGeo   bool
	Lat, Lon float64

	// Schedules are the effective HSDS schedules: the service_at_location's,
	// else the service's, else the location's.
	Schedules []o211.Schedule
	// Languages are normalised language codes (NormalizeLanguage).
	Languages []string
	// MinAge and MaxAge bound the age eligibility; nil is open-ended.
	MinAge, MaxAge *float64
	Modified       time.Time
}

// SourceFieldLinkType marks attributes that keep a source system's fields
// (the 211 Ontario program id, say) rather than classify the record.
const SourceFieldLinkType = "source_field"

// inactive reports whether the doc's service is inactive or defunct: such
// docs are indexed but left out of searches unless asked for.
func (d *Doc) inactive() bool {
	s := strings.ToLower(strings.TrimSpace(d.Status))
	return s == o211.StatusInactive || s == o211.StatusDefunct
}

// DocsFromService derives the docs of a fully nested HSDS service (with its
// organization, service_at_locations and their locations, attributes with
// taxonomy terms, schedules, languages and phones): one per
// service_at_location, or one without location when there is none. names
// gives the English and French names of a taxonomy code ("" when unknown);
// it may be nil, and the terms' own names are used then.
func DocsFromService(svc *o211.Service, region string, modified time.Time, names func(code string) (en, fr string)) []Doc {
	if svc == nil {
		return nil
	}
	base := Doc{
		ServiceID:      svc.ID,
		Region:         region,
		ServiceName:    svc.Name,
		Status:         svc.Status,
		AlternateName:  svc.AlternateName,
		Description:    joinText(svc.Description, svc.EligibilityDescription),
		MinAge:         svc.MinimumAge,
		MaxAge:         svc.MaximumAge,
		Modified:       modified,
		OrganizationID: svc.OrganizationID,
	}
	if org := svc.Organization; org != nil {
		if base.OrganizationID == "" {
			base.OrganizationID = org.ID
		}
		base.OrganizationName = org.Name
		base.OrganizationDescription = joinText(org.AlternateName, org.Description)
	}
	addTaxonomy(&base, svc.Attributes, names)
	if len(svc.ServiceAtLocations) == 0 {
		d := base
		d.Key = svc.ID + "/"
		d.Schedules = svc.Schedules
		d.Languages = normalizeLanguages(svc.Languages)
		d.Phone = firstPhone(svc.Phones, orgPhones(svc))
		d.RecordLanguage = guessLanguage(d.ServiceName + " " + d.Description)
		return []Doc{d}
	}
	docs := make([]Doc, 0, len(svc.ServiceAtLocations))
	for i := range svc.ServiceAtLocations {
		docs = append(docs, docAtLocation(base, svc, &svc.ServiceAtLocations[i], names))
	}
	return docs
}

func docAtLocation(base Doc, svc *o211.Service, sal *o211.ServiceAtLocation, names func(string) (string, string)) Doc {
	d := base
	d.ServiceAtLocationID = sal.ID
	d.Taxonomy = append([]string(nil), base.Taxonomy...)
	d.TaxonomyNames = append([]string(nil), base.TaxonomyNames...)
	d.TaxonomyTermIDs = append([]string(nil), base.TaxonomyTermIDs...)
	d.TaxonomyIDs = append([]string(nil), base.TaxonomyIDs...)
	addTaxonomy(&d, sal.Attributes, names)
	loc := sal.Location
	d.LocationID = sal.LocationID
	if d.LocationID == "" && loc != nil {
		d.LocationID = loc.ID
	}
	d.Key = svc.ID + "/" + d.LocationID
	d.Description = joinText(d.Description, sal.Description)
	langs := svc.Languages
	var locPhones []o211.Phone
	var locScheds []o211.Schedule
	if loc != nil {
		d.LocationName = loc.Name
		addr, city := oneLineAddress(loc.Addresses)
		d.Address = addr
		d.LocationText = joinText(loc.Name, city)
		if loc.Latitude != nil && loc.Longitude != nil && validLatLon(*loc.Latitude, *loc.Longitude) {
			d.HasGeo, d.Lat, d.Lon = true, *loc.Latitude, *loc.Longitude
		}
		if len(langs) == 0 {
			langs = loc.Languages
		}
		locPhones, locScheds = loc.Phones, loc.Schedules
	}
	d.Languages = normalizeLanguages(langs)
	switch {
	case len(sal.Schedules) > 0:
		d.Schedules = sal.Schedules
	case len(svc.Schedules) > 0:
		d.Schedules = svc.Schedules
	default:
		d.Schedules = locScheds
	}
	d.Phone = firstPhone(sal.Phones, svc.Phones, locPhones, orgPhones(svc))
	d.RecordLanguage = guessLanguage(d.ServiceName + " " + d.Description)
	return d
}

func validLatLon(lat, lon float64) bool {
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 && !(lat == 0 && lon == 0)
}

// addTaxonomy adds the taxonomy terms of attributes to d.
func addTaxonomy(d *Doc, attrs []o211.Attribute, names func(string) (string, string)) {
	for _, a := range attrs {
		if a.LinkType == SourceFieldLinkType {
			continue // a source system's own field kept as an attribute, not a classification
		}
		t := a.TaxonomyTerm
		termID := a.TaxonomyTermID
		if t != nil && termID == "" {
			termID = t.ID
		}
		if termID != "" && !contains(d.TaxonomyTermIDs, termID) {
			d.TaxonomyTermIDs = append(d.TaxonomyTermIDs, termID)
		}
		if t == nil {
			continue
		}
		if t.TaxonomyID != "" && !contains(d.TaxonomyIDs, t.TaxonomyID) {
			d.TaxonomyIDs = append(d.TaxonomyIDs, t.TaxonomyID)
		}
		parts := o211.SplitTaxonomyCode(t.Code)
		for _, code := range parts {
			if contains(d.Taxonomy, code) {
				continue
			}
			d.Taxonomy = append(d.Taxonomy, code)
			var en, fr string
			if names != nil {
				en, fr = names(code)
			}
			if en == "" && fr == "" && len(parts) == 1 {
				en = t.Name
			}
			for _, n := range []string{en, fr} {
				if n != "" && !contains(d.TaxonomyNames, n) {
					d.TaxonomyNames = append(d.TaxonomyNames, n)
				}
			}
		}
		if len(parts) == 0 && t.Name != "" && !contains(d.TaxonomyNames, t.Name) {
			d.TaxonomyNames = append(d.TaxonomyNames, t.Name)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func joinText(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(p)
	}
	return b.String()
}

// oneLineAddress returns the physical address (else the first) on one line,
// and its city.
func oneLineAddress(addrs []o211.Address) (line, city string) {
	if len(addrs) == 0 {
		return "", ""
	}
	a := addrs[0]
	for _, x := range addrs {
		if x.AddressType == o211.LocationPhysical {
			a = x
			break
		}
	}
	var parts []string
	for _, p := range []string{a.Address1, a.Address2, a.City, strings.TrimSpace(a.StateProvince + " " + a.PostalCode)} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", "), a.City
}

func orgPhones(svc *o211.Service) []o211.Phone {
	if svc.Organization == nil {
		return nil
	}
	return svc.Organization.Phones
}

func firstPhone(lists ...[]o211.Phone) string {
	for _, l := range lists {
		for _, p := range l {
			if n := strings.TrimSpace(p.Number); n != "" {
				return n
			}
		}
	}
	return ""
}

func normalizeLanguages(langs []o211.Language) []string {
	var out []string
	for _, l := range langs {
		c := NormalizeLanguage(l.Code)
		if c == "" {
			c = NormalizeLanguage(l.Name)
		}
		if c != "" && !contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// guessLanguage tells French from English text by counting common words of
// each; ties and empty text are English.
func guessLanguage(text string) string {
	fr, en := 0, 0
	eachWord(text, func(w string) {
		switch strings.ToLower(w) {
		case "le", "la", "les", "des", "du", "et", "pour", "avec", "aux", "une", "est", "dans", "sur", "au":
			fr++
		case "the", "and", "for", "with", "of", "to", "is", "in", "on", "are", "a", "an":
			en++
		default:
			if strings.ContainsAny(w, "éèêàâçîôûù") {
				fr++
			}
		}
	})
	if fr > en {
		return "fr"
	}
	return "en"
}
