package hsds

import (
	"github.com/o211/o211"
)

// Service returns the service id in its basic form: its own fields with its
// organization and program (the HSDS list form), and its record.
func Service(r Reader, id string) (*o211.Service, *o211.Record, error) {
	rec, err := r.Get(o211.KindService, id)
	if err != nil {
		return nil, nil, err
	}
	svc, err := ServiceFromRecord(r, rec)
	return svc, rec, err
}

// ServiceFromRecord is Service for a record already read.
func ServiceFromRecord(r Reader, rec *o211.Record) (*o211.Service, error) {
	svc, err := decodeAs[o211.Service](rec)
	if err != nil {
		return nil, err
	}
	svc.LastModified = Timestamp(rec.Modified)
	if svc.OrganizationID != "" {
		if org, err := r.Get(o211.KindOrganization, svc.OrganizationID); err == nil {
			if svc.Organization, err = decodeAs[o211.Organization](org); err != nil {
				return nil, err
			}
		}
	}
	if svc.ProgramID != "" {
		if p, err := r.Get(o211.KindProgram, svc.ProgramID); err == nil {
			if svc.Program, err = decodeAs[o211.Program](p); err != nil {
				return nil, err
			}
		}
	}
	return svc, nil
}

// FullService returns the service id with everything HSDS nests in it.
func FullService(r Reader, id string) (*o211.Service, error) {
	rec, err := r.Get(o211.KindService, id)
	if err != nil {
		return nil, err
	}
	return FullServiceFromRecord(r, rec)
}

// FullServiceFromRecord is FullService for a record already read.
func FullServiceFromRecord(r Reader, rec *o211.Record) (*o211.Service, error) {
	svc, err := ServiceFromRecord(r, rec)
	if err != nil {
		return nil, err
	}
	id := svc.ID
	var e errs
	svc.Phones = e.phones(r, "service_id", id)
	svc.Schedules = e.schedules(r, "service_id", id)
	svc.ServiceAreas = withAttrs(&e, r, "service_id", id, func(a *o211.ServiceArea) (string, *[]o211.Attribute) { return a.ID, &a.Attributes })
	svc.Languages = e.languages(r, "service_id", id)
	svc.Funding = e.funding(r, "service_id", id)
	svc.CostOptions = withAttrs(&e, r, "service_id", id, func(c *o211.CostOption) (string, *[]o211.Attribute) { return c.ID, &c.Attributes })
	svc.RequiredDocuments = withAttrs(&e, r, "service_id", id, func(d *o211.RequiredDocument) (string, *[]o211.Attribute) { return d.ID, &d.Attributes })
	svc.Contacts = e.contacts(r, "service_id", id)
	svc.Attributes = e.attributes(r, id)
	svc.Metadata = e.metadata(r, id)
	sals, err := children[o211.ServiceAtLocation](r, o211.KindServiceAtLocation, "service_id", id)
	e.add(err)
	for i := range sals {
		e.add(fillServiceAtLocation(r, &sals[i]))
	}
	svc.ServiceAtLocations = sals
	return svc, e.err
}

// FullServiceAtLocation returns the service_at_location id with its
// location and service nested in full.
func FullServiceAtLocation(r Reader, id string) (*o211.ServiceAtLocation, error) {
	rec, err := r.Get(o211.KindServiceAtLocation, id)
	if err != nil {
		return nil, err
	}
	sal, err := decodeAs[o211.ServiceAtLocation](rec)
	if err != nil {
		return nil, err
	}
	if err := fillServiceAtLocation(r, sal); err != nil {
		return nil, err
	}
	if sal.ServiceID != "" {
		svc, err := FullService(r, sal.ServiceID)
		if err != nil && o211.ErrorCode(err) != o211.ENOTFOUND {
			return nil, err
		}
		if svc != nil {
			svc.ServiceAtLocations = nil
			sal.Service = svc
		}
	}
	return sal, nil
}

