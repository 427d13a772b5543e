package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

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
