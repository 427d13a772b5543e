package o211

// The Object methods of every HSDS row type. Limits on text are generous;
// they exist so that a bad file cannot fill the store with megabyte fields.
const (
	maxShort = 1 << 10  // names, numbers, codes
	maxLong  = 64 << 10 // descriptions
)

func (o *Organization) ObjectKind() Kind      { return KindOrganization }
func (o *Organization) ObjectID() string      { return o.ID }
func (o *Organization) SetObjectID(id string) { o.ID = id }
func (o *Organization) Refs() []Ref {
	return []Ref{{"parent_organization_id", KindOrganization, o.ParentOrganizationID}}
}
func (o *Organization) Flat() Object {
	c := *o
	c.Funding, c.Contacts, c.Phones, c.Locations, c.Programs = nil, nil, nil, nil, nil
	c.OrganizationIdentifiers, c.Attributes, c.Metadata, c.Services = nil, nil, nil, nil
	return &c
}
func (o *Organization) Validate() error {
	var c checker
	c.id(o.ID)
	c.required("name", o.Name)
	c.text("name", o.Name, maxShort)
	c.text("description", o.Description, maxLong)
	c.email("email", o.Email)
	c.uri("website", o.Website)
	c.uri("uri", o.URI)
	c.ref("parent_organization_id", o.ParentOrganizationID)
	return c.result()
}

func (p *Program) ObjectKind() Kind      { return KindProgram }
func (p *Program) ObjectID() string      { return p.ID }
func (p *Program) SetObjectID(id string) { p.ID = id }
func (p *Program) Refs() []Ref {
	return []Ref{{"organization_id", KindOrganization, p.OrganizationID}}
}
func (p *Program) Flat() Object { c := *p; c.Attributes, c.Metadata = nil, nil; return &c }
func (p *Program) Validate() error {
	var c checker
	c.id(p.ID)
	c.ref("organization_id", p.OrganizationID)
	c.required("name", p.Name)
	c.text("name", p.Name, maxShort)
	c.text("description", p.Description, maxLong)
	return c.result()
}

func (s *Service) ObjectKind() Kind      { return KindService }
func (s *Service) ObjectID() string      { return s.ID }
func (s *Service) SetObjectID(id string) { s.ID = id }
func (s *Service) Refs() []Ref {
	return []Ref{
		{"organization_id", KindOrganization, s.OrganizationID},
		{"program_id", KindProgram, s.ProgramID},
	}
}
func (s *Service) Flat() Object {
	c := *s
	c.Phones, c.Schedules, c.ServiceAreas, c.ServiceAtLocations, c.Languages = nil, nil, nil, nil, nil
	c.Organization, c.Funding, c.CostOptions, c.Program, c.RequiredDocuments = nil, nil, nil, nil, nil
	c.Contacts, c.Attributes, c.Metadata = nil, nil, nil
	return &c
}
func (s *Service) Validate() error {
	var c checker
	c.id(s.ID)
	c.ref("organization_id", s.OrganizationID)
	c.ref("program_id", s.ProgramID)
	c.required("name", s.Name)
	c.text("name", s.Name, maxShort)
	c.text("alternate_name", s.AlternateName, maxShort)
	c.text("description", s.Description, maxLong)
	c.required("status", s.Status)
	c.enum("status", s.Status, StatusActive, StatusInactive, StatusDefunct, StatusTemporarilyClosed)
	c.uri("url", s.URL)
	c.email("email", s.Email)
	c.email("assurer_email", s.AssurerEmail)
	c.between("minimum_age", s.MinimumAge, 0, 150)
	c.between("maximum_age", s.MaximumAge, 0, 150)
	if s.MinimumAge != nil && s.MaximumAge != nil && *s.MinimumAge > *s.MaximumAge {
		c.fail("minimum_age", "%v is above maximum_age %v", *s.MinimumAge, *s.MaximumAge)
	}
	c.date("assured_date", s.AssuredDate)
	c.dateTime("last_modified", s.LastModified)
	for _, f := range []struct{ name, v string }{
		{"interpretation_services", s.InterpretationServices}, {"application_process", s.ApplicationProcess},
		{"fees_description", s.FeesDescription}, {"eligibility_description", s.EligibilityDescription},
		{"alert", s.Alert}, {"wait_time", s.WaitTime}, {"fees", s.Fees}, {"accreditations", s.Accreditations},
		{"licenses", s.Licenses},
	} {
		c.text(f.name, f.v, maxLong)
	}
	return c.result()
}

