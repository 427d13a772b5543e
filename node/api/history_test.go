package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/api"
)

// isTokenActor reports whether a is the actor of the node's API token.
func isTokenActor(a o211.Actor) bool { return a.ID == "token:bootstrap" && a.Role == o211.RoleAdmin }

// recordHistory reads the whole history of a record through the API.
func recordHistory(tb testing.TB, url string) []o211.HistoryEntry {
	tb.Helper()
	var page o211.HistoryPage
	do(tb, http.MethodGet, url, nil, authed()...).mustStatus(tb, http.StatusOK).decode(tb, &page)
	return page.Entries
}

// A write's history names the actor of the request's credential, whatever
// a header says of who is asking.
func TestWrite_History(t *testing.T) {
	d := MustOpenDirectory(t)
	srv := MustStartServer(t, d)
	base := srv.URL() + "/api/v1/organizations"
	r := do(t, http.MethodPost, base, strings.NewReader(`{"name":"Parkdale Food Centre","description":"Groceries."}`),
		authed("X-O211-Actor", "mallory")...).mustStatus(t, http.StatusCreated)
	var created api.RecordResponse
	r.decode(t, &created)
	one := base + "/" + created.ID
	do(t, http.MethodPut, one, strings.NewReader(`{"name":"Parkdale Food Centre","description":"Groceries and meals."}`),
		authed("X-O211-Actor", "nav-7")...).mustStatus(t, http.StatusOK)

	h := recordHistory(t, one+"/history")
	if len(h) != 2 || h[0].Action != o211.HistoryCreate || h[1].Action != o211.HistoryUpdate || h[1].Version != 2 {
		t.Fatalf("history: %+v", h)
	}
	for _, e := range h {
		if !isTokenActor(e.Actor) {
			t.Errorf("%s: actor %+v, want the token's", e.Action, e.Actor)
		}
	}
	changes, _ := json.Marshal(h[1].Changes)
	if want := `[{"field":"description","old":"Groceries.","new":"Groceries and meals."}]`; string(changes) != want {
		t.Errorf("changes: got %s, want %s", changes, want)
	}
	t.Run("Paged", func(t *testing.T) {
		var page o211.HistoryPage
		do(t, http.MethodGet, one+"/history?limit=1", nil, authed()...).mustStatus(t, http.StatusOK).decode(t, &page)
		if len(page.Entries) != 1 || page.Next == "" {
			t.Fatalf("first page: %+v", page)
		}
		do(t, http.MethodGet, one+"/history?limit=1&cursor="+page.Next, nil, authed()...).mustStatus(t, http.StatusOK).decode(t, &page)
		if len(page.Entries) != 1 || page.Entries[0].Version != 2 {
			t.Fatalf("second page: %+v", page)
		}
	})
	t.Run("ErrToken", func(t *testing.T) {
		do(t, http.MethodGet, one+"/history", nil).problem(t, http.StatusUnauthorized)
	})
	t.Run("ErrLimit", func(t *testing.T) {
		do(t, http.MethodGet, one+"/history?limit=x", nil, authed()...).problem(t, http.StatusBadRequest)
	})
}

// An import through the API is made by the credential's actor.
func TestImport_History(t *testing.T) {
	srv, _ := MustStartImportServer(t)
	do(t, http.MethodPost, srv.URL()+"/api/v1/import?format=211ontario", strings.NewReader(ontarioCSV),
		"Authorization", "Bearer "+testToken, "Content-Type", "text/csv", "X-O211-Actor", "mallory").mustStatus(t, http.StatusOK)
	var list struct {
		Contents []struct {
			ID string `json:"id"`
		} `json:"contents"`
	}
	get(t, srv.URL()+"/hsds/services").mustStatus(t, http.StatusOK).decode(t, &list)
	if len(list.Contents) != 1 {
		t.Fatalf("imported services: %+v", list)
	}
	h := recordHistory(t, srv.URL()+"/api/v1/services/"+list.Contents[0].ID+"/history")
	if len(h) != 1 || h[0].Action != o211.HistoryCreate || !isTokenActor(h[0].Actor) {
		t.Fatalf("history of the imported service: %+v", h)
	}
}
