package node

import (
	"context"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/o211/o211"
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
		OnRoute: func(d time.Duration) { n.routeTime.Observe(d.Seconds()) }, PhoneOf: n.servicePhone, Grants: n.grants})
	if err != nil {
		return err
	}
	n.queue = q
	return nil
}

// grants returns the languages and skills the region's user id was given
// on their account; someone without an account here (the bootstrap
// token) English and no skill.
func (n *Node) grants(ctx context.Context, id string) (languages, skills []string, err error) {
	u, err := n.dir.Store().User(ctx, id)
	if o211.ErrorCode(err) == o211.ENOTFOUND {
		return []string{"en"}, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	return u.GrantedLanguages(), u.Skills, nil
}

// servicePhone returns the phone number of a service of the region (or
// of the provincial copy): the service's own first, else that of its
// first location, else its organization's. ENOTFOUND without one.
func (n *Node) servicePhone(ctx context.Context, id string) (string, error) {
	svc, err := nodeServices{n}.Service(ctx, id)
	if err != nil {
		return "", err
	}
	phones := svc.Phones
	for _, sal := range svc.ServiceAtLocations {
		if sal.Location != nil {
			phones = append(phones, sal.Location.Phones...)
		}
	}
	if svc.Organization != nil {
		phones = append(phones, svc.Organization.Phones...)
	}
	for _, p := range phones {
		if p.Number != "" {
			return p.Number, nil
		}
	}
	return "", o211.Errorf(o211.ENOTFOUND, "service %q has no phone number in the directory", id)
}

// Queue returns the region's contact queue (nil before Start): the
// channel gateway enqueues into it.
func (n *Node) Queue() *queue.Queue { return n.queue }

// queueCollectors returns the queue's metrics.
func (n *Node) queueCollectors() []prometheus.Collector {
	return []prometheus.Collector{queue.NewCollector(n.queue), n.routeTime}
}
