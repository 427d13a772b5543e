package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/api"
	"github.com/o211/o211/node/importer"
)

// importerAdapter is how the node hands the import endpoint to package
// importer: the real importer, writing through the directory.
type importerAdapter struct{ w importer.Writer }

func (a importerAdapter) Import(ctx context.Context, format, path string, opts api.ImportOptions) (any, error) {
	rep, err := importer.Import(ctx, a.w, format, path, importer.Options{Region: "central", SkipInvalid: opts.SkipInvalid,
		DryRun: opts.DryRun, Source: opts.Source})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// MustStartImportServer starts a server for an empty directory with the
// real importer.
func MustStartImportServer(tb testing.TB, opts ...serverOption) (*testServer, *testDirectory) {
	tb.Helper()
	d := MustOpenEmptyDirectory(tb)
	opts = append([]serverOption{func(c *serverConfig) { c.Importer = importerAdapter{d} }}, opts...)
	return MustStartServer(tb, d, opts...), d
}

// exampleCSVs returns the files of the official tabular example by name.
func exampleCSVs(tb testing.TB) map[string][]byte {
	tb.Helper()
	dir := filepath.Join(hsdsDir, "examples", "csv")
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".csv") {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				tb.Fatal(err)
			}
			files[e.Name()] = b
		}
	}
	return files
}