func fillServiceAtLocation(r Reader, sal *o211.ServiceAtLocation) error {
	var e errs
	sal.Contacts = e.contacts(r, "service_at_location_id", sal.ID)
	sal.Phones = e.phones(r, "service_at_location_id", sal.ID)
	sal.Schedules = e.schedules(r, "service_at_location_id", sal.ID)
	sal.Attributes = e.attributes(r, sal.ID)
	sal.Metadata = e.metadata(r, sal.ID)
	if sal.LocationID != "" {
		loc, err := FullLocation(r, sal.LocationID)
		if err != nil && o211.ErrorCode(err) != o211.ENOTFOUND {
			e.add(err)
		}
		sal.Location = loc
	}
	return e.err
}

// FullLocation returns the location id with everything HSDS nests in it.
func FullLocation(r Reader, id string) (*o211.Location, error) {
	rec, err := r.Get(o211.KindLocation, id)
	if err != nil {
		return nil, err
	}
	loc, err := decodeAs[o211.Location](rec)
	if err != nil {
		return nil, err
	}
	var e errs
	loc.Languages = e.languages(r, "location_id", id)
	loc.Addresses = withAttrs(&e, r, "location_id", id, func(a *o211.Address) (string, *[]o211.Attribute) { return a.ID, &a.Attributes })
	loc.Contacts = e.contacts(r, "location_id", id)
	loc.Accessibility = withAttrs(&e, r, "location_id", id, func(a *o211.Accessibility) (string, *[]o211.Attribute) { return a.ID, &a.Attributes })
	loc.Phones = e.phones(r, "location_id", id)
	loc.Schedules = e.schedules(r, "location_id", id)
	loc.Attributes = e.attributes(r, id)
	loc.Metadata = e.metadata(r, id)
	return loc, e.err
}

// Organization returns the organization id. With full, everything HSDS
// nests in it is there; its services are listed in basic form, or in full
// with fullServices.
func Organization(r Reader, id string, full, fullServices bool) (*o211.Organization, error) {
	rec, err := r.Get(o211.KindOrganization, id)
	if err != nil {
		return nil, err
	}
	org, err := decodeAs[o211.Organization](rec)
	if err != nil || !full {
		return org, err
	}
	var e errs
	org.Funding = e.funding(r, "organization_id", id)
	org.Contacts = e.contacts(r, "organization_id", id)
	org.Phones = e.phones(r, "organization_id", id)
	org.Programs = withAttrs(&e, r, "organization_id", id, func(p *o211.Program) (string, *[]o211.Attribute) { return p.ID, &p.Attributes })
	org.OrganizationIdentifiers = withAttrs(&e, r, "organization_id", id, func(i *o211.OrganizationIdentifier) (string, *[]o211.Attribute) { return i.ID, &i.Attributes })
	org.Attributes = e.attributes(r, id)
	org.Metadata = e.metadata(r, id)
	locs, err := r.Referrers(o211.KindLocation, "organization_id", id)
	e.add(err)
	for _, l := range locs {
		loc, err := FullLocation(r, l.ID)
		e.add(err)
		if loc != nil {
			org.Locations = append(org.Locations, *loc)
		}
	}
	svcs, err := r.Referrers(o211.KindService, "organization_id", id)
	e.add(err)
	for _, s := range svcs {
		var svc *o211.Service
		if fullServices {
			svc, err = FullServiceFromRecord(r, s)
		} else {
			svc, err = ServiceFromRecord(r, s)
		}
		e.add(err)
		if svc != nil {
			svc.Organization = nil
			org.Services = append(org.Services, *svc)
		}
	}
	return org, e.err
}

// TaxonomyTerm returns the taxonomy term id with its taxonomy nested.
func TaxonomyTerm(r Reader, id string) (*o211.TaxonomyTerm, error) {
	rec, err := r.Get(o211.KindTaxonomyTerm, id)
	if err != nil {
		return nil, err
	}
	return termFromRecord(r, rec)
}

func termFromRecord(r Reader, rec *o211.Record) (*o211.TaxonomyTerm, error) {
	t, err := decodeAs[o211.TaxonomyTerm](rec)
	if err != nil {
		return nil, err
	}
	if t.TaxonomyID != "" {
		if tx, err := r.Get(o211.KindTaxonomy, t.TaxonomyID); err == nil {
			t.TaxonomyDetail, _ = decodeAs[o211.Taxonomy](tx)
		}
	}
	return t, nil
}
