package importer

import (
	"fmt"

	"github.com/o211/o211"
)

// flattener turns nested HSDS objects (the API's "full" forms) into flat
// rows. A child nested in a parent gets the parent's foreign key when it
// has none (a phone in a service gets service_id); an object nested as a
// reference (a service's organization, a service_at_location's location,
// an attribute's taxonomy_term, a term's taxonomy_detail) becomes a row of
// its own and sets the referring key. An explicit key that contradicts the
// nesting is a problem.
type flattener struct {
	b    *Batch
	file string
	li   *lineIndex // of the record being read: the lines of its objects
}

func (f *flattener) src(obj o211.Object, path string) Source {
	return Source{File: f.file, Line: f.li.lineOf(path), Path: path, Record: fmt.Sprintf("%s %q", obj.ObjectKind(), obj.ObjectID())}
}

// link sets *fk to parent when it is empty; it reports false (and records a
// problem) when *fk names another record.
func (f *flattener) link(obj o211.Object, path, field string, fk *string, parent string) bool {
	switch *fk {
	case "":
		*fk = parent
		return true
	case parent:
		return true
	}
	f.b.problem(f.src(obj, path), field, fmt.Sprintf("is %q, but the object is nested in %q", *fk, parent))
	return false
}

// object flattens any HSDS object.
func (f *flattener) object(obj o211.Object, path string) {
	switch v := obj.(type) {
	case *o211.Organization:
		f.organization(v, path)
	case *o211.Service:
		f.service(v, path)
	case *o211.Location:
		f.location(v, path)
	case *o211.ServiceAtLocation:
		f.serviceAtLocation(v, path)
	case *o211.Program:
		f.leaf(v, path, v.ID, v.Attributes, v.Metadata)
	case *o211.Phone:
		f.phone(v, path)
	case *o211.ContactPerson:
		f.contact(v, path)
	case *o211.Attribute:
		f.attribute(v, path)
	case *o211.TaxonomyTerm:
		f.term(v, path)
	case *o211.Taxonomy:
		f.leaf(v, path, v.ID, nil, v.Metadata)
	case *o211.Metadata:
		f.b.add(v, f.src(v, path))
	default:
		f.leaf(obj, path, obj.ObjectID(), attributesOf(obj), metadataOf(obj))
	}
}

// leaf adds a row with its nested attributes and metadata.
func (f *flattener) leaf(obj o211.Object, path, id string, attrs []o211.Attribute, meta []o211.Metadata) {
	entity := string(obj.ObjectKind())
	for i := range attrs {
		a := &attrs[i]
		p := indexPath(joinPath(path, "attributes"), i)
		if a.LinkID == "" && a.LinkEntity == "" {
			a.LinkEntity = entity
		}
		if f.link(a, p, "link_id", &a.LinkID, id) {
			f.attribute(a, p)
		}
	}
	for i := range meta {
		m := &meta[i]
		p := indexPath(joinPath(path, "metadata"), i)
		if m.ResourceID == "" && m.ResourceType == "" {
			m.ResourceType = entity
		}
		if f.link(m, p, "resource_id", &m.ResourceID, id) {
			f.b.add(m, f.src(m, p))
		}
	}
	f.b.add(obj, f.src(obj, path))
}

// each flattens the children in a nested array after linking each to its
// parent through the field fk returns.
func each[T any, P interface {
	*T
	o211.Object
}](f *flattener, path, name string, items []T, field, parent string, fk func(P) *string) {
	for i := range items {
		c := P(&items[i])
		p := indexPath(joinPath(path, name), i)
		if f.link(c, p, field, fk(c), parent) {
			f.object(c, p)
		}
	}
}

func (f *flattener) organization(o *o211.Organization, path string) {
	id := o.ID
	each(f, path, "funding", o.Funding, "organization_id", id, func(c *o211.Funding) *string { return &c.OrganizationID })
	each(f, path, "contacts", o.Contacts, "organization_id", id, func(c *o211.ContactPerson) *string { return &c.OrganizationID })
	each(f, path, "phones", o.Phones, "organization_id", id, func(c *o211.Phone) *string { return &c.OrganizationID })
	each(f, path, "locations", o.Locations, "organization_id", id, func(c *o211.Location) *string { return &c.OrganizationID })
	each(f, path, "programs", o.Programs, "organization_id", id, func(c *o211.Program) *string { return &c.OrganizationID })
	each(f, path, "organization_identifiers", o.OrganizationIdentifiers, "organization_id", id,
		func(c *o211.OrganizationIdentifier) *string { return &c.OrganizationID })
	each(f, path, "services", o.Services, "organization_id", id, func(c *o211.Service) *string { return &c.OrganizationID })
	f.leaf(o, path, id, o.Attributes, o.Metadata)
}

