package importer_test

import (
	"testing"

	"github.com/o211/o211/node/importer"
)

func TestPlainText(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"Plain", "Community breakfast", "Community breakfast"},
		{"Bold", "<b>Corner Drop-In</b> -- serves individuals", "Corner Drop-In -- serves individuals"},
		{"BreakAndNewlineCountOnce", "Emergency Assistance Programs:\n<br><b>Emergency Food Bank:</b>\n<br>* Emergency Food",
			"Emergency Assistance Programs:\nEmergency Food Bank:\n* Emergency Food"},
		{"Paragraph", "including community lunch<br><br>\n\nMember agency of TDIN",
			"including community lunch\n\nMember agency of TDIN"},
		{"SelfClosingBreaks", "Open to all<br /><br />Residency Requirements: City of Toronto",
			"Open to all\n\nResidency Requirements: City of Toronto"},
		{"NewlinesOnly", "* Persons on low incomes\n* Identification required", "* Persons on low incomes\n* Identification required"},
		{"SpacesCollapse", "Community  & Family \t Services ", "Community & Family Services"},
		{"Entities", "Fish &amp; Chips &lt;free&gt; &#39;today&#39; &nbsp;now", "Fish & Chips <free> 'today' now"},
		{"BareAmpersand", "Thanksgiving & Easter", "Thanksgiving & Easter"},
		{"LessThanIsText", "ages 5 < 12 and 3<4", "ages 5 < 12 and 3<4"},
		{"LinkKeepsAddress", `see <a href="http://www.salvationarmy.ca/locator/"> Click Here </a> today`,
			"see Click Here (http://www.salvationarmy.ca/locator/) today"},
		{"LinkTextIsAddress", `<a href="https://example.org">https://example.org</a>`, "https://example.org"},
		{"JavascriptLinkDropped", `<a href="javascript:alert(1)">x</a>`, "x"},
		{"ScriptDropped", "a<script>alert('x')</script>b<style>p{}</style>c", "abc"},
		{"List", "Holidays:\n<ul><li>Family Day\n<li>Victoria Day</ul>", "Holidays:\n* Family Day\n* Victoria Day"},
		{"Comment", "a<!-- hidden <b> -->b", "ab"},
		{"UnclosedTag", "a <b", "a <b"},
		{"QuotedAngle", `<a title="x>y" href="http://e.org">e</a>`, "e (http://e.org)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := importer.PlainText(tc.in); got != tc.want {
				t.Fatalf("PlainText(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}
