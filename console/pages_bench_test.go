package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node"
)

// benchClients is how many clients ask for a page at once in
// BenchmarkConsolePages (issue 14's target: p99 server time ≤ 20 ms at 8).
const benchClients = 8

// serverTimes keeps the time the node's HTTP middleware logs for each
// request ("http request", duration): the server's own time, from the
// handler's start to its last write, without the client's.
type serverTimes struct {
	mu sync.Mutex
	d  []time.Duration
}

func (t *serverTimes) reset() {
	t.mu.Lock()
	t.d = t.d[:0]
	t.mu.Unlock()
}

// report sorts the times and reports their median and 99th percentile.
func (t *serverTimes) report(b *testing.B) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.d) == 0 {
		return
	}
	slices.Sort(t.d)
	at := func(p float64) float64 {
		return float64(t.d[min(len(t.d)-1, int(p*float64(len(t.d))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "srv-p50-ms")
	b.ReportMetric(at(0.99), "srv-p99-ms")
}

// timesHandler is the node's logger in the benchmark: it records the
// duration of every "http request" entry, and prints warnings and errors.
type timesHandler struct{ t *serverTimes }

func (h timesHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h timesHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "http request" {
		if r.Level >= slog.LevelWarn {
			fmt.Fprintln(os.Stderr, r.Level, r.Message)
		}
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "duration" {
			h.t.mu.Lock()
			h.t.d = append(h.t.d, a.Value.Duration())
			h.t.mu.Unlock()
			return false
		}
		return true
	})
	return nil
}

func (h timesHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h timesHandler) WithGroup(string) slog.Handler      { return h }

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pagesNode starts the node of BenchmarkConsolePages with its logger
// recording server times: O211_PORTAL_DATA's node (o211 bench search's,
// 60,000 services), fsyncing as a deployed node does unless
// O211_BENCH_NOSYNC is set, or the fixture.
func pagesNode(b *testing.B, times *serverTimes) (n *node.Node, today string) {
	b.Helper()
	log := slog.New(timesHandler{times})
	dir := os.Getenv("O211_PORTAL_DATA")
	if dir == "" {
		n = MustStartPortalWith(b, log)
		return n, fixtureNow.In(o211.Toronto()).Format(time.DateOnly)
	}
	n = node.New(node.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", NoSync: os.Getenv("O211_BENCH_NOSYNC") != "",
		Hasher: testHasher, Logger: log})
	if err := n.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close() })
	return n, time.Now().In(o211.Toronto()).Format(time.DateOnly)
}

// benchUser adds a user of role and signs them in.
func benchUser(b *testing.B, n *node.Node, role o211.Role) *staff {
	name := string(role) + time.Now().Format("150405.000000")
	mustAddUser(b, n, name, role)
	s := newStaff(b, n)
	s.signIn(name)
	return s
}

var addReferralRE = regexp.MustCompile(`name="add_referral" value="([^"]+)"`)

// benchContacts stores, as navigator s, an open contact with two needs, a
// first name, a follow-up due today and a referral from the search beside
// it, and a closed one; it returns their ids.
func benchContacts(b *testing.B, s *staff, today, search string) (open, closed string) {
	open, form := newWorkspace(b, s, "")
	form.Set("need_code_0", "BD-1800.2000")
	form.Set("need_code_1", "BH")
	form.Set("first_name", "Ana")
	form.Set("consent_follow_up", "yes")
	form.Set("follow_up", today)
	form.Set("action", "save")
	if pg := s.postForm("/console/contacts/"+open, form); pg.status != http.StatusSeeOther {
		b.Fatalf("saving the contact: %d %s", pg.status, summary(pg.body))
	}
	m := addReferralRE.FindStringSubmatch(s.get("/console/contacts/" + open + "?" + search).body)
	if m == nil {
		b.Fatal("the search beside the contact found nothing to refer to")
	}
	form.Del("action")
	form.Set("version", "1")
	form.Set("add_referral", m[1])
	if pg := s.postForm("/console/contacts/"+open, form); pg.status != http.StatusSeeOther {
		b.Fatalf("adding the referral: %d %s", pg.status, summary(pg.body))
	}
	closed, form = newWorkspace(b, s, "")
	form.Set("need_code_0", "BD-1800.2000")
	form.Set("first_name", "Bea")
	form.Set("outcome_0", "unmet:waitlist-full")
	form.Set("action", "close")
	if pg := s.postForm("/console/contacts/"+closed, form); pg.status != http.StatusSeeOther {
		b.Fatalf("closing the contact: %d %s", pg.status, summary(pg.body))
	}
	return open, closed
}