func (f *flattener) service(s *o211.Service, path string) {
	id := s.ID
	if s.Organization != nil && f.link(s, path, "organization_id", &s.OrganizationID, s.Organization.ID) {
		f.organization(s.Organization, joinPath(path, "organization"))
	}
	if s.Program != nil && f.link(s, path, "program_id", &s.ProgramID, s.Program.ID) {
		f.object(s.Program, joinPath(path, "program"))
	}
	each(f, path, "phones", s.Phones, "service_id", id, func(c *o211.Phone) *string { return &c.ServiceID })
	each(f, path, "schedules", s.Schedules, "service_id", id, func(c *o211.Schedule) *string { return &c.ServiceID })
	each(f, path, "service_areas", s.ServiceAreas, "service_id", id, func(c *o211.ServiceArea) *string { return &c.ServiceID })
	each(f, path, "service_at_locations", s.ServiceAtLocations, "service_id", id,
		func(c *o211.ServiceAtLocation) *string { return &c.ServiceID })
	each(f, path, "languages", s.Languages, "service_id", id, func(c *o211.Language) *string { return &c.ServiceID })
	each(f, path, "funding", s.Funding, "service_id", id, func(c *o211.Funding) *string { return &c.ServiceID })
	each(f, path, "cost_options", s.CostOptions, "service_id", id, func(c *o211.CostOption) *string { return &c.ServiceID })
	each(f, path, "required_documents", s.RequiredDocuments, "service_id", id,
		func(c *o211.RequiredDocument) *string { return &c.ServiceID })
	each(f, path, "contacts", s.Contacts, "service_id", id, func(c *o211.ContactPerson) *string { return &c.ServiceID })
	f.leaf(s, path, id, s.Attributes, s.Metadata)
}

func (f *flattener) location(l *o211.Location, path string) {
	id := l.ID
	each(f, path, "languages", l.Languages, "location_id", id, func(c *o211.Language) *string { return &c.LocationID })
	each(f, path, "addresses", l.Addresses, "location_id", id, func(c *o211.Address) *string { return &c.LocationID })
	each(f, path, "contacts", l.Contacts, "location_id", id, func(c *o211.ContactPerson) *string { return &c.LocationID })
	each(f, path, "accessibility", l.Accessibility, "location_id", id, func(c *o211.Accessibility) *string { return &c.LocationID })
	each(f, path, "phones", l.Phones, "location_id", id, func(c *o211.Phone) *string { return &c.LocationID })
	each(f, path, "schedules", l.Schedules, "location_id", id, func(c *o211.Schedule) *string { return &c.LocationID })
	f.leaf(l, path, id, l.Attributes, l.Metadata)
}

func (f *flattener) serviceAtLocation(s *o211.ServiceAtLocation, path string) {
	id := s.ID
	if s.Location != nil && f.link(s, path, "location_id", &s.LocationID, s.Location.ID) {
		f.location(s.Location, joinPath(path, "location"))
	}
	if s.Service != nil && f.link(s, path, "service_id", &s.ServiceID, s.Service.ID) {
		f.service(s.Service, joinPath(path, "service"))
	}
	each(f, path, "contacts", s.Contacts, "service_at_location_id", id,
		func(c *o211.ContactPerson) *string { return &c.ServiceAtLocationID })
	each(f, path, "phones", s.Phones, "service_at_location_id", id, func(c *o211.Phone) *string { return &c.ServiceAtLocationID })
	each(f, path, "schedules", s.Schedules, "service_at_location_id", id,
		func(c *o211.Schedule) *string { return &c.ServiceAtLocationID })
	f.leaf(s, path, id, s.Attributes, s.Metadata)
}

func (f *flattener) phone(p *o211.Phone, path string) {
	each(f, path, "languages", p.Languages, "phone_id", p.ID, func(c *o211.Language) *string { return &c.PhoneID })
	f.leaf(p, path, p.ID, p.Attributes, p.Metadata)
}

func (f *flattener) contact(c *o211.ContactPerson, path string) {
	each(f, path, "phones", c.Phones, "contact_id", c.ID, func(p *o211.Phone) *string { return &p.ContactID })
	f.leaf(c, path, c.ID, c.Attributes, c.Metadata)
}

func (f *flattener) attribute(a *o211.Attribute, path string) {
	if t := a.TaxonomyTerm; t != nil && f.link(a, path, "taxonomy_term_id", &a.TaxonomyTermID, t.ID) {
		f.term(t, joinPath(path, "taxonomy_term"))
	}
	f.leaf(a, path, a.ID, nil, a.Metadata)
}

func (f *flattener) term(t *o211.TaxonomyTerm, path string) {
	if d := t.TaxonomyDetail; d != nil && f.link(t, path, "taxonomy_id", &t.TaxonomyID, d.ID) {
		f.leaf(d, joinPath(path, "taxonomy_detail"), d.ID, nil, d.Metadata)
	}
	f.leaf(t, path, t.ID, nil, t.Metadata)
}

// attributesOf and metadataOf return the nested attributes and metadata of
// the row types that only nest those.
func attributesOf(obj o211.Object) []o211.Attribute {
	switch v := obj.(type) {
	case *o211.Address:
		return v.Attributes
	case *o211.Schedule:
		return v.Attributes
	case *o211.Language:
		return v.Attributes
	case *o211.Accessibility:
		return v.Attributes
	case *o211.ServiceArea:
		return v.Attributes
	case *o211.CostOption:
		return v.Attributes
	case *o211.Funding:
		return v.Attributes
	case *o211.RequiredDocument:
		return v.Attributes
	case *o211.OrganizationIdentifier:
		return v.Attributes
	case *o211.MetaTableDescription:
		return v.Attributes
	}
	return nil
}

func metadataOf(obj o211.Object) []o211.Metadata {
	switch v := obj.(type) {
	case *o211.Address:
		return v.Metadata
	case *o211.Schedule:
		return v.Metadata
	case *o211.Language:
		return v.Metadata
	case *o211.Accessibility:
		return v.Metadata
	case *o211.ServiceArea:
		return v.Metadata
	case *o211.CostOption:
		return v.Metadata
	case *o211.Funding:
		return v.Metadata
	case *o211.RequiredDocument:
		return v.Metadata
	case *o211.OrganizationIdentifier:
		return v.Metadata
	case *o211.MetaTableDescription:
		return v.Metadata
	}
	return nil
}
