package hub

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/o211/o211/internal/testutil"
)

// TestReplication_ImportSync imports 211 Ontario's sample into a node
// through its API, then a later export with programs gone, changed and
// added: the hub's replicas and the node's provincial copy follow the
// sync exactly (the removals with their children included).
func TestReplication_ImportSync(t *testing.T) {
	p := newConnected(t, "east")
	nd := p.startNode("east", nil)
	f, err := os.Open(filepath.Join("..", "testdata", "211ontario-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	postImport(t, nd.URL(), rows)
	testutil.CheckFor(t, 30*time.Second, func() error { _, _, err := p.converged("east"); return err })

	// A month later: the first three rows' programs closed, one renamed,
	// one added.
	next := append([][]string{rows[0]}, rows[4:]...)
	added := append([]string(nil), rows[10]...)
	added[0], added[1], added[3] = "99999001", "99999002", "Evening Food Bank"
	next = append(next, added)
	next[5] = append([]string(nil), next[5]...)
	next[5][3] += " (renamed)"
	rep := postImport(t, nd.URL(), next)
	if rep.Deleted == 0 || rep.Created == 0 || rep.Updated == 0 {
		t.Fatalf("sync report %+v; want records created, updated and removed", rep)
	}
	var changes, live int
	testutil.CheckFor(t, 30*time.Second, func() (err error) {
		changes, live, err = p.converged("east")
		return err
	})
	testutil.CheckFor(t, 30*time.Second, func() error { return p.copiesConverged("east") })
	t.Logf("%d changes, %d live records at every replica and in the provincial copy after the sync (%d removed)",
		changes, live, rep.Deleted)
}

type importReport struct {
	Created, Updated, Deleted int
}

// postImport sends rows as a 211 Ontario export to the node's import API.
func postImport(tb testing.TB, base string, rows [][]string) importReport {
	tb.Helper()
	var body bytes.Buffer
	csv.NewWriter(&body).WriteAll(rows)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/import?format=211ontario", &body)
	req.Header.Set("Authorization", "Bearer "+testToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("import: %s %s", res.Status, b)
	}
	var rep importReport
	if err := json.Unmarshal(b, &rep); err != nil {
		tb.Fatal(fmt.Errorf("import report %s: %w", b, err))
	}
	return rep
}
