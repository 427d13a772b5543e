package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/hub"
	"github.com/o211/o211/node"
	"github.com/o211/o211/replication"
)

// TestStatus_PrintsConflicts checks that `o211 status` shows the records
// the hub skipped because another region owns them, counted and the
// latest with table, id, regions and time, for a hub replica and a node
// (issue 11.4), and says so when there are none.
func TestStatus_PrintsConflicts(t *testing.T) {
	now := time.Date(2026, 12, 7, 23, 0, 0, 0, time.UTC)
	var c replication.Conflicts
	c.Add(replication.Conflict{Table: o211.KindOrganization, ID: "org-shared", Region: "west", Owner: "east", At: now.Add(-90 * time.Second)},
		replication.Conflict{Table: o211.KindService, ID: "svc-shared", Region: "west", Owner: "east", At: now.Add(-30 * time.Second)})
	wants := []string{"conflicts: 2 records skipped because another region owns them",
		"service       svc-shared  west", "organization  org-shared  west", "1m30s ago", "30s ago"}
	check := func(what, out string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q:\n%s", what, w, out)
			}
		}
		if strings.Index(out, "svc-shared") > strings.Index(out, "org-shared") {
			t.Errorf("%s does not list the newest conflict first:\n%s", what, out)
		}
	}
	var b bytes.Buffer
	printHubStatus(&b, &hub.ReplicationStatus{ID: "h1", Conflicts: c, Now: now})
	check("the hub's status", b.String())
	b.Reset()
	rs := &replication.NodeStatus{Region: "west"}
	rs.Push.Conflicts = c
	printNodeStatus(&b, &node.Status{Region: "west", Replication: rs, Now: now})
	check("the node's status", b.String())
	b.Reset()
	printNodeStatus(&b, &node.Status{Region: "west", Replication: &replication.NodeStatus{Region: "west"}, Now: now})
	if !strings.Contains(b.String(), "conflicts: none") {
		t.Errorf("a node without conflicts:\n%s", b.String())
	}
}
