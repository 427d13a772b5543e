package importer

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/o211/o211"
)

// 211 Ontario's flat export: one row per program (HSDS service) at a site
// (HSDS location) of an organization. The mapping:
//
//   - id_organization, agency_name, desc_agency -> organization, with an
//     organization_identifier (scheme "211ontario", type "id_organization");
//   - id_program, program_name, desc_program, email, website, how_to_apply,
//     eligibilty (sic; "eligibility" is read too), fees, last_verified_date
//     -> service (status active; last_verified_date becomes assured_date);
//     funding_source -> funding; languages_of_service -> languages;
//     coverage_cioc -> service_areas; tax_code and tax_name -> attributes
//     linking the service to taxonomy_terms (see ontario_taxonomy.go);
//   - id_site, site_* -> location (external_identifier = id_site) with an
//     address and its coordinates; physical_access -> accessibility;
//   - the row itself -> service_at_location, which carries the row's phones
//     (phone_office, phone_tollfree, phone_tty, fax) and schedules (hours),
//     since both may differ from one site of a program to another;
//   - id_program, id_cioc and record_language have no HSDS field: they are
//     kept as attributes with a value, whose terms belong to the taxonomy
//     "211 Ontario export fields" (SourceTaxonomyID).
//
// Ids are UUIDs derived from the importing region and the export's ids
// (NameID), so a re-import finds the same records and two regions never
// share an id. A program, site or agency on several rows is one record;
// when its fields differ from one row to another, the first row's are kept,
// with a warning. Taxonomy terms take the ids of package taxonomy, shared
// by every o211 directory. Free text is made plain (PlainText). Malformed
// numbers and dates reject the row; a malformed e-mail address or web site
// is left out with a warning, since the rest of the record is still worth
// having.
//
// An address lacking its city or postal code, which o211 requires of an
// HSDS address, is kept as the location's description, with a warning;
// site_county becomes the address's region. pubcode_cioc, heading_cioc,
// category (211 Ontario's own publication codes and headings) and
// record_owner have no place in HSDS and are not imported.

// The export's columns.
var ontarioColumns = []string{"id_program", "id_site", "id_organization", "program_name", "agency_name", "site_name",
	"site_address", "site_city", "site_county", "site_province", "site_country", "site_postalcode", "site_latitude",
	"site_longitude", "id_cioc", "pubcode_cioc", "heading_cioc", "category", "tax_code", "tax_name", "physical_access",
	"desc_program", "desc_agency", "email", "how_to_apply", "eligibilty", "fees", "funding_source", "hours",
	"languages_of_service", "website", "coverage_cioc", "phone_office", "phone_tollfree", "phone_tty", "fax",
	"last_verified_date", "record_owner", "record_language"}

var ontarioAliases = map[string]string{"eligibility": "eligibilty"}

// Which input column each HSDS field of a kind comes from, to name it in
// problems.
var ontarioFields = map[o211.Kind]map[string]string{
	o211.KindOrganization: {"name": "agency_name", "description": "desc_agency", "id": "id_organization"},
	o211.KindOrganizationIdentifier: {"identifier": "id_organization", "organization_id": "id_organization",
		"id": "id_organization"},
	o211.KindService: {"name": "program_name", "description": "desc_program", "email": "email", "url": "website",
		"application_process": "how_to_apply", "eligibility_description": "eligibilty", "fees_description": "fees",
		"assured_date": "last_verified_date", "organization_id": "id_organization", "id": "id_program"},
	o211.KindLocation: {"name": "site_name", "latitude": "site_latitude", "longitude": "site_longitude",
		"organization_id": "id_organization", "external_identifier": "id_site", "id": "id_site"},
	o211.KindAddress: {"address_1": "site_address", "address_2": "site_address", "city": "site_city",
		"region": "site_county", "state_province": "site_province", "postal_code": "site_postalcode",
		"country": "site_country", "location_id": "id_site"},
	o211.KindServiceAtLocation: {"service_id": "id_program", "location_id": "id_site"},
}

