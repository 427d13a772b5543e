package hub

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/internal/testutil"
)

// writer pushes batches of one region as a node's pusher would: sequence
// after sequence, retrying a batch until some replica acknowledges it, over
// the HTTP API of whichever replicas are running.
type writer struct {
	c      *cluster
	region string
	mu     sync.Mutex
	acked  []string // record ids acknowledged
	seq    uint64
}

// run writes until stop is closed and at least min batches were
// acknowledged after it was asked to (via more).
func (w *writer) run(ctx context.Context, stop <-chan struct{}) error {
	attempt := 0
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		seq := w.seq + 1
		id := fmt.Sprintf("%s-%d", w.region, seq)
		b := &fsm.IngestBatch{Region: w.region, FromSeq: seq, ToSeq: seq, Records: []*o211.Record{org(w.c.tb, w.region, id, 1)}}
		ids := w.c.ids()
		target := ids[attempt%len(ids)]
		attempt++
		r := w.c.r(target)
		if r == nil {
			continue
		}
		cl := &Client{BaseURL: "http://" + r.HTTPAddr(), Token: testToken}
		rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		res, err := cl.ApplyBatch(rctx, b)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue // unacknowledged: send the same batch again
		}
		if res.Mark != seq {
			return fmt.Errorf("%s: batch %d acknowledged with mark %d", w.region, seq, res.Mark)
		}
		w.mu.Lock()
		w.seq = seq
		w.acked = append(w.acked, id)
		w.mu.Unlock()
	}
}

func (w *writer) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

func (w *writer) ids() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.acked...)
}

// startWriters registers n regions and starts a writer for each.
func startWriters(tb testing.TB, c *cluster, n int) (ws []*writer, stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	halt := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		w := &writer{c: c, region: fmt.Sprintf("w%d", i)}
		registerRegions(tb, c.client(c.running()[0]), w.region)
		ws = append(ws, w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.run(ctx, halt); err != nil && !errors.Is(err, context.Canceled) {
				errs <- err
			}
		}()
	}
	return ws, func() {
		close(halt)
		wg.Wait()
		cancel()
		close(errs)
		for err := range errs {
			tb.Error(err)
		}
	}
}

func allAcked(ws []*writer) []string {
	var ids []string
	for _, w := range ws {
		ids = append(ids, w.ids()...)
	}
	return ids
}

func TestCluster_KillLeaderDuringWrites(t *testing.T) {
	c := newCluster(t, 3)
	old := c.leader(10 * time.Second)
	ws, stop := startWriters(t, c, 4)
	testutil.CheckFor(t, 20*time.Second, func() error {
		for _, w := range ws {
			if w.count() < 5 {
				return fmt.Errorf("%s has %d writes acknowledged", w.region, w.count())
			}
		}
		return nil
	})
	before := make([]int, len(ws))
	for i, w := range ws {
		before[i] = w.count()
	}
	c.stop(old.ID(), true)
	var survivors []string
	for _, id := range c.ids() {
		if id != old.ID() {
			survivors = append(survivors, id)
		}
	}
	leader := c.leader(10*time.Second, survivors...)
	if leader.ID() == old.ID() {
		t.Fatalf("the killed replica still leads")
	}
	// Writes go on through the new leader.
	testutil.CheckFor(t, 30*time.Second, func() error {
		for i, w := range ws {
			if w.count() < before[i]+10 {
				return fmt.Errorf("%s: %d writes acknowledged since the kill", w.region, w.count()-before[i])
			}
		}
		return nil
	})
	stop()
	acked := allAcked(ws)
	t.Logf("%d writes acknowledged, leader %s killed, %s elected", len(acked), old.ID(), leader.ID())
	for _, id := range survivors {
		testutil.CheckFor(t, 10*time.Second, func() error { return hasRecords(c.r(id), acked) })
	}
	// The old leader, restarted, catches up with everything acknowledged.
	restarted := c.start(old.ID())
	testutil.CheckFor(t, 20*time.Second, func() error { return hasRecords(restarted, acked) })
	// And every replica holds the same marks.
	testutil.CheckFor(t, 10*time.Second, func() error { return sameMarks(c, ws) })
}

