package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	o211node "github.com/o211/o211/node"
	"github.com/o211/o211/node/store"
	"github.com/o211/o211/replication"
	"github.com/o211/o211/replication/pki"
)

func TestReplication_PushAndPull(t *testing.T) {
	p := newConnected(t, "east", "west")
	ctx := context.Background()
	for _, r := range []string{"east", "west"} {
		p.startNode(r, nil)
	}
	for _, r := range []string{"east", "west"} {
		if _, err := writeChanges(ctx, func() *o211node.Node { return p.node(r) }, r, 500, 25, 200, nil); err != nil {
			t.Fatal(err)
		}
	}
	var changes, live int
	testutil.CheckFor(t, 30*time.Second, func() (err error) {
		changes, live, err = p.converged("east", "west")
		return err
	})
	testutil.CheckFor(t, 30*time.Second, func() error { return p.copiesConverged("east", "west") })
	t.Logf("%d changes, %d live records at the hub and in both copies", changes, live)

	// A replicated change's history names the system at the region's time;
	// the region's own names who wrote it.
	t.Run("History", func(t *testing.T) {
		var rec *o211.Record
		_ = p.node("east").Province().Store().View(func(tx *store.Tx) error {
			return tx.Scan(o211.KindOrganization, "", func(r *o211.Record) error {
				if r.Region == "west" {
					rec = r
					return store.ErrStop
				}
				return nil
			})
		})
		if rec == nil {
			t.Fatal("east's copy holds no organization of west")
		}
		q := o211.HistoryQuery{Kind: rec.Kind, ID: rec.ID}
		copied, err := p.node("east").Province().History(q)
		if err != nil || len(copied.Entries) == 0 {
			t.Fatalf("history in east's copy: %+v, %v", copied, err)
		}
		if e := copied.Entries[len(copied.Entries)-1]; e.Actor != o211.System("replication") || !e.Time.Equal(rec.Modified) || e.Version != rec.Version {
			t.Fatalf("last change in east's copy: %+v; want system:replication at %s, version %d", e, rec.Modified, rec.Version)
		}
		own, err := p.node("west").Directory().History(q)
		if err != nil || len(own.Entries) == 0 || own.Entries[len(own.Entries)-1].Actor != o211.System("test") {
			t.Fatalf("history in west's own directory: %+v, %v", own, err)
		}
	})

	t.Run("ProvincialSearch", func(t *testing.T) {
		res, err := http.Get(p.node("east").URL() + "/api/v1/search?scope=province&q=organisation")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("province search: %s", res.Status)
		}
	})

	t.Run("PortalProvince", func(t *testing.T) {
		// A linked node's portal offers the province beside its region, and
		// finds another region's service there, whose page it also serves.
		home, status := getText(t, p.node("east").URL()+"/")
		if status != http.StatusOK || !strings.Contains(home, `id="scope-province" name="scope" type="radio" value="province"`) {
			t.Fatalf("the node's home page (%d) has no switch to the province", status)
		}
		if _, err := p.node("west").Directory().Write(o211.WithActor(ctx, o211.System("test")), foodBank("west", "Windsor Harvest Table", 42.31, -83.04), o211.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		testutil.CheckFor(t, 30*time.Second, func() error {
			body, status := getText(t, p.node("east").URL()+"/search?scope=province&q=harvest")
			if status != http.StatusOK || !strings.Contains(body, `value="province" checked`) || !strings.Contains(body, "Windsor Harvest Table") {
				return fmt.Errorf("the province search on east (%d) does not list west's food bank yet", status)
			}
			return nil
		})
		if body, _ := getText(t, p.node("east").URL()+"/search?scope=region&q=harvest"); strings.Contains(body, "Windsor Harvest Table") {
			t.Error("the region search on east lists west's food bank")
		}
		if body, status := getText(t, p.node("east").URL()+"/services/west-fb-svc"); status != http.StatusOK || !strings.Contains(body, "Windsor Harvest Table Society") {
			t.Errorf("east's portal cannot show west's service (%d)", status)
		}
	})

	t.Run("Status", func(t *testing.T) {
		var ns o211node.Status
		getStatusJSON(t, p.node("west").URL()+"/api/v1/status", &ns)
		rs := ns.Replication
		if rs == nil || !rs.Linked || rs.Backlog != 0 || rs.PushLag.Records != 0 || rs.Push.Mark != ns.Seq || rs.Pull.Position == 0 {
			t.Fatalf("node status = %+v", rs)
		}
		leader := p.leader(10 * time.Second)
		for url, want := range map[string]string{
			p.node("west").URL() + "/metrics":            `o211_replication_push_lag_records{region="west"} 0`,
			"http://" + leader.r.HTTPAddr() + "/metrics": `o211_hub_region_lag_records{region="west"} 0`,
		} {
			res, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if !strings.Contains(string(b), want) {
				t.Fatalf("%s lacks %s", url, want)
			}
		}
		testutil.CheckFor(t, 10*time.Second, func() error {
			var hs ReplicationStatus
			getStatusJSON(t, "http://"+leader.r.HTTPAddr()+"/api/v1/status", &hs)
			if !hs.Leading || hs.NATS.Routes == 0 || len(hs.Regions) != 2 {
				return fmt.Errorf("hub status = %+v", hs)
			}
			for _, r := range hs.Regions {
				if r.Reported == nil || r.NodeHead != r.Mark || r.Lag.Records != 0 {
					return fmt.Errorf("hub status of %s = %+v", r.Region, r)
				}
			}
			return nil
		})
	})
}

