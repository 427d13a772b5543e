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
