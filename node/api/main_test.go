package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/api"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/search"
	"github.com/o211/o211/node/store"
	"github.com/o211/o211/node/tabular"
	"github.com/prometheus/client_golang/prometheus"
)

// hsdsDir is the copy of the official HSDS 3.0 schemas and examples.
const hsdsDir = "../../testdata/hsds"

// testToken is the API token of test servers.
const testToken = "s3cret-token"

// testDirectory joins a real store and a real search index, as the node's
// Directory does: writes go to the store, then the index is rebuilt.
type testDirectory struct {
	st *store.Store
	mu sync.Mutex // serialises reindexing
	ix *search.Index
}

// View runs fn in a read-only view of the store.
func (d *testDirectory) View(fn func(hsds.Tx) error) error {
	return d.st.View(func(tx *store.Tx) error { return fn(tx) })
}

// Search searches the index.
func (d *testDirectory) Search(ctx context.Context, q o211.Query) (*o211.Results, error) {
	return d.ix.Search(ctx, q)
}

// Write writes to the store and reindexes.
func (d *testDirectory) Write(ctx context.Context, changes []o211.Change, opt o211.WriteOptions) (*store.WriteResult, error) {
	res, err := d.st.Write(ctx, changes, opt)
	if err != nil {
		return res, err
	}
	return res, d.reindex()
}

// History reads the store's change history.
func (d *testDirectory) History(q o211.HistoryQuery) (*o211.HistoryPage, error) {
	return d.st.History(q)
}

// reindex rebuilds the search index from every service in the store.
func (d *testDirectory) reindex() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var docs []search.Doc
	err := d.st.View(func(tx *store.Tx) error {
		return tx.Scan(o211.KindService, "", func(rec *o211.Record) error {
			svc, err := hsds.FullServiceFromRecord(tx, rec)
			if err != nil {
				return err
			}
			docs = append(docs, search.DocsFromService(svc, rec.Region, rec.Modified, nil)...)
			return nil
		})
	})
	if err != nil {
		return err
	}
	return d.ix.Build(docs)
}

// MustOpenDirectory returns a directory in a new store, loaded with the
// official HSDS examples and the Ontario services of ontarioRows. now, when
// given, is the store's clock.
func MustOpenDirectory(tb testing.TB, now ...func() time.Time) *testDirectory {
	tb.Helper()
	d := MustOpenEmptyDirectory(tb, now...)
	changes := append(exampleRows(tb), ontarioRows()...)
	if _, err := d.Write(o211.WithActor(context.Background(), o211.System("test")), changes, o211.WriteOptions{}); err != nil {
		tb.Fatalf("loading the test directory: %v", err)
	}
	return d
}

// MustOpenEmptyDirectory returns a directory in a new, empty store of the
// region "central". now, when given, is the store's clock.
func MustOpenEmptyDirectory(tb testing.TB, now ...func() time.Time) *testDirectory {
	tb.Helper()
	opts := store.Options{Region: "central", NoSync: true}
	if len(now) > 0 {
		opts.Now = now[0]
	}
	st := testutil.MustOpenStoreWith(tb, opts)
	return &testDirectory{st: st, ix: search.New(search.Options{})}
}