func getStatusJSON(tb testing.TB, url string, v any) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken) // flexible reports need it
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(res.Body)
		tb.Fatalf("GET %s: %s: %s", url, res.Status, body)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
}

// writers writes n changes to each region's node concurrently; wait
// returns the changes written per region.
type writers struct {
	wg      sync.WaitGroup
	mu      sync.Mutex
	written map[string]int
	errs    []error
	done    map[string]*atomic.Int64
}

func startWriting(p *connected, regions []string, n, per, ids int) *writers {
	w := &writers{written: map[string]int{}, done: map[string]*atomic.Int64{}}
	for _, r := range regions {
		w.done[r] = new(atomic.Int64)
	}
	for _, r := range regions {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			c, err := writeChanges(context.Background(), func() *o211node.Node { return p.node(r) }, r, n, per, ids, w.done[r])
			w.mu.Lock()
			w.written[r] = c
			if err != nil {
				w.errs = append(w.errs, fmt.Errorf("%s: %w", r, err))
			}
			w.mu.Unlock()
		}()
	}
	return w
}

// progress returns the fewest changes written by any region so far.
func (w *writers) progress() int64 {
	least := int64(-1)
	for _, d := range w.done {
		if v := d.Load(); least < 0 || v < least {
			least = v
		}
	}
	return least
}

func (w *writers) wait(tb testing.TB) map[string]int {
	tb.Helper()
	w.wg.Wait()
	for _, err := range w.errs {
		tb.Error(err)
	}
	return w.written
}

