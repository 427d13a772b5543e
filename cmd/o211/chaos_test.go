//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/cmd/o211/internal/gen"
	"github.com/o211/o211/hub"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node"
	reportcells "github.com/o211/o211/node/report"
	"github.com/o211/o211/node/store"
)

// chaosFaults is how many faults the suite injects.
const chaosFaults = 54

// TestChaos runs a province of real o211 processes, each in a network
// namespace of its own (three hub replicas, the nodes of east and north
// with their data on small tmpfs disks), while contacts (closed, so each
// makes an anonymised report) and directory edits flow to both nodes, and
// injects faults in turn: SIGKILL and restart of a node and of a hub
// replica, a node's link cut and healed, one hub replica isolated from
// the other two and healed, latency and loss on a region's link, a full
// disk on a node. Then everything is healed, every write whose outcome
// was unknown is sent again (writes carry their ids: a retry is never a
// second write), and once the province has converged and stopped the
// checker reads every file:
//   - every acknowledged contact and directory edit is in its node's store,
//     and every edit on every hub replica and in the other node's
//     provincial copy (lost writes are counted);
//   - each closed contact made exactly one report, and the hub counted each
//     report once (duplicates are counted);
//   - the hub's aggregates equal, cell by cell, the cells of the nodes'
//     report records; the three replicas hold the same directory;
//   - every node's provincial copy equals the hub's directory.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a province in network namespaces")
	}
	needNetns(t)
	ch := newChaos(t)
	ch.start()
	ch.waitLinked()
	ch.startLoad()
	start := time.Now()
	n := chaosFaults
	if v, err := strconv.Atoi(os.Getenv("O211_CHAOS_FAULTS")); err == nil && v > 0 {
		n = v // a shorter run while working on the suite
	}
	ch.inject(n)
	t.Logf("%d faults injected in %s: %s", n, time.Since(start).Round(time.Second), ch.faultSummary())
	ch.healAll()
	ch.stopLoad()
	ch.retryUnknown()
	ch.waitConverged()
	ch.stopAll()
	ch.check()
}

// chaos is the province under test.
type chaos struct {
	t       *testing.T
	lab     *netLab
	dir     string
	pki     string
	hubs    []string
	addr    map[string]string // host -> IP address
	procs   map[string]*proc
	regions []string
	load    *chaosLoad
	faults  map[string]int
	exits   int // processes that ended by themselves
}

func newChaos(t *testing.T) *chaos {
	dir := t.TempDir()
	ch := &chaos{t: t, lab: newNetLab(t), dir: dir, hubs: []string{"h1", "h2", "h3"}, addr: map[string]string{},
		procs: map[string]*proc{}, regions: []string{"east", "north"}, faults: map[string]int{}}
	for i, h := range ch.hubs {
		ch.addr[h] = ch.lab.host(h, 11+i)
	}
	for i, r := range ch.regions {
		ch.addr[r] = ch.lab.host(r, 21+i)
	}
	var hubs, regions []string
	for _, h := range ch.hubs {
		hubs = append(hubs, h+"="+ch.addr[h])
	}
	for _, r := range ch.regions {
		regions = append(regions, r+"="+ch.addr[r])
	}
	ch.pki = filepath.Join(dir, "pki")
	mustRun(t, nil, "pki", "--out", ch.pki, "--hubs", strings.Join(hubs, ","), "--regions", strings.Join(regions, ","))
	for _, r := range ch.regions {
		data := filepath.Join(dir, r)
		tmpfsDisk(t, data, 192)
		pkg := filepath.Join(dir, "pkg-"+r)
		mustRun(t, nil, "gen", "--services", "40", "--seed", "9", "--region", r, "--out", pkg)
		mustRun(t, nil, "import", "--data", data, "--region", r, "--format", "hsds-csv", "--quiet", pkg)
	}
	return ch
}

func (ch *chaos) hubArgs(h string) []string {
	var peers, routes []string
	for _, o := range ch.hubs {
		peers = append(peers, o+"="+ch.addr[o]+":7001")
		if o != h {
			routes = append(routes, ch.addr[o]+":6222")
		}
	}
	a := ch.addr[h]
	return []string{"hub", "--id", h, "--data", filepath.Join(ch.dir, h), "--raft", a + ":7001", "--http", a + ":8201",
		"--peers", strings.Join(peers, ","), "--token", "t", "--nats-cluster", a + ":6222",
		"--nats-routes", strings.Join(routes, ","), "--nats-leaf", a + ":7422", "--pki", ch.pki, "--log", "json"}
}

