package hub

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/internal/testutil"
)

// TestRollingUpgrade runs a hub of mixed releases: h3 plays a previous
// release (it reads command version 1, or 2: the release before group
// commit). While it is in the cluster, the leader writes entries at that
// version (batches one per entry, no ingest_group) and every replica
// applies them; once h3 is restarted on this release and announces the
// newest version, the leader writes it (the batches in group entries),
// and every replica still holds the same state.
func TestRollingUpgrade(t *testing.T) {
	for prev := 1; prev < fsm.CommandVersion; prev++ {
		t.Run(fmt.Sprintf("From%d", prev), func(t *testing.T) { rollingUpgrade(t, prev) })
	}
}

func rollingUpgrade(t *testing.T, prev int) {
	c := newCluster(t, 3, withConfig(func(cfg *Config) {
		if cfg.ID == "h3" {
			cfg.MaxCommandVersion = prev
		}
	}))
	now := fsm.CommandVersion
	waitReads(t, c, map[string]int{"h1": now, "h2": now, "h3": prev})
	registerRegions(t, c.client(c.leader(10*time.Second).ID()), "east")
	ctx := context.Background()
	var ids []string
	ingest := func(from, to int) (int, fsm.CommandType) {
		t.Helper()
		var recs []*o211.Record
		for i := from; i <= to; i++ {
			id := fmt.Sprintf("org-%d", i)
			ids = append(ids, id)
			recs = append(recs, org(t, "east", id, 1))
		}
		if err := c.ingestRetrying(ctx, &fsm.IngestBatch{Region: "east", FromSeq: uint64(from), ToSeq: uint64(to), Records: recs}, time.Minute); err != nil {
			t.Fatal(err)
		}
		return lastCommandVersion(t, c.leader(10*time.Second))
	}
	if v, typ := ingest(1, 5); v != prev || typ == fsm.CmdIngestGroup {
		t.Fatalf("with h3 on the previous release the leader wrote %s at version %d, want a batch at %d", typ, v, prev)
	}
	sameEverywhere(t, c, ids)

	// h3 is upgraded: stopped, started on this release.
	c.stop("h3", false)
	c.node("h3").cfg.MaxCommandVersion = 0
	c.start("h3")
	waitReads(t, c, map[string]int{"h1": now, "h2": now, "h3": now})
	if v, typ := ingest(6, 10); v != now || typ != fsm.CmdIngestGroup {
		t.Fatalf("with every replica upgraded the leader wrote %s at version %d, want %s at %d", typ, v, fsm.CmdIngestGroup, now)
	}
	sameEverywhere(t, c, ids)
}

// waitReads waits until the state records the command version each replica
// reads.
func waitReads(t *testing.T, c *cluster, want map[string]int) {
	t.Helper()
	testutil.CheckFor(t, time.Minute, func() error {
		ld := c.leader(10 * time.Second)
		return ld.FSM().View(func(s *fsm.State) error {
			for id, v := range want {
				m, err := s.Member(id)
				if err != nil || m == nil || m.Reads != v {
					return fmt.Errorf("member %s: %+v %v, want reads %d", id, m, err, v)
				}
			}
			return nil
		})
	})
}

// lastCommandVersion returns the envelope version and the type of the
// last ingest entry of r's log.
func lastCommandVersion(t *testing.T, r *Replica) (int, fsm.CommandType) {
	t.Helper()
	last, err := r.logs.LastIndex()
	if err != nil {
		t.Fatal(err)
	}
	for i := last; i > 0; i-- {
		var l raft.Log
		if err := r.logs.GetLog(i, &l); err != nil {
			t.Fatal(err)
		}
		if l.Type == raft.LogCommand {
			c, err := fsm.DecodeCommand(l.Data)
			if err != nil {
				t.Fatal(err)
			}
			if c.Type == fsm.CmdIngestBatch || c.Type == fsm.CmdIngestBatchBin || c.Type == fsm.CmdIngestGroup {
				return c.V, c.Type
			}
		}
	}
	t.Fatal("no ingest entry in the log")
	return 0, ""
}

// sameEverywhere waits until every running replica holds ids and has
// applied as far as the leader.
func sameEverywhere(t *testing.T, c *cluster, ids []string) {
	t.Helper()
	testutil.CheckFor(t, time.Minute, func() error {
		want := c.leader(10 * time.Second).FSM().AppliedIndex()
		for _, id := range c.running() {
			r := c.r(id)
			if err := hasRecords(r, ids); err != nil {
				return err
			}
			if got := r.FSM().AppliedIndex(); got < want {
				return fmt.Errorf("replica %s applied %d of %d", id, got, want)
			}
		}
		return nil
	})
}
