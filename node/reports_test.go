package node

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/report"
)

// A node publishes its own region's reports from the contacts it closed,
// and loads them again from its store after a restart.
func TestNode_Reports(t *testing.T) {
	dir := t.TempDir()
	n := mustStartNode(t, dir)
	defer func() { n.Close() }()
	const contacts = 25 // 15 by phone, 10 by chat, one in five with an unmet need
	for i := 0; i < contacts; i++ {
		channel := "phone"
		if i >= 15 {
			channel = "chat"
		}
		needs := `{"code":"BD-1800.2000","status":"met"}`
		if i%5 == 0 {
			needs += `,{"code":"BH-1800.8500","status":"unmet","reason":"waitlist-full"}`
		}
		body := fmt.Sprintf(`{"channel":%q,"status":"closed","start":"2026-11-02T1%d:00:00Z","end":"2026-11-02T1%d:10:00Z",
			"caller":{"first_name":"Ann","postal_code":"K1N 5T5"},"needs":[%s]}`, channel, i%10, i%10, needs)
		req, _ := http.NewRequest("POST", n.URL()+"/api/v1/contacts", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("contact %d: status %d", i, resp.StatusCode)
		}
	}
	// The counts published are perturbed (issue 11): each within
	// report.MaxNoise of the truth, and the same after a restart, since the
	// noise comes from the records' keys. The cube itself is exact.
	var first []byte
	check := func(n *Node) {
		t.Helper()
		var rep report.NeedsReport
		getJSON(t, n.URL()+"/api/v1/reports/needs?measure=contacts&by=channel&from=2026-11-01&to=2026-11-30", &rep)
		got := map[string]report.Count{}
		for _, r := range rep.Rows {
			got[r.Key.Key] = r.Total
		}
		near := func(c report.Count, want int64) bool {
			return !c.Suppressed && c.Value >= want-report.MaxNoise && c.Value <= want+report.MaxNoise
		}
		if rep.Scope != "east" || !near(rep.Total, contacts) || !near(got["phone"], 15) || rep.Suppression.Method != "perturbed" {
			t.Fatalf("contacts by channel: scope %q total %+v rows %v (%+v)", rep.Scope, rep.Total, got, rep.Suppression)
		}
		from, _ := report.DayNumber("2026-11-01")
		exact, err := report.Needs(n.Reports(), report.NeedsQuery{Query: report.Query{From: from, To: from + 29,
			Protection: report.Exact}, Contacts: true, By: []report.Group{{Dim: report.DimChannel}}})
		if err != nil || exact.Total.Value != contacts || exact.Rows[0].Total.Value != 15 || exact.Rows[1].Total.Value != 10 {
			t.Fatalf("exact contacts by channel: %v %+v", err, exact)
		}
		// 5 unmet housing needs: perturbed by at most 3, still withheld.
		var needs report.NeedsReport
		getJSON(t, n.URL()+"/api/v1/reports/needs?by=taxonomy&level=2&from=2026-11-01&to=2026-11-30", &needs)
		if !near(needs.Total, contacts+5) || needs.Suppression.Cells != 1 {
			t.Fatalf("needs by level 2: total %+v, %d suppressed; want %d±3 and 1", needs.Total, needs.Suppression.Cells, contacts+5)
		}
		b, _ := json.Marshal([]any{rep.Rows, rep.Total, needs.Rows, needs.Total})
		if first == nil {
			first = b
		} else if string(b) != string(first) {
			t.Fatalf("after a restart the reports say %s, before %s", b, first)
		}
	}
	check(n)
	// Flexible reports need the token; each query is in the audit log.
	if resp, err := http.Get(n.URL() + "/api/v1/reports/needs"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a flexible report without the token: %v %v, want 401", resp, err)
	} else {
		resp.Body.Close()
	}
	page, err := n.dir.Store().Audit(o211.AuditQuery{Limit: 100})
	queries := 0
	for _, e := range page.Entries {
		if e.Action == report.AuditAction && e.Actor.ID == "token:bootstrap" && strings.HasPrefix(e.Path, "/api/v1/reports/needs?") {
			queries++
		}
	}
	if err != nil || queries != 2 {
		t.Fatalf("audit log: %d report queries (%v), want 2", queries, err)
	}
	resp, err := http.Get(n.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `o211_report_contacts{region="east"} 25`; !strings.Contains(string(metrics), want) {
		t.Errorf("/metrics lacks %s", want)
	}
	n.Close()
	n = mustStartNode(t, dir)
	if got := n.Reports().Contacts(); got != contacts {
		t.Fatalf("after a restart the region's reports hold %d contacts, want %d", got, contacts)
	}
	check(n)
}

// mustStartNode starts a lone node of region east on dir, with API token
// "tok".
func mustStartNode(tb testing.TB, dir string) *Node {
	tb.Helper()
	n := New(Config{Region: "east", DataDir: dir, HTTPAddr: "127.0.0.1:0", Token: "tok", NoSync: true})
	if err := n.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return n
}

// getJSON decodes the 200 answer of GET url, sent with the API token "tok"
// (flexible reports need it).
func getJSON(tb testing.TB, url string, v any) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		tb.Fatal(err)
	}
}