func (ch *chaos) nodeArgs(r string) []string {
	var leaves []string
	for _, h := range ch.hubs {
		leaves = append(leaves, ch.addr[h]+":7422")
	}
	return []string{"node", "--region", r, "--data", filepath.Join(ch.dir, r), "--http", ch.addr[r] + ":8211",
		"--pki", ch.pki, "--hub-nats", strings.Join(leaves, ","), "--token", "nt", "--log", "json"}
}

func (ch *chaos) start() {
	for _, h := range ch.hubs {
		p := &proc{t: ch.t, args: ch.hubArgs(h), wrap: ch.lab.wrap(h)}
		p.start()
		ch.t.Cleanup(func() { p.stop(syscall.SIGKILL) })
		ch.procs[h] = p
	}
	cl := &hub.Client{BaseURL: "http://" + ch.addr["h1"] + ":8201", Token: "t"}
	for _, r := range ch.regions {
		testutil.CheckFor(ch.t, 2*time.Minute, func() error {
			_, err := cl.PutRegion(context.Background(), o211.Region{ID: r, Name: r})
			return err
		})
	}
	for _, r := range ch.regions {
		p := &proc{t: ch.t, args: ch.nodeArgs(r), wrap: ch.lab.wrap(r)}
		p.start()
		ch.t.Cleanup(func() { p.stop(syscall.SIGKILL) })
		ch.procs[r] = p
	}
}

func (ch *chaos) nodeURL(r string) string { return "http://" + ch.addr[r] + ":8211" }

func (ch *chaos) nodeStatus(r string) (*node.Status, error) {
	var st node.Status
	if err := getJSONWithToken(ch.nodeURL(r)+"/api/v1/status", "nt", &st); err != nil {
		return nil, err
	}
	if st.Replication == nil {
		return nil, fmt.Errorf("%s has no replication status", r)
	}
	return &st, nil
}

// waitLinked waits until each node has pushed its import to the hub.
func (ch *chaos) waitLinked() {
	for _, r := range ch.regions {
		testutil.CheckFor(ch.t, 3*time.Minute, func() error {
			st, err := ch.nodeStatus(r)
			if err != nil {
				return err
			}
			if st.Replication.Backlog != 0 || !st.Replication.Pull.Synced {
				return fmt.Errorf("%s: backlog %d, pull %+v", r, st.Replication.Backlog, st.Replication.Pull)
			}
			return nil
		})
	}
}

// faultKinds are injected in turn.
var faultKinds = []string{"kill-node", "cut-node", "kill-hub", "isolate-hub", "slow-region", "full-disk"}

// inject injects n faults, each held for a moment and healed.
func (ch *chaos) inject(n int) {
	kinds := faultKinds
	if v := os.Getenv("O211_CHAOS_KINDS"); v != "" {
		kinds = strings.Split(v, ",") // a few kinds only, while working on the suite
	}
	for i := 0; i < n; i++ {
		kind := kinds[i%len(kinds)]
		r := ch.regions[(i/len(faultKinds))%len(ch.regions)]
		h := ch.hubs[i%len(ch.hubs)]
		ch.faults[kind]++
		switch kind {
		case "kill-node":
			ch.procs[r].stop(syscall.SIGKILL)
			hold(300 * time.Millisecond)
			ch.procs[r].start()
		case "cut-node":
			ch.lab.cut(r, true)
			hold(2 * time.Second)
			ch.lab.cut(r, false)
		case "kill-hub":
			ch.procs[h].stop(syscall.SIGKILL)
			hold(time.Second)
			ch.procs[h].start()
		case "isolate-hub":
			ch.lab.cut(h, true)
			hold(3 * time.Second)
			ch.lab.cut(h, false)
		case "slow-region":
			ch.lab.slow(r, true)
			hold(3 * time.Second)
			ch.lab.slow(r, false)
		case "full-disk":
			filler := fillDisk(ch.t, filepath.Join(ch.dir, r))
			hold(2 * time.Second)
			os.Remove(filler)
		}
		hold(500 * time.Millisecond) // the province works between faults
		ch.restartExited()
	}
}

// hold is how long a fault lasts: part of the fault, not a wait for a
// condition.
func hold(d time.Duration) { <-time.After(d) }

