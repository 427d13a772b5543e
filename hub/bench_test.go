package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/internal/testutil"
)

// Figures for BENCHMARKS.md. Run with real fsync:
//
//	go test -run '^$' -bench . -benchtime 1x ./hub/          (failover, transfer: 20 trials each)
//	go test -run '^$' -bench DirectoryBatch -benchtime 200x ./hub/

// benchCluster is a three-replica cluster with real fsync.
func benchCluster(b *testing.B) *cluster {
	return newCluster(b, 3, withConfig(func(cfg *Config) { cfg.NoSync = false }))
}

// trials is how many failovers and transfers the benchmarks time.
const trials = 20

// writeUntilAcked writes a region through replica id until a write is
// acknowledged by a leader other than not, and returns when that happened.
func writeUntilAcked(b *testing.B, c *cluster, id, not string, seq int) time.Time {
	for {
		r := c.r(id)
		body := fmt.Sprintf(`{"name":"Trial %d"}`, seq)
		req, _ := http.NewRequest(http.MethodPut, "http://"+r.HTTPAddr()+"/api/v1/regions/bench", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		resp, err := http.DefaultClient.Do(req.WithContext(ctx))
		cancel()
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && resp.Header.Get("X-O211-Served-By") != not {
			return time.Now()
		}
	}
}

// reportDurations records the median and worst of durations as benchmark metrics.
func reportDurations(b *testing.B, name string, ds []time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	b.ReportMetric(ds[len(ds)/2].Seconds(), name+"_median_s")
	b.ReportMetric(ds[len(ds)-1].Seconds(), name+"_worst_s")
	b.ReportMetric(ds[0].Seconds(), name+"_best_s")
	var s []string
	for _, d := range ds {
		s = append(s, strconv.FormatInt(d.Milliseconds(), 10))
	}
	b.Logf("%s over %d trials (ms, sorted): %s", name, len(ds), strings.Join(s, " "))
}

// settle waits until every replica runs, agrees on a leader and is ready.
func settle(b *testing.B, c *cluster) *Replica {
	leader := c.leader(20 * time.Second)
	testutil.CheckFor(b, 20*time.Second, func() error {
		for _, id := range c.ids() {
			if err := c.r(id).Ready(); err != nil {
				return err
			}
			if c.r(id).raft.AppliedIndex() < leader.raft.CommitIndex() {
				return fmt.Errorf("%s behind", id)
			}
		}
		return nil
	})
	return leader
}

// BenchmarkFailover times, over 20 trials, a hard kill of the leader to the
// first write acknowledged by the new leader, written through a survivor's
// HTTP API throughout.
func BenchmarkFailover(b *testing.B) {
	c := benchCluster(b)
	var ds []time.Duration
	for i := 0; i < trials; i++ {
		old := settle(b, c).ID()
		via := followerOf(c, c.r(old)).ID()
		writeUntilAcked(b, c, via, "", i)
		start := time.Now()
		c.stop(old, true)
		end := writeUntilAcked(b, c, via, old, i)
		ds = append(ds, end.Sub(start))
		c.start(old)
	}
	reportDurations(b, "failover", ds)
}

// BenchmarkLeadershipTransfer times, over 20 trials, a graceful Close of the
// leader (which hands leadership over) to the first write acknowledged by
// the new leader.
func BenchmarkLeadershipTransfer(b *testing.B) {
	c := benchCluster(b)
	var ds []time.Duration
	for i := 0; i < trials; i++ {
		old := settle(b, c).ID()
		via := followerOf(c, c.r(old)).ID()
		writeUntilAcked(b, c, via, "", i)
		start := time.Now()
		done := make(chan struct{})
		go func() { c.stop(old, false); close(done) }()
		end := writeUntilAcked(b, c, via, old, i)
		ds = append(ds, end.Sub(start))
		<-done
		c.start(old)
	}
	reportDurations(b, "transfer", ds)
}

// benchRecords returns n records of region: organisations and services of
// realistic size.
func benchRecords(b *testing.B, region string, from, n int) []*o211.Record {
	recs := make([]*o211.Record, 0, n)
	desc := strings.Repeat("Community food programme with hot meals and groceries for families. ", 5)
	for i := from; len(recs) < n; i++ {
		orgID := fmt.Sprintf("%s-org-%d", region, i)
		var obj o211.Object = &o211.Organization{ID: orgID, Name: "Organisation " + orgID, Description: desc}
		if i%2 == 1 {
			obj = &o211.Service{ID: fmt.Sprintf("%s-svc-%d", region, i), OrganizationID: fmt.Sprintf("%s-org-%d", region, i-1),
				Name: "Food bank", Description: desc, Status: "active"}
		}
		data, err := json.Marshal(obj)
		if err != nil {
			b.Fatal(err)
		}
		recs = append(recs, &o211.Record{Kind: obj.ObjectKind(), ID: obj.ObjectID(), Region: region, Version: 1,
			Modified: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Data: data})
	}
	return recs
}

// BenchmarkDirectoryBatch measures replicated directory writes, batched:
// concurrent regions post batches of records to the leader's HTTP API; each
// batch is one Raft entry, committed with real fsync on three replicas.
func BenchmarkDirectoryBatch(b *testing.B) {
	for _, size := range []int{100, 500, 1000} {
		b.Run(fmt.Sprintf("records=%d", size), func(b *testing.B) { benchBatches(b, size, 4) })
	}
}

// BenchmarkSmallWrites measures single-record batches, one writer against
// sixteen: what Raft's pipelining and the batching state machine gain.
func BenchmarkSmallWrites(b *testing.B) {
	for _, writers := range []int{1, 16} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) { benchBatches(b, 1, writers) })
	}
}

func benchBatches(b *testing.B, size, writers int) {
	c := benchCluster(b)
	leader := c.leader(10 * time.Second)
	registerRegions(b, c.client(leader.ID()), "bench")
	// The bodies are encoded before the clock starts: in production the
	// region nodes, not the hub, spend that time.
	bodies := make([][][]byte, writers)
	for w := range bodies {
		region := fmt.Sprintf("bench%d", w)
		registerRegions(b, c.client(leader.ID()), region)
		for k := w; k < b.N; k += writers {
			seq := uint64(len(bodies[w]) + 1)
			body, err := json.Marshal(&fsm.IngestBatch{Region: region, FromSeq: seq, ToSeq: seq,
				Records: benchRecords(b, region, int(seq-1)*size, size)})
			if err != nil {
				b.Fatal(err)
			}
			bodies[w] = append(bodies[w], body)
		}
	}
	term := leader.raft.CurrentTerm()
	url := "http://" + leader.HTTPAddr() + "/api/v1/directory/batch"
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, body := range bodies[w] {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+testToken)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("batch: %s", resp.Status)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N*size)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "entries/s")
	b.ReportMetric(float64(leader.raft.CurrentTerm()-term), "elections")
}
