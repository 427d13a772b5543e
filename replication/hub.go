package replication

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/o211/o211"
)

// HubConfig configures the hub's side of replication on one replica.
type HubConfig struct {
	// Server is the replica's embedded server.
	Server *Server
	// Ingest applies batches (on the leader); View reads the provincial
	// directory (on any replica); Regions lists the regions to notify.
	Ingest  Ingester
	View    func(fn func(Feed) error) error
	Regions func() []string
	// PageRecords and PageBytes bound a pull's page (default 2000
	// records, 4 MiB).
	PageRecords, PageBytes int
	// Workers bounds the batches being applied at once (default 256). A
	// node has one batch in flight at a time, and the hub commits the
	// batches waiting together (its group commit), so one worker per
	// region lets every region's batch go in the next commit; past the
	// bound, pushes wait in the subscription. Each holds its message (at
	// most the node's BatchBytes, 2 MiB by default).
	Workers int
	// IngestTimeout bounds the application of a batch (default 10 s).
	IngestTimeout time.Duration
	Logger        *slog.Logger
	Now           func() time.Time
}

// Hub serves one hub replica's side of replication: every replica answers
// pulls and hears nodes' reports; the leader, and only while it leads,
// answers pushes and notifies the nodes of changes.
//
// Lock order: Hub.mu only; no NATS call that waits is made while it is
// held (Unsubscribe and Subscribe only queue protocol).
type Hub struct {
	cfg  HubConfig
	log  *slog.Logger
	conn *nats.Conn

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	ingest chan struct{} // semaphore of batches in flight
	reads  chan struct{} // semaphore of pages in flight
	notify chan struct{}

	mu        sync.Mutex
	ingestSub *nats.Subscription
	subs      []*nats.Subscription
	reports   map[string]*RegionReport
	stats     HubStats
	closed    bool
}

// RegionReport is what the hub last heard from a region's node.
type RegionReport struct {
	NodeReport
	// Received is when this replica last heard from the node (report or
	// batch).
	Received time.Time `json:"received"`
}

// HubStats counts what this replica served.
type HubStats struct {
	Batches  uint64 `json:"batches"`
	Records  uint64 `json:"records"`
	Refused  uint64 `json:"refused"`
	Pages    uint64 `json:"pages"`
	Notices  uint64 `json:"notices"`
	IsLeader bool   `json:"serving_ingest"`
}

// NewHub returns the hub service; Start starts it.
func NewHub(cfg HubConfig) *Hub {
	if cfg.PageRecords <= 0 {
		cfg.PageRecords = 2000
	}
	if cfg.PageBytes <= 0 {
		cfg.PageBytes = 4 << 20
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 256
	}
	if cfg.IngestTimeout <= 0 {
		cfg.IngestTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Hub{cfg: cfg, log: cfg.Logger, ingest: make(chan struct{}, cfg.Workers),
		reads: make(chan struct{}, 4), notify: make(chan struct{}, 1), reports: map[string]*RegionReport{}}
}

// Start connects to the replica's server, answers pulls and hears reports.
func (h *Hub) Start() error {
	conn, err := h.cfg.Server.Connect("o211-hub-" + h.cfg.Server.Name())
	if err != nil {
		return err
	}
	h.conn = conn
	h.ctx, h.cancel = context.WithCancel(context.Background())
	sync, err := conn.QueueSubscribe(SyncAll, "o211-hub-sync", h.onSync)
	if err != nil {
		conn.Close()
		return fmt.Errorf("replication: subscribe %s: %w", SyncAll, err)
	}
	status, err := conn.Subscribe(StatusAll, h.onStatus)
	if err != nil {
		conn.Close()
		return fmt.Errorf("replication: subscribe %s: %w", StatusAll, err)
	}
	h.subs = []*nats.Subscription{sync, status}
	if err := conn.Flush(); err != nil {
		conn.Close()
		return fmt.Errorf("replication: %w", err)
	}
	h.wg.Add(1)
	go h.notifyLoop()
	return nil
}

// SetLeader starts answering pushes when leader is true and stops at once
// when it is false. Call it at every change of leadership.
func (h *Hub) SetLeader(leader bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.stats.IsLeader = leader
	switch {
	case leader && h.ingestSub == nil:
		sub, err := h.conn.QueueSubscribe(IngestAll, "o211-hub-ingest", h.onIngest)
		if err != nil {
			h.log.Error("replication: subscribe to pushes", "error", err)
			return
		}
		h.ingestSub = sub
		h.log.Info("replication: leading: answering the regions' pushes")
	case !leader && h.ingestSub != nil:
		if err := h.ingestSub.Unsubscribe(); err != nil {
			h.log.Warn("replication: unsubscribe from pushes", "error", err)
		}
		h.ingestSub = nil
		h.log.Info("replication: no longer leading: stopped answering pushes")
	}
}

// Notify tells the nodes (soon, coalescing calls) that the provincial
// directory changed. The leader calls it after applying changes.
func (h *Hub) Notify() {
	select {
	case h.notify <- struct{}{}:
	default:
	}
}

// Reports returns what this replica last heard from each region's node,
// by region id.
func (h *Hub) Reports() map[string]RegionReport {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]RegionReport, len(h.reports))
	for k, v := range h.reports {
		out[k] = *v
	}
	return out
}