func (l *Location) ObjectKind() Kind      { return KindLocation }
func (l *Location) ObjectID() string      { return l.ID }
func (l *Location) SetObjectID(id string) { l.ID = id }
func (l *Location) Refs() []Ref {
	return []Ref{{"organization_id", KindOrganization, l.OrganizationID}}
}
func (l *Location) Flat() Object {
	c := *l
	c.Languages, c.Addresses, c.Contacts, c.Accessibility = nil, nil, nil, nil
	c.Phones, c.Schedules, c.Attributes, c.Metadata = nil, nil, nil, nil
	return &c
}
func (l *Location) Validate() error {
	var c checker
	c.id(l.ID)
	c.ref("organization_id", l.OrganizationID)
	c.required("location_type", l.LocationType)
	c.enum("location_type", l.LocationType, LocationPhysical, LocationPostal, LocationVirtual)
	c.uri("url", l.URL)
	c.text("name", l.Name, maxShort)
	c.text("description", l.Description, maxLong)
	c.between("latitude", l.Latitude, -90, 90)
	c.between("longitude", l.Longitude, -180, 180)
	if (l.Latitude == nil) != (l.Longitude == nil) {
		c.fail("latitude", "latitude and longitude must be given together")
	}
	return c.result()
}

func (s *ServiceAtLocation) ObjectKind() Kind      { return KindServiceAtLocation }
func (s *ServiceAtLocation) ObjectID() string      { return s.ID }
func (s *ServiceAtLocation) SetObjectID(id string) { s.ID = id }
func (s *ServiceAtLocation) Refs() []Ref {
	return []Ref{
		{"service_id", KindService, s.ServiceID},
		{"location_id", KindLocation, s.LocationID},
	}
}
func (s *ServiceAtLocation) Flat() Object {
	c := *s
	c.Contacts, c.Phones, c.Schedules, c.Location, c.Service, c.Attributes, c.Metadata = nil, nil, nil, nil, nil, nil, nil
	return &c
}
func (s *ServiceAtLocation) Validate() error {
	var c checker
	c.id(s.ID)
	c.required("service_id", s.ServiceID)
	c.ref("service_id", s.ServiceID)
	c.required("location_id", s.LocationID)
	c.ref("location_id", s.LocationID)
	c.text("description", s.Description, maxLong)
	return c.result()
}

func (a *Address) ObjectKind() Kind      { return KindAddress }
func (a *Address) ObjectID() string      { return a.ID }
func (a *Address) SetObjectID(id string) { a.ID = id }
func (a *Address) Refs() []Ref {
	return []Ref{{"location_id", KindLocation, a.LocationID}}
}
func (a *Address) Flat() Object { c := *a; c.Attributes, c.Metadata = nil, nil; return &c }
func (a *Address) Validate() error {
	var c checker
	c.id(a.ID)
	c.ref("location_id", a.LocationID)
	c.required("address_1", a.Address1)
	c.required("city", a.City)
	c.required("state_province", a.StateProvince)
	c.required("postal_code", a.PostalCode)
	c.required("country", a.Country)
	c.required("address_type", a.AddressType)
	c.enum("address_type", a.AddressType, LocationPhysical, LocationPostal, LocationVirtual)
	for _, f := range []struct{ name, v string }{{"address_1", a.Address1}, {"address_2", a.Address2},
		{"city", a.City}, {"region", a.Region}, {"postal_code", a.PostalCode}, {"country", a.Country}} {
		c.text(f.name, f.v, maxShort)
	}
	return c.result()
}