// ontario reads one export file.
type ontario struct {
	b      *Batch
	file   string
	region string
	col    map[string]int
	terms  *termSet
	fields map[string]bool // the source-field terms used
}

func (b *Batch) parseOntario(name string, r io.Reader, size int64, region string, progress func(done, total int)) error {
	cr := &countingReader{r: newRowLimiter(r, name)}
	rd := csv.NewReader(cr)
	rd.FieldsPerRecord = -1
	header, err := rd.Read()
	if err == io.EOF {
		b.problem(Source{File: name}, "", "the file is empty")
		return nil
	} else if err != nil {
		return b.csvError(name, err)
	}
	b.firstWins = true
	o := &ontario{b: b, file: name, region: region, col: map[string]int{}, terms: newTermSet(), fields: map[string]bool{}}
	if !o.readHeader(header) {
		return nil
	}
	for n := 1; ; n++ {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		} else if err != nil {
			if err := b.csvError(name, err); err != nil {
				return err
			}
			continue
		}
		line, _ := rd.FieldPos(0)
		if len(rec) != len(header) {
			b.problem(Source{File: name, Line: line}, "", fmt.Sprintf("the row has %d fields; the header has %d", len(rec), len(header)))
			continue
		}
		o.row(rec, line)
		if progress != nil && n%1024 == 0 {
			progress(int(cr.n), int(max(size, cr.n)))
		}
	}
	o.finish()
	if progress != nil {
		progress(int(cr.n), int(max(size, cr.n)))
	}
	return nil
}

// readHeader maps the columns; it reports false (with a problem) when an
// id column is missing.
func (o *ontario) readHeader(header []string) bool {
	known := map[string]bool{}
	for _, c := range ontarioColumns {
		known[c] = true
	}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if a, ok := ontarioAliases[h]; ok {
			h = a
		}
		if !known[h] {
			o.b.warn(Source{File: o.file, Line: 1}, h, "not a column of the 211 Ontario export; ignored")
			continue
		}
		o.col[h] = i
	}
	ok := true
	for _, c := range []string{"id_program", "id_site", "id_organization"} {
		if _, has := o.col[c]; !has {
			o.b.problem(Source{File: o.file, Line: 1}, c, "the header has no such column; nothing can be imported")
			ok = false
		}
	}
	return ok
}

// orow is one row being read.
type orow struct {
	o    *ontario
	rec  []string
	line int
	bad  bool
	// the records' ids and names in problems
	prog, site, org            string
	orgID, svcID, locID, salID string
}

func (r *orow) get(col string) string {
	if i, ok := r.o.col[col]; ok {
		return strings.TrimSpace(strings.ReplaceAll(r.rec[i], "''", "'"))
	}
	return ""
}

// text returns a column as plain text.
func (r *orow) text(col string) string { return PlainText(r.get(col)) }

// fail records a problem that rejects the whole row.
func (r *orow) fail(col, reason string) {
	r.o.b.problem(Source{File: r.o.file, Line: r.line}, col, reason)
	r.bad = true
}

func (r *orow) src(kind o211.Kind, record string) Source {
	return Source{File: r.o.file, Line: r.line, Record: record, Columns: ontarioFields[kind]}
}

func (r *orow) add(obj o211.Object, record string) { r.o.b.add(obj, r.src(obj.ObjectKind(), record)) }

// addFrom adds a row that comes from one column as a whole.
func (r *orow) addFrom(obj o211.Object, record, col string) {
	s := r.src(obj.ObjectKind(), record)
	s.Column = col
	r.o.b.add(obj, s)
}

func (r *orow) id(kind o211.Kind, parts ...string) string {
	return NameID(append([]string{r.o.region, string(kind)}, parts...)...)
}