// exampleRows returns the rows of the official tabular example
// (testdata/hsds/examples/csv), which hold the same records as the JSON
// examples. The example location's coordinates (latitude 100, longitude
// 101) are out of range and are dropped.
func exampleRows(tb testing.TB) []o211.Change {
	tb.Helper()
	var out []o211.Change
	for _, ki := range o211.Kinds() {
		f, err := os.Open(filepath.Join(hsdsDir, "examples", "csv", ki.Table+".csv"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			tb.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			tb.Fatalf("%s.csv: %v", ki.Table, err)
		}
		dec, err := tabular.NewDecoder(ki.Kind, rows[0])
		if err != nil {
			tb.Fatalf("%s.csv: %v", ki.Table, err)
		}
		for i, row := range rows[1:] {
			obj, err := dec.Decode(row)
			if err != nil {
				tb.Fatalf("%s.csv line %d: %v", ki.Table, i+2, err)
			}
			if loc, ok := obj.(*o211.Location); ok && loc.Latitude != nil && (*loc.Latitude > 90 || *loc.Latitude < -90) {
				loc.Latitude, loc.Longitude = nil, nil
			}
			out = append(out, o211.Upsert(obj))
		}
	}
	return out
}

// Ids of the Ontario test records (UUIDs, as the HSDS schemas want).
const (
	taxHSIS      = "a0000000-0000-4000-8000-000000000001"
	termFood     = "a0000000-0000-4000-8000-000000000010" // BD
	termPantry   = "a0000000-0000-4000-8000-000000000011" // BD-1800.2000, under termFood
	termCrisis   = "a0000000-0000-4000-8000-000000000012" // RP-1500
	orgBread     = "b0000000-0000-4000-8000-000000000001"
	orgDistress  = "b0000000-0000-4000-8000-000000000002"
	svcPantry    = "c0000000-0000-4000-8000-000000000001"
	svcMeals     = "c0000000-0000-4000-8000-000000000002"
	svcCrisis    = "c0000000-0000-4000-8000-000000000003"
	svcTax       = "c0000000-0000-4000-8000-000000000004"
	locDowntown  = "d0000000-0000-4000-8000-000000000001" // Toronto, M5T
	locEtobicoke = "d0000000-0000-4000-8000-000000000002" // Toronto, M8V
	locOttawa    = "d0000000-0000-4000-8000-000000000003"
	salPantryDT  = "e0000000-0000-4000-8000-000000000001"
	salPantryEt  = "e0000000-0000-4000-8000-000000000002"
	salMealsDT   = "e0000000-0000-4000-8000-000000000003"
	salCrisisOtt = "e0000000-0000-4000-8000-000000000004"
)

func f64(v float64) *float64 { return &v }

// ontarioRows returns a few Ontario services in HSDS rows: a food pantry
// at two Toronto sites, community meals downtown, a crisis line in Ottawa
// and a tax clinic without a location, with schedules, phones, languages
// and taxonomy attributes.
func ontarioRows() []o211.Change {
	id := func(prefix string, n int) string { return fmt.Sprintf("%s-0000-4000-8000-%012d", prefix, n) }
	rows := []o211.Object{
		&o211.Taxonomy{ID: taxHSIS, Name: "211 HSIS", Description: "The 211 Human Services Indexing System (AIRS).", URI: "https://211taxonomy.org", Version: "2024"},
		&o211.TaxonomyTerm{ID: termFood, Code: "BD", Name: "Food", Description: "Programs that provide food.", TaxonomyID: taxHSIS, Taxonomy: "211 HSIS", Language: "en"},
		&o211.TaxonomyTerm{ID: termPantry, Code: "BD-1800.2000", Name: "Food Pantries", Description: "Programs that give groceries.", ParentID: termFood, TaxonomyID: taxHSIS, Language: "en"},
		&o211.TaxonomyTerm{ID: termCrisis, Code: "RP-1500", Name: "Crisis Intervention", Description: "Immediate help in a crisis.", TaxonomyID: taxHSIS, Language: "en"},
		&o211.Organization{ID: orgBread, Name: "Daily Bread Food Bank", Description: "Toronto's food bank, feeding people since 1983.", Website: "https://www.dailybread.ca", Email: "info@dailybread.ca"},
		&o211.Organization{ID: orgDistress, Name: "Centre de détresse d'Ottawa", AlternateName: "Distress Centre Ottawa", Description: "Écoute téléphonique et intervention de crise."},
		&o211.Service{ID: svcPantry, OrganizationID: orgBread, Name: "Neighbourhood Food Pantry", Description: "Free groceries once a week for people with low income.", Status: o211.StatusActive, MinimumAge: f64(16)},
		&o211.Service{ID: svcMeals, OrganizationID: orgBread, Name: "Community Meals", Description: "Hot lunch served daily; no referral needed.", Status: o211.StatusActive},
		&o211.Service{ID: svcCrisis, OrganizationID: orgDistress, Name: "Ligne de crise 24/7", AlternateName: "24/7 Crisis Line", Description: "Soutien émotionnel confidentiel en français et en anglais.", Status: o211.StatusActive},
		&o211.Service{ID: svcTax, OrganizationID: orgDistress, Name: "Free Tax Clinic", Description: "Volunteers file simple income tax returns.", Status: o211.StatusInactive},
		&o211.Location{ID: locDowntown, OrganizationID: orgBread, LocationType: o211.LocationPhysical, Name: "Kensington site", Latitude: f64(43.6545), Longitude: f64(-79.4000)},
		&o211.Location{ID: locEtobicoke, OrganizationID: orgBread, LocationType: o211.LocationPhysical, Name: "New Toronto warehouse", Latitude: f64(43.6010), Longitude: f64(-79.5050)},
		&o211.Location{ID: locOttawa, OrganizationID: orgDistress, LocationType: o211.LocationPhysical, Name: "Bureau d'Ottawa", Latitude: f64(45.4215), Longitude: f64(-75.6972)},
		&o211.Address{ID: id("f0000000", 1), LocationID: locDowntown, Address1: "191 Augusta Ave", City: "Toronto", StateProvince: "ON", PostalCode: "M5T 2L6", Country: "CA", AddressType: o211.LocationPhysical},
		&o211.Address{ID: id("f0000000", 2), LocationID: locEtobicoke, Address1: "191 New Toronto St", City: "Toronto", StateProvince: "ON", PostalCode: "M8V 2E7", Country: "CA", AddressType: o211.LocationPhysical},
		&o211.Address{ID: id("f0000000", 3), LocationID: locOttawa, Address1: "100 rue Queen", City: "Ottawa", StateProvince: "ON", PostalCode: "K1P 1J9", Country: "CA", AddressType: o211.LocationPhysical},
		&o211.ServiceAtLocation{ID: salPantryDT, ServiceID: svcPantry, LocationID: locDowntown},
		&o211.ServiceAtLocation{ID: salPantryEt, ServiceID: svcPantry, LocationID: locEtobicoke, Description: "Pick-up at the loading dock."},
		&o211.ServiceAtLocation{ID: salMealsDT, ServiceID: svcMeals, LocationID: locDowntown},
		&o211.ServiceAtLocation{ID: salCrisisOtt, ServiceID: svcCrisis, LocationID: locOttawa},
		&o211.Schedule{ID: id("f1000000", 1), ServiceAtLocationID: salPantryDT, Freq: "WEEKLY", ByDay: "MO,TU,WE,TH,FR", OpensAt: "09:00", ClosesAt: "17:00", Description: "Weekdays 9 to 5."},
		&o211.Schedule{ID: id("f1000000", 2), ServiceID: svcMeals, Freq: "WEEKLY", ByDay: "MO,TU,WE,TH,FR,SA,SU", OpensAt: "11:30", ClosesAt: "13:30", Description: "Lunch every day."},
		&o211.Phone{ID: id("f2000000", 1), ServiceID: svcPantry, Number: "416-203-0050", Type: "voice"},
		&o211.Phone{ID: id("f2000000", 2), ServiceID: svcCrisis, Number: "613-238-3311", Type: "voice", Description: "24/7"},
		&o211.Language{ID: id("f3000000", 1), ServiceID: svcCrisis, Code: "fr", Name: "French"},
		&o211.Language{ID: id("f3000000", 2), ServiceID: svcCrisis, Code: "en", Name: "English"},
		&o211.Language{ID: id("f3000000", 3), PhoneID: id("f2000000", 1), Code: "en", Name: "English"},
		&o211.Attribute{ID: id("f4000000", 1), LinkID: svcPantry, LinkEntity: "service", TaxonomyTermID: termPantry},
		&o211.Attribute{ID: id("f4000000", 2), LinkID: svcMeals, LinkEntity: "service", TaxonomyTermID: termFood},
		&o211.Attribute{ID: id("f4000000", 3), LinkID: svcCrisis, LinkEntity: "service", TaxonomyTermID: termCrisis},
	}
	out := make([]o211.Change, len(rows))
	for i, r := range rows {
		out[i] = o211.Upsert(r)
	}
	return out
}

// serverConfig is what a test server is built from: the groups' Config and
// what the node sets on its httpx.Server.
type serverConfig struct {
	api.Config
	// Directory, when set, is the Viewer and the Searcher.
	Directory interface {
		api.Viewer
		api.Searcher
	}
	Addr            string
	Authenticator   httpx.Authenticator
	Collectors      []prometheus.Collector
	ShutdownTimeout time.Duration
	// Routes adds routes of another surface, behind the same middleware.
	Routes func(chi.Router)
}

// serverOption changes the Config of a test server.
type serverOption func(*serverConfig)

// testServer is a node's HTTP server as the node builds it: one
// httpx.Server with the api groups mounted, and its metrics registry.
type testServer struct {
	*httpx.Server
	reg *prometheus.Registry
}

// Registerer returns the server's metrics registry.
func (s *testServer) Registerer() prometheus.Registerer { return s.reg }

// routesFunc adapts a test's routes to httpx.Group.
type routesFunc func(chi.Router)

func (f routesFunc) Routes(r chi.Router) { f(r) }

// newServer builds the server of cfg, as the node does, without starting it.
func newServer(tb testing.TB, cfg serverConfig) (*testServer, error) {
	if cfg.Directory != nil {
		cfg.Viewer, cfg.Searcher = cfg.Directory, cfg.Directory
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	reg := httpx.NewRegistry()
	for _, c := range cfg.Collectors {
		reg.MustRegister(c)
	}
	cfg.Registerer, cfg.Gatherer = reg, reg
	groups, err := api.New(cfg.Config)
	if err != nil {
		return nil, err
	}
	srv := httpx.New(httpx.Config{Addr: cfg.Addr, Authenticator: cfg.Authenticator, Registerer: reg,
		ShutdownTimeout: cfg.ShutdownTimeout, Logger: cfg.Logger})
	srv.Mount(groups.All()...)
	if cfg.Routes != nil {
		srv.Mount(routesFunc(cfg.Routes))
	}
	return &testServer{Server: srv, reg: reg}, nil
}

// MustStartServer starts a server for d on 127.0.0.1:0, with d as its
// writer and the test token, and closes it when the test ends.
func MustStartServer(tb testing.TB, d *testDirectory, opts ...serverOption) *testServer {
	tb.Helper()
	cfg := serverConfig{Directory: d, Authenticator: httpx.NewTokenAuthenticator(testToken, "east"),
		Config: api.Config{Writer: d, Logger: testutil.Logger(tb)}}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := newServer(tb, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// response is a response read whole.
type response struct {
	*http.Response
	body []byte
}

// do sends a request and reads the whole response.
func do(tb testing.TB, method, url string, body io.Reader, header ...string) *response {
	tb.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return &response{resp, b}
}

// get sends a GET request.
func get(tb testing.TB, url string) *response {
	tb.Helper()
	return do(tb, http.MethodGet, url, nil)
}

// mustStatus fails the test unless the response has the status.
func (r *response) mustStatus(tb testing.TB, want int) *response {
	tb.Helper()
	if r.StatusCode != want {
		tb.Fatalf("%s %s: status %d, want %d; body: %s", r.Request.Method, r.Request.URL, r.StatusCode, want, r.body)
	}
	return r
}

// decode decodes the JSON body into v.
func (r *response) decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		tb.Fatalf("%s %s: %v; body: %s", r.Request.Method, r.Request.URL, err, r.body)
	}
}

// problem decodes a problem body, checking its media type and status.
func (r *response) problem(tb testing.TB, status int) httpx.Problem {
	tb.Helper()
	r.mustStatus(tb, status)
	if ct := r.Header.Get("Content-Type"); ct != httpx.ContentTypeProblem {
		tb.Fatalf("Content-Type %q, want %q", ct, httpx.ContentTypeProblem)
	}
	var p httpx.Problem
	r.decode(tb, &p)
	if p.Status != status || p.Title == "" || p.Detail == "" || p.Type == "" {
		tb.Fatalf("incomplete problem: %+v", p)
	}
	return p
}

// page is an HSDS list page with its items left raw.
type page struct {
	TotalItems int               `json:"total_items"`
	TotalPages int               `json:"total_pages"`
	PageNumber int               `json:"page_number"`
	Size       int               `json:"size"`
	FirstPage  bool              `json:"first_page"`
	LastPage   bool              `json:"last_page"`
	Empty      bool              `json:"empty"`
	Contents   []json.RawMessage `json:"contents"`
}

// ids returns the ids of the page's items.
func (p *page) ids(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, c := range p.Contents {
		var v struct{ ID string }
		if err := json.Unmarshal(c, &v); err != nil {
			tb.Fatal(err)
		}
		out = append(out, v.ID)
	}
	return out
}

// getPage gets an HSDS list page.
func getPage(tb testing.TB, url string) *page {
	tb.Helper()
	var p page
	get(tb, url).mustStatus(tb, http.StatusOK).decode(tb, &p)
	return &p
}

// ndjsonLines splits an NDJSON body into its lines.
func ndjsonLines(tb testing.TB, body []byte) []json.RawMessage {
	tb.Helper()
	var out []json.RawMessage
	for _, line := range bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if !json.Valid(line) {
			tb.Fatalf("line is not JSON: %s", line)
		}
		out = append(out, json.RawMessage(line))
	}
	return out
}

// logBuffer collects log output safely from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// captureLogger returns a JSON logger and the buffer it writes to.
func captureLogger() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// sameIDs reports whether got and want hold the same ids in order.
func sameIDs(got, want []string) bool {
	return strings.Join(got, ",") == strings.Join(want, ",")
}
