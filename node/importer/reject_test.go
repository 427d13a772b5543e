package importer_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/importer"
)

// want is a problem an import must report: its file, line and field, and
// part of its reason.
type want struct {
	file  string
	line  int
	field string
	why   string
}

func (w want) matches(p o211.InputProblem) bool {
	return p.File == w.file && p.Line == w.line && p.Field == w.field && strings.Contains(p.Reason, w.why)
}

const ontarioHeader = "id_program,id_site,id_organization,program_name,agency_name,site_name,site_address,site_city," +
	"site_province,site_postalcode,site_latitude,site_longitude,last_verified_date,tax_code,tax_name,hours\n"

// ontarioRow returns a valid row of ontarioHeader for program p at site s.
func ontarioRow(p, s, lat, date string) string {
	return p + "," + s + ",o1,Meals " + p + ",Agency,Hall,1 Main St,Toronto,ON,M5T 2L9," + lat + ",-79.4," + date +
		",BD-5000.1470,Community Meals,Mon-Fri 9 am-5 pm\n"
}

var rejectCases = []struct {
	name   string
	format string
	files  map[string]string
	path   string // the file to import; "" for the directory
	want   []want
	// kept are rows the import with SkipInvalid must have written.
	kept []string
}{
	{
		name: "BadCSVQuoting", format: importer.FormatHSDSCSV,
		files: map[string]string{
			"organizations.csv": "id,name,description\no1,Org,\n",
			"services.csv":      "id,organization_id,name,status\ns1,o1,Food bank,active\ns2,o1,\"Meals \"daily\",active\ns3,o1,Shelter,active\n",
		},
		want: []want{{"services.csv", 3, "", "bad CSV quoting"}},
		kept: []string{"service/s1", "service/s3"},
	},
	{
		name: "MissingIDColumn", format: importer.FormatHSDSCSV,
		files: map[string]string{
			"organizations.csv": "id,name,description\no1,Org,\n",
			"phones.csv":        "number,service_id\n416-555-0100,s1\n",
		},
		want: []want{{"phones.csv", 1, "id", "no id column"}},
		kept: []string{"organization/o1"},
	},
	{
		name: "BadNumberAndFieldCount", format: importer.FormatHSDSCSV,
		files: map[string]string{
			"organizations.csv": "id,name,description\no1,Org,\n",
			"services.csv": "id,organization_id,name,status,minimum_age\ns1,o1,Food,active,12\n" +
				"s2,o1,\"Meals,\nfor all\",active,twelve\ns3,o1,Shelter,active\n",
		},
		want: []want{{"services.csv", 3, "minimum_age", `"twelve" is not a number`}, {"services.csv", 5, "", "4 fields; the header has 5"}},
		kept: []string{"service/s1"},
	},
	{
		name: "BadEnumAndRequiredAndCascade", format: importer.FormatHSDSCSV,
		files: map[string]string{
			"organizations.csv":       "id,name,description,email\no1,Org,,\no2,Bad Org,,not-an-email\n",
			"services.csv":            "id,organization_id,name,status\ns1,o1,Food,open\ns2,o1,,active\ns3,o1,Meals,active\ns4,o2,Shelter,active\n",
			"locations.csv":           "id,location_type\nl1,physical\n",
			"service_at_location.csv": "id,service_id,location_id\nsal1,s3,l1\nsal4,s4,l1\n",
		},
		want: []want{
			{"organizations.csv", 3, "email", "is not an e-mail address"},
			{"service_at_location.csv", 3, "service_id", `no service "s4"`},
			{"services.csv", 2, "status", `"open" is not one of`},
			{"services.csv", 3, "name", "is required"},
			{"services.csv", 5, "organization_id", `no organization "o2"`},
		},
		kept: []string{"organization/o1", "service/s3", "service_at_location/sal1"},
	},
	{
		name: "DuplicateID", format: importer.FormatHSDSCSV,
		files: map[string]string{
			"organizations.csv": "id,name,description\no1,Org,\n",
			"services.csv":      "id,organization_id,name,status\ns1,o1,Food,active\ns1,o1,Food,active\ns1,o1,Meals,active\n",
		},
		want: []want{{"services.csv", 4, "name", "differs from the same service at services.csv:2"}},
		kept: []string{"service/s1"},
	},
	{
		name: "DanglingStrictReference", format: importer.FormatHSDSCSV,
		files: map[string]string{
			"organizations.csv":       "id,name,description\no1,Org,\n",
			"services.csv":            "id,organization_id,name,status\ns1,o1,Food,active\n",
			"locations.csv":           "id,location_type\nl1,physical\n",
			"service_at_location.csv": "id,service_id,location_id\nsal1,s1,l1\nsal2,s1,nowhere\n",
		},
		want: []want{{"service_at_location.csv", 3, "location_id", `no location "nowhere"`}},
		kept: []string{"service_at_location/sal1"},
	},
	{
		name: "MalformedJSON", format: importer.FormatHSDSJSON,
		files: map[string]string{"a.json": `{"id": "s1", "name": "Food", "status": "active"}`, "b.json": "{\n  \"id\": \"s2\",\n  \"name\": \n}"},
		want:  []want{{"b.json", 4, "", "malformed JSON"}},
		kept:  []string{"service/s1"},
	},
	{
		name: "UnknownShape", format: importer.FormatHSDSJSON,
		files: map[string]string{"a.json": "42", "b.json": `{"id": "x", "colour": "blue"}`,
			"c.json": `{"id": "s1", "name": "Food", "status": "active"}`, "d.json": `[{"id": "o1", "name": "Org", "description": ""}]`},
		want: []want{{"a.json", 1, "", "not an HSDS JSON document"}, {"b.json", 1, "", "no table has all of its fields"},
			{"d.json", 1, "[0]", "cannot tell which HSDS table"}},
		kept: []string{"service/s1"},
	},
	{
		name: "ConflictsInNesting", format: importer.FormatHSDSJSON,
		files: map[string]string{"org.json": `{"id": "o1", "name": "Org", "description": "",
  "services": [
    {"id": "s1", "name": "Food", "status": "active",
     "phones": [{"id": "p1", "number": "416-555-0100"}, {"id": "p2", "number": "1", "service_id": "s9"}]},
    {"id": "s2", "name": "Meals", "status": "active", "phones": [{"id": "p1", "number": "416-555-0199"}]}
  ]}`},
		want: []want{
			{"org.json", 4, "services[0].phones[1].service_id", `is "s9", but the object is nested in "s1"`},
			{"org.json", 5, "services[1].phones[0].number", "differs from the same phone at org.json:4 (services[0].phones[0])"},
		},
		kept: []string{"organization/o1", "service/s1", "service/s2", "phone/p1"},
	},
	{
		name: "WrongTypeAndInvalidNested", format: importer.FormatHSDSJSON,
		files: map[string]string{"loc.json": `{"id": "l1", "location_type": "physical", "latitude": "abc", "longitude": 1}`,
			"svc.json": "{\"id\": \"s1\", \"name\": \"Food\", \"status\": \"active\",\n \"schedules\": [\n {\"id\": \"x1\", \"freq\": \"DAILY\"}]}"},
		want: []want{{"loc.json", 1, "latitude", `"abc" is not a number`}, {"svc.json", 3, "schedules[0].freq", `"DAILY" is not one of`}},
		kept: []string{"service/s1"},
	},
	{
		name: "NDJSON", format: importer.FormatHSDSJSON,
		files: map[string]string{"x.ndjson": `{"id": "s1", "name": "Food", "status": "active"}` + "\n" +
			`{"id": "s2", "name": "Meals", "status": "active", "phones": [{"id": "p2"}]}` + "\n" +
			`{"id": "s3", "name": "", "status": "active"}` + "\n"},
		want: []want{{"x.ndjson", 2, "[1].phones[0].number", "is required"}, {"x.ndjson", 3, "[2].name", "is required"}},
		kept: []string{"service/s1", "service/s2"},
	},
	{
		// The table form and a page are read a row at a time; a problem
		// still names the line of the object it is in.
		name: "StreamedTablesAndPage", format: importer.FormatHSDSJSON,
		files: map[string]string{
			"tables.json": "{\"hsds_version\": \"3.0\",\n \"services\": [\n  {\"id\": \"s1\", \"name\": \"Food\", \"status\": \"active\"},\n" +
				"  {\"id\": \"s2\", \"name\": \"Meals\", \"status\": \"active\",\n   \"phones\": [\n    {\"id\": \"p1\"}]}],\n" +
				" \"phones\": {\"id\": \"p2\"}}",
			"page.json": "{\"total_items\": 2,\n \"contents\": [\n  {\"id\": \"s3\", \"name\": \"Shelter\", \"status\": \"active\"},\n  42,\n" +
				"  {\"id\": \"s4\", \"name\": \"\", \"status\": \"active\"}]}",
		},
		want: []want{
			{"page.json", 4, "contents[1]", "not an object"},
			{"page.json", 5, "contents[2].name", "is required"},
			{"tables.json", 6, "services[1].phones[0].number", "is required"},
			{"tables.json", 7, "phones", "a table must be an array of rows"},
		},
		kept: []string{"service/s1", "service/s2", "service/s3"},
	},
	{
		name: "Ontario", format: importer.Format211Ontario,
		files: map[string]string{"export.csv": ontarioHeader + ontarioRow("1", "10", "43.6", "Feb 7 2017") +
			ontarioRow("2", "20", "abc", "Feb 7 2017") + ontarioRow("3", "30", "43.6", "Feb 30 2017") +
			strings.Replace(ontarioRow("4", "40", "43.6", ""), "Meals 4", "", 1) + ontarioRow("", "50", "43.6", "") + "6,60\n"},
		path: "export.csv",
		want: []want{
			{"export.csv", 3, "site_latitude", `"abc" is not a number`},
			{"export.csv", 4, "last_verified_date", `"Feb 30 2017" is not a date`},
			{"export.csv", 5, "program_name", "is required"},
			{"export.csv", 5, "id_program", "no service"}, // the program at site 40, whose program has no name
			{"export.csv", 6, "id_program", "is required"},
			{"export.csv", 7, "", "2 fields; the header has 16"},
		},
		kept: []string{"location/" + importer.NameID("east", "location", "40")},
	},
	{
		name: "OntarioMissingColumn", format: importer.Format211Ontario,
		files: map[string]string{"export.csv": "id_program,id_organization,program_name\n1,2,Meals\n"},
		path:  "export.csv",
		want:  []want{{"export.csv", 1, "id_site", "no such column"}},
	},
}

