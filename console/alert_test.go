package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/console"
	"github.com/o211/o211/node"
)

// dirServices reads full services from a node's directory.
type dirServices struct{ d *node.Directory }

func (s dirServices) Service(ctx context.Context, id string) (*o211.Service, error) {
	return node.FullService(s.d, id)
}

// TestConsole_EmergencyBanner mounts a console of its own over a real (empty)
// directory, with emergency alerts: every page shows them in a banner, and
// an alert written in the other language is marked with its lang.
func TestConsole_EmergencyBanner(t *testing.T) {
	d, err := node.OpenDirectory(context.Background(), node.DirectoryConfig{
		Path: filepath.Join(t.TempDir(), "node.db"), Region: "north", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	con, err := console.New(console.Config{Region: "north", Searcher: d, Services: dirServices{d},
		Reach: &console.Reach{Phone: "211", Email: "help@example.org", ChatURL: "/chat"},
		Alerts: func(context.Context) []console.Alert {
			return []console.Alert{{Title: "Wildfire evacuation: Red Lake", Body: "Evacuees: call 211 for shelter.", Lang: "en"}}
		}})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	con.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	for path, wants := range map[string][]string{
		"/":            {`class="govuk-notification-banner o211-emergency"`, "Emergency", "Wildfire evacuation: Red Lake", "Northern Region", `href="mailto:help@example.org"`, `href="/chat"`},
		"/fr/":         {"Urgence", `<div class="govuk-notification-banner__content" lang="en">`, "Wildfire evacuation: Red Lake", "Région du Nord"},
		"/fr/search?q": {"Urgence", "0 service trouvé"},
	} {
		p := get(t, srv.Client(), srv.URL+path).mustStatus(t, http.StatusOK)
		p.mustContain(t, wants...)
		if path == "/" && strings.Contains(p.body, `__content" lang=`) {
			t.Error("an English alert on an English page is marked with a lang")
		}
	}
}

// countingServices and countingHours count the store reads the portal asks
// for.
type countingServices struct {
	dirServices
	n *atomic.Int64
}

func (s countingServices) Service(ctx context.Context, id string) (*o211.Service, error) {
	s.n.Add(1)
	return s.dirServices.Service(ctx, id)
}

type countingHours struct{ n *atomic.Int64 }

func (h countingHours) Schedules(_ context.Context, results []o211.Result) ([][]o211.Schedule, error) {
	h.n.Add(1)
	return make([][]o211.Schedule, len(results)), nil
}

// TestPortal_TodayFromTheIndex checks that a results page takes each
// result's hours for "today" from what the search index gives with the
// result (o211.Result.Hours), without reading the store again (issue 13's
// results page time), and shows them in the reader's language.
func TestPortal_TodayFromTheIndex(t *testing.T) {
	ctx := o211.WithActor(context.Background(), o211.System("test"))
	d, err := node.OpenDirectory(ctx, node.DirectoryConfig{
		Path: filepath.Join(t.TempDir(), "node.db"), Region: "north", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	lat, lon := 48.38, -89.25
	_, err = d.Write(ctx, []o211.Change{
		o211.Upsert(&o211.Organization{ID: "org", Name: "Lakehead Society", Description: "x"}),
		o211.Upsert(&o211.Service{ID: "svc", OrganizationID: "org", Name: "Lakehead food bank", Status: "active"}),
		o211.Upsert(&o211.Location{ID: "loc", OrganizationID: "org", LocationType: "physical", Latitude: &lat, Longitude: &lon}),
		o211.Upsert(&o211.ServiceAtLocation{ID: "sal", ServiceID: "svc", LocationID: "loc"}),
		o211.Upsert(&o211.Schedule{ID: "sch", ServiceID: "svc", Freq: "WEEKLY", ByDay: "MO,WE", OpensAt: "09:00", ClosesAt: "17:30"}),
	}, o211.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var reads, hourReads atomic.Int64
	wednesday := time.Date(2025, 10, 15, 11, 0, 0, 0, o211.Toronto())
	con, err := console.New(console.Config{Region: "north", Searcher: d, Services: countingServices{dirServices{d}, &reads},
		Hours: countingHours{&hourReads}, Now: func() time.Time { return wednesday }})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	con.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	get(t, srv.Client(), srv.URL+"/search?q=food+bank").mustStatus(t, http.StatusOK).mustContain(t, "Lakehead food bank", "9 a.m. to 5:30 p.m.")
	get(t, srv.Client(), srv.URL+"/fr/search?q=food+bank").mustStatus(t, http.StatusOK).mustContain(t, "de 9 h à 17 h 30")
	if reads.Load() != 0 || hourReads.Load() != 0 {
		t.Errorf("the results pages read %d services and %d pages of hours from the store; want none", reads.Load(), hourReads.Load())
	}
}
