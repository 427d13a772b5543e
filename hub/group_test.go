package hub

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/internal/testutil"
)

// holdGroups takes every group slot of the leader, so that the batches
// pushed meanwhile wait in its queue; the returned function lets them go,
// all in one group entry.
func holdGroups(r *Replica) (release func()) {
	for range groupSlots {
		r.group.slots <- struct{}{}
	}
	return func() {
		for range groupSlots {
			<-r.group.slots
		}
	}
}

// queued waits until n batches wait for a group of the leader.
func queued(t *testing.T, r *Replica, n int) {
	t.Helper()
	testutil.CheckFor(t, 30*time.Second, func() error {
		if got := r.group.waiting.Load(); got != int64(n) {
			return fmt.Errorf("%d batches waiting, want %d", got, n)
		}
		return nil
	})
}

// groupCluster starts three replicas that all read ingest_group, and
// registers regions. Their Raft timeouts are long (2 s), so that the
// leader found stays the leader on a loaded machine while the test holds
// its groups back (a hand-over still takes milliseconds).
func groupCluster(t *testing.T, regions ...string) (*cluster, *Replica) {
	c := newCluster(t, 3, withConfig(func(cfg *Config) {
		cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = 2*time.Second, 2*time.Second, 2*time.Second
	}))
	waitReads(t, c, map[string]int{"h1": fsm.CommandVersion, "h2": fsm.CommandVersion, "h3": fsm.CommandVersion})
	ld := c.leader(10 * time.Second)
	registerRegions(t, c.client(ld.ID()), regions...)
	return c, ld
}

// Batches of many regions pushed while the previous entry commits go in
// one log entry (the leader's group commit), and each push gets its own
// answer: its mark, its conflicts, or its own refusal.
func TestReplica_GroupCommit(t *testing.T) {
	regions := []string{"r1", "r2", "r3", "r4", "r5", "r6"}
	_, ld := groupCluster(t, regions...)
	ctx := context.Background()
	if _, _, err := ld.IngestBatch(ctx, &fsm.IngestBatch{Region: "r1", FromSeq: 1, ToSeq: 1,
		Records: []*o211.Record{org(t, "r1", "owned-by-r1", 1)}}); err != nil {
		t.Fatal(err)
	}
	release := holdGroups(ld)
	before := ld.FSM().AppliedIndex()
	type answer struct {
		res   *fsm.IngestResult
		index uint64
		err   error
	}
	answers := make([]answer, len(regions))
	var wg sync.WaitGroup
	for i, region := range regions {
		b := &fsm.IngestBatch{Region: region, FromSeq: 1, ToSeq: 3, Records: []*o211.Record{org(t, region, region+"-org", 1)}}
		switch region {
		case "r1": // it holds 1 already
			b.FromSeq = 2
		case "r2": // one record r1 owns: a conflict counted against r2
			b.Records = append(b.Records, org(t, "r2", "owned-by-r1", 1))
		case "r3": // a gap: refused alone
			b.FromSeq = 2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, index, err := ld.IngestBatch(ctx, b)
			answers[i] = answer{res, index, err}
		}()
	}
	queued(t, ld, len(regions))
	release()
	wg.Wait()
	if got := ld.FSM().AppliedIndex() - before; got != 1 {
		t.Errorf("%d log entries for %d batches pushed together, want 1", got, len(regions))
	}
	for i, a := range answers {
		switch regions[i] {
		case "r3":
			if o211.ErrorCode(a.err) != o211.ECONFLICT {
				t.Errorf("r3's batch with a gap: %+v %v, want ECONFLICT", a.res, a.err)
			}
		default:
			if a.err != nil || a.res == nil || a.res.Mark != 3 || a.index != before+1 {
				t.Errorf("%s: %+v at %d, %v; want mark 3 at index %d", regions[i], a.res, a.index, a.err, before+1)
			}
		}
	}
	if cs := answers[1].res.Conflicts; len(cs) != 1 || cs[0].Owner != "r1" {
		t.Errorf("r2's conflicts %+v, want one owned by r1", cs)
	}
	if cs := answers[0].res.Conflicts; len(cs) != 0 {
		t.Errorf("r1's conflicts %+v, want none", cs)
	}
}

// When the group entry fails, every push in it fails: here the leader
// steps down with the group queued, and no batch of it is acknowledged
// by the old leader; each can be sent again to the new one.
func TestReplica_GroupFailsEveryPush(t *testing.T) {
	regions := []string{"r1", "r2", "r3"}
	c, ld := groupCluster(t, regions...)
	release := holdGroups(ld)
	errs := make(chan error, len(regions))
	for _, region := range regions {
		b := &fsm.IngestBatch{Region: region, FromSeq: 1, ToSeq: 1, Records: []*o211.Record{org(t, region, region+"-org", 1)}}
		go func() {
			_, _, err := ld.IngestBatch(context.Background(), b)
			errs <- err
		}()
	}
	queued(t, ld, len(regions))
	if err := ld.TransferLeadership(""); err != nil {
		t.Fatal(err)
	}
	release()
	for range regions {
		if err := <-errs; !retryable(err) {
			t.Errorf("a push of a group proposed by a replica no longer leading: %v, want a retryable error", err)
		}
	}
	for _, region := range regions {
		b := &fsm.IngestBatch{Region: region, FromSeq: 1, ToSeq: 1, Records: []*o211.Record{org(t, region, region+"-org", 1)}}
		if err := c.ingestRetrying(context.Background(), b, time.Minute); err != nil {
			t.Fatalf("%s sent again: %v", region, err)
		}
	}
	if err := hasRecords(c.leader(10*time.Second), []string{"r1-org", "r2-org", "r3-org"}); err != nil {
		t.Fatal(fmt.Errorf("after the retries: %w", err))
	}
}
