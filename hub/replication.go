package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/node/store"
	"github.com/o211/o211/replication"
)

// ReplicationConfig configures a replica's side of replication.
type ReplicationConfig struct {
	// NATS configures the replica's embedded server: ClusterAddr and
	// Routes (the other replicas), LeafAddr (the nodes connect there),
	// ClientAddr (optional), TLS, Trust and Creds. Name defaults to
	// "hub-<id>"; Logger to the replica's.
	NATS replication.ServerConfig
	// Hub tunes the service (pages, workers); its Server, Ingest, View,
	// Regions, Logger and Now are filled in.
	Hub replication.HubConfig
}

// Replication is a replica's side of replication: its embedded NATS server
// (a member of the hub cluster, with the leaf listener the region nodes
// connect to), the pulls it answers from its state, and, while it leads,
// the pushes it applies through Raft and the notices it sends.
type Replication struct {
	r   *Replica
	cfg ReplicationConfig
	// srv and hub are set by Start; Raft's apply goroutine and HTTP
	// handlers read them meanwhile.
	srv atomic.Pointer[replication.Server]
	hub atomic.Pointer[replication.Hub]

	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

var _ replication.Ingester = (*Replication)(nil)

// ServeReplication makes the replica serve replication. Call it before
// Start; start the returned Replication after the replica.
func (r *Replica) ServeReplication(cfg ReplicationConfig) *Replication {
	x := &Replication{r: r, cfg: cfg}
	prevApply := r.cfg.OnApply
	r.cfg.OnApply = func(e fsm.Event) {
		if prevApply != nil {
			prevApply(e)
		}
		if h := x.hub.Load(); h != nil && (len(e.Changed) > 0 || e.Restored) && r.IsLeader() {
			h.Notify()
		}
	}
	r.Mount(x)
	return x
}

// Routes mounts the replica's replication status, GET /api/v1/status, on rt.
func (x *Replication) Routes(rt chi.Router) { rt.Get("/api/v1/status", x.getStatus) }

// Start starts the embedded server and the service, and follows the
// replica's leadership. It returns configuration and listen errors.
func (x *Replication) Start(ctx context.Context) error {
	cfg := x.cfg.NATS
	if cfg.Name == "" {
		cfg.Name = "hub-" + x.r.cfg.ID
	}
	if cfg.Logger == nil {
		cfg.Logger = x.r.logger
	}
	srv, err := replication.StartServer(cfg)
	if err != nil {
		return fmt.Errorf("hub: start replication: %w", err)
	}
	x.srv.Store(srv)
	hc := x.cfg.Hub
	hc.Server, hc.Ingest, hc.View, hc.Regions = srv, x, x.view, x.regions
	hc.Logger, hc.Now = x.r.logger, x.r.cfg.Now
	hub := replication.NewHub(hc)
	if err := hub.Start(); err != nil {
		srv.Close()
		return fmt.Errorf("hub: start replication: %w", err)
	}
	x.hub.Store(hub)
	bg, cancel := context.WithCancel(context.Background())
	x.cancel = cancel
	x.wg.Add(1)
	go x.followLeader(bg)
	x.r.metrics.reg.MustRegister(&replicationCollector{x: x})
	x.r.logger.Info("hub replication started", "cluster", srv.ClusterAddr(), "leaf", srv.LeafAddr())
	return nil
}

// followLeader answers pushes exactly while the replica leads.
func (x *Replication) followLeader(ctx context.Context) {
	defer x.wg.Done()
	hub := x.hub.Load()
	for {
		changed := x.r.LeaderChanged()
		leading := x.r.IsLeader()
		hub.SetLeader(leading)
		if leading {
			hub.Notify() // nodes that missed notices while there was no leader
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
	}
}

// Close stops answering pushes and pulls, then shuts the embedded server
// down (the nodes linked here move to another replica). It is safe to call
// more than once and on a Replication that failed to start.
func (x *Replication) Close() error {
	x.once.Do(func() {
		if x.cancel != nil {
			x.cancel()
			x.wg.Wait()
		}
		if h := x.hub.Load(); h != nil {
			h.Close()
		}
		if s := x.srv.Load(); s != nil {
			s.Close()
		}
	})
	return nil
}

// Server returns the replica's embedded NATS server (nil before Start).
func (x *Replication) Server() *replication.Server { return x.srv.Load() }

// Ingest applies a region's batch through Raft; see replication.Ingester.
func (x *Replication) Ingest(ctx context.Context, region string, raw []byte) *replication.IngestReply {
	var b fsm.IngestBatch
	if err := decodeStrict(raw, &b); err != nil {
		return &replication.IngestReply{Error: &replication.WireError{Code: o211.ErrorCode(err), Message: o211.ErrorMessage(err)}}
	}
	if b.Region != region {
		return &replication.IngestReply{Error: &replication.WireError{Code: o211.EFORBIDDEN,
			Message: fmt.Sprintf("a batch of region %q was sent on the subject of region %q", b.Region, region)}}
	}
	res, index, err := x.r.ingest(ctx, &b)
	rep := &replication.IngestReply{Index: index}
	if res != nil {
		mark := res.Mark
		rep.Mark, rep.Skipped, rep.Applied, rep.Stale, rep.Reports = &mark, res.Skipped, res.Applied, res.Stale, res.Reports
		for _, c := range res.Conflicts {
			rep.Conflicts = append(rep.Conflicts, fmt.Sprintf("%s %s (owned by %s)", c.Kind, c.ID, c.Owner))
			rep.ConflictRecords = append(rep.ConflictRecords, replication.Conflict{Table: c.Kind, ID: c.ID,
				Region: region, Owner: c.Owner, At: res.At})
		}
	}
	switch {
	case err == nil:
	case retryable(err):
		rep.Error = &replication.WireError{Code: replication.CodeNotLeader, Message: err.Error()}
	case errors.Is(err, ErrTimeout), errors.Is(err, ErrClosed):
		rep.Error = &replication.WireError{Code: o211.EUNAVAILABLE, Message: err.Error()}
	default:
		rep.Error = &replication.WireError{Code: o211.ErrorCode(err), Message: o211.ErrorMessage(err)}
		if rep.Error.Code == o211.EINTERNAL {
			x.r.logger.Error("hub: ingest failed", "region", region, "error", err)
		}
	}
	return rep
}

// view reads the provincial directory for pulls and notices.
func (x *Replication) view(fn func(replication.Feed) error) error {
	return x.r.FSM().View(func(s *fsm.State) error { return fn(feed{s}) })
}

// regions returns the registered regions' ids.
func (x *Replication) regions() []string {
	var ids []string
	_ = x.r.FSM().View(func(s *fsm.State) error {
		regs, err := s.Regions()
		for _, r := range regs {
			ids = append(ids, r.ID)
		}
		return err
	})
	return ids
}

// feed adapts the state to replication.Feed.
type feed struct{ s *fsm.State }

func (f feed) Seq() uint64   { return f.s.Tx().Seq() }
func (f feed) Index() uint64 { return f.s.AppliedIndex() }
func (f feed) ChangesSince(seq uint64, fn func(replication.Change) error) error {
	return f.s.Tx().ChangesSince(seq, func(c store.ChangeRef) error {
		return fn(replication.Change{Seq: c.Seq, Kind: c.Kind, ID: c.ID})
	})
}
func (f feed) GetAny(kind o211.Kind, id string) (*o211.Record, error) {
	return f.s.Tx().GetAny(kind, id)
}

// ReplicationStatus is the body of GET /api/v1/status on a hub replica.
type ReplicationStatus struct {
	ID           string `json:"id"`
	Role         string `json:"role"`
	Leader       string `json:"leader"`
	Leading      bool   `json:"leading"`
	AppliedIndex uint64 `json:"applied_index"`
	// DirectorySeq is the provincial directory's change sequence number
	// (the same on every replica at the same applied index).
	DirectorySeq uint64               `json:"directory_seq"`
	NATS         NATSStatus           `json:"nats"`
	Served       replication.HubStats `json:"served"`
	Regions      []RegionStatus       `json:"regions"`
	// Conflicts are every region's records the hub skipped because another
	// region owns them: the total and the newest few.
	Conflicts replication.Conflicts `json:"conflicts"`
	Now       time.Time             `json:"now"`
}

// NATSStatus describes the replica's embedded server.
type NATSStatus struct {
	Cluster string `json:"cluster"`
	Leaf    string `json:"leaf"`
	Client  string `json:"client,omitempty"`
	Routes  int    `json:"routes"`
	Leafs   int    `json:"leafs"`
}

// RegionStatus is one region's replication as this replica sees it: the
// hub's mark (from the replicated state) and the node's last report.
type RegionStatus struct {
	Region   string     `json:"region"`
	Mark     uint64     `json:"mark"`
	Ingested *time.Time `json:"ingested,omitempty"`
	// NodeHead and NodeBacklog are from the node's last report or push,
	// Reported when this replica received it.
	NodeHead    uint64     `json:"node_head"`
	NodeBacklog int        `json:"node_backlog"`
	Reported    *time.Time `json:"reported,omitempty"`
	// Lag is how far the hub is behind the node: changes the node has
	// made that the hub lacks, and the age of the oldest of them (as of
	// the node's last report: a node that cannot reach the hub cannot say
	// more).
	Lag replication.Lag `json:"lag"`
	// Conflicts are the region's records the hub skipped because another
	// region owns them (kept in the replicated state).
	Conflicts replication.Conflicts `json:"conflicts"`
}

// Status returns the replica's replication status.
func (x *Replication) Status() (*ReplicationStatus, error) {
	now := x.r.cfg.Now()
	st := &ReplicationStatus{ID: x.r.cfg.ID, Role: "hub", Leader: x.r.Leader(), Leading: x.r.IsLeader(), Now: now,
		Regions: []RegionStatus{}}
	if srv := x.srv.Load(); srv != nil {
		st.NATS = NATSStatus{Cluster: srv.ClusterAddr(), Leaf: srv.LeafAddr(), Client: srv.ClientAddr(),
			Routes: srv.Routes(), Leafs: srv.Leafs()}
	}
	var reports map[string]replication.RegionReport
	if h := x.hub.Load(); h != nil {
		st.Served = h.Stats()
		reports = h.Reports()
	}
	err := x.r.FSM().View(func(s *fsm.State) error {
		st.AppliedIndex, st.DirectorySeq = s.AppliedIndex(), s.Tx().Seq()
		regs, err := s.Regions()
		for _, reg := range regs {
			rs := RegionStatus{Region: reg.ID, Mark: reg.Mark, Ingested: reg.Ingested,
				Conflicts: regionConflicts(reg)}
			st.Conflicts.Merge(rs.Conflicts)
			if rep, ok := reports[reg.ID]; ok {
				received := rep.Received
				rs.NodeHead, rs.NodeBacklog, rs.Reported = rep.Head, rep.Backlog, &received
				if rep.Head > reg.Mark {
					rs.Lag.Records = rep.Head - reg.Mark
					since := rep.Oldest
					if since.IsZero() {
						since = rep.Received
					}
					rs.Lag.Seconds = max(0, now.Sub(since).Seconds())
				}
			}
			st.Regions = append(st.Regions, rs)
		}
		return err
	})
	return st, err
}

// regionConflicts returns the region's conflicts as the state keeps them.
func regionConflicts(reg *fsm.Region) replication.Conflicts {
	c := replication.Conflicts{Count: reg.Conflicts, Latest: []replication.Conflict{}}
	for _, x := range reg.Latest {
		c.Latest = append(c.Latest, replication.Conflict{Table: x.Kind, ID: x.ID, Region: reg.ID, Owner: x.Owner, At: x.At})
	}
	return c
}

func (x *Replication) getStatus(w http.ResponseWriter, req *http.Request) {
	st, err := x.Status()
	if err != nil {
		writeProblem(w, req, x.r.logger, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, st.AppliedIndex, st)
}

// replicationCollector exports the replica's replication figures at each
// scrape.
type replicationCollector struct{ x *Replication }

var (
	descRegionMark = prometheus.NewDesc("o211_hub_region_mark",
		"The region's ingest high-water mark: its last outbox sequence number the hub holds.", []string{"region"}, nil)
	descRegionLagRecords = prometheus.NewDesc("o211_hub_region_lag_records",
		"Changes the region's node reported that the hub does not hold yet.", []string{"region"}, nil)
	descRegionLagSeconds = prometheus.NewDesc("o211_hub_region_lag_seconds",
		"Age of the oldest change of the region that the hub does not hold yet (as of the node's last report).", []string{"region"}, nil)
	descRegionReportAge = prometheus.NewDesc("o211_hub_region_report_age_seconds",
		"Seconds since this replica last heard from the region's node.", []string{"region"}, nil)
	descRegionConflicts = prometheus.NewDesc("o211_hub_region_conflicts_total",
		"The region's records the hub skipped because another region owns them (from the replicated state).", []string{"region"}, nil)
	descNATSRoutes  = prometheus.NewDesc("o211_hub_nats_routes", "NATS routes to the other hub replicas.", nil, nil)
	descNATSLeafs   = prometheus.NewDesc("o211_hub_nats_leafs", "Region nodes linked to this replica's NATS server.", nil, nil)
	descIngest      = prometheus.NewDesc("o211_hub_ingest_batches_total", "Region batches answered by this replica, by outcome.", []string{"outcome"}, nil)
	descIngestRecs  = prometheus.NewDesc("o211_hub_ingest_records_total", "Records applied from region batches answered by this replica.", nil, nil)
	descSyncPages   = prometheus.NewDesc("o211_hub_sync_pages_total", "Pages of the provincial directory served to region nodes.", nil, nil)
	descIngestLeads = prometheus.NewDesc("o211_hub_ingest_serving", "1 while this replica answers the regions' pushes (it leads).", nil, nil)
)

func (c *replicationCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRegionMark, descRegionLagRecords, descRegionLagSeconds, descRegionReportAge,
		descRegionConflicts, descNATSRoutes, descNATSLeafs, descIngest, descIngestRecs, descSyncPages, descIngestLeads} {
		ch <- d
	}
}

func (c *replicationCollector) Collect(ch chan<- prometheus.Metric) {
	st, err := c.x.Status()
	if err != nil {
		return
	}
	for _, r := range st.Regions {
		ch <- prometheus.MustNewConstMetric(descRegionMark, prometheus.GaugeValue, float64(r.Mark), r.Region)
		ch <- prometheus.MustNewConstMetric(descRegionLagRecords, prometheus.GaugeValue, float64(r.Lag.Records), r.Region)
		ch <- prometheus.MustNewConstMetric(descRegionLagSeconds, prometheus.GaugeValue, r.Lag.Seconds, r.Region)
		ch <- prometheus.MustNewConstMetric(descRegionConflicts, prometheus.CounterValue, float64(r.Conflicts.Count), r.Region)
		if r.Reported != nil {
			ch <- prometheus.MustNewConstMetric(descRegionReportAge, prometheus.GaugeValue, st.Now.Sub(*r.Reported).Seconds(), r.Region)
		}
	}
	ch <- prometheus.MustNewConstMetric(descNATSRoutes, prometheus.GaugeValue, float64(st.NATS.Routes))
	ch <- prometheus.MustNewConstMetric(descNATSLeafs, prometheus.GaugeValue, float64(st.NATS.Leafs))
	ch <- prometheus.MustNewConstMetric(descIngest, prometheus.CounterValue, float64(st.Served.Batches), "applied")
	ch <- prometheus.MustNewConstMetric(descIngest, prometheus.CounterValue, float64(st.Served.Refused), "refused")
	ch <- prometheus.MustNewConstMetric(descIngestRecs, prometheus.CounterValue, float64(st.Served.Records))
	ch <- prometheus.MustNewConstMetric(descSyncPages, prometheus.CounterValue, float64(st.Served.Pages))
	leads := 0.0
	if st.Served.IsLeader {
		leads = 1
	}
	ch <- prometheus.MustNewConstMetric(descIngestLeads, prometheus.GaugeValue, leads)
}