func (p *Phone) ObjectKind() Kind      { return KindPhone }
func (p *Phone) ObjectID() string      { return p.ID }
func (p *Phone) SetObjectID(id string) { p.ID = id }
func (p *Phone) Refs() []Ref {
	return []Ref{
		{"location_id", KindLocation, p.LocationID},
		{"service_id", KindService, p.ServiceID},
		{"organization_id", KindOrganization, p.OrganizationID},
		{"contact_id", KindContact, p.ContactID},
		{"service_at_location_id", KindServiceAtLocation, p.ServiceAtLocationID},
	}
}
func (p *Phone) Flat() Object {
	c := *p
	c.Languages, c.Attributes, c.Metadata = nil, nil, nil
	return &c
}
func (p *Phone) Validate() error {
	var c checker
	c.id(p.ID)
	for _, r := range p.Refs() {
		c.ref(r.Field, r.ID)
	}
	c.required("number", p.Number)
	c.text("number", p.Number, maxShort)
	c.nonNegative("extension", p.Extension)
	c.text("description", p.Description, maxLong)
	return c.result()
}

func (s *Schedule) ObjectKind() Kind      { return KindSchedule }
func (s *Schedule) ObjectID() string      { return s.ID }
func (s *Schedule) SetObjectID(id string) { s.ID = id }
func (s *Schedule) Refs() []Ref {
	return []Ref{
		{"service_id", KindService, s.ServiceID},
		{"location_id", KindLocation, s.LocationID},
		{"service_at_location_id", KindServiceAtLocation, s.ServiceAtLocationID},
	}
}
func (s *Schedule) Flat() Object { c := *s; c.Attributes, c.Metadata = nil, nil; return &c }
func (s *Schedule) Validate() error {
	var c checker
	c.id(s.ID)
	for _, r := range s.Refs() {
		c.ref(r.Field, r.ID)
	}
	c.date("valid_from", s.ValidFrom)
	c.date("valid_to", s.ValidTo)
	c.enum("freq", s.Freq, "WEEKLY", "MONTHLY")
	c.enum("wkst", s.Wkst, "MO", "TU", "WE", "TH", "FR", "SA", "SU")
	c.byday("byday", s.ByDay)
	c.clock("opens_at", s.OpensAt)
	c.clock("closes_at", s.ClosesAt)
	c.between("timezone", s.Timezone, -14, 14)
	c.nonNegative("count", s.Count)
	c.nonNegative("interval", s.Interval)
	c.text("description", s.Description, maxLong)
	return c.result()
}

func (l *Language) ObjectKind() Kind      { return KindLanguage }
func (l *Language) ObjectID() string      { return l.ID }
func (l *Language) SetObjectID(id string) { l.ID = id }
func (l *Language) Refs() []Ref {
	return []Ref{
		{"service_id", KindService, l.ServiceID},
		{"location_id", KindLocation, l.LocationID},
		{"phone_id", KindPhone, l.PhoneID},
	}
}
func (l *Language) Flat() Object { c := *l; c.Attributes, c.Metadata = nil, nil; return &c }
func (l *Language) Validate() error {
	var c checker
	c.id(l.ID)
	for _, r := range l.Refs() {
		c.ref(r.Field, r.ID)
	}
	if l.Name == "" && l.Code == "" {
		c.fail("name", "a language needs a name or a code")
	}
	c.text("name", l.Name, maxShort)
	c.text("code", l.Code, 32)
	return c.result()
}

func (p *ContactPerson) ObjectKind() Kind      { return KindContact }
func (p *ContactPerson) ObjectID() string      { return p.ID }
func (p *ContactPerson) SetObjectID(id string) { p.ID = id }
func (p *ContactPerson) Refs() []Ref {
	return []Ref{
		{"organization_id", KindOrganization, p.OrganizationID},
		{"service_id", KindService, p.ServiceID},
		{"service_at_location_id", KindServiceAtLocation, p.ServiceAtLocationID},
		{"location_id", KindLocation, p.LocationID},
	}
}
func (p *ContactPerson) Flat() Object {
	c := *p
	c.Phones, c.Attributes, c.Metadata = nil, nil, nil
	return &c
}
func (p *ContactPerson) Validate() error {
	var c checker
	c.id(p.ID)
	for _, r := range p.Refs() {
		c.ref(r.Field, r.ID)
	}
	c.email("email", p.Email)
	c.text("name", p.Name, maxShort)
	return c.result()
}

