package hsds

import (
	"github.com/o211/o211"
)

// IndexView assembles services in the lean nested form a search index
// needs (what DocsFromService reads: the organization with its phones,
// taxonomy attributes with their terms, schedules, languages, phones, and
// each service_at_location with its location's addresses, schedules,
// languages and phones), leaving out what only the HSDS API shows (contacts,
// metadata, funding, the attributes of child rows). Shared rows
// (organizations, locations, terms) are read once per view.
//
// An IndexView belongs to one read view and one goroutine.
type IndexView struct {
	r     Reader
	orgs  map[string]*o211.Organization
	locs  map[string]*o211.Location
	terms map[string]*o211.TaxonomyTerm
}

// NewIndexView returns an IndexView reading through r.
func NewIndexView(r Reader) *IndexView {
	return &IndexView{r: r, orgs: map[string]*o211.Organization{}, locs: map[string]*o211.Location{},
		terms: map[string]*o211.TaxonomyTerm{}}
}

// Service returns the service of rec in the lean nested form.
func (v *IndexView) Service(rec *o211.Record) (*o211.Service, error) {
	svc, err := decodeAs[o211.Service](rec)
	if err != nil {
		return nil, err
	}
	svc.LastModified = Timestamp(rec.Modified)
	var e errs
	if svc.OrganizationID != "" {
		svc.Organization = v.organization(&e, svc.OrganizationID)
	}
	svc.Attributes = v.attributes(&e, svc.ID)
	svc.Schedules = flat[o211.Schedule](&e, v.r, o211.KindSchedule, "service_id", svc.ID)
	svc.Languages = flat[o211.Language](&e, v.r, o211.KindLanguage, "service_id", svc.ID)
	svc.Phones = flat[o211.Phone](&e, v.r, o211.KindPhone, "service_id", svc.ID)
	sals := flat[o211.ServiceAtLocation](&e, v.r, o211.KindServiceAtLocation, "service_id", svc.ID)
	for i := range sals {
		sal := &sals[i]
		sal.Attributes = v.attributes(&e, sal.ID)
		sal.Schedules = flat[o211.Schedule](&e, v.r, o211.KindSchedule, "service_at_location_id", sal.ID)
		sal.Phones = flat[o211.Phone](&e, v.r, o211.KindPhone, "service_at_location_id", sal.ID)
		if sal.LocationID != "" {
			sal.Location = v.location(&e, sal.LocationID)
		}
	}
	svc.ServiceAtLocations = sals
	return svc, e.err
}

func (v *IndexView) organization(e *errs, id string) *o211.Organization {
	if org, ok := v.orgs[id]; ok {
		return org
	}
	var org *o211.Organization
	if rec, err := v.r.Get(o211.KindOrganization, id); err == nil {
		org, err = decodeAs[o211.Organization](rec)
		e.add(err)
		if org != nil {
			org.Phones = flat[o211.Phone](e, v.r, o211.KindPhone, "organization_id", id)
		}
	}
	v.orgs[id] = org
	return org
}

func (v *IndexView) location(e *errs, id string) *o211.Location {
	if loc, ok := v.locs[id]; ok {
		return loc
	}
	var loc *o211.Location
	if rec, err := v.r.Get(o211.KindLocation, id); err == nil {
		loc, err = decodeAs[o211.Location](rec)
		e.add(err)
		if loc != nil {
			loc.Addresses = flat[o211.Address](e, v.r, o211.KindAddress, "location_id", id)
			loc.Schedules = flat[o211.Schedule](e, v.r, o211.KindSchedule, "location_id", id)
			loc.Languages = flat[o211.Language](e, v.r, o211.KindLanguage, "location_id", id)
			loc.Phones = flat[o211.Phone](e, v.r, o211.KindPhone, "location_id", id)
		}
	}
	v.locs[id] = loc
	return loc
}

// attributes returns the attributes linked to id with their terms.
func (v *IndexView) attributes(e *errs, id string) []o211.Attribute {
	attrs := flat[o211.Attribute](e, v.r, o211.KindAttribute, "link_id", id)
	for i := range attrs {
		tid := attrs[i].TaxonomyTermID
		if tid == "" {
			continue
		}
		t, ok := v.terms[tid]
		if !ok {
			if rec, err := v.r.Get(o211.KindTaxonomyTerm, tid); err == nil {
				t, err = decodeAs[o211.TaxonomyTerm](rec)
				e.add(err)
			}
			v.terms[tid] = t
		}
		attrs[i].TaxonomyTerm = t
	}
	return attrs
}

// flat returns the live rows of kind whose field holds id, without nesting.
func flat[T any](e *errs, r Reader, kind o211.Kind, field, id string) []T {
	rows, err := children[T](r, kind, field, id)
	e.add(err)
	return rows
}
