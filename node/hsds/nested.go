package hsds

import (
	"github.com/o211/o211"
)

// errs keeps the first error of a sequence of lookups.
type errs struct{ err error }

func (e *errs) add(err error) {
	if e.err == nil && err != nil {
		e.err = err
	}
}

// attributes returns the attributes linked to id, each with its taxonomy
// term nested.
func (e *errs) attributes(r Reader, id string) []o211.Attribute {
	attrs, err := children[o211.Attribute](r, o211.KindAttribute, "link_id", id)
	e.add(err)
	for i := range attrs {
		if attrs[i].TaxonomyTermID == "" {
			continue
		}
		rec, err := r.Get(o211.KindTaxonomyTerm, attrs[i].TaxonomyTermID)
		if err != nil {
			continue // a dangling term reference: HSDS allows it
		}
		attrs[i].TaxonomyTerm, err = termFromRecord(r, rec)
		e.add(err)
	}
	return attrs
}

func (e *errs) metadata(r Reader, id string) []o211.Metadata {
	m, err := children[o211.Metadata](r, o211.KindMetadata, "resource_id", id)
	e.add(err)
	return m
}

func (e *errs) phones(r Reader, field, id string) []o211.Phone {
	phones, err := children[o211.Phone](r, o211.KindPhone, field, id)
	e.add(err)
	for i := range phones {
		phones[i].Languages = e.languages(r, "phone_id", phones[i].ID)
		phones[i].Attributes = e.attributes(r, phones[i].ID)
	}
	return phones
}

func (e *errs) schedules(r Reader, field, id string) []o211.Schedule {
	return withAttrs(e, r, field, id, func(s *o211.Schedule) (string, *[]o211.Attribute) { return s.ID, &s.Attributes })
}

func (e *errs) languages(r Reader, field, id string) []o211.Language {
	return withAttrs(e, r, field, id, func(l *o211.Language) (string, *[]o211.Attribute) { return l.ID, &l.Attributes })
}

func (e *errs) funding(r Reader, field, id string) []o211.Funding {
	return withAttrs(e, r, field, id, func(f *o211.Funding) (string, *[]o211.Attribute) { return f.ID, &f.Attributes })
}

func (e *errs) contacts(r Reader, field, id string) []o211.ContactPerson {
	contacts, err := children[o211.ContactPerson](r, o211.KindContact, field, id)
	e.add(err)
	for i := range contacts {
		contacts[i].Phones = e.phones(r, "contact_id", contacts[i].ID)
		contacts[i].Attributes = e.attributes(r, contacts[i].ID)
	}
	return contacts
}

// withAttrs returns the rows of T whose field holds id, each with its
// attributes nested; at says where a row keeps its id and attributes.
func withAttrs[T any](e *errs, r Reader, field, id string, at func(*T) (string, *[]o211.Attribute)) []T {
	var zero T
	kind := any(&zero).(o211.Object).ObjectKind()
	rows, err := children[T](r, kind, field, id)
	e.add(err)
	for i := range rows {
		rowID, attrs := at(&rows[i])
		*attrs = e.attributes(r, rowID)
	}
	return rows
}