// TestReplication_KillLeaderDuringWrites: three regions write 10,000
// changes each while the hub leader is killed; every change reaches the
// surviving replicas once, and the killed one once restarted.
func TestReplication_KillLeaderDuringWrites(t *testing.T) {
	regions := []string{"east", "north", "west"}
	p := newConnected(t, regions...)
	for _, r := range regions {
		p.startNode(r, nil)
	}
	const changes = 10000
	w := startWriting(p, regions, changes, 50, 2000)
	testutil.CheckFor(t, 60*time.Second, func() error {
		if got := w.progress(); got < changes/3 {
			return fmt.Errorf("%d changes written", got)
		}
		return nil
	})
	old := p.leader(10 * time.Second)
	p.stopHub(old.id, true)
	killed := time.Now()
	t.Logf("killed leader %s after %d changes per region", old.id, w.progress())
	written := w.wait(t)
	t.Logf("writes done %s after the kill", time.Since(killed).Round(time.Millisecond))
	for _, r := range regions {
		if written[r] != changes {
			t.Fatalf("%s wrote %d changes, want %d", r, written[r], changes)
		}
	}
	var total, live int
	testutil.CheckFor(t, 3*time.Minute, func() (err error) {
		total, live, err = p.converged(regions...)
		return err
	})
	t.Logf("survivors hold all %d changes (%d live records) once, %s after the kill; new leader %s",
		total, live, time.Since(killed).Round(time.Millisecond), p.leader(time.Second).id)
	if total != len(regions)*changes {
		t.Fatalf("%d changes converged, want %d", total, len(regions)*changes)
	}
	p.startHub(old.id)
	restarted := time.Now()
	testutil.CheckFor(t, 60*time.Second, func() (err error) {
		_, _, err = p.converged(regions...)
		return err
	})
	testutil.CheckFor(t, 60*time.Second, func() error { return p.copiesConverged(regions...) })
	t.Logf("the restarted replica and every copy converged in %s", time.Since(restarted).Round(time.Millisecond))
}