// zipOf returns a zip archive of the files, each under prefix.
func zipOf(tb testing.TB, prefix string, files map[string][]byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range files {
		w, err := zw.Create(prefix + name)
		if err != nil {
			tb.Fatal(err)
		}
		_, _ = w.Write(b)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// multipartOf returns a multipart/form-data body with one file part per
// file, and its content type.
func multipartOf(tb testing.TB, files map[string][]byte) (io.Reader, string) {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("note", "fields that are not files are ignored")
	for name, b := range files {
		w, err := mw.CreateFormFile("files", name)
		if err != nil {
			tb.Fatal(err)
		}
		_, _ = w.Write(b)
	}
	if err := mw.Close(); err != nil {
		tb.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// importReport is the part of importer.Report the tests read.
type importReport struct {
	Format   string              `json:"format"`
	Created  int                 `json:"created"`
	Rejected []o211.InputProblem `json:"rejected"`
}

// ontarioCSV is a one-row 211 Ontario export.
const ontarioCSV = `id_program,id_site,id_organization,program_name,agency_name,site_name,site_address,site_city,site_county,site_province,site_country,site_postalcode,site_latitude,site_longitude,id_cioc,pubcode_cioc,heading_cioc,category,tax_code,tax_name,physical_access,desc_program,desc_agency,email,how_to_apply,eligibilty,fees,funding_source,hours,languages_of_service,website,coverage_cioc,phone_office,phone_tollfree,phone_tty,fax,last_verified_date,record_owner,record_language
60932040,60932039,60932030,Community Meals,St Stephen's Community House,Augusta Centre,260 Augusta Ave,Toronto,Toronto,ON,Canada,M5T 2L9,43.65648,-79.402996,MET1400,,,,BD-5000.8300,Soup Kitchens,,Hot meals for anyone in need.,A neighbourhood agency.,,Drop in,,Free,,Mon-Fri 12 pm-1 pm,English,,Toronto,416-925-2103,,,,2019-05-01,,en
`

func TestImport_Formats(t *testing.T) {
	csvs := exampleCSVs(t)
	example := "ac148810-d857-441c-9679-408f346de14b"
	for _, tc := range []struct {
		name, format string
		body         func(t *testing.T) (io.Reader, string) // body and content type
		service      string                                 // a service the import creates
	}{
		{"CSVZip", "hsds-csv", func(t *testing.T) (io.Reader, string) {
			return bytes.NewReader(zipOf(t, "", csvs)), "application/zip"
		}, example},
		{"CSVZipOfFolder", "hsds-csv", func(t *testing.T) (io.Reader, string) {
			return bytes.NewReader(zipOf(t, "hsds-example/", csvs)), "application/zip"
		}, example},
		{"CSVMultipart", "hsds-csv", func(t *testing.T) (io.Reader, string) { return multipartOf(t, csvs) }, example},
		{"JSON", "hsds-json", func(t *testing.T) (io.Reader, string) {
			b, err := os.ReadFile(filepath.Join(hsdsDir, "examples", "service_full.json"))
			if err != nil {
				t.Fatal(err)
			}
			return bytes.NewReader(b), "application/json"
		}, example},
		{"211Ontario", "211ontario", func(t *testing.T) (io.Reader, string) {
			return strings.NewReader(ontarioCSV), "text/csv"
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := MustStartImportServer(t)
			body, ct := tc.body(t)
			r := do(t, http.MethodPost, srv.URL()+"/api/v1/import?format="+tc.format+"&skip_invalid=true", body,
				"Authorization", "Bearer "+testToken, "Content-Type", ct).mustStatus(t, http.StatusOK)
			var rep importReport
			r.decode(t, &rep)
			if rep.Format != tc.format || rep.Created == 0 {
				t.Fatalf("report %s", r.body)
			}
			if strings.Contains(string(r.body), "o211-import-") {
				t.Errorf("the report shows the server's temporary folder: %s", r.body)
			}
			p := getPage(t, srv.URL()+"/hsds/services")
			if p.TotalItems == 0 || (tc.service != "" && !strings.Contains(strings.Join(p.ids(t), ","), tc.service)) {
				t.Errorf("after import the HSDS API lists %v", p.ids(t))
			}
			if tc.format == "211ontario" {
				if res := searchResults(t, srv, "q=meals"); res.Total != 1 {
					t.Errorf("search finds %d imported services, want 1", res.Total)
				}
				// 211 Ontario ids become UUIDs: the records conform, formats included.
				sch := mustLoadSchemas(t)
				full := get(t, srv.URL()+"/hsds/services?full=true").mustStatus(t, http.StatusOK)
				mustValidate(t, sch.response(t, "/services", false), "imported 211ontario services", full.body)
				for _, id := range p.ids(t) {
					one := get(t, srv.URL()+"/hsds/services/"+id).mustStatus(t, http.StatusOK)
					mustValidate(t, sch.response(t, "/services/{id}", false), "imported 211ontario service", one.body)
				}
			}
		})
	}
}

func TestImport_Problems(t *testing.T) {
	badCSV := "id,name,description,email\n" +
		"b9000000-0000-4000-8000-000000000001,Good Org,Fine,\n" +
		"b9000000-0000-4000-8000-000000000002,,No name,\n" +
		"b9000000-0000-4000-8000-000000000003,Bad Mail,x,not-an-address\n"
	t.Run("ErrAllOrNothing", func(t *testing.T) {
		srv, _ := MustStartImportServer(t)
		body, ct := multipartOf(t, map[string][]byte{"organizations.csv": []byte(badCSV)})
		p := do(t, http.MethodPost, srv.URL()+"/api/v1/import?format=hsds-csv", body,
			"Authorization", "Bearer "+testToken, "Content-Type", ct).problem(t, http.StatusUnprocessableEntity)
		if len(p.Errors) == 0 {
			t.Fatalf("no errors listed: %+v", p)
		}
		for _, e := range p.Errors {
			if e.File != "organizations.csv" || e.Line == 0 || e.Reason == "" {
				t.Errorf("problem without file, line and reason: %+v", e)
			}
		}
		if strings.Contains(p.Detail, "o211-import-") {
			t.Errorf("detail shows the temporary folder: %s", p.Detail)
		}
		if got := getPage(t, srv.URL()+"/hsds/organizations").TotalItems; got != 0 {
			t.Errorf("a failed import wrote %d organizations", got)
		}
	})
	t.Run("SkipInvalid", func(t *testing.T) {
		srv, _ := MustStartImportServer(t)
		body, ct := multipartOf(t, map[string][]byte{"organizations.csv": []byte(badCSV)})
		var rep importReport
		do(t, http.MethodPost, srv.URL()+"/api/v1/import?format=hsds-csv&skip_invalid=true", body,
			"Authorization", "Bearer "+testToken, "Content-Type", ct).mustStatus(t, http.StatusOK).decode(t, &rep)
		if rep.Created == 0 || len(rep.Rejected) == 0 {
			t.Errorf("report %+v", rep)
		}
	})
	t.Run("ErrZipBomb", func(t *testing.T) {
		// 64 MiB of one byte packs into about 64 KiB: refused before it is
		// unpacked.
		srv, _ := MustStartImportServer(t)
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("organizations.csv")
		io.WriteString(w, "id,name\n1,")
		w.Write(bytes.Repeat([]byte("x"), 64<<20))
		zw.Close()
		do(t, http.MethodPost, srv.URL()+"/api/v1/import?format=hsds-csv", &buf, "Authorization", "Bearer "+testToken,
			"Content-Type", "application/zip").problem(t, http.StatusRequestEntityTooLarge)
	})
	srv, _ := MustStartImportServer(t, func(c *serverConfig) { c.MaxImportBytes = 4096 })
	u := srv.URL() + "/api/v1/import"
	tok := []string{"Authorization", "Bearer " + testToken}
	for _, tc := range []struct {
		name, query, body string
		header            []string
		status            int
	}{
		{"ErrNoToken", "?format=hsds-json", `{}`, nil, http.StatusUnauthorized},
		{"ErrNoFormat", "", `{}`, tok, http.StatusBadRequest},
		{"ErrUnknownFormat", "?format=xlsx", `{}`, tok, http.StatusBadRequest},
		{"ErrTooLarge", "?format=hsds-json", `[` + strings.Repeat(`{"id":"x"},`, 1000) + `{}]`, tok, http.StatusRequestEntityTooLarge},
		{"ErrEmpty", "?format=hsds-json&skip_invalid=1", ``, tok, http.StatusBadRequest},
		{"ErrPlainCSV", "?format=hsds-csv", "id,name\n1,x\n", tok, http.StatusBadRequest},
		{"ErrZipSlip", "?format=hsds-csv", string(zipOf(t, "../", map[string][]byte{"organizations.csv": []byte("id\n")})), tok, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			do(t, http.MethodPost, u+tc.query, strings.NewReader(tc.body), tc.header...).problem(t, tc.status)
		})
	}
}
