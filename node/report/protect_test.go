package report_test

import (
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/report"
)

// TestWithheldLabels checks that a report never shows the name of an
// emergency or a language whose count it withholds (issue 11.3).
func TestWithheldLabels(t *testing.T) {
	cube := report.NewCube()
	add(t, cube, 40, o211.Report{Region: "east", Language: "en"}, "BD-1800.2000", "")
	add(t, cube, 2, o211.Report{Region: "west", Language: "oj", Emergency: "kashechewan-flood"}, "BD-1800.2000", "")
	h := mustServe(t, report.Config{Cube: cube})
	for _, url := range []string{"/api/v1/reports/needs?by=emergency", "/api/v1/reports/needs?by=language",
		"/api/v1/reports/needs?by=region,emergency", "/api/v1/reports/needs?by=language,region",
		"/api/v1/reports/unmet?by=emergency", "/api/v1/reports/needs?by=emergency&format=csv"} {
		w := get(t, h, url, "")
		if w.Code != 200 || strings.Contains(w.Body.String(), "kashechewan") || strings.Contains(w.Body.String(), `"oj"`) ||
			!strings.Contains(w.Body.String(), "withheld") {
			t.Errorf("GET %s: %d %s", url, w.Code, w.Body)
		}
	}
}
