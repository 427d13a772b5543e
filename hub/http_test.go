package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/httpx"
)

// followerOf returns a running replica other than the leader.
func followerOf(c *cluster, leader *Replica) *Replica {
	for _, id := range c.running() {
		if id != leader.ID() {
			return c.r(id)
		}
	}
	return nil
}

func TestHTTP_API(t *testing.T) {
	c := newCluster(t, 3, withGroups(routesFunc(func(r chi.Router) {
		r.Get("/hsds/", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"version":"3.0"}`)) })
	})))
	leader := c.leader(10 * time.Second)
	follower := followerOf(c, leader)
	for _, tc := range []struct {
		name string
		test func(*testing.T, *cluster, *Replica, *Replica)
	}{
		{"WriteOnFollowerLands", testWriteOnFollower},
		{"ClusterFields", testClusterFields},
		{"RegionValidation", testRegionValidation},
		{"BatchAppliedOnce", testBatchAppliedOnce},
		{"ConsistentRead", testConsistentRead},
		{"HealthReadyMetrics", testHealthReadyMetrics},
		{"Holes", testHTTPHoles},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, c, leader, follower) })
	}
}

func testWriteOnFollower(t *testing.T, c *cluster, leader, follower *Replica) {
	ctx := context.Background()
	fc := c.client(follower.ID())
	reg, err := fc.PutRegion(ctx, o211.Region{ID: "east", Name: "Eastern Ontario", City: "Ottawa", Lat: 45.42, Lon: -75.69})
	if err != nil || reg.Name != "Eastern Ontario" || reg.Registered.IsZero() {
		t.Fatalf("PutRegion on follower = %+v, %v", reg, err)
	}
	// Read back where it was written: the follower applies it shortly.
	testutil.CheckFor(t, 5*time.Second, func() error {
		list, err := fc.Regions(ctx)
		if err != nil {
			return err
		}
		if len(list.Regions) != 1 || list.Regions[0].ID != "east" || list.AppliedIndex == 0 {
			return fmt.Errorf("regions on follower: %+v", list)
		}
		return nil
	})
}

func testClusterFields(t *testing.T, c *cluster, leader, follower *Replica) {
	ctx := context.Background()
	fc := c.client(follower.ID())
	resp, err := http.Get("http://" + follower.HTTPAddr() + "/api/v1/cluster")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	json.NewDecoder(resp.Body).Decode(&got)
	for _, k := range []string{"id", "leader", "term", "commit_index", "applied_index", "peers", "state"} {
		if _, ok := got[k]; !ok {
			t.Errorf("GET /api/v1/cluster lacks %q: %v", k, got)
		}
	}
	if got["id"] != follower.ID() || got["leader"] != leader.ID() || got["state"] != "follower" {
		t.Errorf("got id %v leader %v state %v; want %s, %s, follower", got["id"], got["leader"], got["state"], follower.ID(), leader.ID())
	}
	if resp.Header.Get(headerIndex) == "" {
		t.Errorf("no %s header", headerIndex)
	}
	testutil.CheckFor(t, 5*time.Second, func() error {
		st, err := fc.Cluster(ctx)
		if err != nil {
			return err
		}
		if len(st.Peers) != 3 {
			return fmt.Errorf("%d peers, want 3", len(st.Peers))
		}
		for _, p := range st.Peers {
			if p.HTTP == "" || p.Raft == "" || p.Suffrage != "voter" || p.Leader != (p.ID == leader.ID()) {
				return fmt.Errorf("peer %+v", p)
			}
		}
		return nil
	})
}

func testRegionValidation(t *testing.T, c *cluster, leader, follower *Replica) {
	for _, tc := range []struct {
		name, path, body, field string
		status                  int
	}{
		{"ErrInvalidID", "/api/v1/regions/East_1", `{"name":"x"}`, "id", 400},
		{"ErrNameRequired", "/api/v1/regions/west", `{"city":"Kenora"}`, "name", 400},
		{"ErrIDMismatch", "/api/v1/regions/west", `{"id":"north","name":"x"}`, "id", 400},
		{"ErrUnknownField", "/api/v1/regions/west", `{"name":"x","colour":"red"}`, "", 400},
		{"ErrNotJSON", "/api/v1/regions/west", `name=x`, "", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := doJSON(t, follower, http.MethodPut, tc.path, tc.body, testToken, tc.status)
			if p.Code != o211.EINVALID || p.Field != tc.field || p.Detail == "" {
				t.Fatalf("problem %+v; want invalid on field %q", p, tc.field)
			}
		})
	}
	t.Run("ErrNoToken", func(t *testing.T) {
		p := doJSON(t, follower, http.MethodPut, "/api/v1/regions/west", `{"name":"West"}`, "", 401)
		if p.Code != o211.EUNAUTHORIZED {
			t.Fatalf("problem %+v; want unauthorized", p)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		p := doJSON(t, follower, http.MethodGet, "/api/v1/regions/nowhere", "", "", 404)
		if p.Code != o211.ENOTFOUND {
			t.Fatalf("problem %+v; want not_found", p)
		}
	})
}

func testBatchAppliedOnce(t *testing.T, c *cluster, leader, follower *Replica) {
	ctx := context.Background()
	fc := c.client(follower.ID())
	b := &fsm.IngestBatch{Region: "east", FromSeq: 1, ToSeq: 2, Records: []*o211.Record{org(t, "east", "o1", 1), org(t, "east", "o2", 1)}}
	res, err := fc.ApplyBatch(ctx, b)
	if err != nil || res.Mark != 2 || res.Applied != 2 {
		t.Fatalf("first = %+v, %v; want 2 applied, mark 2", res, err)
	}
	res, err = c.client(leader.ID()).ApplyBatch(ctx, b)
	if err != nil || !res.Skipped || res.Mark != 2 || res.Applied != 0 {
		t.Fatalf("again = %+v, %v; want skipped at mark 2", res, err)
	}
	gap := &fsm.IngestBatch{Region: "east", FromSeq: 4, ToSeq: 4, Records: []*o211.Record{org(t, "east", "o4", 1)}}
	res, err = fc.ApplyBatch(ctx, gap)
	if o211.ErrorCode(err) != o211.ECONFLICT || res.Mark != 2 {
		t.Fatalf("gap = %+v, %v; want conflict naming mark 2", res, err)
	}
	testutil.CheckFor(t, 5*time.Second, func() error { return hasRecords(follower, []string{"o1", "o2"}) })
}

func testConsistentRead(t *testing.T, c *cluster, leader, follower *Replica) {
	ctx := context.Background()
	fc := c.client(follower.ID())
	if _, err := fc.PutRegion(ctx, o211.Region{ID: "north", Name: "North"}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + follower.HTTPAddr() + "/api/v1/regions?consistent=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list RegionList
	json.NewDecoder(resp.Body).Decode(&list)
	if len(list.Regions) != 2 || resp.Header.Get("X-O211-Served-By") != leader.ID() {
		t.Fatalf("consistent read served by %s: %+v", resp.Header.Get("X-O211-Served-By"), list)
	}
	idx, _ := strconv.ParseUint(resp.Header.Get(headerIndex), 10, 64)
	if idx != list.AppliedIndex || idx == 0 {
		t.Fatalf("header index %d, body %d", idx, list.AppliedIndex)
	}
}

func testHealthReadyMetrics(t *testing.T, c *cluster, leader, follower *Replica) {
	for _, path := range []string{"/healthz", "/readyz"} {
		doJSON(t, follower, http.MethodGet, path, "", "", 200)
	}
	doJSON(t, follower, http.MethodGet, "/hsds/", "", "", 200) // mounted through Replica.Mount
	resp, err := http.Get("http://" + follower.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{`o211_hub_raft_state{state="follower"} 1`, "o211_hub_raft_term", "o211_hub_raft_last_contact_seconds",
		"o211_hub_raft_commit_index", "o211_hub_raft_applied_index", "o211_hub_leader_changes_total",
		"o211_hub_fsm_snapshots_total", "o211_hub_fsm_restores_total", "o211_hub_forwarded_requests_total"} {
		if !bytes.Contains(body, []byte(m)) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	resp, _ = http.Get("http://" + leader.HTTPAddr() + "/metrics")
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte("o211_hub_apply_seconds_count")) {
		t.Errorf("leader /metrics lacks the apply latency histogram")
	}
}

// doJSON sends a request to replica r and checks the status; for an error
// status it returns the decoded problem.
func doJSON(t *testing.T, r *Replica, method, path, body, token string, status int) httpx.Problem {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+r.HTTPAddr()+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, b, status)
	}
	var p httpx.Problem
	if status >= 300 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("content type %q, want application/problem+json", ct)
		}
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func TestParsePeers(t *testing.T) {
	got, err := ParsePeers(" h1=10.0.0.1:7000, h2=10.0.0.2:7000,h3=hub3.example:7000")
	if err != nil || len(got) != 3 || got["h3"] != "hub3.example:7000" {
		t.Fatalf("ParsePeers = %v, %v", got, err)
	}
	if s := FormatPeers(got); s != "h1=10.0.0.1:7000,h2=10.0.0.2:7000,h3=hub3.example:7000" {
		t.Fatalf("FormatPeers = %q", s)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"ErrNoEquals", "h1=a:1,h2", `"h2" is not id=host:port`},
		{"ErrBadID", "h 1=a:1", "not a valid replica id"},
		{"ErrNoPort", "h1=10.0.0.1", "not host:port"},
		{"ErrBadPort", "h1=10.0.0.1:http", "no valid port"},
		{"ErrAnyHost", "h1=0.0.0.0:7000", "not an address others can reach"},
		{"ErrDuplicateID", "h1=a:1,h1=b:1", "listed twice"},
		{"ErrDuplicateAddr", "h1=a:1,h2=a:1", "same address"},
		{"ErrEmptyEntry", "h1=a:1,,h2=b:1", "entry 2 is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePeers(tc.in)
			if o211.ErrorCode(err) != o211.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParsePeers(%q) = %v, want EINVALID containing %q", tc.in, err, tc.want)
			}
		})
	}
	if got, err := ParsePeers(""); err != nil || len(got) != 0 {
		t.Fatalf("ParsePeers(\"\") = %v, %v", got, err)
	}
}

func TestReplica_StartErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"ErrNoID", Config{DataDir: t.TempDir(), RaftAddr: ":0", HTTPAddr: ":0"}, "replica id"},
		{"ErrNotInPeers", Config{ID: "h1", DataDir: t.TempDir(), RaftAddr: ":0", HTTPAddr: ":0", Peers: map[string]string{"h2": "127.0.0.1:1"}}, "do not include"},
		{"ErrLease", Config{ID: "h1", DataDir: t.TempDir(), RaftAddr: ":0", HTTPAddr: ":0", HeartbeatTimeout: 100 * time.Millisecond, LeaderLeaseTimeout: time.Second}, "lease"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(tc.cfg)
			err := r.Start(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Start = %v, want an error about %q", err, tc.want)
			}
			if err := r.Close(); err != nil {
				t.Fatalf("Close after a failed start: %v", err)
			}
		})
	}
	t.Run("ErrRaftAddrInUse", func(t *testing.T) {
		c := newCluster(t, 1)
		r := New(Config{ID: "x", DataDir: t.TempDir(), RaftAddr: c.node("h1").cfg.RaftAddr, HTTPAddr: ":0", Logger: c.logger})
		if err := r.Start(context.Background()); err == nil {
			r.Close()
			t.Fatal("started on a Raft address in use")
		}
	})
	t.Run("SingleReplicaOnAnyPort", func(t *testing.T) {
		r := New(Config{ID: "solo", DataDir: t.TempDir(), RaftAddr: ":0", HTTPAddr: ":0", Logger: testutil.Logger(t), NoSync: true,
			WriteTimeout: 200 * time.Millisecond})
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if !strings.HasPrefix(r.RaftAddr(), "127.0.0.1:") || strings.HasSuffix(r.RaftAddr(), ":0") || !strings.HasPrefix(r.HTTPAddr(), "127.0.0.1:") {
			t.Fatalf("addresses %s %s", r.RaftAddr(), r.HTTPAddr())
		}
		// Not bootstrapped: no leader, and writes say so after the deadline.
		if r.Leader() != "" {
			t.Fatalf("leader %q without a cluster", r.Leader())
		}
		var pe *ProblemError
		cl := &Client{BaseURL: "http://" + r.HTTPAddr()}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := cl.PutRegion(ctx, o211.Region{ID: "east", Name: "East"})
		if !errors.As(err, &pe) || pe.Problem.Status != 503 {
			t.Fatalf("write without a cluster = %v, want 503", err)
		}
	})
}
