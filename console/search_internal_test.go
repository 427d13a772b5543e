package console

import (
	"strings"
	"testing"
)

// TestResultsHTML_Escapes checks that the results written in Go escape
// every value from the directory, as html/template would.
func TestResultsHTML_Escapes(t *testing.T) {
	v := resultView{URL: `/services/"x`, Name: `<script>alert(1)</script>`, Org: `A & B`, Address: `1 "Main" St`,
		Phone: `613-555-0100`, Tel: telURL(`613-555-0100`), Today: `<i>`, Lang: French, Open: 1}
	got := string(resultsHTML([]resultView{v}, resultLabels{Now: "Now <b>", Open: "Open"}, English))
	for _, bad := range []string{"<script>", "<i>", "<b>", `"x"`, `"Main"`} {
		if strings.Contains(got, bad) {
			t.Errorf("%q is not escaped in %s", bad, got)
		}
	}
	for _, want := range []string{"&lt;script&gt;", "A &amp; B", `lang="fr"`, `lang="en"`, `href="tel:+16135550100"`, "Now &lt;b&gt;"} {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %q", got, want)
		}
	}
	if o := string(optionsHTML([]option{{Value: `"><x`, Label: "<y>", Selected: true}})); o != `<option value="&#34;&gt;&lt;x" selected>&lt;y&gt;</option>` {
		t.Errorf("options %s", o)
	}
}

// TestWorkspaceHTML_Escapes checks that the parts of the workspace, the
// verification queue and the audit table written in Go escape every value
// from the directory, the contacts and the audit log, as html/template
// would.
func TestWorkspaceHTML_Escapes(t *testing.T) {
	c, err := New(Config{Region: "east", Searcher: tenResults{}, Services: noServices{}})
	if err != nil {
		t.Fatal(err)
	}
	p := &page{c: c, Lang: English, FormToken: `"tok<`}
	bad := `<script>"x'&`
	got := map[string]string{
		"results": string(c.navResultsHTML([]navResult{{Value: bad, Name: bad, Org: bad, Distance: bad, Today: bad, Verified: bad, Lang: French, Open: 1}}, English)),
		"queue":   string(c.queueHTML(p, []verifyItem{{Unverified: Unverified{ID: "a b", Name: bad, OrganizationName: bad}, URL: "/x?" + bad}})),
		"audit":   string(p.auditRowsHTML([]auditView{{Time: bad, Who: bad, Role: bad, Action: bad, Contact: bad, ContactURL: "/c/" + bad, Fields: bad}})),
		"options": string(c.reasonOptionsHTML(English, []string{bad}, bad)),
	}
	for name, html := range got {
		if strings.Contains(html, "<script>") || strings.Contains(html, `"x'`) || strings.Contains(html, `"tok<`) {
			t.Errorf("%s does not escape: %s", name, html)
		}
		if !strings.Contains(html, "&lt;script&gt;") {
			t.Errorf("%s lacks the escaped value: %s", name, html)
		}
	}
	if !strings.Contains(got["results"], `lang="fr"`) || !strings.Contains(got["results"], `lang="en"`) || !strings.Contains(got["results"], `id="result-0"`) {
		t.Errorf("the results lack their languages or ids: %s", got["results"])
	}
	if !strings.Contains(got["queue"], `/console/directory/service/a%20b/verify`) {
		t.Errorf("the queue's form does not post to the service's path: %s", got["queue"])
	}
}
