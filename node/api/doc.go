// Package api is the HTTP surface of a regional node's directory, and the
// read side of the provincial hub: the Open Referral HSDS 3.0 API under
// /hsds, directory search at /api/v1/search, the write API for resource
// specialists and the import endpoint under /api/v1/ (credential needed),
// and the operational endpoints.
//
// They are route groups (HSDS, Search, Write, Ops), built by New from one
// Config of narrow interfaces (Viewer, Searcher, Writer, Importer), not
// from the store or the search index, and mounted on the process's one
// httpx.Server (the node mounts them all; the hub mounts HSDS and Search
// over the province). Without a Writer or Importer the write routes answer
// 501. Every error is an httpx.Problem (RFC 9457) whose status comes from
// the o211 error code (httpx's one table); internal errors are logged in
// full and shown as a plain sentence.
//
// Routes:
//
//	GET    /hsds/                           HSDS meta (version, profile, openapi_url)
//	GET    /hsds/services                   search page per_page format taxonomy_term_id taxonomy_id
//	                                        organization_id modified_after minimal full
//	GET    /hsds/services/{id}              the service in full
//	GET    /hsds/organizations              search full full_service page per_page format
//	GET    /hsds/organizations/{id}         full_service
//	GET    /hsds/service_at_locations       search taxonomy_term_id taxonomy_id organization_id
//	                                        modified_after full page per_page format postcode proximity
//	GET    /hsds/service_at_locations/{id}  the service_at_location in full
//	GET    /hsds/taxonomies                 search page per_page format
//	GET    /hsds/taxonomies/{id}
//	GET    /hsds/taxonomy_terms             search page per_page format taxonomy_id top_only parent_id
//	GET    /hsds/taxonomy_terms/{id}
//	GET    /api/v1/search                   q near radius_km taxonomy open_at open_now language age
//	                                        scope page per_page
//	POST   /api/v1/{table}                  create a row (token; 201, Location, ETag)
//	GET    /api/v1/{table}/{id}             the row with version and last_modified (token; ETag)
//	PUT    /api/v1/{table}/{id}             replace or create (token; If-Match)
//	DELETE /api/v1/{table}/{id}             delete (token; If-Match; 409 when in use)
//	POST   /api/v1/import                   format skip_invalid; the file as body (token)
//	       /api/v1/contacts, /api/v1/audit  211 contacts and their audit log (package node/contacts,
//	                                        a group of its own on the node's server)
//	GET    /healthz /readyz /metrics        liveness, readiness, Prometheus
//
// The tables are those of Tables(): the HSDS datapackage's, with
// service_at_location named service_at_locations and contact (HSDS contact
// people) named contact_persons.
package api