// sameMarks checks that every running replica holds each writer's last
// acknowledged sequence as its region's mark.
func sameMarks(c *cluster, ws []*writer) error {
	for _, id := range c.running() {
		err := c.r(id).FSM().View(func(s *fsm.State) error {
			for _, w := range ws {
				reg, err := s.Region(w.region)
				if err != nil {
					return err
				}
				if reg.Mark != w.seq {
					return fmt.Errorf("replica %s: %s mark %d, want %d", id, w.region, reg.Mark, w.seq)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func TestCluster_Partition(t *testing.T) {
	// A lease of a second leaves the test time to propose on the isolated
	// leader before it steps down, however loaded the machine.
	c := newCluster(t, 3, withProxies(), withConfig(func(cfg *Config) {
		cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = time.Second, time.Second, time.Second
		cfg.WriteTimeout = 3 * time.Second
	}))
	ctx := context.Background()
	leader := c.leader(10 * time.Second)
	registerRegions(t, c.client(leader.ID()), "before")

	t.Run("IsolatedLeader", func(t *testing.T) {
		x := c.leader(10 * time.Second)
		commit := x.raft.CommitIndex()
		last := x.raft.LastIndex()
		c.isolate(x.ID(), true)
		// Proposed on the isolated leader at once: appended, never committed.
		_, _, err := x.PutRegion(ctx, o211.Region{ID: "minority", Name: "Never committed"})
		if err == nil {
			t.Fatal("the isolated leader committed a write")
		}
		if !errors.Is(err, ErrLeadershipLost) && !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrNotLeader) {
			t.Fatalf("isolated write: %v", err)
		}
		if x.raft.LastIndex() <= last {
			t.Fatalf("the write was not even appended on the isolated leader (last index %d)", x.raft.LastIndex())
		}
		var majority []string
		for _, id := range c.ids() {
			if id != x.ID() {
				majority = append(majority, id)
			}
		}
		newLeader := c.leader(10*time.Second, majority...)
		registerRegions(t, c.client(majority[0]), "majority")
		// The isolated replica sees no leader, and a write sent to it fails
		// cleanly once its deadline passes.
		testutil.CheckFor(t, 10*time.Second, func() error {
			if l := x.Leader(); l != "" {
				return fmt.Errorf("isolated replica still follows %s", l)
			}
			return nil
		})
		var pe *ProblemError
		_, err = c.client(x.ID()).PutRegion(ctx, o211.Region{ID: "cut-off", Name: "Cut off"})
		if !errors.As(err, &pe) || pe.Problem.Status != 503 || pe.Problem.Code != o211.EUNAVAILABLE {
			t.Fatalf("write on the isolated replica = %v, want a 503 problem", err)
		}
		if got := x.raft.CommitIndex(); got != commit {
			t.Fatalf("isolated replica's commit index moved from %d to %d", commit, got)
		}
		c.isolate(x.ID(), false)
		testutil.CheckFor(t, 20*time.Second, func() error { return hasRegions(x, []string{"before", "majority"}, []string{"minority", "cut-off"}) })
		for _, id := range majority {
			if err := hasRegions(c.r(id), []string{"before", "majority"}, []string{"minority", "cut-off"}); err != nil {
				t.Fatal(err)
			}
		}
		c.leader(10 * time.Second)
		t.Logf("isolated leader %s; majority elected %s", x.ID(), newLeader.ID())
	})

	t.Run("IsolatedFollower", func(t *testing.T) {
		leader := c.leader(10 * time.Second)
		f := followerOf(c, leader)
		c.isolate(f.ID(), true)
		testutil.CheckFor(t, 10*time.Second, func() error {
			if l := f.Leader(); l != "" {
				return fmt.Errorf("isolated follower still follows %s", l)
			}
			return nil
		})
		_, err := c.client(f.ID()).PutRegion(ctx, o211.Region{ID: "lonely", Name: "Lonely"})
		if o211.ErrorCode(err) != o211.EUNAVAILABLE {
			t.Fatalf("write through the isolated follower = %v, want unavailable", err)
		}
		registerRegions(t, c.client(leader.ID()), "after")
		c.isolate(f.ID(), false)
		testutil.CheckFor(t, 20*time.Second, func() error { return hasRegions(f, []string{"before", "majority", "after"}, []string{"lonely"}) })
	})
}

// hasRegions checks that r holds the regions want and none of absent.
func hasRegions(r *Replica, want, absent []string) error {
	return r.FSM().View(func(s *fsm.State) error {
		for _, id := range want {
			if _, err := s.Region(id); err != nil {
				return fmt.Errorf("replica %s: %v", r.ID(), err)
			}
		}
		for _, id := range absent {
			if _, err := s.Region(id); err == nil {
				return fmt.Errorf("replica %s holds region %s", r.ID(), id)
			}
		}
		return nil
	})
}

func TestCluster_CatchUpBySnapshot(t *testing.T) {
	c := newCluster(t, 3, withConfig(func(cfg *Config) {
		cfg.SnapshotInterval = 100 * time.Millisecond
		cfg.SnapshotThreshold = 256
		cfg.TrailingLogs = 64
	}))
	ctx := context.Background()
	leader := c.leader(10 * time.Second)
	down := followerOf(c, leader).ID()
	c.stop(down, true)
	const regions, batches = 8, 250
	var wg sync.WaitGroup
	errs := make(chan error, regions)
	for i := 0; i < regions; i++ {
		region := "s" + strconv.Itoa(i)
		if _, _, err := leader.PutRegion(ctx, o211.Region{ID: region, Name: region}); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := uint64(1); k <= batches; k++ {
				b := &fsm.IngestBatch{Region: region, FromSeq: k, ToSeq: k,
					Records: []*o211.Record{org(t, region, fmt.Sprintf("%s-%d", region, k), 1)}}
				if err := c.ingestRetrying(ctx, b, 30*time.Second); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Two replicas of three on a busy machine may change leaders: the
	// writes went to whichever led.
	leader = c.leader(10 * time.Second)
	if err := leader.Snapshot(); err != nil && !errors.Is(err, ErrTimeout) {
		t.Logf("snapshot: %v", err) // nothing new since an automatic one
	}
	first, _ := leader.raft.Stats()["last_snapshot_index"], 0
	t.Logf("leader %s: %d entries, last snapshot at %s", leader.ID(), leader.raft.LastIndex(), first)
	r := c.start(down)
	restoresAtStart := r.FSM().Restores()
	var want []string
	for i := 0; i < regions; i++ {
		for k := 1; k <= batches; k++ {
			want = append(want, fmt.Sprintf("s%d-%d", i, k))
		}
	}
	testutil.CheckFor(t, 30*time.Second, func() error { return hasRecords(r, want) })
	if got := r.FSM().Restores(); got <= restoresAtStart {
		t.Fatalf("replica %s caught up without a snapshot from the leader (restores %d, %d at start)", down, got, restoresAtStart)
	}
	if s := r.raft.Stats()["last_snapshot_index"]; s == "0" {
		t.Fatalf("last_snapshot_index %s after installing a snapshot", s)
	}
}

func TestCluster_RestartAll(t *testing.T) {
	c := newCluster(t, 3)
	ctx := context.Background()
	cl := c.client(c.running()[1])
	registerRegions(t, cl, "east", "west")
	if _, err := cl.ApplyBatch(ctx, &fsm.IngestBatch{Region: "east", FromSeq: 1, ToSeq: 2,
		Records: []*o211.Record{org(t, "east", "e1", 1), org(t, "east", "e2", 1)}}); err != nil {
		t.Fatal(err)
	}
	for _, crash := range []bool{false, true} {
		name := map[bool]string{false: "Closed", true: "Killed"}[crash]
		t.Run(name, func(t *testing.T) {
			leader := c.leader(10 * time.Second)
			testutil.CheckFor(t, 10*time.Second, func() error {
				for _, id := range c.running() {
					if err := hasRecords(c.r(id), []string{"e1", "e2"}); err != nil {
						return err
					}
				}
				return nil
			})
			for _, id := range c.running() {
				if id != leader.ID() {
					c.stop(id, crash)
				}
			}
			c.stop(leader.ID(), crash)
			for _, id := range c.ids() {
				c.start(id)
			}
			c.leader(10 * time.Second)
			for _, id := range c.ids() {
				if err := hasRegions(c.r(id), []string{"east", "west"}, nil); err != nil {
					t.Fatal(err)
				}
				testutil.CheckFor(t, 10*time.Second, func() error { return hasRecords(c.r(id), []string{"e1", "e2"}) })
			}
			// It accepts writes again, with the marks it had.
			res, err := c.client(c.ids()[0]).ApplyBatch(ctx, &fsm.IngestBatch{Region: "east", FromSeq: 1, ToSeq: 2,
				Records: []*o211.Record{org(t, "east", "e1", 1)}})
			if err != nil || !res.Skipped || res.Mark != 2 {
				t.Fatalf("replayed batch after restart = %+v, %v; want skipped at mark 2", res, err)
			}
			registerRegions(t, c.client(c.ids()[2]), "after-"+map[bool]string{false: "close", true: "kill"}[crash])
		})
	}
}

func TestCluster_Membership(t *testing.T) {
	c := newCluster(t, 3)
	ctx := context.Background()
	registerRegions(t, c.client("h1"), "east")
	if _, err := c.client("h2").ApplyBatch(ctx, &fsm.IngestBatch{Region: "east", FromSeq: 1, ToSeq: 1,
		Records: []*o211.Record{org(t, "east", "e1", 1)}}); err != nil {
		t.Fatal(err)
	}
	leader := c.leader(10 * time.Second)
	gone := followerOf(c, leader).ID()
	var via string
	for _, id := range c.running() {
		if id != leader.ID() && id != gone {
			via = id
		}
	}
	t.Run("Remove", func(t *testing.T) {
		if err := c.client(via).RemoveMember(ctx, gone); err != nil {
			t.Fatal(err)
		}
		c.stop(gone, false)
		registerRegions(t, c.client(via), "while-two")
		members, err := c.client(via).Members(ctx)
		if err != nil || len(members) != 2 {
			t.Fatalf("members = %+v, %v; want 2", members, err)
		}
		err = c.client(via).RemoveMember(ctx, gone)
		if o211.ErrorCode(err) != o211.ENOTFOUND {
			t.Fatalf("removing it again = %v, want not_found", err)
		}
	})
	t.Run("Add", func(t *testing.T) {
		n := c.add("h4", newName(c.tb), nil)
		h4 := c.start("h4")
		err := c.client(via).AddMember(ctx, fsm.Member{ID: "h4", Raft: n.name.Addr(), HTTP: h4.HTTPAddr()})
		if err != nil {
			t.Fatal(err)
		}
		testutil.CheckFor(t, 20*time.Second, func() error {
			if err := hasRecords(h4, []string{"e1"}); err != nil {
				return err
			}
			return hasRegions(h4, []string{"east", "while-two"}, nil)
		})
		registerRegions(t, c.client("h4"), "via-h4")
		for _, id := range c.running() {
			testutil.CheckFor(t, 10*time.Second, func() error { return hasRegions(c.r(id), []string{"via-h4"}, nil) })
		}
		st, err := c.client("h4").Cluster(ctx)
		if err != nil || len(st.Peers) != 3 || st.Leader == "" {
			t.Fatalf("cluster from h4 = %+v, %v", st, err)
		}
		err = c.client(via).AddMember(ctx, fsm.Member{ID: "h5", Raft: n.name.Addr()})
		if o211.ErrorCode(err) != o211.ECONFLICT {
			t.Fatalf("adding another replica at h4's address = %v, want conflict", err)
		}
	})
	t.Run("RemoveLeader", func(t *testing.T) {
		leader := c.leader(10 * time.Second)
		var other string
		for _, id := range c.running() {
			if id != leader.ID() {
				other = id
			}
		}
		if err := c.client(other).RemoveMember(ctx, leader.ID()); err != nil {
			t.Fatal(err)
		}
		c.stop(leader.ID(), false)
		registerRegions(t, c.client(other), "after-leader-left")
		testutil.CheckFor(t, 10*time.Second, func() error {
			cfg := c.r(other).raft.GetConfiguration()
			if err := cfg.Error(); err != nil {
				return err
			}
			for _, s := range cfg.Configuration().Servers {
				if s.ID == raft.ServerID(leader.ID()) {
					return fmt.Errorf("%s is still in the configuration", leader.ID())
				}
			}
			return nil
		})
	})
}

func TestReplica_CloseHandsLeadershipOver(t *testing.T) {
	c := newCluster(t, 3)
	leader := c.leader(10 * time.Second)
	registerRegions(t, c.client(leader.ID()), "east")
	c.stop(leader.ID(), false)
	if !leader.handedOver {
		t.Error("Close did not hand leadership over")
	}
	next := c.leader(10 * time.Second)
	registerRegions(t, c.client(next.ID()), "west")
	if err := hasRegions(next, []string{"east", "west"}, nil); err != nil {
		t.Fatal(err)
	}
}
