package queue

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Collector exports the queue's service level and state to Prometheus:
// by channel and language, over the stats window (gauges computed at
// each scrape), and the contacts waiting and navigators by presence now.
type Collector struct {
	q                                             *Queue
	level, waitAvg, waitP90, abandon, handle, ans *prometheus.Desc
	waiting, navs                                 *prometheus.Desc
}

// NewCollector returns the collector of q's metrics, labelled with its
// region.
func NewCollector(q *Queue) *Collector {
	labels := prometheus.Labels{"region": q.cfg.Region}
	d := func(name, help string, vars ...string) *prometheus.Desc {
		return prometheus.NewDesc("o211_queue_"+name, help, vars, labels)
	}
	cl := []string{"channel", "language"}
	return &Collector{q: q,
		level:   d("service_level_ratio", "Contacts answered within the answer target (90 s) over those who left the queue, over the stats window.", cl...),
		waitAvg: d("wait_avg_seconds", "Mean wait of answered contacts over the stats window.", cl...),
		waitP90: d("wait_p90_seconds", "90th percentile wait of answered contacts over the stats window.", cl...),
		abandon: d("abandon_ratio", "Contacts who left before being answered over those who left the queue, over the stats window.", cl...),
		handle:  d("handle_avg_seconds", "Mean time navigators had a finished contact over the stats window.", cl...),
		ans:     d("contacts", "Contacts over the stats window, by outcome (arrived, answered, abandoned).", "channel", "language", "outcome"),
		waiting: d("waiting", "Contacts waiting for a navigator now."),
		navs:    d("navigators", "Navigators by presence now.", "presence"),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.level, c.waitAvg, c.waitP90, c.abandon, c.handle, c.ans, c.waiting, c.navs} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.q.Stats()
	g := func(d *prometheus.Desc, v float64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, lv...)
	}
	for _, l := range s.Levels {
		ln := []string{string(l.Channel), l.Language}
		g(c.level, l.ServiceLevel, ln...)
		g(c.waitAvg, l.WaitAvg, ln...)
		g(c.waitP90, l.WaitP90, ln...)
		g(c.abandon, l.AbandonRate, ln...)
		g(c.handle, l.HandleAvg, ln...)
		g(c.ans, float64(l.Arrived), append(ln, "arrived")...)
		g(c.ans, float64(l.Answered), append(ln, "answered")...)
		g(c.ans, float64(l.Abandoned), append(ln, "abandoned")...)
	}
	g(c.waiting, float64(s.Waiting))
	for _, p := range []Presence{Available, Busy, WrapUp, Away} {
		g(c.navs, float64(s.Navigators[p]), string(p))
	}
}
