package hub

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	o211node "github.com/o211/o211/node"
	"github.com/o211/o211/replication"
)

// TestReplication_OwnerConflicts makes the conflict the node cannot see
// coming (issue 11.4): west, cut from the hub, creates an organisation
// under the id east has just created. When west's link heals the hub skips
// west's record, and the conflict shows, counted and with its table, id,
// regions and time, in every hub replica's status and in west's status,
// not only in a log line. West's provincial copy then knows the owner, so
// an import through west's API that holds the record is refused with a
// 409 naming it, and writes nothing.
func TestReplication_OwnerConflicts(t *testing.T) {
	p := newConnected(t, "east", "west")
	east, west := p.startNode("east", nil), p.startNode("west", nil)
	ctx := o211.WithActor(context.Background(), o211.System("test"))
	const id = "org-shared"
	p.cut("west", true)
	write := func(n *o211node.Node, name string) {
		t.Helper()
		_, err := n.Directory().Write(ctx, []o211.Change{o211.Upsert(&o211.Organization{ID: id, Name: name, Description: "x"})}, o211.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	write(east, "East pantry")
	testutil.CheckFor(t, 30*time.Second, func() error { _, _, err := p.converged("east"); return err })
	write(west, "West pantry") // west's copy cannot know east's record yet
	p.cut("west", false)

	want := func(c replication.Conflicts, where string) error {
		if c.Count != 1 || len(c.Latest) != 1 {
			return fmt.Errorf("%s: %d conflicts, latest %+v; want 1", where, c.Count, c.Latest)
		}
		x := c.Latest[0]
		if x.Table != o211.KindOrganization || x.ID != id || x.Region != "west" || x.Owner != "east" || x.At.IsZero() {
			return fmt.Errorf("%s: conflict %+v, want organization %s from west, owned by east, with its time", where, x, id)
		}
		return nil
	}
	for _, s := range p.running() {
		url := "http://" + s.r.HTTPAddr() + "/api/v1/status"
		testutil.CheckFor(t, 30*time.Second, func() error {
			var st ReplicationStatus
			if err := testutil.GetJSON(url, &st); err != nil {
				return err
			}
			if err := want(st.Conflicts, "hub "+s.id+" total"); err != nil {
				return err
			}
			for _, r := range st.Regions {
				if r.Region == "west" {
					return want(r.Conflicts, "hub "+s.id+" region west")
				}
			}
			return fmt.Errorf("hub %s: no region west in %+v", s.id, st.Regions)
		})
		metrics, status := getText(t, "http://"+s.r.HTTPAddr()+"/metrics")
		if status != http.StatusOK || !strings.Contains(metrics, `o211_hub_region_conflicts_total{region="west"} 1`) {
			t.Errorf("hub %s /metrics (%d) lacks o211_hub_region_conflicts_total{region=\"west\"} 1", s.id, status)
		}
	}
	testutil.CheckFor(t, 30*time.Second, func() error {
		var st o211node.Status
		if err := testutil.GetJSON(west.URL()+"/api/v1/status", &st); err != nil {
			return err
		}
		if st.Replication == nil {
			return fmt.Errorf("west's status has no replication")
		}
		return want(st.Replication.Push.Conflicts, "west's node")
	})
	if metrics, status := getText(t, west.URL()+"/metrics"); status != http.StatusOK ||
		!strings.Contains(metrics, `o211_replication_conflicts_total{region="west"} 1`) {
		t.Errorf("west's /metrics (%d) lacks o211_replication_conflicts_total{region=\"west\"} 1", status)
	}

	t.Run("ImportRefused", func(t *testing.T) {
		testutil.CheckFor(t, 30*time.Second, func() error {
			rec, err := west.Province().Store().Get(o211.KindOrganization, id)
			if err != nil || rec.Region != "east" {
				return fmt.Errorf("west's provincial copy: %v, %v; want east's record", rec, err)
			}
			return nil
		})
		before, err := west.Directory().Store().Seq()
		if err != nil {
			t.Fatal(err)
		}
		body := `{"organizations": [{"id": "west-own", "name": "West kitchen", "description": "x"},
			{"id": "` + id + `", "name": "Taken over", "description": "x"}]}`
		req, _ := http.NewRequest(http.MethodPost, west.URL()+"/api/v1/import?format=hsds-json", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusConflict || !strings.Contains(string(b), `organization \"`+id+`\"`) ||
			!strings.Contains(string(b), `region \"east\"`) {
			t.Fatalf("import of east's record on west: %s %s; want 409 naming organization %q and its owner", res.Status, b, id)
		}
		if after, err := west.Directory().Store().Seq(); err != nil || after != before {
			t.Errorf("west's store moved from %d to %d (%v): the refused import wrote", before, after, err)
		}
		if _, err := west.Directory().Store().Get(o211.KindOrganization, "west-own"); o211.ErrorCode(err) != o211.ENOTFOUND {
			t.Errorf("west-own after the refused import: %v, want not found", err)
		}
		t.Logf("refused: %s", b)
	})
}
