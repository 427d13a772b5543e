package importer_test

import (
	"context"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/importer"
	"github.com/o211/o211/node/store"
	"github.com/o211/o211/node/taxonomy"
)

// mustImportSample imports the 211 Ontario sample for region "east".
func mustImportSample(tb testing.TB) (*store.Store, *importer.Report) {
	tb.Helper()
	s := testutil.MustOpenStore(tb)
	return s, mustImport(tb, s, importer.Format211Ontario, testdata("211ontario-sample.csv"), importer.Options{Region: "east"})
}

// fullService returns the nested form of the service of a 211 program.
func fullService(tb testing.TB, s *store.Store, program string) *o211.Service {
	tb.Helper()
	var svc *o211.Service
	err := s.View(func(tx *store.Tx) error {
		var err error
		svc, err = hsds.FullService(tx, importer.NameID("east", "service", program))
		return err
	})
	if err != nil {
		tb.Fatalf("program %s: %v", program, err)
	}
	return svc
}

func TestImport211Ontario(t *testing.T) {
	_, rep := mustImportSample(t)
	for kind, n := range map[o211.Kind]int{o211.KindService: 44, o211.KindLocation: 44, o211.KindServiceAtLocation: 44,
		o211.KindOrganization: 42, o211.KindOrganizationIdentifier: 42, o211.KindAddress: 43} {
		if rep.Kinds[kind] != n {
			t.Errorf("%d %s rows, want %d", rep.Kinds[kind], kind, n)
		}
	}
	if len(rep.Rejected) != 0 {
		t.Fatalf("rejected: %v", rep.Rejected)
	}
}

func TestImport211Ontario_Service(t *testing.T) {
	s, _ := mustImportSample(t)
	svc := fullService(t, s, "60932040")
	if svc.Name != "Community Services" || svc.Organization == nil || svc.Organization.Name != "St Stephen's Community House" {
		t.Fatalf("service %q of %+v", svc.Name, svc.Organization)
	}
	if svc.AssuredDate != "2018-11-19" || svc.URL != "http://www.sschto.ca" || svc.Email != "info@sschto.ca" || svc.Status != "active" {
		t.Errorf("assured %q, url %q, email %q, status %q", svc.AssuredDate, svc.URL, svc.Email, svc.Status)
	}
	if strings.ContainsAny(svc.Description, "<>") || !strings.HasPrefix(svc.Description, "Corner Drop-In -- serves") ||
		!strings.Contains(svc.Description, "voluntary trusteeship\n\nHealth -- mental health") {
		t.Errorf("description %q", svc.Description)
	}
	if svc.EligibilityDescription != "Open to all * Corner Drop-In -- serves individuals who are homeless, who have low incomes and/or who are socially isolated" {
		t.Errorf("eligibility %q", svc.EligibilityDescription)
	}
	if len(svc.Languages) != 1 || svc.Languages[0].Code != "en" {
		t.Errorf("languages %+v", svc.Languages)
	}
	if len(svc.ServiceAreas) != 5 || svc.ServiceAreas[0].Name == "" {
		t.Errorf("service areas %+v", svc.ServiceAreas)
	}
	if len(svc.ServiceAtLocations) != 1 {
		t.Fatalf("service_at_locations %+v", svc.ServiceAtLocations)
	}
	sal := svc.ServiceAtLocations[0]
	loc := sal.Location
	if loc == nil || loc.ExternalIdentifier != "60932039" || loc.ExternalIdentifierType != "211ontario id_site" ||
		loc.Latitude == nil || *loc.Latitude != 43.65648 || len(loc.Addresses) != 1 {
		t.Fatalf("location %+v", loc)
	}
	if a := loc.Addresses[0]; a.Address1 != "260 Augusta Ave" || a.City != "Toronto" || a.PostalCode != "M5T 2L9" ||
		a.Country != "CA" || a.StateProvince != "ON" {
		t.Errorf("address %+v", a)
	}
	if got := phoneList(sal.Phones); got != "fax 416-966-2178 Fax; voice 416-925-2103 x2240" {
		t.Errorf("phones %s", got)
	}
	var sched []string
	for _, x := range sal.Schedules {
		sched = append(sched, x.ByDay+" "+x.OpensAt+"-"+x.ClosesAt)
	}
	sort.Strings(sched)
	if got := strings.Join(sched, "; "); got != "MO,TU,WE,TH,FR 07:30-11:30; MO,TU,WE,TH,FR 09:00-17:00; SU 08:00-11:30" {
		t.Errorf("schedules %s", got)
	}
	if values := sourceFields(sal.Attributes); values["id_cioc"] != "MET1400" {
		t.Errorf("service_at_location attributes %v", values)
	}
	if values := sourceFields(svc.Attributes); values["id_program"] != "60932040" || values["record_language"] != "en" {
		t.Errorf("service attributes %v", values)
	}
}

