package node

import (
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/o211/o211/node/queue"
)

// openQueue opens the region's contact queue, DataDir/queue.db.
func (n *Node) openQueue() error {
	n.routeTime = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "o211", Name: "queue_route_seconds",
		Help:        "Duration of the queue's routing decisions (offers to navigators after each change).",
		ConstLabels: prometheus.Labels{"region": n.cfg.Region},
		Buckets:     []float64{1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 5e-2}})
	q, err := queue.Open(queue.Config{Path: filepath.Join(n.cfg.DataDir, "queue.db"), Region: n.cfg.Region,
		NoSync: n.cfg.NoSync, OfferTimeout: n.cfg.QueueOfferTimeout, Logger: n.log, Now: n.cfg.Now,
		OnRoute: func(d time.Duration) { n.routeTime.Observe(d.Seconds()) }})
	if err != nil {
		return err
	}
	n.queue = q
	return nil
}

// Queue returns the region's contact queue (nil before Start): the
// channel gateway enqueues into it.
func (n *Node) Queue() *queue.Queue { return n.queue }

// queueCollectors returns the queue's metrics.
func (n *Node) queueCollectors() []prometheus.Collector {
	return []prometheus.Collector{queue.NewCollector(n.queue), n.routeTime}
}
