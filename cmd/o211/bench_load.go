package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/geo"
)

// benchTopics are what callers ask 211 for most, as search text with the
// HSIS code a navigator would narrow it to, in English and French.
var benchTopics = []struct{ text, taxonomy string }{
	{"food bank", "BD"}, {"banque alimentaire", "BD"}, {"meals", "BD-5000"}, {"repas", "BD"},
	{"shelter", "BH"}, {"hébergement", "BH"}, {"housing", "BH"}, {"logement", "BH"},
	{"counselling", "R"}, {"mental health", "R"}, {"santé mentale", "R"},
	{"employment", "N"}, {"emploi", "N"}, {"legal", "F"}, {"clinic", "L"},
	{"clothing", "BM"}, {"seniors", "P"}, {"youth", "P"}, {"newcomers", "P"}, {"dental", "L"},
}

// frenchTopics are the benchTopics in French, asked of the French portal.
var frenchTopics = map[string]bool{"banque alimentaire": true, "repas": true, "hébergement": true,
	"logement": true, "santé mentale": true, "emploi": true}

type benchStats struct {
	buf       bytes.Buffer
	latencies []time.Duration
	sizes     []int // bytes of each answer as sent (compressed)
	empty     int
	errors    int
}

// load runs the closed-loop clients against base and prints percentiles.
func (b *searchBench) load(ctx context.Context, base string) error {
	if err := b.resolveOpenAt(); err != nil {
		return err
	}
	fsas := geo.FSAs()
	transport := &http.Transport{MaxIdleConnsPerHost: b.clients * 2}
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	defer transport.CloseIdleConnections()
	run := func(d time.Duration, seed uint64) []benchStats {
		stats := make([]benchStats, b.clients)
		var wg sync.WaitGroup
		stop := time.Now().Add(d)
		for c := 0; c < b.clients; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(seed, uint64(c)))
				for time.Now().Before(stop) && ctx.Err() == nil && !b.ended() {
					b.one(client, base, rng, fsas, &stats[c])
				}
			}(c)
		}
		wg.Wait()
		return stats
	}
	run(b.warmup, 1)
	cpu0, start := cpuOf(b.pid), time.Now()
	stats := run(b.duration, 2)
	elapsed, cpu := time.Since(start), cpuOf(b.pid)-cpu0
	var all []time.Duration
	var sizes []int
	empty, errs := 0, 0
	for _, s := range stats {
		all = append(all, s.latencies...)
		sizes = append(sizes, s.sizes...)
		empty += s.empty
		errs += s.errors
	}
	if len(all) == 0 {
		return fmt.Errorf("no query was answered")
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) time.Duration { return all[int(p*float64(len(all)-1))] }
	fmt.Fprintf(b.out, "search through HTTP: %d queries in %s (%.0f/s), %d errors, %.0f%% with no result\n",
		len(all), elapsed.Round(time.Millisecond), float64(len(all))/elapsed.Seconds(), errs, 100*float64(empty)/float64(len(all)))
	fmt.Fprintf(b.out, "latency: p50 %s  p90 %s  p99 %s  max %s\n",
		micros(pct(0.50)), micros(pct(0.90)), micros(pct(0.99)), micros(all[len(all)-1]))
	if b.pid > 0 && cpu > 0 {
		fmt.Fprintf(b.out, "node CPU time: %s per query (user + system, from /proc)\n", micros(cpu/time.Duration(len(all))))
	}
	if len(sizes) > 0 {
		sort.Ints(sizes)
		fmt.Fprintf(b.out, "results page as sent (brotli): p50 %.1f KB  p99 %.1f KB  max %.1f KB\n", float64(sizes[len(sizes)/2])/1000,
			float64(sizes[int(0.99*float64(len(sizes)-1))])/1000, float64(sizes[len(sizes)-1])/1000)
	}
	if errs > 0 {
		return fmt.Errorf("%d queries failed", errs)
	}
	return nil
}

