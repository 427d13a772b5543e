package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/geo"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/params"
)

// MaxProximity is the largest proximity accepted, in metres.
const MaxProximity = 1_000_000

// salFilters are the filters of GET /hsds/service_at_locations.
type salFilters struct {
	search         string
	taxonomyTermID string
	taxonomyID     string
	organizationID string
	modifiedAfter  time.Time
	full           bool
	near           *geo.Point // the postcode's centroid
	proximity      float64    // metres; 0 for none
}

// parseSALFilters reads the filters of GET /hsds/service_at_locations.
func parseSALFilters(p *params.Reader) salFilters {
	f := salFilters{
		search:         p.Str("search", 500),
		taxonomyTermID: p.ID("taxonomy_term_id"),
		taxonomyID:     p.ID("taxonomy_id"),
		organizationID: p.ID("organization_id"),
		modifiedAfter:  p.Instant("modified_after"),
		full:           p.Bool("full", false),
	}
	if pc := p.Str("postcode", 16); pc != "" {
		if pt, reason := postcodePoint(pc); reason != "" {
			p.Fail("postcode", reason)
		} else {
			f.near = &pt
		}
	}
	if v, ok := p.Number("proximity", 0, MaxProximity); ok {
		if v <= 0 {
			p.Fail("proximity", "must be a distance in metres above 0")
		} else if p.Get("postcode") == "" {
			p.Fail("proximity", "needs a postcode to measure from")
		}
		f.proximity = v
	}
	return f
}

// postcodePoint returns the centroid of the FSA of a Canadian postal code
// or FSA, or the reason it cannot.
func postcodePoint(v string) (geo.Point, string) {
	compact := strings.ToUpper(strings.Join(strings.Fields(v), ""))
	if len(compact) == 6 {
		if _, err := geo.NormalizePostalCode(compact); err != nil {
			return geo.Point{}, "must be a Canadian postal code (M5T 2L9) or FSA (M5T), not \"" + v + "\""
		}
	}
	fsa := geo.FSAOf(compact)
	if fsa == "" || (len(compact) != 3 && len(compact) != 6) {
		return geo.Point{}, "must be a Canadian postal code (M5T 2L9) or FSA (M5T), not \"" + v + "\""
	}
	f, ok := geo.LookupFSA(fsa)
	if !ok {
		return geo.Point{}, fsa + " is not an Ontario forward sortation area"
	}
	return geo.Point{Lat: f.Lat, Lon: f.Lon}, ""
}

// listServiceAtLocations answers GET /hsds/service_at_locations: each
// service_at_location with its location and its service in list form, or
// in full with full=true. search and postcode go through the search index
// (nearest first when a postcode is given); proximity keeps those within
// that many metres of the postcode's centroid.
func (s *HSDS) listServiceAtLocations(w http.ResponseWriter, r *http.Request) {
	p := params.New(r)
	f := parseSALFilters(p)
	pg := pagingOf(p, DefaultPerPage, MaxPerPage)
	if err := p.Err(); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	var hits []serviceLocation
	searched := f.search != "" || f.near != nil
	if searched {
		q := o211.Query{Text: f.search, OrganizationID: f.organizationID, IncludeInactive: true}
		if f.near != nil {
			q.HasNear, q.Lat, q.Lon, q.RadiusKm = true, f.near.Lat, f.near.Lon, f.proximity/1000
		}
		var err error
		if hits, err = s.searchServiceLocations(r.Context(), q); err != nil {
			s.writeProblem(w, r, err)
			return
		}
	}
	s.serveList(w, r, pg, func(tx hsds.Tx) (*listing, error) {
		return f.listing(tx, searched, hits)
	})
}

