package node

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
)

// A node serves contacts under /api/v1/contacts: closing one hands its
// report to the report cube and the outbox, and a restart (whose index
// catch-up walks the change feed) leaves the search index as it was.
func TestNode_Contacts(t *testing.T) {
	dir := t.TempDir()
	n := mustStartNode(t, dir)
	defer func() { n.Close() }()
	if _, err := n.Directory().Write(o211.WithActor(context.Background(), o211.System("test")), foodBank(1, "Food bank"), o211.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []*o211.Report
	n.onReport = func(r *o211.Report) { mu.Lock(); got = append(got, r); mu.Unlock() }
	docs := n.Directory().IndexLen()

	post := func(path, body string) *http.Response {
		req, _ := http.NewRequest("POST", n.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := post("/api/v1/contacts", `{"channel":"chat","start":"2026-11-02T10:00:00Z","caller":{"first_name":"Ann"},
		"needs":[{"code":"BD-1800.2000","status":"unmet","reason":"cost"}],"referrals":[{"service_id":"svc-1","location_id":"loc-1"}]}`)
	var c o211.Contact
	json.NewDecoder(resp.Body).Decode(&c)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: status %d", resp.StatusCode)
	}
	if resp = post("/api/v1/contacts/"+c.ID+"/close", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("close: status %d", resp.StatusCode)
	}
	resp.Body.Close()
	mu.Lock()
	if len(got) != 1 || got[0].Channel != o211.ChannelChat {
		t.Fatalf("report cube got %+v", got)
	}
	mu.Unlock()
	k, _, _ := n.Directory().Store().OutboxStats()
	if k != 5 { // the food bank's four rows and the report
		t.Fatalf("outbox holds %d entries, want 5", k)
	}

	n.Close()
	n = mustStartNode(t, dir)
	if n.Directory().IndexLen() != docs {
		t.Fatalf("after restart the index has %d docs, want %d", n.Directory().IndexLen(), docs)
	}
	reports := 0
	n.Directory().Store().Reports(func(*o211.Report) error { reports++; return nil })
	if reports != 1 {
		t.Fatalf("got %d reports after restart, want 1", reports)
	}
	if stored, err := n.Directory().Store().Contact(c.ID); err != nil || stored.Status != o211.ContactClosed || stored.End.After(time.Now()) {
		t.Fatalf("after restart: %+v, %v", stored, err)
	}
}