// row reads one program at one site.
func (o *ontario) row(rec []string, line int) {
	r := &orow{o: o, rec: rec, line: line}
	r.prog, r.site, r.org = r.get("id_program"), r.get("id_site"), r.get("id_organization")
	for _, c := range []struct{ col, v string }{{"id_program", r.prog}, {"id_site", r.site}, {"id_organization", r.org}} {
		if c.v == "" {
			r.fail(c.col, "is required")
		}
	}
	lat, lon := r.coordinate("site_latitude"), r.coordinate("site_longitude")
	assured := r.date("last_verified_date")
	if r.bad {
		return
	}
	r.orgID = r.id(o211.KindOrganization, r.org)
	r.svcID = r.id(o211.KindService, r.prog)
	r.locID = r.id(o211.KindLocation, r.site)
	r.salID = r.id(o211.KindServiceAtLocation, r.prog, r.site)
	r.organization()
	r.service(assured)
	r.location(lat, lon)
	sal := &o211.ServiceAtLocation{ID: r.salID, ServiceID: r.svcID, LocationID: r.locID}
	r.add(sal, r.salRecord())
	if v := r.get("id_cioc"); v != "" {
		r.sourceField(o211.KindServiceAtLocation, r.salID, r.salRecord(), "id_cioc", v, r.prog, r.site)
	}
	r.phones()
	for i, s := range Hours(r.get("hours")) {
		s.ID = r.id(o211.KindSchedule, r.prog, r.site, strconv.Itoa(i))
		s.ServiceAtLocationID = r.salID
		r.addFrom(&s, r.salRecord(), "hours")
	}
}

func (r *orow) progRecord() string { return "program " + r.prog }
func (r *orow) salRecord() string  { return "program " + r.prog + " at site " + r.site }

// coordinate reads a latitude or longitude; empty is nil.
func (r *orow) coordinate(col string) *float64 {
	v := r.get(col)
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		r.fail(col, fmt.Sprintf("%q is not a number", v))
		return nil
	}
	return &f
}

// date reads a date such as "Feb 7 2017" as YYYY-MM-DD.
func (r *orow) date(col string) string {
	v := r.get(col)
	if v == "" {
		return ""
	}
	d, ok := parseDate(v)
	if !ok {
		r.fail(col, fmt.Sprintf("%q is not a date like \"Feb 7 2017\"", v))
	}
	return d
}

func (r *orow) organization() {
	rec := "organization " + r.org
	r.add(&o211.Organization{ID: r.orgID, Name: r.get("agency_name"), Description: r.text("desc_agency")}, rec)
	r.add(&o211.OrganizationIdentifier{ID: r.id(o211.KindOrganizationIdentifier, r.org), OrganizationID: r.orgID,
		IdentifierScheme: "211ontario", IdentifierType: "id_organization", Identifier: r.org}, rec)
}

func (r *orow) service(assured string) {
	rec := r.progRecord()
	svc := &o211.Service{ID: r.svcID, OrganizationID: r.orgID, Name: r.get("program_name"),
		Description: r.text("desc_program"), Status: o211.StatusActive, ApplicationProcess: r.text("how_to_apply"),
		EligibilityDescription: r.text("eligibilty"), FeesDescription: r.text("fees"), AssuredDate: assured}
	svc.Email = r.email()
	svc.URL = r.website()
	r.add(svc, rec)
	r.sourceField(o211.KindService, r.svcID, rec, "id_program", r.prog, r.prog)
	if v := strings.ToLower(r.get("record_language")); v != "" {
		r.sourceField(o211.KindService, r.svcID, rec, "record_language", v, r.prog)
	}
	if v := r.text("funding_source"); v != "" {
		r.addFrom(&o211.Funding{ID: r.id(o211.KindFunding, r.prog), ServiceID: r.svcID, Source: v}, rec, "funding_source")
	}
	for _, l := range Languages(r.get("languages_of_service")) {
		l.ID = r.id(o211.KindLanguage, r.prog, strings.ToLower(l.Name))
		l.ServiceID = r.svcID
		r.addFrom(&l, rec, "languages_of_service")
	}
	for _, a := range coverage(r.get("coverage_cioc")) {
		r.addFrom(&o211.ServiceArea{ID: r.id(o211.KindServiceArea, r.prog, a.source), ServiceID: r.svcID, Name: a.name},
			rec, "coverage_cioc")
	}
	r.taxonomy(rec)
}