// An import with problems writes nothing and lists every problem; with
// SkipInvalid it writes the rest and lists the same problems.
func TestImport_Rejects(t *testing.T) {
	ctx := context.Background()
	for _, tc := range rejectCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			path := dir
			if tc.path != "" {
				path = filepath.Join(dir, tc.path)
			}
			opts := importer.Options{Region: "east"}
			t.Run("AllOrNothing", func(t *testing.T) {
				s := testutil.MustOpenStore(t)
				rep, err := importer.Import(ctx, importer.Store(s), tc.format, path, opts)
				var e *o211.Error
				if !errors.As(err, &e) || e.Code != o211.EINVALID {
					t.Fatalf("got %v, want an EINVALID *o211.Error", err)
				}
				checkProblems(t, e.Problems, tc.want)
				checkProblems(t, rep.Rejected, tc.want)
				if !strings.HasPrefix(e.Message, e.Problems[0].String()) {
					t.Errorf("message %q does not start with the first problem %q", e.Message, e.Problems[0])
				}
				if n := len(rows(t, s)); n != 0 {
					t.Fatalf("%d rows written, want none", n)
				}
			})
			t.Run("SkipInvalid", func(t *testing.T) {
				s := testutil.MustOpenStore(t)
				opts.SkipInvalid = true
				rep, err := importer.Import(ctx, importer.Store(s), tc.format, path, opts)
				if err != nil {
					t.Fatal(err)
				}
				checkProblems(t, rep.Rejected, tc.want)
				got := rows(t, s)
				for _, k := range tc.kept {
					if _, ok := got[k]; !ok {
						t.Errorf("%s not written", k)
					}
				}
				if rep.Created != len(got) {
					t.Errorf("report says %d created; the store holds %d", rep.Created, len(got))
				}
			})
		})
	}
}

// checkProblems fails unless got holds exactly the wanted problems, in
// order.
func checkProblems(t *testing.T, got []o211.InputProblem, wanted []want) {
	t.Helper()
	ok := len(got) == len(wanted)
	for i := 0; ok && i < len(got); i++ {
		ok = wanted[i].matches(got[i])
	}
	if !ok {
		var lines []string
		for _, p := range got {
			lines = append(lines, p.String()+" [field "+p.Field+"]")
		}
		t.Fatalf("problems:\n  %s\nwant %+v", strings.Join(lines, "\n  "), wanted)
	}
}