func (ch *chaos) faultSummary() string {
	var parts []string
	for _, k := range faultKinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, ch.faults[k]))
	}
	return strings.Join(parts, ", ")
}

// healAll makes sure every link is up and every process runs.
func (ch *chaos) healAll() {
	for name := range ch.lab.hosts {
		ch.lab.cut(name, false)
	}
	ch.restartExited()
}

// restartExited starts again, as systemd's Restart=on-failure would, every
// process that ended by itself, and says why it ended.
func (ch *chaos) restartExited() {
	for name, p := range ch.procs {
		select {
		case <-p.done:
			ch.exits++
			ch.t.Logf("%s had exited by itself (%v); restarted. Its last words:\n%s", name, p.cmd.ProcessState, lastLines(p.logs.String(), 8))
			p.start()
		default:
		}
	}
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// waitConverged waits until each node has pushed everything, and each
// provincial copy has pulled the hub's head.
func (ch *chaos) waitConverged() {
	testutil.CheckFor(ch.t, 4*time.Minute, func() error {
		var heads []uint64
		for _, r := range ch.regions {
			st, err := ch.nodeStatus(r)
			if err != nil {
				return err
			}
			rs := st.Replication
			if rs.Backlog != 0 || rs.Push.Mark != st.Seq || rs.Pull.Position != rs.Pull.Head {
				return fmt.Errorf("%s: seq %d, backlog %d, mark %d, pull %d of %d", r, st.Seq, rs.Backlog, rs.Push.Mark, rs.Pull.Position, rs.Pull.Head)
			}
			heads = append(heads, rs.Pull.Head)
		}
		for _, hd := range heads {
			if hd != heads[0] {
				return fmt.Errorf("the copies are at hub heads %v", heads)
			}
		}
		return nil
	})
}

func (ch *chaos) stopAll() {
	for _, r := range ch.regions {
		ch.procs[r].stop(syscall.SIGTERM)
	}
	// The replicas are killed: what they acknowledged is on disk, and a
	// replica left alone once its peers stopped was seen to take over a
	// minute to stop on SIGTERM (the hand-over and the drain wait for peers
	// that are gone).
	for _, h := range ch.hubs {
		ch.procs[h].stop(syscall.SIGKILL)
	}
}

// check reads every file and compares (see TestChaos).
func (ch *chaos) check() {
	t := ch.t
	hubDirs := map[string]map[string]string{}
	var hubCells map[string]uint64
	var hubReports map[string]int
	for _, h := range ch.hubs {
		recs, cells, reports := hubState(t, filepath.Join(ch.dir, h, "state.db"))
		hubDirs[h] = recs
		if hubCells == nil {
			hubCells, hubReports = cells, reports
		} else if d := diffCounts(hubCells, cells); d != "" {
			t.Errorf("hub %s's aggregates differ from h1's: %s", h, d)
		}
	}
	for _, h := range ch.hubs[1:] {
		if d := diffRecords(hubDirs["h1"], hubDirs[h]); d != "" {
			t.Errorf("hub %s's directory differs from h1's: %s", h, d)
		}
	}
	lost, dup := 0, 0
	nodeCells := map[string]uint64{}
	for _, r := range ch.regions {
		l, d, reports := ch.checkNode(r, hubDirs["h1"], nodeCells)
		lost, dup = lost+l, dup+d
		if hubReports[r] != reports {
			t.Errorf("the hub counted %d reports of %s, the node holds %d", hubReports[r], r, reports)
		}
	}
	if d := diffCounts(nodeCells, hubCells); d != "" {
		t.Errorf("the hub's aggregates differ from the nodes' report records: %s", d)
	}
	for _, r := range ch.regions {
		if fi, err := os.Stat(filepath.Join(ch.dir, r, "node.db")); err == nil {
			t.Logf("%s: node.db is %d MiB", r, fi.Size()>>20)
		}
	}
	acked, unknown := ch.load.counts()
	t.Logf("writes: %d acknowledged (%d had an unknown outcome at first and were sent again); lost %d, duplicated %d; %d aggregate cells equal; %d processes ended by themselves",
		acked, unknown, lost, dup, len(hubCells), ch.exits)
	if lost != 0 || dup != 0 {
		t.Fatalf("%d acknowledged writes lost, %d duplicated", lost, dup)
	}
}

// checkNode checks region r's stores against what the load acknowledged and
// the hub's directory; it adds the cells of r's reports to cells and returns
// the writes lost, the duplicated ones and the number of reports.
func (ch *chaos) checkNode(r string, hubDir map[string]string, cells map[string]uint64) (lost, dup, reports int) {
	t := ch.t
	st, err := store.Open(filepath.Join(ch.dir, r, "node.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	own := storeRecordsOf(t, st, r)
	for _, id := range ch.load.acked(r, "org") {
		k := r + "/organization/" + id
		if own[k] == "" {
			lost++
			t.Errorf("%s: acknowledged organization %s is not in the node's store", r, id)
		} else if hubDir[k] != own[k] {
			lost++
			t.Errorf("%s: organization %s is %q at the hub, %q at the node", r, id, hubDir[k], own[k])
		}
	}
	closed := 0
	for _, id := range ch.load.acked(r, "contact") {
		c, err := st.Contact(id)
		if err != nil {
			lost++
			t.Errorf("%s: acknowledged contact %s: %v", r, id, err)
		} else if c.Status == o211.ContactClosed {
			closed++
		}
	}
	err = st.Reports(func(rep *o211.Report) error {
		reports++
		cs, err := reportcells.Cells(rep)
		for _, c := range cs {
			typ := fsm.CellNeed
			if c.Code == "" {
				typ = fsm.CellContact
			}
			cells[cellName(typ, c)]++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if reports != closed {
		dup += max(reports-closed, 0)
		t.Errorf("%s: %d closed contacts made %d reports", r, closed, reports)
	}
	ch.checkCopy(r, hubDir)
	return lost, dup, reports
}

// checkCopy compares region r's provincial copy with the hub's directory.
func (ch *chaos) checkCopy(r string, hubDir map[string]string) {
	cp, err := store.Open(filepath.Join(ch.dir, r, "province.db"), store.Options{Replica: true})
	if err != nil {
		ch.t.Fatal(err)
	}
	defer cp.Close()
	if d := diffRecords(hubDir, storeRecordsOf(ch.t, cp, "")); d != "" {
		ch.t.Errorf("%s's provincial copy differs from the hub's directory: %s", r, d)
	}
}

// storeRecordsOf shows a store's records (of region, or all for "") as
// storeRecords does, with their region in front.
func storeRecordsOf(t *testing.T, st *store.Store, region string) map[string]string {
	t.Helper()
	var out map[string]string
	err := st.View(func(tx *store.Tx) (err error) {
		out, err = txRecords(tx, region)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// txRecords is storeRecordsOf in a view.
func txRecords(tx *store.Tx, region string) (map[string]string, error) {
	out := map[string]string{}
	err := tx.ChangesSince(0, func(c store.ChangeRef) error {
		r, err := tx.GetAny(c.Kind, c.ID)
		if err != nil || r == nil || c.Kind == o211.KindReport || region != "" && r.Region != region {
			return err
		}
		var data bytes.Buffer
		json.Compact(&data, r.Data)
		out[r.Region+"/"+string(r.Kind)+"/"+r.ID] = fmt.Sprintf("v%d deleted=%v %s", r.Version, r.Deleted, data.String())
		return nil
	})
	return out, err
}

// hubState reads a hub replica's state file: its directory, its aggregate
// cells and its report counts by region.
func hubState(t *testing.T, path string) (map[string]string, map[string]uint64, map[string]int) {
	t.Helper()
	f, err := fsm.Open(fsm.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cells := map[string]uint64{}
	var byRegion map[string]int
	err = f.View(func(s *fsm.State) error {
		if _, byRegion, err = s.ReportCount(); err != nil {
			return err
		}
		return s.Aggregates(0, func(typ byte, c reportcells.Cell, n uint64) error {
			cells[cellName(typ, c)] += n
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	var recs map[string]string
	err = f.View(func(s *fsm.State) (err error) {
		recs, err = txRecords(s.Tx(), "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs, cells, byRegion
}

func cellName(typ byte, c reportcells.Cell) string { return fmt.Sprintf("%c %+v", typ, c) }

// diffCounts says how two count maps differ (a few keys), or "".
func diffCounts(want, got map[string]uint64) string {
	var d []string
	for k, v := range want {
		if got[k] != v {
			d = append(d, fmt.Sprintf("%s: %d, want %d", k, got[k], v))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			d = append(d, fmt.Sprintf("%s: %d (extra)", k, v))
		}
	}
	sort.Strings(d)
	if len(d) > 3 {
		d = append(d[:3], fmt.Sprintf("… %d in all", len(d)))
	}
	return strings.Join(d, "; ")
}

// chaosLoad writes contacts and organizations to the nodes, each with its
// id: a write is acknowledged by 201 (or 409: an earlier try of the same
// write was stored, its answer lost); any other outcome is unknown and sent
// again later.
type chaosLoad struct {
	ch   *chaos
	stop chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	ack     map[string][]string // region/kind -> ids acknowledged
	pending map[string][]chaosWrite
	retried int
}

type chaosWrite struct {
	region, kind, id string
	body             []byte
}

func (ch *chaos) startLoad() {
	l := &chaosLoad{ch: ch, stop: make(chan struct{}), ack: map[string][]string{}, pending: map[string][]chaosWrite{}}
	ch.load = l
	for i, r := range ch.regions {
		var contacts []*o211.Contact
		err := gen.GenerateContacts(gen.ContactsConfig{Seed: int64(i + 1), Days: 30, PerDay: 400, Regions: []string{r}},
			func(c *o211.Contact) error { contacts = append(contacts, c); return nil })
		if err != nil || len(contacts) == 0 {
			ch.t.Fatalf("generating %s's contacts: %d, %v", r, len(contacts), err)
		}
		l.wg.Add(1)
		go l.run(r, contacts)
	}
}

func (l *chaosLoad) run(r string, contacts []*o211.Contact) {
	defer l.wg.Done()
	cl := &http.Client{Timeout: 3 * time.Second}
	for i := 0; ; i++ {
		select {
		case <-l.stop:
			return
		default:
		}
		var w chaosWrite
		if i%2 == 0 && i/2 < len(contacts) {
			c := contacts[i/2]
			body, _ := json.Marshal(c)
			w = chaosWrite{r, "contact", c.ID, body}
		} else {
			id := fmt.Sprintf("00000000-0000-4000-8%03d-%012d", len(r), i)
			w = chaosWrite{r, "org", id, []byte(fmt.Sprintf(`{"id":%q,"name":"Chaos %s %d","description":"Written during the chaos suite"}`, id, r, i))}
		}
		if !l.send(cl, w) {
			l.mu.Lock()
			l.pending[r] = append(l.pending[r], w)
			l.mu.Unlock()
			<-time.After(100 * time.Millisecond) // the node is down or cut: pace the next try
		}
	}
}

// send writes w once and records it when acknowledged.
func (l *chaosLoad) send(cl *http.Client, w chaosWrite) bool {
	path := "/api/v1/organizations"
	if w.kind == "contact" {
		path = "/api/v1/contacts"
	}
	req, _ := http.NewRequest(http.MethodPost, l.ch.nodeURL(w.region)+path, bytes.NewReader(w.body))
	req.Header.Set("Authorization", "Bearer nt")
	req.Header.Set("Content-Type", "application/json")
	resp, err := cl.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	// 409: an earlier try whose answer was lost stored it (the id exists).
	ok := resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusConflict
	if ok {
		l.mu.Lock()
		l.ack[w.region+"/"+w.kind] = append(l.ack[w.region+"/"+w.kind], w.id)
		l.mu.Unlock()
	}
	return ok
}

func (ch *chaos) stopLoad() {
	close(ch.load.stop)
	ch.load.wg.Wait()
}

// retryUnknown sends every write whose outcome was unknown again, until
// each is acknowledged.
func (ch *chaos) retryUnknown() {
	l := ch.load
	cl := &http.Client{Timeout: 10 * time.Second}
	for _, r := range ch.regions {
		for _, w := range l.pending[r] {
			deadline := time.Now().Add(2 * time.Minute)
			for !l.send(cl, w) {
				if time.Now().After(deadline) {
					ch.procs[r].stop(syscall.SIGKILL) // its logs are whole once it has ended
					ch.t.Fatalf("%s %s %s is not acknowledged 2 minutes after the faults; the node's last words:\n%s",
						r, w.kind, w.id, lastLines(ch.procs[r].logs.String(), 30))
				}
				<-time.After(200 * time.Millisecond)
			}
			l.retried++
		}
	}
}

func (l *chaosLoad) acked(region, kind string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return dedupe(l.ack[region+"/"+kind])
}

func (l *chaosLoad) counts() (acked, retried int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ids := range l.ack {
		acked += len(dedupe(ids))
	}
	return acked, l.retried
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
