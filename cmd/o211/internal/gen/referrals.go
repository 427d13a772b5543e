package gen

import (
	"math/rand/v2"

	"github.com/o211/o211"
	"github.com/o211/o211/node/geo"
	"github.com/o211/o211/node/taxonomy"
)

// ReferralIndex finds the services of a directory that meet a need in a
// region: its Pick is a ContactsConfig.Referrals.
type ReferralIndex struct {
	// byRegion maps a region and a taxonomy code to the services at
	// locations of the region whose codes are that code or under it.
	byRegion map[string]map[string][]o211.Referral
	sites    int
}

// NewReferralIndex indexes directory rows (as Generate emits them, or as an
// HSDS datapackage holds them, in any order): every service at a location
// whose address has a postal code of an Ontario FSA, under the region of
// that FSA and every service_type code of the service and the codes above
// them (from the second level down). Rows of other tables are ignored.
func NewReferralIndex(rows []o211.Object) *ReferralIndex {
	codeOf := map[string]string{}
	for _, t := range taxonomy.All() {
		codeOf[taxonomy.TermID(t.Code)] = t.Code
	}
	locRegion := map[string]string{}
	codes := map[string][]string{}
	var sals []*o211.ServiceAtLocation
	link := func(a *o211.Attribute, serviceID string) {
		if a.LinkType != "" && a.LinkType != "service_type" {
			return
		}
		if a.TaxonomyTerm != nil && a.TaxonomyTerm.Code != "" {
			codes[serviceID] = append(codes[serviceID], a.TaxonomyTerm.Code)
		} else if code := codeOf[a.TaxonomyTermID]; code != "" {
			codes[serviceID] = append(codes[serviceID], code)
		}
	}
	for _, obj := range rows {
		switch o := obj.(type) {
		case *o211.TaxonomyTerm:
			if o.Code != "" {
				codeOf[o.ID] = o.Code
			}
		case *o211.Address:
			if f, ok := geo.LookupFSA(geo.FSAOf(o.PostalCode)); ok && o.LocationID != "" {
				locRegion[o.LocationID] = f.Region
			}
		case *o211.Service:
			for i := range o.Attributes {
				link(&o.Attributes[i], o.ID)
			}
		case *o211.ServiceAtLocation:
			sals = append(sals, o)
		}
	}
	for _, obj := range rows {
		if a, ok := obj.(*o211.Attribute); ok && (a.LinkEntity == "" || a.LinkEntity == "service") {
			link(a, a.LinkID)
		}
	}
	x := &ReferralIndex{byRegion: map[string]map[string][]o211.Referral{}}
	for _, sal := range sals {
		region := locRegion[sal.LocationID]
		if region == "" || len(codes[sal.ServiceID]) == 0 {
			continue
		}
		m := x.byRegion[region]
		if m == nil {
			m = map[string][]o211.Referral{}
			x.byRegion[region] = m
		}
		ref := o211.Referral{ServiceID: sal.ServiceID, LocationID: sal.LocationID}
		seen := map[string]bool{}
		for _, code := range codes[sal.ServiceID] {
			parts := o211.SplitTaxonomyCode(code)
			if len(parts) == 0 {
				continue
			}
			for _, a := range o211.TaxonomyAncestors(parts[0])[1:] {
				if !seen[a] {
					seen[a] = true
					m[a] = append(m[a], ref)
				}
			}
		}
		x.sites++
	}
	return x
}

// Sites returns how many services at locations the index holds.
func (x *ReferralIndex) Sites() int { return x.sites }

// Pick returns a service at a location of the region that offers the code,
// or the nearest broader code that the region has services for (down to
// the second level: "BD-1800.2000-620", then "BD-1800.2000", "BD-1800",
// "BD"), drawn from r; false when there is none.
func (x *ReferralIndex) Pick(region, code string, r *rand.Rand) (o211.Referral, bool) {
	m := x.byRegion[region]
	anc := o211.TaxonomyAncestors(code)
	for i := len(anc) - 1; i >= 1; i-- {
		if refs := m[anc[i]]; len(refs) > 0 {
			return refs[r.IntN(len(refs))], true
		}
	}
	return o211.Referral{}, false
}