func (a *Accessibility) ObjectKind() Kind      { return KindAccessibility }
func (a *Accessibility) ObjectID() string      { return a.ID }
func (a *Accessibility) SetObjectID(id string) { a.ID = id }
func (a *Accessibility) Refs() []Ref {
	return []Ref{{"location_id", KindLocation, a.LocationID}}
}
func (a *Accessibility) Flat() Object { c := *a; c.Attributes, c.Metadata = nil, nil; return &c }
func (a *Accessibility) Validate() error {
	var c checker
	c.id(a.ID)
	c.ref("location_id", a.LocationID)
	c.uri("url", a.URL)
	c.text("description", a.Description, maxLong)
	return c.result()
}

func (a *Attribute) ObjectKind() Kind      { return KindAttribute }
func (a *Attribute) ObjectID() string      { return a.ID }
func (a *Attribute) SetObjectID(id string) { a.ID = id }

// Refs of an attribute include link_id with an empty Kind: the table it
// points to is named by link_entity, which is free text in HSDS.
func (a *Attribute) Refs() []Ref {
	return []Ref{
		{"link_id", "", a.LinkID},
		{"taxonomy_term_id", KindTaxonomyTerm, a.TaxonomyTermID},
	}
}
func (a *Attribute) Flat() Object { c := *a; c.TaxonomyTerm, c.Metadata = nil, nil; return &c }
func (a *Attribute) Validate() error {
	var c checker
	c.id(a.ID)
	c.ref("link_id", a.LinkID)
	c.ref("taxonomy_term_id", a.TaxonomyTermID)
	c.text("value", a.Value, maxLong)
	return c.result()
}

func (s *ServiceArea) ObjectKind() Kind      { return KindServiceArea }
func (s *ServiceArea) ObjectID() string      { return s.ID }
func (s *ServiceArea) SetObjectID(id string) { s.ID = id }
func (s *ServiceArea) Refs() []Ref {
	return []Ref{{"service_id", KindService, s.ServiceID}}
}
func (s *ServiceArea) Flat() Object { c := *s; c.Attributes, c.Metadata = nil, nil; return &c }
func (s *ServiceArea) Validate() error {
	var c checker
	c.id(s.ID)
	c.ref("service_id", s.ServiceID)
	c.text("name", s.Name, maxShort)
	c.text("extent", s.Extent, maxLong)
	return c.result()
}

func (o *CostOption) ObjectKind() Kind      { return KindCostOption }
func (o *CostOption) ObjectID() string      { return o.ID }
func (o *CostOption) SetObjectID(id string) { o.ID = id }
func (o *CostOption) Refs() []Ref {
	return []Ref{{"service_id", KindService, o.ServiceID}}
}
func (o *CostOption) Flat() Object { c := *o; c.Attributes, c.Metadata = nil, nil; return &c }
func (o *CostOption) Validate() error {
	var c checker
	c.id(o.ID)
	c.ref("service_id", o.ServiceID)
	c.date("valid_from", o.ValidFrom)
	c.date("valid_to", o.ValidTo)
	c.nonNegative("amount", o.Amount)
	return c.result()
}

func (f *Funding) ObjectKind() Kind      { return KindFunding }
func (f *Funding) ObjectID() string      { return f.ID }
func (f *Funding) SetObjectID(id string) { f.ID = id }
func (f *Funding) Refs() []Ref {
	return []Ref{
		{"organization_id", KindOrganization, f.OrganizationID},
		{"service_id", KindService, f.ServiceID},
	}
}
func (f *Funding) Flat() Object { c := *f; c.Attributes, c.Metadata = nil, nil; return &c }
func (f *Funding) Validate() error {
	var c checker
	c.id(f.ID)
	c.ref("organization_id", f.OrganizationID)
	c.ref("service_id", f.ServiceID)
	c.text("source", f.Source, maxLong)
	return c.result()
}

func (d *RequiredDocument) ObjectKind() Kind      { return KindRequiredDocument }
func (d *RequiredDocument) ObjectID() string      { return d.ID }
func (d *RequiredDocument) SetObjectID(id string) { d.ID = id }
func (d *RequiredDocument) Refs() []Ref {
	return []Ref{{"service_id", KindService, d.ServiceID}}
}
func (d *RequiredDocument) Flat() Object { c := *d; c.Attributes, c.Metadata = nil, nil; return &c }
func (d *RequiredDocument) Validate() error {
	var c checker
	c.id(d.ID)
	c.ref("service_id", d.ServiceID)
	c.uri("uri", d.URI)
	c.text("document", d.Document, maxLong)
	return c.result()
}