// TestReplication_LinkCut: a region's links to every hub replica are cut
// while it writes. The node keeps accepting every write, its status shows
// the backlog and the lag, its provincial search keeps answering; when the
// links heal it catches up alone, exactly.
func TestReplication_LinkCut(t *testing.T) {
	regions := []string{"east", "west"}
	p := newConnected(t, regions...)
	for _, r := range regions {
		p.startNode(r, nil)
	}
	ctx := context.Background()
	// Both regions' directories reach the hub and every copy first.
	if _, err := p.node("west").Directory().Write(o211.WithActor(ctx, o211.System("test")), foodBank("west", "Windsor food bank", 42.31, -83.03), o211.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range regions {
		if _, err := writeChanges(ctx, func() *o211node.Node { return p.node(r) }, r, 300, 50, 300, nil); err != nil {
			t.Fatal(err)
		}
	}
	testutil.CheckFor(t, 30*time.Second, func() (err error) {
		_, _, err = p.converged(regions...)
		return err
	})
	testutil.CheckFor(t, 30*time.Second, func() error { return p.copiesConverged(regions...) })

	const changes = 5000
	w := startWriting(p, regions, changes, 50, 1000)
	testutil.CheckFor(t, 30*time.Second, func() error {
		if got := w.progress(); got < changes/4 {
			return fmt.Errorf("%d changes written", got)
		}
		return nil
	})
	p.cut("east", true)
	east := p.node("east")
	testutil.CheckFor(t, 10*time.Second, func() error {
		st, err := east.ReplicationStatus()
		if err != nil {
			return err
		}
		if st.Linked {
			return fmt.Errorf("east still linked")
		}
		return nil
	})
	written := w.wait(t)
	// While cut, the node accepted every write and shows what waits.
	st, err := east.ReplicationStatus()
	if err != nil {
		t.Fatal(err)
	}
	if st.Backlog == 0 || st.PushLag.Records != uint64(st.Backlog) || st.PushLag.Seconds <= 0 {
		t.Fatalf("cut-off node's status: backlog %d, lag %+v", st.Backlog, st.PushLag)
	}
	t.Logf("cut off: %d changes written, %d waiting, lag %.2f s, state %s", written["east"], st.Backlog, st.PushLag.Seconds, st.Push.State)
	var res o211.Results
	getStatusJSON(t, east.URL()+"/api/v1/search?scope=province&q=food+bank", &res)
	if res.Total != 1 || res.Results[0].Region != "west" {
		t.Fatalf("provincial search on the cut-off node = %+v, want west's food bank", res)
	}
	// The hub's view: the region lags (as of its last report).
	p.cut("east", false)
	var total, live int
	testutil.CheckFor(t, 60*time.Second, func() (err error) {
		total, live, err = p.converged(regions...)
		return err
	})
	if want := 2*(300+changes) + 4; total != want {
		t.Fatalf("%d changes converged, want %d", total, want)
	}
	testutil.CheckFor(t, 30*time.Second, func() error { return p.copiesConverged(regions...) })
	t.Logf("healed: %d changes, %d live records at every replica and in every copy", total, live)
}

// TestReplication_RestartAllHubs: every hub replica is stopped and started
// again while the nodes keep writing.
func TestReplication_RestartAllHubs(t *testing.T) {
	regions := []string{"east", "west"}
	p := newConnected(t, regions...)
	for _, r := range regions {
		p.startNode(r, nil)
	}
	const changes = 5000
	w := startWriting(p, regions, changes, 25, 1000)
	testutil.CheckFor(t, 30*time.Second, func() error {
		if got := w.progress(); got < changes/5 {
			return fmt.Errorf("%d changes written", got)
		}
		return nil
	})
	for _, id := range p.hubIDs() {
		p.stopHub(id, true)
	}
	t.Logf("all hub replicas down after %d changes per region", w.progress())
	testutil.CheckFor(t, 30*time.Second, func() error {
		if got := w.progress(); got < changes/2 {
			return fmt.Errorf("%d changes written", got)
		}
		return nil
	})
	for _, id := range p.hubIDs() {
		p.startHub(id)
	}
	written := w.wait(t)
	for _, r := range regions {
		if written[r] != changes {
			t.Fatalf("%s wrote %d changes", r, written[r])
		}
	}
	var total, live int
	testutil.CheckFor(t, 60*time.Second, func() (err error) {
		total, live, err = p.converged(regions...)
		return err
	})
	if total != len(regions)*changes {
		t.Fatalf("%d changes converged, want %d", total, len(regions)*changes)
	}
	testutil.CheckFor(t, 30*time.Second, func() error { return p.copiesConverged(regions...) })
	t.Logf("after restarting every replica: %d changes, %d live records, exactly once", total, live)
}

// TestReplication_OutboxGap: entries the hub never acknowledged are
// removed from a node's outbox (pruned by mistake). The hub refuses the
// next batch as leaving a gap; the node re-sends, from its change feed, the
// records changed in the gap, and converges exactly.
func TestReplication_OutboxGap(t *testing.T) {
	p := newConnected(t, "east")
	p.startNode("east", nil)
	ctx := context.Background()
	get := func() *o211node.Node { return p.node("east") }
	converge := func(want int) {
		t.Helper()
		var total int
		testutil.CheckFor(t, 30*time.Second, func() (err error) {
			total, _, err = p.converged("east")
			return err
		})
		if total != want {
			t.Fatalf("%d changes converged, want %d", total, want)
		}
	}
	if _, err := writeChanges(ctx, get, "east", 100, 20, 100, nil); err != nil {
		t.Fatal(err)
	}
	converge(100)

	t.Run("PrunedEntries", func(t *testing.T) {
		p.cut("east", true)
		if _, err := writeChanges(ctx, get, "east", 200, 20, 150, nil); err != nil {
			t.Fatal(err)
		}
		// Entries 101-250 go without the hub having them.
		if err := get().Directory().Store().Ack(250); err != nil {
			t.Fatal(err)
		}
		p.cut("east", false)
		converge(300)
		st, _ := get().ReplicationStatus()
		if st.Push.Repairs == 0 {
			t.Fatalf("no repair recorded: %+v", st.Push)
		}
	})

	t.Run("EmptyOutbox", func(t *testing.T) {
		// Every waiting entry goes; the restarted node finds the gap by
		// sending its last change again.
		p.cut("east", true)
		if _, err := writeChanges(ctx, get, "east", 50, 10, 150, nil); err != nil {
			t.Fatal(err)
		}
		seq, _ := get().Directory().Store().Seq()
		if err := get().Directory().Store().Ack(seq); err != nil {
			t.Fatal(err)
		}
		p.stopNode("east")
		p.cut("east", false)
		p.startNode("east", nil)
		converge(350)
	})
}

// TestReplication_DivergedNode: a node whose data folder was replaced
// (its sequence numbers start again below the hub's mark) stops pushing
// and says so, rather than having its changes skipped.
func TestReplication_DivergedNode(t *testing.T) {
	p := newConnected(t, "east")
	p.startNode("east", nil)
	ctx := context.Background()
	get := func() *o211node.Node { return p.node("east") }
	if _, err := writeChanges(ctx, get, "east", 100, 20, 100, nil); err != nil {
		t.Fatal(err)
	}
	testutil.CheckFor(t, 30*time.Second, func() (err error) {
		_, _, err = p.converged("east")
		return err
	})
	leader := p.leader(10 * time.Second)
	before, err := siteRecords(hubView(leader), "east")
	if err != nil {
		t.Fatal(err)
	}
	p.stopNode("east")
	p.mu.Lock()
	p.nodes["east"].dataDir = t.TempDir()
	p.mu.Unlock()
	p.startNode("east", nil)
	if _, err := writeChanges(ctx, get, "east", 10, 10, 100, nil); err != nil {
		t.Fatal(err)
	}
	testutil.CheckFor(t, 30*time.Second, func() error {
		st, err := get().ReplicationStatus()
		if err != nil {
			return err
		}
		if st.Push.State != replication.StateDiverged || st.Backlog != 10 || !strings.Contains(st.Push.LastError, "DIVERGED") {
			return fmt.Errorf("push state %s, backlog %d, error %q", st.Push.State, st.Backlog, st.Push.LastError)
		}
		return nil
	})
	after, err := siteRecords(hubView(leader), "east")
	if err != nil {
		t.Fatal(err)
	}
	if err := sameRecords("the hub's east records", after, before); err != nil {
		t.Fatal(err)
	}
}

// A region's credentials let it push on its own subject only, and a batch
// sent there must be its own region's: region a cannot slip in b's records
// under its own subject.
func TestReplication_ForgedRegionRefused(t *testing.T) {
	p := newConnected(t, "east", "west")
	leader := p.leader(10 * time.Second)
	l := pki.Layout{Dir: p.pki}
	tlsc, err := pki.NodeTLS(l.CA(), l.NodeCert("east"), l.NodeKey("east"))
	if err != nil {
		t.Fatal(err)
	}
	// A node of east's own making, linked as a leaf with east's
	// credentials (the only way they connect).
	leaf, err := replication.StartServer(replication.ServerConfig{Name: "node-forger", HubURLs: []string{leader.x.Server().LeafAddr()},
		TLS: tlsc, Creds: l.RegionCreds("east"), LeafReconnect: 50 * time.Millisecond, Logger: p.logger})
	if err != nil {
		t.Fatal(err)
	}
	defer leaf.Close()
	nc, err := leaf.Connect("forger", nats.CustomInboxPrefix(replication.InboxPrefix("east")))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	rec := org(t, "west", "west-org-1", 1)
	b, _ := json.Marshal(&replication.IngestBatch{Region: "west", FromSeq: 1, ToSeq: 1, Records: []*o211.Record{rec}})
	m := nats.NewMsg(replication.IngestSubject("east"))
	m.Header.Set("O211-Envelope", "ingest/1")
	m.Data = b
	var rep replication.IngestReply
	testutil.CheckFor(t, 10*time.Second, func() error {
		resp, err := nc.RequestMsg(m, 2*time.Second)
		if err != nil {
			return err
		}
		return json.Unmarshal(resp.Data, &rep)
	})
	if rep.Error == nil || rep.Error.Code != o211.EFORBIDDEN {
		t.Fatalf("reply = %+v, want forbidden", rep)
	}
	if err := hasRecords(leader.r, []string{"west-org-1"}); err == nil {
		t.Fatal("the forged record was applied")
	}
}