// BenchmarkConsolePages serves each console page of the navigator, the
// supervisor and the resource specialist to 8 signed-in clients at once
// over loopback, one page a sub-benchmark: the workspace of a new contact,
// the same with search results, the workspace of a stored contact (with
// two needs, a referral and a search beside it: its view is audited, one
// durable write), the record of a closed contact, the follow-ups, my
// contacts, the region's page, the audit log, and the directory's search,
// service form (English and French), change history and verification
// queue. Each reports the server's time of a page (srv-p50-ms,
// srv-p99-ms, from the node's request log), the process's CPU time per
// page (cpu-ms/page: the server's and the clients' together) and, with
// -benchmem, the allocations per page of both.
//
// O211_PORTAL_DATA names a node's data folder to serve (o211 bench
// search's, 60,000 services; the benchmark adds users and contacts to it,
// so give it a copy); the node fsyncs unless O211_BENCH_NOSYNC is set.
func BenchmarkConsolePages(b *testing.B) {
	times := &serverTimes{}
	n, today := pagesNode(b, times)
	nav := benchUser(b, n, o211.RoleNavigator)
	sup := benchUser(b, n, o211.RoleSupervisor)
	spec := benchUser(b, n, o211.RoleResourceSpecialist)
	search := url.Values{"s_q": {"banque alimentaire"}, "s_near": {"K1N"}, "s_radius": {"25"}}.Encode()
	open, closed := benchContacts(b, nav, today, search)
	res, err := n.Directory().Search(context.Background(), o211.Query{Text: "food", PerPage: 1})
	if err != nil || len(res.Results) == 0 {
		b.Fatalf("no service to open: %v", err)
	}
	svc := "/console/directory/service/" + res.Results[0].ServiceID
	pages := []struct {
		name string
		s    *staff
		path string
	}{
		{"WorkspaceNew", nav, "/console/contacts/new"},
		{"NavSearch", nav, "/fr/console/contacts/new?" + search},
		{"Workspace", nav, "/fr/console/contacts/" + open + "?" + search},
		{"Record", nav, "/console/contacts/" + closed},
		{"FollowUps", nav, "/console/followups"},
		{"MyContacts", nav, "/console/contacts"},
		{"Region", sup, "/console/region"},
		{"Audit", sup, "/console/audit"},
		{"DirSearch", spec, "/console/directory?q=food"},
		{"DirService", spec, svc},
		{"DirServiceFr", spec, "/fr" + svc},
		{"DirHistory", spec, svc + "/history"},
		{"DirVerify", spec, "/console/directory/verify"},
	}
	for _, pg := range pages {
		pg.s.get(pg.path).mustStatus(b, http.StatusOK)
		b.Run(pg.name, func(b *testing.B) { loadPage(b, times, pg.s, pg.path) })
	}
}

// loadPage asks for path b.N times from benchClients clients at once,
// each with s's cookies, brotli accepted but not decoded.
func loadPage(b *testing.B, times *serverTimes, s *staff, path string) {
	client := &http.Client{Jar: s.client.Jar, Transport: &http.Transport{MaxIdleConnsPerHost: benchClients, DisableCompression: true}}
	defer client.CloseIdleConnections()
	var next atomic.Int64
	var wg sync.WaitGroup
	times.reset()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime(b)
	for range benchClients {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
				req.Header.Set("Accept-Encoding", "br")
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("%s: %s", path, resp.Status)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/page")
	times.report(b)
}
