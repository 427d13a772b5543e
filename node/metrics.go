package node

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
)

// collectors returns the node's own metrics: directory sizes, search index
// size, store file size, change sequence, outbox backlog, group commits and
// the contacts reported.
func (n *Node) collectors() []prometheus.Collector {
	labels := prometheus.Labels{"region": n.cfg.Region}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "o211", Name: name, Help: help, ConstLabels: labels}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "o211", Name: name, Help: help, ConstLabels: labels}, f)
	}
	cs := []prometheus.Collector{
		gauge("search_index_docs", "Documents (services at locations) in the search index.", func() float64 {
			return float64(n.dir.IndexLen())
		}),
		gauge("store_size_bytes", "Size of the node's bbolt file.", func() float64 { return float64(n.dir.Store().Size()) }),
		gauge("store_change_seq", "Last change sequence number of the region's directory.", func() float64 {
			seq, _ := n.dir.Store().Seq()
			return float64(seq)
		}),
		gauge("outbox_entries", "Changes waiting to be sent to the provincial hub.", func() float64 {
			k, _, _ := n.dir.Store().OutboxStats()
			return float64(k)
		}),
		counter("store_group_commits_total", "Transactions of the store's group committer (contacts, audit, purge).", func() float64 {
			return float64(n.dir.Store().GroupCommitStats().Commits)
		}),
		counter("store_group_commit_requests_total", "Writes the group commits held: requests over commits is the sharing of fsyncs.", func() float64 {
			return float64(n.dir.Store().GroupCommitStats().Requests)
		}),
		gauge("report_contacts", "Closed contacts in the region's reports (anonymised report records).", func() float64 {
			return float64(n.reports.Contacts())
		}),
	}
	records := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "o211", Name: "directory_records",
		Help: "Live directory records by HSDS table.", ConstLabels: labels}, []string{"table"})
	cs = append(cs, &recordCounts{n: n, vec: records})
	if n.cfg.Replication != nil {
		cs = append(cs, newReplicationCollector(n))
	}
	return cs
}

// recordCounts reads the live record counts at each scrape.
type recordCounts struct {
	n   *Node
	vec *prometheus.GaugeVec
}

func (c *recordCounts) Describe(ch chan<- *prometheus.Desc) { c.vec.Describe(ch) }

func (c *recordCounts) Collect(ch chan<- prometheus.Metric) {
	_ = c.n.dir.View(func(tx hsds.Tx) error {
		for _, ki := range o211.Kinds() {
			k, _ := tx.Count(ki.Kind)
			c.vec.WithLabelValues(string(ki.Kind)).Set(float64(k))
		}
		return nil
	})
	c.vec.Collect(ch)
}
