package o211

import "time"

// Search scopes: the node's own region, or the whole province.
const (
	ScopeRegion   = "region"
	ScopeProvince = "province"
)

// Query is a directory search as navigators and the public portal ask it
// (GET /api/v1/search). Every filter that is set must hold (AND).
type Query struct {
	// Text is free text in English or French.
	Text string
	// Near is the point distances are measured from; HasNear says it is set.
	HasNear bool
	Lat     float64
	Lon     float64
	// RadiusKm limits results to this distance from Near; 0 means no limit.
	RadiusKm float64
	// Taxonomy is a 211 HSIS code; a code matches itself and its
	// descendants ("BD-1800" matches "BD-1800.2000").
	Taxonomy string
	// OpenAt, when not zero, keeps only services open at that instant.
	OpenAt time.Time
	// Language keeps services offered in this language (code or name).
	Language string
	// Age keeps services whose age eligibility includes this age; nil for
	// no filter.
	Age *float64
	// Region keeps only records of this region ("" for all).
	Region string
	// OrganizationID keeps services of this organization.
	OrganizationID string
	// TaxonomyTermID keeps services linked to this HSDS taxonomy_term id
	// (the HSDS API's taxonomy_term_id parameter).
	TaxonomyTermID string
	// TaxonomyID keeps services with a term of this HSDS taxonomy (the HSDS
	// API's taxonomy_id parameter).
	TaxonomyID string
	// ModifiedAfter, when not zero, keeps records modified after this
	// instant (the HSDS API's modified_after parameter).
	ModifiedAfter time.Time
	// IncludeInactive also returns services whose status is inactive or
	// defunct; they are left out by default.
	IncludeInactive bool
	// Distinct returns one result per service (its best location) instead
	// of one per service at location; Total and Facets then count services.
	Distinct bool
	// Page is 1-based; PerPage defaults to 20 and is at most 200.
	Page    int
	PerPage int
}

// Results is one page of search results.
type Results struct {
	Total   int      `json:"total"`
	Page    int      `json:"page"`
	PerPage int      `json:"per_page"`
	Results []Result `json:"results"`
	// Facets counts the matching results per top-level taxonomy category.
	Facets Facets `json:"facets"`
}

// Facets are counts of the matching results, by dimension.
type Facets struct {
	Taxonomy []FacetCount `json:"taxonomy"`
}

// FacetCount is the number of matching results in one category.
type FacetCount struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	NameF string `json:"name_fr,omitempty"`
	Count int    `json:"count"`
}

// Result is one service at one location (or a service without a location).
type Result struct {
	ServiceID        string `json:"service_id"`
	ServiceName      string `json:"service_name"`
	OrganizationID   string `json:"organization_id,omitempty"`
	OrganizationName string `json:"organization_name"`
	LocationID       string `json:"location_id,omitempty"`
	// ServiceAtLocationID is the HSDS service_at_location of the result, if
	// any.
	ServiceAtLocationID string   `json:"service_at_location_id,omitempty"`
	LocationName        string   `json:"location_name,omitempty"`
	Address             string   `json:"address,omitempty"`
	DistanceKm          *float64 `json:"distance_km,omitempty"`
	Region              string   `json:"region"`
	Score               float64  `json:"score"`
	Language            string   `json:"record_language,omitempty"`
	Taxonomy            []string `json:"taxonomy,omitempty"`
	Phone               string   `json:"phone,omitempty"`
	OpenNow             *bool    `json:"open,omitempty"`
	// Hours are the result's opening hours as the search index compiled
	// them, for the portal's "today" without another read of the store;
	// nil when the searcher does not give them. Not sent by the JSON API.
	Hours Opening `json:"-"`
	// Status is the service's HSDS status when it is not active
	// ("temporarily closed"); "" for an active service.
	Status string `json:"status,omitempty"`
	// Closure says until when and why a temporarily closed service is
	// closed, while the closure holds.
	Closure *Closure `json:"closure,omitempty"`
}

// Opening is a result's opening hours, as a search index compiled them.
type Opening interface {
	// On returns the openings that start on the day of t in Toronto,
	// sorted and joined where they touch (an opening past midnight ends
	// with the day), and false when the record gives no hours at all. A
	// day without openings gives none and true: closed that day.
	On(t time.Time) ([]OpenSpan, bool)
}

// OpenSpan is one opening of a day in minutes after midnight: Close is
// after Open and at most 1440 (midnight at the end of the day).
type OpenSpan struct{ Open, Close int }
