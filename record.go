package o211

import (
	"encoding/json"
	"time"
)

// Kind names an HSDS table ("service", "location", ...). It is the name of
// the table's schema file in HSDS 3.0, singular.
type Kind string

// The HSDS tables that o211 stores.
const (
	KindOrganization           Kind = "organization"
	KindProgram                Kind = "program"
	KindService                Kind = "service"
	KindLocation               Kind = "location"
	KindServiceAtLocation      Kind = "service_at_location"
	KindAddress                Kind = "address"
	KindPhone                  Kind = "phone"
	KindSchedule               Kind = "schedule"
	KindLanguage               Kind = "language"
	KindContact                Kind = "contact"
	KindAccessibility          Kind = "accessibility"
	KindAttribute              Kind = "attribute"
	KindServiceArea            Kind = "service_area"
	KindCostOption             Kind = "cost_option"
	KindFunding                Kind = "funding"
	KindRequiredDocument       Kind = "required_document"
	KindOrganizationIdentifier Kind = "organization_identifier"
	KindTaxonomy               Kind = "taxonomy"
	KindTaxonomyTerm           Kind = "taxonomy_term"
	KindMetadata               Kind = "metadata"
	KindMetaTableDescription   Kind = "meta_table_description"
)

// KindInfo describes one HSDS table: its kind, the file name of its table
// in the tabular datapackage, and how to make an empty row of it.
type KindInfo struct {
	Kind Kind
	// Table is the CSV file name without ".csv" in an HSDS datapackage.
	Table string
	// New returns a pointer to a new zero row of the table.
	New func() Object
}

// kinds lists the tables in an order where every table comes after the
// tables its foreign keys point to (taxonomy before taxonomy_term,
// organization before service, ...), the order in which to import them.
var kinds = []KindInfo{
	{KindTaxonomy, "taxonomies", func() Object { return new(Taxonomy) }},
	{KindTaxonomyTerm, "taxonomy_terms", func() Object { return new(TaxonomyTerm) }},
	{KindOrganization, "organizations", func() Object { return new(Organization) }},
	{KindOrganizationIdentifier, "organization_identifiers", func() Object { return new(OrganizationIdentifier) }},
	{KindProgram, "programs", func() Object { return new(Program) }},
	{KindService, "services", func() Object { return new(Service) }},
	{KindLocation, "locations", func() Object { return new(Location) }},
	{KindServiceAtLocation, "service_at_location", func() Object { return new(ServiceAtLocation) }},
	{KindAddress, "addresses", func() Object { return new(Address) }},
	{KindContact, "contacts", func() Object { return new(ContactPerson) }},
	{KindPhone, "phones", func() Object { return new(Phone) }},
	{KindSchedule, "schedules", func() Object { return new(Schedule) }},
	{KindLanguage, "languages", func() Object { return new(Language) }},
	{KindAccessibility, "accessibility", func() Object { return new(Accessibility) }},
	{KindServiceArea, "service_areas", func() Object { return new(ServiceArea) }},
	{KindCostOption, "cost_options", func() Object { return new(CostOption) }},
	{KindFunding, "funding", func() Object { return new(Funding) }},
	{KindRequiredDocument, "required_documents", func() Object { return new(RequiredDocument) }},
	{KindAttribute, "attributes", func() Object { return new(Attribute) }},
	{KindMetadata, "metadata", func() Object { return new(Metadata) }},
	{KindMetaTableDescription, "meta_table_descriptions", func() Object { return new(MetaTableDescription) }},
}

// Kinds returns every HSDS table o211 stores, each after the tables it
// refers to.
func Kinds() []KindInfo { return append([]KindInfo(nil), kinds...) }

// LookupKind returns the table description of k, and false if o211 does not
// know the table.
func LookupKind(k Kind) (KindInfo, bool) {
	for _, ki := range kinds {
		if ki.Kind == k {
			return ki, true
		}
	}
	return KindInfo{}, false
}

// Shared reports whether k is a reference table that every region holds
// under the same ids (the 211 HSIS taxonomy and its terms): the hub keeps
// the first region's rows and takes the others' as the same, so no region
// owns them and a write of them is never another region's record.
func Shared(k Kind) bool { return k == KindTaxonomy || k == KindTaxonomyTerm }

// Ref is a foreign key of a row: the JSON field, the kind it points to and
// the id it holds ("" when unset).
type Ref struct {
	Field string
	Kind  Kind
	ID    string
}

// Object is one row of an HSDS table.
type Object interface {
	// ObjectKind returns the table of the row.
	ObjectKind() Kind
	// ObjectID returns the row's id.
	ObjectID() string
	// SetObjectID sets the row's id (used when a client leaves it out).
	SetObjectID(id string)
	// Refs returns the row's foreign keys, set or not, in a fixed order.
	Refs() []Ref
	// Flat returns a copy of the row without nested arrays and objects: the
	// form in which the row is stored and exported as CSV.
	Flat() Object
	// Validate returns an EINVALID *Error naming the first field that breaks
	// the HSDS schema, or nil.
	Validate() error
}

// Op is what a change does to a record.
type Op string

// The two operations on a record.
const (
	OpUpsert Op = "upsert"
	OpDelete Op = "delete"
)

// Record is a stored HSDS row with what o211 keeps around it: the region
// that owns it, its version (1 on creation, +1 on every change), when it
// last changed, the owning region's change sequence number of that change,
// and whether it is a deletion (a tombstone).
type Record struct {
	Kind     Kind            `json:"kind"`
	ID       string          `json:"id"`
	Region   string          `json:"region"`
	Version  uint64          `json:"version"`
	Modified time.Time       `json:"last_modified"`
	Seq      uint64          `json:"seq,omitempty"`
	Deleted  bool            `json:"deleted,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
}

// Decode returns the record's row as a typed Object.
func (r *Record) Decode() (Object, error) {
	newObj, ok := LookupRecordKind(r.Kind)
	if !ok {
		return nil, Errorf(EINVALID, "unknown record kind %q", r.Kind)
	}
	obj := newObj()
	if len(r.Data) > 0 {
		if err := json.Unmarshal(r.Data, obj); err != nil {
			return nil, Errorf(EINVALID, "%s %q: %v", r.Kind, r.ID, err)
		}
	}
	return obj, nil
}

// Change is a write to the directory: an upsert of Object, or the deletion
// of the row Kind/ID.
type Change struct {
	Op     Op
	Kind   Kind
	ID     string
	Object Object // nil for OpDelete
}

// Upsert returns the change that creates or replaces obj.
func Upsert(obj Object) Change {
	return Change{Op: OpUpsert, Kind: obj.ObjectKind(), ID: obj.ObjectID(), Object: obj}
}

// Delete returns the change that deletes the row kind/id.
func Delete(kind Kind, id string) Change { return Change{Op: OpDelete, Kind: kind, ID: id} }