func TestImport211Ontario_TargetPopulationPairs(t *testing.T) {
	s, _ := mustImportSample(t)
	svc := fullService(t, s, "47160381") // BD-5000.1470*YS-5000.5000: Community Meals * Men
	var got []string
	for _, a := range svc.Attributes {
		if a.TaxonomyTerm != nil && a.LinkType != "source_field" {
			got = append(got, a.LinkType+" "+a.TaxonomyTerm.Code+" "+a.TaxonomyTerm.Name+" "+a.Value)
		}
	}
	sort.Strings(got)
	want := []string{
		"service_type BD-5000.1470 Community Meals BD-5000.1470*YS-5000.5000",
		"service_type PL-6400.1500-180 Day Camps ",
		"service_type PS-9800.1500 Faith Based Youth Programs ",
		"service_type PV-6500.1500 Christian Churches PV-6500.1500*YR-1500.1050",
		"service_type PV-7000 Religious Activities ",
		"target_population YR-1500.1050 Baptist Community PV-6500.1500*YR-1500.1050",
		"target_population YS-5000.5000 Men BD-5000.1470*YS-5000.5000",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("attributes\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	men := object[o211.TaxonomyTerm](t, s, o211.KindTaxonomyTerm, taxonomy.TermID("YS-5000.5000"))
	if !strings.Contains(men.Description, "Hommes") || men.Language != "en" || men.ParentID == "" {
		t.Errorf("term %+v", men)
	}
	object[o211.TaxonomyTerm](t, s, o211.KindTaxonomyTerm, men.ParentID) // ancestors come along
}

func TestImport211Ontario_SharedOrganization(t *testing.T) {
	s, _ := mustImportSample(t)
	org := importer.NameID("east", "organization", "59489675") // Out of the Cold, three sites
	var n int
	s.View(func(tx *store.Tx) error {
		recs, err := tx.Referrers(o211.KindService, "organization_id", org)
		n = len(recs)
		return err
	})
	if n != 3 {
		t.Fatalf("%d services of the shared organization, want 3", n)
	}
	id := object[o211.OrganizationIdentifier](t, s, o211.KindOrganizationIdentifier,
		importer.NameID("east", "organization_identifier", "59489675"))
	if id.Identifier != "59489675" || id.IdentifierScheme != "211ontario" || id.OrganizationID != org {
		t.Errorf("identifier %+v", id)
	}
}

func TestImport211Ontario_Phones(t *testing.T) {
	s, _ := mustImportSample(t)
	sal := fullService(t, s, "57912096").ServiceAtLocations[0]
	if got := phoneList(sal.Phones); got != "cell 705-345-6197 Cell; fax 705-259-2781 Fax; voice 705-259-2780 Office" {
		t.Errorf("phones %s", got)
	}
	sal = fullService(t, s, "59681051").ServiceAtLocations[0]
	if got := phoneList(sal.Phones); got != "fax 519-254-1588 Fax; voice 519-254-4866 x6301 (4VON)" {
		t.Errorf("phones %s", got)
	}
}

func TestImport211Ontario_Languages(t *testing.T) {
	s, _ := mustImportSample(t)
	var got []string
	for _, l := range fullService(t, s, "58242901").Languages {
		got = append(got, l.Name+"/"+l.Code+"/"+l.Note)
	}
	sort.Strings(got)
	if want := "English/en/ Hindi/hi/ Other//Sanskrit for prayers Punjabi/pa/"; strings.Join(got, " ") != want {
		t.Fatalf("languages %q, want %q", strings.Join(got, " "), want)
	}
}

func TestImport211Ontario_MonthlySchedule(t *testing.T) {
	s, _ := mustImportSample(t)
	sch := fullService(t, s, "58337489").ServiceAtLocations[0].Schedules
	if len(sch) != 1 || sch[0].Freq != "MONTHLY" || sch[0].ByDay != "2SA" || sch[0].OpensAt != "08:00" ||
		!strings.HasPrefix(sch[0].Description, "Throughout the year") {
		t.Fatalf("schedules %+v", sch)
	}
}

func TestImport211Ontario_AddressWithoutPostalCode(t *testing.T) {
	s, rep := mustImportSample(t)
	loc := object[o211.Location](t, s, o211.KindLocation, importer.NameID("east", "location", "59419923"))
	if loc.Description != "St. John's Parish Hall; 94 Patrick St, Kingston" {
		t.Errorf("location description %q", loc.Description)
	}
	if !hasWarning(rep, "211ontario-sample.csv", "kept as the location's description") {
		t.Errorf("no warning: %v", rep.Warnings)
	}
}

// phoneList renders phones as "type number xEXT description", sorted.
func phoneList(phones []o211.Phone) string {
	var out []string
	for _, p := range phones {
		s := p.Type + " " + p.Number
		if p.Extension != nil {
			s += " x" + strconv.Itoa(int(*p.Extension))
		}
		out = append(out, strings.TrimSpace(s+" "+p.Description))
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// sourceFields returns the export fields kept as attributes.
func sourceFields(attrs []o211.Attribute) map[string]string {
	out := map[string]string{}
	for _, a := range attrs {
		if a.LinkType == "source_field" && a.TaxonomyTerm != nil {
			out[a.TaxonomyTerm.Name] = a.Value
		}
	}
	return out
}

func TestImport211Ontario_Regions(t *testing.T) {
	east, err := importer.Parse(importer.Format211Ontario, testdata("211ontario-sample.csv"), importer.Options{Region: "east"})
	if err != nil {
		t.Fatal(err)
	}
	west, err := importer.Parse(importer.Format211Ontario, testdata("211ontario-sample.csv"), importer.Options{Region: "west"})
	if err != nil {
		t.Fatal(err)
	}
	defer east.Close()
	defer west.Close()
	ids := map[string]o211.Kind{}
	err = east.Each(func(obj o211.Object, _ importer.Source) error {
		ids[obj.ObjectID()] = obj.ObjectKind()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = west.Each(func(obj o211.Object, _ importer.Source) error {
		kind := obj.ObjectKind()
		shared := kind == o211.KindTaxonomy || kind == o211.KindTaxonomyTerm
		if _, same := ids[obj.ObjectID()]; same != shared {
			t.Fatalf("%s %s: in both regions %v, want %v", kind, obj.ObjectID(), same, shared)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestImport211Ontario_Taxonomy(t *testing.T) {
	// The known ancestors of a code come along (YZ-... is under Y and YZ).
	knownY := []string{"Y Target Populations|Français : Populations cibles|",
		"YZ Topical Identifiers/Issues|Français : Identificateurs thématiques et enjeux|Y"}
	const header = "id_program,id_site,id_organization,program_name,agency_name,record_language,tax_code,tax_name\n"
	for _, tc := range []struct {
		name, row string
		// terms are "code name|description suffix|parent code"
		terms   []string
		warning string
	}{
		{
			name: "UnknownCodesNamedFromTheExport",
			row:  "1,1,1,Repairs,Agency,en,ZZ-1000; ZZ-1000.5000*YZ-9999; ZZ-1000.5000*YZ-9999,Widgets; Widget Repair*Zèbres; Widget Repair*Zebras\n",
			terms: append(knownY, "YZ-9999 Zebras|Français : Zèbres|YZ", "ZZ-1000 Widgets|ZZ-1000.|",
				"ZZ-1000.5000 Widget Repair|ZZ-1000.5000.|ZZ-1000"),
		},
		{
			name:  "CodesListedOnce",
			row:   "1,1,1,Meals,Agency,en,ZZ-1*YZ-1; ZZ-2,Meals*Seniors; Meals*Aînés; Clubs\n",
			terms: append(knownY, "YZ-1 Seniors|Français : Aînés|YZ", "ZZ-1 Meals|ZZ-1.|", "ZZ-2 Clubs|ZZ-2.|"),
		},
		{
			name:  "FrenchRecord",
			row:   "1,1,1,Repas,Agence,fr,ZZ-3,Repas communautaires\n",
			terms: []string{"ZZ-3 Repas communautaires|ZZ-3.|"},
		},
		{
			name:    "NamesOutOfLine",
			row:     "1,1,1,Meals,Agency,en,ZZ-4*YZ-4,Meals\n",
			terms:   append(knownY, "YZ-4 YZ-4|YZ-4.|YZ", "ZZ-4 ZZ-4|ZZ-4.|"),
			warning: "does not line up with tax_code",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"x.csv": header + tc.row})
			s := testutil.MustOpenStore(t)
			rep := mustImport(t, s, importer.Format211Ontario, filepath.Join(dir, "x.csv"), importer.Options{})
			if tc.warning != "" && !hasWarning(rep, "x.csv", tc.warning) {
				t.Errorf("no warning %q: %v", tc.warning, rep.Warnings)
			}
			var got []string
			byID := map[string]string{}
			s.View(func(tx *store.Tx) error {
				return tx.Scan(o211.KindTaxonomyTerm, "", func(r *o211.Record) error {
					obj, _ := r.Decode()
					byID[r.ID] = obj.(*o211.TaxonomyTerm).Code
					return nil
				})
			})
			s.View(func(tx *store.Tx) error {
				return tx.Scan(o211.KindTaxonomyTerm, "", func(r *o211.Record) error {
					obj, _ := r.Decode()
					term := obj.(*o211.TaxonomyTerm)
					if term.TaxonomyID == taxonomy.TaxonomyID && term.ID == taxonomy.TermID(term.Code) {
						_, desc, _ := strings.Cut(term.Description, " ")
						got = append(got, term.Code+" "+term.Name+"|"+lastWords(desc)+"|"+byID[term.ParentID])
					}
					return nil
				})
			})
			sort.Strings(got)
			if strings.Join(got, "\n") != strings.Join(tc.terms, "\n") {
				t.Fatalf("terms\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.terms, "\n"))
			}
		})
	}
}

// lastWords returns the end of a term description after its code: the
// French name part ("Français : X"), or the code sentence ("ZZ-1.").
func lastWords(desc string) string {
	if i := strings.Index(desc, "Français"); i >= 0 {
		return desc[i:]
	}
	return strings.TrimPrefix(desc, "HSIS ")
}

func TestImport211Ontario_Fields(t *testing.T) {
	const header = "id_program,id_site,id_organization,program_name,agency_name,email,website,phone_office\n"
	dir := writeFiles(t, map[string]string{"x.csv": header +
		"1,1,1,Meals,Agency,not an email,see our page,call us\n" +
		"2,2,1,Food,Agency,a@b.ca; c@d.ca,HTTPS://Example.org/x,416-555-0100 x12\n"})
	s := testutil.MustOpenStore(t)
	rep := mustImport(t, s, importer.Format211Ontario, filepath.Join(dir, "x.csv"), importer.Options{})
	for _, w := range []string{`"not an email" is not an e-mail address`, `"see our page" is not a web address`, `"call us" holds no phone number`} {
		if !hasWarning(rep, "x.csv", w) {
			t.Errorf("no warning %q in %v", w, rep.Warnings)
		}
	}
	if svc := fullService(t, s, "1"); svc.Email != "" || svc.URL != "" {
		t.Errorf("service 1: email %q, url %q", svc.Email, svc.URL)
	}
	svc := fullService(t, s, "2")
	if svc.Email != "a@b.ca" || svc.URL != "HTTPS://Example.org/x" {
		t.Errorf("service 2: email %q, url %q", svc.Email, svc.URL)
	}
	if p := svc.ServiceAtLocations[0].Phones; len(p) != 1 || p[0].Extension == nil || *p[0].Extension != 12 {
		t.Errorf("phones %+v", p)
	}
	if _, err := importer.Import(context.Background(), importer.Store(s), importer.Format211Ontario, filepath.Join(dir, "x.csv"),
		importer.Options{Region: "east"}); err != nil {
		t.Fatal(err)
	}
}

// A program at several sites, and sites of one agency, are one record
// each; a row that disagrees with an earlier one loses, with a warning.
func TestImport211Ontario_Repeats(t *testing.T) {
	const header = "id_program,id_site,id_organization,program_name,agency_name,site_name,phone_office\n"
	dir := writeFiles(t, map[string]string{"x.csv": header +
		"1,10,7,Meals,Agency,Hall,416-555-0100\n" +
		"1,20,7,Meals,Agency,Church,416-555-0199\n" +
		"2,20,7,Food bank,Agency (renamed),Church,\n"})
	s := testutil.MustOpenStore(t)
	rep := mustImport(t, s, importer.Format211Ontario, filepath.Join(dir, "x.csv"), importer.Options{})
	for kind, n := range map[o211.Kind]int{o211.KindService: 2, o211.KindLocation: 2, o211.KindOrganization: 1,
		o211.KindServiceAtLocation: 3, o211.KindPhone: 2} {
		if rep.Kinds[kind] != n {
			t.Errorf("%d %s rows, want %d", rep.Kinds[kind], kind, n)
		}
	}
	if len(rep.Warnings) != 1 || rep.Warnings[0].Line != 4 || rep.Warnings[0].Field != "agency_name" ||
		!strings.Contains(rep.Warnings[0].Reason, "differs from the same organization at x.csv:2, which is kept") {
		t.Fatalf("warnings %v", rep.Warnings)
	}
	if org := object[o211.Organization](t, s, o211.KindOrganization, importer.NameID("east", "organization", "7")); org.Name != "Agency" {
		t.Errorf("organization %+v", org)
	}
	if n := len(fullService(t, s, "1").ServiceAtLocations); n != 2 {
		t.Errorf("program 1 at %d sites, want 2", n)
	}
}