// listing works out the service_at_locations to list.
func (f *salFilters) listing(tx hsds.Tx, searched bool, hits []serviceLocation) (*listing, error) {
	byTerm, byTaxonomy, err := taxonomyLinks(tx, f.taxonomyTermID, f.taxonomyID)
	if err != nil {
		return nil, err
	}
	var byOrg idSet
	if f.organizationID != "" {
		if byOrg, err = referrerIDs(tx, o211.KindService, "organization_id", f.organizationID); err != nil {
			return nil, err
		}
	}
	l := &listing{kind: o211.KindServiceAtLocation, render: f.render}
	switch {
	case searched:
		if l.ids, err = salsAt(tx, hits); err != nil {
			return nil, err
		}
	case byOrg != nil:
		if l.ids, err = salsOf(tx, byOrg); err != nil {
			return nil, err
		}
	}
	l.keep = func(tx hsds.Tx, rec *o211.Record) (bool, error) {
		obj, err := rec.Decode()
		if err != nil {
			return false, err
		}
		sal := obj.(*o211.ServiceAtLocation)
		linked := func(set idSet) bool { return set == nil || set[sal.ID] || set[sal.ServiceID] }
		if (byOrg != nil && !byOrg[sal.ServiceID]) || !linked(byTerm) || !linked(byTaxonomy) {
			return false, nil
		}
		if !f.modifiedAfter.IsZero() && !modifiedSince(rec, f.modifiedAfter) {
			svc, err := tx.Get(o211.KindService, sal.ServiceID)
			if err != nil || !modifiedSince(svc, f.modifiedAfter) {
				return false, nil
			}
		}
		if f.near != nil && f.proximity > 0 {
			return within(tx, sal.LocationID, *f.near, f.proximity)
		}
		return true, nil
	}
	return l, nil
}

// within reports whether the location has coordinates within metres of pt.
func within(tx hsds.Tx, locationID string, pt geo.Point, metres float64) (bool, error) {
	rec, err := tx.Get(o211.KindLocation, locationID)
	if o211.ErrorCode(err) == o211.ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	obj, err := rec.Decode()
	if err != nil {
		return false, err
	}
	loc := obj.(*o211.Location)
	if loc.Latitude == nil || loc.Longitude == nil {
		return false, nil
	}
	return geo.DistanceKm(pt.Lat, pt.Lon, *loc.Latitude, *loc.Longitude)*1000 <= metres, nil
}

// salsAt returns the ids of the service_at_locations of the search hits,
// in the hits' order.
func salsAt(tx hsds.Tx, hits []serviceLocation) ([]string, error) {
	bySvc := map[string][]*o211.ServiceAtLocation{}
	seen := idSet{}
	out := []string{} // not nil: nil would list every record
	for _, h := range hits {
		if h.sal != "" {
			if !seen[h.sal] {
				seen[h.sal] = true
				out = append(out, h.sal)
			}
			continue
		}
		sals, ok := bySvc[h.service]
		if !ok {
			recs, err := tx.Referrers(o211.KindServiceAtLocation, "service_id", h.service)
			if err != nil {
				return nil, err
			}
			for _, rec := range recs {
				obj, err := rec.Decode()
				if err != nil {
					return nil, err
				}
				sals = append(sals, obj.(*o211.ServiceAtLocation))
			}
			bySvc[h.service] = sals
		}
		for _, sal := range sals {
			if sal.LocationID == h.location && !seen[sal.ID] {
				seen[sal.ID] = true
				out = append(out, sal.ID)
			}
		}
	}
	return out, nil
}

// salsOf returns the ids of the service_at_locations of the services, in
// id order.
func salsOf(tx hsds.Tx, services idSet) ([]string, error) {
	all := idSet{}
	for svc := range services {
		ids, err := referrerIDs(tx, o211.KindServiceAtLocation, "service_id", svc)
		if err != nil {
			return nil, err
		}
		for id := range ids {
			all[id] = true
		}
	}
	return sortedIDs(all), nil
}

// render shows a service_at_location in list form or in full.
func (f *salFilters) render(tx hsds.Tx, rec *o211.Record) (any, error) {
	if f.full {
		return hsds.FullServiceAtLocation(tx, rec.ID)
	}
	obj, err := rec.Decode()
	if err != nil {
		return nil, err
	}
	sal := obj.(*o211.ServiceAtLocation)
	if loc, err := tx.Get(o211.KindLocation, sal.LocationID); err == nil {
		lobj, err := loc.Decode()
		if err != nil {
			return nil, err
		}
		sal.Location = lobj.(*o211.Location)
	}
	if svc, err := tx.Get(o211.KindService, sal.ServiceID); err == nil {
		if sal.Service, err = hsds.ServiceFromRecord(tx, svc); err != nil {
			return nil, err
		}
	}
	return sal, nil
}

// getServiceAtLocation answers GET /hsds/service_at_locations/{id}: the
// service_at_location in full, with its location and service.
func (s *HSDS) getServiceAtLocation(w http.ResponseWriter, r *http.Request) {
	s.serveOne(w, r, func(tx hsds.Tx, id string) (any, error) {
		return hsds.FullServiceAtLocation(tx, id)
	})
}
