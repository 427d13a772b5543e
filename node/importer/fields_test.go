package importer_test

import (
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/importer"
)

// Every field a navigator uses, for every program of the real sample: the
// service as the HSDS API nests it (directory.FullService) carries the
// eligibility, fees, application process, languages, service areas, every
// AIRS code of tax_code, and at its site the accessibility and the hours,
// as text and as parsed schedules.
func TestImport211Ontario_EveryField(t *testing.T) {
	s, _ := mustImportSample(t)
	header, rows := ontarioRows(t)
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, r := range rows {
		get := func(c string) string { return strings.TrimSpace(r[col[c]]) }
		prog := get("id_program")
		svc := fullService(t, s, prog)
		check := func(field string, ok bool) {
			if !ok {
				t.Errorf("program %s: %s is lost", prog, field)
			}
		}
		check("eligibilty", get("eligibilty") == "" || svc.EligibilityDescription != "")
		check("fees", get("fees") == "" || svc.FeesDescription != "")
		check("how_to_apply", get("how_to_apply") == "" || svc.ApplicationProcess != "")
		check("languages_of_service", get("languages_of_service") == "" || len(svc.Languages) > 0)
		check("coverage_cioc", get("coverage_cioc") == "" || len(svc.ServiceAreas) > 0)
		codes := map[string]bool{}
		for _, a := range svc.Attributes {
			if a.TaxonomyTerm != nil {
				codes[a.TaxonomyTerm.Code] = true
			}
		}
		for _, code := range strings.Split(get("tax_code"), ";") {
			for _, part := range o211.SplitTaxonomyCode(code) {
				check("tax_code "+part, codes[part])
			}
		}
		var sal *o211.ServiceAtLocation
		for i := range svc.ServiceAtLocations {
			if l := svc.ServiceAtLocations[i].Location; l != nil && l.ExternalIdentifier == get("id_site") {
				sal = &svc.ServiceAtLocations[i]
			}
		}
		if sal == nil {
			t.Errorf("program %s: site %s is lost", prog, get("id_site"))
			continue
		}
		check("physical_access", get("physical_access") == "" || len(sal.Location.Accessibility) > 0)
		if hours := importer.PlainText(strings.ReplaceAll(get("hours"), "''", "'")); hours != "" {
			check("hours (text)", len(sal.Schedules) > 0 && sal.Schedules[0].Description == hours)
			parsed := len(importer.Hours(get("hours"))) > 0 && importer.Hours(get("hours"))[0].Freq != ""
			check("hours (parsed schedules)", !parsed || sal.Schedules[0].Freq != "")
		}
	}
}