func (i *OrganizationIdentifier) ObjectKind() Kind      { return KindOrganizationIdentifier }
func (i *OrganizationIdentifier) ObjectID() string      { return i.ID }
func (i *OrganizationIdentifier) SetObjectID(id string) { i.ID = id }
func (i *OrganizationIdentifier) Refs() []Ref {
	return []Ref{{"organization_id", KindOrganization, i.OrganizationID}}
}
func (i *OrganizationIdentifier) Flat() Object {
	c := *i
	c.Attributes, c.Metadata = nil, nil
	return &c
}
func (i *OrganizationIdentifier) Validate() error {
	var c checker
	c.id(i.ID)
	c.ref("organization_id", i.OrganizationID)
	c.required("identifier_type", i.IdentifierType)
	c.required("identifier", i.Identifier)
	c.text("identifier", i.Identifier, maxShort)
	return c.result()
}

func (t *Taxonomy) ObjectKind() Kind      { return KindTaxonomy }
func (t *Taxonomy) ObjectID() string      { return t.ID }
func (t *Taxonomy) SetObjectID(id string) { t.ID = id }
func (t *Taxonomy) Refs() []Ref           { return nil }
func (t *Taxonomy) Flat() Object          { c := *t; c.Metadata = nil; return &c }
func (t *Taxonomy) Validate() error {
	var c checker
	c.id(t.ID)
	c.required("name", t.Name)
	c.text("name", t.Name, maxShort)
	c.uri("uri", t.URI)
	return c.result()
}

func (t *TaxonomyTerm) ObjectKind() Kind      { return KindTaxonomyTerm }
func (t *TaxonomyTerm) ObjectID() string      { return t.ID }
func (t *TaxonomyTerm) SetObjectID(id string) { t.ID = id }
func (t *TaxonomyTerm) Refs() []Ref {
	return []Ref{
		{"parent_id", KindTaxonomyTerm, t.ParentID},
		{"taxonomy_id", KindTaxonomy, t.TaxonomyID},
	}
}
func (t *TaxonomyTerm) Flat() Object { c := *t; c.TaxonomyDetail, c.Metadata = nil, nil; return &c }
func (t *TaxonomyTerm) Validate() error {
	var c checker
	c.id(t.ID)
	c.ref("parent_id", t.ParentID)
	c.ref("taxonomy_id", t.TaxonomyID)
	c.required("name", t.Name)
	c.text("name", t.Name, maxShort)
	c.text("code", t.Code, maxShort)
	c.uri("term_uri", t.TermURI)
	return c.result()
}

func (m *Metadata) ObjectKind() Kind      { return KindMetadata }
func (m *Metadata) ObjectID() string      { return m.ID }
func (m *Metadata) SetObjectID(id string) { m.ID = id }

// Refs of a metadata row include resource_id with an empty Kind: the table
// it points to is named by resource_type.
func (m *Metadata) Refs() []Ref {
	return []Ref{{"resource_id", "", m.ResourceID}}
}
func (m *Metadata) Flat() Object { c := *m; return &c }
func (m *Metadata) Validate() error {
	var c checker
	c.id(m.ID)
	c.ref("resource_id", m.ResourceID)
	c.required("last_action_date", m.LastActionDate)
	c.required("last_action_type", m.LastActionType)
	c.required("field_name", m.FieldName)
	c.required("updated_by", m.UpdatedBy)
	return c.result()
}

func (m *MetaTableDescription) ObjectKind() Kind      { return KindMetaTableDescription }
func (m *MetaTableDescription) ObjectID() string      { return m.ID }
func (m *MetaTableDescription) SetObjectID(id string) { m.ID = id }
func (m *MetaTableDescription) Refs() []Ref           { return nil }
func (m *MetaTableDescription) Flat() Object {
	c := *m
	c.Attributes, c.Metadata = nil, nil
	return &c
}
func (m *MetaTableDescription) Validate() error {
	var c checker
	c.id(m.ID)
	c.text("name", m.Name, maxShort)
	return c.result()
}