func (r *orow) location(lat, lon *float64) {
	rec := "site " + r.site
	if lat != nil && lon != nil && *lat == 0 && *lon == 0 {
		lat, lon = nil, nil // 0,0 stands for "not geocoded"
	}
	loc := &o211.Location{ID: r.locID, LocationType: o211.LocationPhysical, OrganizationID: r.orgID,
		Name: r.get("site_name"), Latitude: lat, Longitude: lon,
		ExternalIdentifier: r.site, ExternalIdentifierType: "211ontario id_site"}
	if street := r.get("site_address"); street != "" {
		a := &o211.Address{ID: r.id(o211.KindAddress, r.site), LocationID: r.locID, City: r.get("site_city"),
			Region: r.get("site_county"), StateProvince: r.get("site_province"), PostalCode: r.get("site_postalcode"),
			Country: countryCode(r.get("site_country")), AddressType: o211.LocationPhysical}
		a.Address1, a.Address2 = splitStreet(street)
		if a.StateProvince == "" {
			a.StateProvince = "ON" // 211 Ontario's sites are in Ontario
		}
		if missing := missingAddressColumn(a); missing != "" {
			// o211 wants every part of an address; rather than lose the
			// site, keep the address as text until the record is fixed.
			loc.Description = joinNonEmpty(", ", street, a.City)
			r.o.b.warn(Source{File: r.o.file, Line: r.line, Record: rec}, missing,
				"is empty, so the address is kept as the location's description, not as an HSDS address")
		} else {
			r.add(a, rec)
		}
	}
	r.add(loc, rec)
	if v := r.text("physical_access"); v != "" {
		r.addFrom(&o211.Accessibility{ID: r.id(o211.KindAccessibility, r.site), LocationID: r.locID, Description: v},
			rec, "physical_access")
	}
}

// phones reads the four phone columns into phones of the
// service_at_location.
func (r *orow) phones() {
	for _, pc := range phoneColumns {
		text := r.get(pc.col)
		if text == "" {
			continue
		}
		phones, dropped := Phones(text)
		for _, d := range dropped {
			r.o.b.warn(Source{File: r.o.file, Line: r.line, Record: r.salRecord()}, pc.col,
				fmt.Sprintf("%q holds no phone number; left out", d))
		}
		for i, p := range phones {
			p.ID = r.id(o211.KindPhone, r.prog, r.site, pc.col, strconv.Itoa(i))
			p.ServiceAtLocationID = r.salID
			if p.Type == "" || p.Type == "voice" {
				p.Type = pc.typ
			}
			p.Description = joinNonEmpty(" ", pc.desc, p.Description)
			r.addFrom(&p, r.salRecord(), pc.col)
		}
	}
}

var phoneColumns = []struct{ col, typ, desc string }{
	{"phone_office", "voice", ""},
	{"phone_tollfree", "voice", "Toll-free"},
	{"phone_tty", "textphone", "TTY"},
	{"fax", "fax", "Fax"},
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// email returns the service's e-mail address, or "" with a warning when
// the column holds none that is valid.
func (r *orow) email() string {
	v := r.get("email")
	if v == "" {
		return ""
	}
	e, ok := normalizeEmail(v)
	if !ok {
		r.o.b.warn(Source{File: r.o.file, Line: r.line, Record: r.progRecord()}, "email",
			fmt.Sprintf("%q is not an e-mail address; left out", v))
	}
	return e
}

// website returns the service's web address as an absolute URL, or "" with
// a warning when the column holds no usable address.
func (r *orow) website() string {
	v := r.get("website")
	if v == "" {
		return ""
	}
	u, ok := normalizeURL(v)
	if !ok {
		r.o.b.warn(Source{File: r.o.file, Line: r.line, Record: r.progRecord()}, "website",
			fmt.Sprintf("%q is not a web address; left out", v))
	}
	return u
}
