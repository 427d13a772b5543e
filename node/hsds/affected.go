package hsds

import (
	"sort"

	"github.com/o211/o211"
)

// Changed names a record that changed.
type Changed struct {
	Kind o211.Kind
	ID   string
}

// AffectedServices returns the ids of the services whose nested form
// changes when the given records change (were created, updated or deleted),
// sorted. Deleted records are read as tombstones, which keep their last
// data, so that a deleted row still leads to its service.
func AffectedServices(r Reader, changed []Changed) ([]string, error) {
	a := &affected{r: r, services: map[string]bool{}, seen: map[Changed]bool{}}
	for _, c := range changed {
		if err := a.visit(c.Kind, c.ID); err != nil {
			return nil, err
		}
	}
	out := make([]string, 0, len(a.services))
	for id := range a.services {
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}

type affected struct {
	r        Reader
	services map[string]bool
	seen     map[Changed]bool
}

// visit follows a changed record up to the services it is part of.
func (a *affected) visit(kind o211.Kind, id string) error {
	if id == "" || a.seen[Changed{kind, id}] {
		return nil
	}
	a.seen[Changed{kind, id}] = true
	switch kind {
	case o211.KindService:
		a.services[id] = true
		return nil
	case o211.KindOrganization, o211.KindProgram, o211.KindLocation, o211.KindTaxonomyTerm, o211.KindTaxonomy:
		return a.referrers(kind, id)
	}
	rec, err := a.r.GetAny(kind, id)
	if err != nil || rec == nil {
		return err
	}
	obj, err := rec.Decode()
	if err != nil {
		return err
	}
	for _, ref := range obj.Refs() {
		if ref.ID == "" {
			continue
		}
		if ref.Kind == "" { // attribute.link_id, metadata.resource_id: any table
			for _, k := range []o211.Kind{o211.KindService, o211.KindServiceAtLocation, o211.KindLocation,
				o211.KindOrganization, o211.KindPhone, o211.KindSchedule, o211.KindContact} {
				if r, err := a.r.GetAny(k, ref.ID); err == nil && r != nil {
					if err := a.visit(k, ref.ID); err != nil {
						return err
					}
				}
			}
			continue
		}
		if err := a.visit(ref.Kind, ref.ID); err != nil {
			return err
		}
	}
	return nil
}

// referrerLinks lists, for each shared table, the rows that point at one of
// its records and lead further up to services.
var referrerLinks = map[o211.Kind]struct {
	kind  o211.Kind
	field string
}{
	o211.KindOrganization: {o211.KindService, "organization_id"},
	o211.KindProgram:      {o211.KindService, "program_id"},
	o211.KindLocation:     {o211.KindServiceAtLocation, "location_id"},
	o211.KindTaxonomyTerm: {o211.KindAttribute, "taxonomy_term_id"},
	o211.KindTaxonomy:     {o211.KindTaxonomyTerm, "taxonomy_id"},
}

// referrers visits what points at a shared record: the services of an
// organization or program, the service_at_locations of a location, the
// attributes of a taxonomy term, the terms of a taxonomy.
func (a *affected) referrers(kind o211.Kind, id string) error {
	l := referrerLinks[kind]
	recs, err := a.r.Referrers(l.kind, l.field, id)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if err := a.visit(l.kind, rec.ID); err != nil {
			return err
		}
	}
	return nil
}