// Stats returns what this replica served.
func (h *Hub) Stats() HubStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stats
}

// Close stops answering, waits for the batches and pages in flight and
// closes the connection. It is safe to call more than once.
func (h *Hub) Close() {
	h.SetLeader(false)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	subs := h.subs
	h.mu.Unlock()
	for _, s := range subs {
		_ = s.Unsubscribe()
	}
	if h.cancel != nil {
		h.cancel()
	}
	h.wg.Wait()
	if h.conn != nil {
		h.conn.Close()
	}
}

// onIngest answers a push on a worker, at most Workers at once (the
// subscription waits, and so do the senders, when all are busy).
func (h *Hub) onIngest(m *nats.Msg) {
	region, ok := regionOf(m.Subject, ingestPrefix)
	if !ok {
		return
	}
	if err := checkEnvelope(m, envIngest); err != nil {
		h.respond(m, envIngestReply, encodeJSON(&IngestReply{Error: wireError(err)}))
		return
	}
	if head, err := strconv.ParseUint(m.Header.Get(headerHead), 10, 64); err == nil {
		h.heard(region, func(r *RegionReport) { r.Head = max(r.Head, head) })
	}
	select {
	case h.ingest <- struct{}{}:
	case <-h.ctx.Done():
		return
	}
	if !h.track() {
		<-h.ingest
		return
	}
	go func() {
		defer func() { <-h.ingest; h.wg.Done() }()
		ctx, cancel := context.WithTimeout(h.ctx, h.cfg.IngestTimeout)
		rep := h.cfg.Ingest.Ingest(ctx, region, m.Data)
		cancel()
		h.mu.Lock()
		if rep.Error == nil {
			h.stats.Batches++
			h.stats.Records += uint64(rep.Applied)
		} else {
			h.stats.Refused++
		}
		h.mu.Unlock()
		if rep.Error != nil && rep.Error.Code != CodeNotLeader {
			h.log.Warn("replication: batch refused", "region", region, "code", rep.Error.Code, "error", rep.Error.Message)
		}
		h.respond(m, envIngestReply, encodeJSON(rep))
	}()
}

// track counts a worker in the WaitGroup Close waits for, unless the
// service is closed.
func (h *Hub) track() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.wg.Add(1)
	return true
}

// onStatus records a node's report.
func (h *Hub) onStatus(m *nats.Msg) {
	region, ok := regionOf(m.Subject, statusPrefix)
	if !ok {
		return
	}
	var rep NodeReport
	if err := decode(m, envStatus, &rep); err != nil || rep.Region != region {
		h.log.Warn("replication: bad status report", "region", region, "error", err)
		return
	}
	h.heard(region, func(r *RegionReport) { r.NodeReport = rep })
}

// heard updates region's report and its time.
func (h *Hub) heard(region string, f func(*RegionReport)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.reports[region]
	if r == nil {
		r = &RegionReport{NodeReport: NodeReport{Region: region}}
		h.reports[region] = r
	}
	f(r)
	r.Received = h.cfg.Now()
}

