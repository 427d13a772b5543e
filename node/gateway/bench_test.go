package gateway_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// percentile returns the p-th percentile of ds (sorted in place).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[min(len(ds)-1, int(float64(len(ds))*p))]
}

// rssMiB returns this process's resident set size in MiB (Linux), or 0.
func rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkWebhook_Call places b.N calls through the Twilio stand-in, each
// three signed webhooks over loopback HTTP (greeting, language, postal
// code and <Enqueue> with the queue's fsync), and reports the answer
// time's percentiles of all webhooks and of the enqueueing one.
func BenchmarkWebhook_Call(b *testing.B) {
	e := MustStartEnv(b, func(c *envConfig) { c.sync = true })
	ctx := context.Background()
	var all, enq []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		from := fmt.Sprintf("+1613%07d", i)
		t0 := time.Now()
		call, err := e.twilio.Call(ctx, from, centreNumber)
		t1 := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		if err := call.Press(ctx, "1"); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := call.Speak(ctx, "K1N 6N5"); err != nil || call.Status() != "queued" {
			b.Fatal(err, call.Status())
		}
		t3 := time.Now()
		all = append(all, t1.Sub(t0), t2.Sub(t1), t3.Sub(t2))
		enq = append(enq, t3.Sub(t2))
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(all, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(all, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(percentile(enq, 0.5).Microseconds())/1000, "enqueue-p50-ms")
	b.ReportMetric(float64(percentile(enq, 0.99).Microseconds())/1000, "enqueue-p99-ms")
}

// BenchmarkChat_1000Sessions opens 1,000 chat sessions over WebSocket on
// one gateway (each routed and queued), then sends b.N messages at a
// steady 200 a second from the sessions in turn (every session writes
// every 5 s: a busy evening), each stored durably and echoed with its
// seq; every tenth message is followed by a navigator's reply posted
// through the conversations API. It reports the delivery time's p50 and
// p99 (browser's send to the echo; API call to the browser's receipt)
// and the process's RSS after the sessions opened, which holds the
// node's side and the 1,000 browsers' side, and the fsyncs per message
// delivered (two per commit of the store's shared transactions) and the
// writes each commit carried.
func BenchmarkChat_1000Sessions(b *testing.B) {
	const sessions, perSecond = 1000, 200
	e := MustStartEnv(b, func(c *envConfig) { c.sync = os.Getenv("O211_BENCH_NOSYNC") == "" })
	bs := make([]*browser, sessions)
	ids := make([]string, sessions)
	locks := make([]sync.Mutex, sessions)
	var wg sync.WaitGroup
	for i := range bs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			bs[i] = e.dialChat(b)
			bs[i].send(chatFrame{Type: "hello"})
			ids[i] = bs[i].next("welcome", func(f chatFrame) bool { return f.Type == "welcome" }).Session
			bs[i].send(chatFrame{Type: "msg", CID: "p", Body: "skip"})
			bs[i].next("queued", msgSeq(3))
		}(i)
	}
	wg.Wait()
	rss := rssMiB()
	var mu sync.Mutex
	var lat, echo, reply []time.Duration
	tick := time.NewTicker(time.Second / perSecond)
	defer tick.Stop()
	c0, w0 := e.gw.Store().CommitStats()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		<-tick.C
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			i := n % sessions
			locks[i].Lock()
			d := chatRound(b, e, bs[i], ids[i], n, n%10 == 0)
			locks[i].Unlock()
			mu.Lock()
			lat = append(lat, d...)
			echo = append(echo, d[0])
			reply = append(reply, d[1:]...)
			mu.Unlock()
		}(n)
	}
	wg.Wait()
	b.StopTimer()
	c1, w1 := e.gw.Store().CommitStats()
	b.ReportMetric(2*float64(c1-c0)/float64(len(lat)), "fsyncs/msg")
	b.ReportMetric(float64(w1-w0)/float64(max(1, c1-c0)), "writes/commit")
	b.ReportMetric(float64(percentile(lat, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(percentile(echo, 0.99).Microseconds())/1000, "echo-p99-ms")
	b.ReportMetric(float64(percentile(reply, 0.99).Microseconds())/1000, "reply-p99-ms")
	b.ReportMetric(rss, "RSS-MiB")
	b.ReportMetric(float64(e.gw.Sessions()), "sessions")
}

// chatRound sends one message from a browser and, when reply, posts a
// navigator's reply; it returns the delivery times.
func chatRound(b *testing.B, e *env, br *browser, id string, round int, reply bool) []time.Duration {
	cid := "r" + strconv.Itoa(round)
	t0 := time.Now()
	br.send(chatFrame{Type: "msg", CID: cid, Body: "message " + cid})
	br.next("the echo", func(f chatFrame) bool { return f.Type == "msg" && f.CID == cid })
	out := []time.Duration{time.Since(t0)}
	if reply {
		body := "reply " + cid
		t1 := time.Now()
		if st := e.api("POST", "/api/v1/conversations/"+url.PathEscape(id)+"/messages", map[string]string{"body": body}, nil); st != 201 {
			b.Errorf("reply: %d", st)
			return out
		}
		br.next("the reply", func(f chatFrame) bool { return f.Type == "msg" && f.Body == body })
		out = append(out, time.Since(t1))
	}
	return out
}