func micros(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// one sends one query and records its latency.
func (b *searchBench) one(client *http.Client, base string, rng *rand.Rand, fsas []geo.FSA, s *benchStats) {
	if b.surface == "portal" {
		b.onePortal(client, base, rng, fsas, s)
		return
	}
	topic := benchTopics[rng.IntN(len(benchTopics))]
	q := url.Values{"q": {topic.text}}
	if b.kind == "full" {
		q.Set("taxonomy", topic.taxonomy)
		q.Set("near", fsas[rng.IntN(len(fsas))].Code)
		q.Set("radius_km", "25")
		if b.openAt == "now" {
			q.Set("open_now", "true")
		} else {
			q.Set("open_at", b.openTime)
		}
	}
	start := time.Now()
	resp, err := client.Get(base + "/api/v1/search?" + q.Encode())
	if err != nil {
		s.errors++
		return
	}
	// Read the answer whole, but parse only its total: the client shares the
	// machine's cores with the node and should cost it as little as possible.
	s.buf.Reset()
	_, err = s.buf.ReadFrom(resp.Body)
	resp.Body.Close()
	total, ok := jsonTotal(s.buf.Bytes())
	if err != nil || resp.StatusCode != http.StatusOK || !ok {
		s.errors++
		return
	}
	s.latencies = append(s.latencies, time.Since(start))
	if total == 0 {
		s.empty++
	}
}

// resolveOpenAt turns the --open-at flag into the open_at parameter.
func (b *searchBench) resolveOpenAt() error {
	switch b.openAt {
	case "now":
		return nil
	case "tuesday-11":
		now := time.Now().In(o211.Toronto())
		d := now.AddDate(0, 0, (int(time.Tuesday)-int(now.Weekday())+7)%7)
		b.openTime = time.Date(d.Year(), d.Month(), d.Day(), 11, 0, 0, 0, o211.Toronto()).Format(time.RFC3339)
		return nil
	}
	if _, err := time.Parse(time.RFC3339, b.openAt); err != nil {
		return fmt.Errorf("--open-at %q: use tuesday-11, now or an RFC 3339 time", b.openAt)
	}
	b.openTime = b.openAt
	return nil
}

// jsonTotal reads the leading "total" of a search answer.
func jsonTotal(b []byte) (int, bool) {
	const key = `{"total":`
	if !bytes.HasPrefix(b, []byte(key)) {
		return 0, false
	}
	n, i := 0, len(key)
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int(b[i]-'0')
	}
	return n, i > len(key)
}

// onePortal asks the public portal for a results page as a browser does:
// French for the French topics, brotli accepted, the same filters as the
// full query mix (category, near an FSA, 25 km, open now). The answer is
// counted as sent, compressed; the page's heading says whether it is empty.
func (b *searchBench) onePortal(client *http.Client, base string, rng *rand.Rand, fsas []geo.FSA, s *benchStats) {
	topic := benchTopics[rng.IntN(len(benchTopics))]
	q := url.Values{"q": {topic.text}}
	if b.kind == "full" {
		q.Set("category", topic.taxonomy)
		q.Set("near", fsas[rng.IntN(len(fsas))].Code)
		q.Set("radius_km", "25")
		q.Set("open_now", "true")
	}
	path := "/search?"
	if frenchTopics[topic.text] {
		path = "/fr/search?"
	}
	req, _ := http.NewRequest(http.MethodGet, base+path+q.Encode(), nil)
	req.Header.Set("Accept-Encoding", "br, gzip")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		s.errors++
		return
	}
	s.buf.Reset()
	_, err = s.buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "br" {
		s.errors++
		return
	}
	s.latencies = append(s.latencies, time.Since(start))
	s.sizes = append(s.sizes, s.buf.Len())
	if resp.Header.Get("X-O211-Results") == "0" {
		s.empty++
	}
}