// onSync answers a pull from this replica's state.
func (h *Hub) onSync(m *nats.Msg) {
	if _, ok := regionOf(m.Subject, syncPrefix); !ok {
		return
	}
	var req SyncRequest
	if err := decode(m, envSync, &req); err != nil {
		h.respond(m, envSyncPage, encodeJSON(&SyncPage{Error: wireError(err)}))
		return
	}
	select {
	case h.reads <- struct{}{}:
	case <-h.ctx.Done():
		return
	}
	if !h.track() {
		<-h.reads
		return
	}
	go func() {
		defer func() { <-h.reads; h.wg.Done() }()
		body, err := h.page(req)
		if err != nil {
			h.log.Error("replication: answer a pull", "error", err)
			body = encodeJSON(&SyncPage{After: req.After, Error: wireError(o211.Errorf(o211.EUNAVAILABLE, "the hub could not read its directory"))})
		}
		h.mu.Lock()
		h.stats.Pages++
		h.mu.Unlock()
		h.respond(m, envSyncPage, body)
	}()
}

var errPageFull = errors.New("page full")

// page encodes the page of records changed after req.After.
func (h *Hub) page(req SyncRequest) ([]byte, error) {
	limit := req.Limit
	if limit <= 0 || limit > h.cfg.PageRecords {
		limit = h.cfg.PageRecords
	}
	var recs []byte
	var n int
	var head, index uint64
	reached, more := req.After, false
	err := h.cfg.View(func(f Feed) error {
		head, index = f.Seq(), f.Index()
		err := f.ChangesSince(req.After, func(c Change) error {
			if n >= limit || len(recs) >= h.cfg.PageBytes {
				more = true
				return errPageFull
			}
			r, err := f.GetAny(c.Kind, c.ID)
			if err != nil {
				return err
			}
			if r != nil {
				if n > 0 {
					recs = append(recs, ',')
				}
				recs = appendRecord(recs, r)
				n++
			}
			reached = c.Seq
			return nil
		})
		if errors.Is(err, errPageFull) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if !more {
		reached = max(reached, head)
	}
	b := make([]byte, 0, len(recs)+160)
	b = append(b, `{"after":`...)
	b = strconv.AppendUint(b, req.After, 10)
	b = append(b, `,"reached":`...)
	b = strconv.AppendUint(b, reached, 10)
	b = append(b, `,"head":`...)
	b = strconv.AppendUint(b, head, 10)
	if more {
		b = append(b, `,"more":true`...)
	}
	b = append(b, `,"index":`...)
	b = strconv.AppendUint(b, index, 10)
	b = append(b, `,"records":[`...)
	b = append(b, recs...)
	return append(b, "]}"...), nil
}

// notifyLoop publishes a notice to every region at each Notify, while
// this replica leads.
func (h *Hub) notifyLoop() {
	defer h.wg.Done()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-h.notify:
		}
		h.mu.Lock()
		leader := h.ingestSub != nil
		h.mu.Unlock()
		if !leader {
			continue
		}
		n := Notice{Leader: h.cfg.Server.Name()}
		if err := h.cfg.View(func(f Feed) error { n.Seq, n.Index = f.Seq(), f.Index(); return nil }); err != nil {
			h.log.Warn("replication: read the directory for a notice", "error", err)
			continue
		}
		body := encodeJSON(&n)
		regions := h.cfg.Regions()
		sort.Strings(regions)
		for _, r := range regions {
			if err := h.conn.PublishMsg(newMsg(NotifySubject(r), envNotify, body)); err != nil {
				h.log.Warn("replication: notify", "region", r, "error", err)
			}
		}
		h.mu.Lock()
		h.stats.Notices++
		h.mu.Unlock()
	}
}

// respond sends a reply; a requester that has gone is not an error.
func (h *Hub) respond(m *nats.Msg, env string, body []byte) {
	if m.Reply == "" {
		return
	}
	r := newMsg(m.Reply, env, body)
	if err := m.RespondMsg(r); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		h.log.Warn("replication: reply", "subject", m.Subject, "error", err)
	}
}
