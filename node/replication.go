package node

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/o211/o211"
	"github.com/o211/o211/node/api"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/store"
	"github.com/o211/o211/replication"
)

// ReplicationConfig links a node to the provincial hub.
type ReplicationConfig struct {
	// HubURLs are the leaf addresses (host:port) of the hub replicas.
	HubURLs []string
	// TLS and Creds secure the link (see package replication/pki); both
	// are required outside tests.
	TLS   *replication.TLS
	Creds string
	// Compression of the link ("s2_fast" by default; "off" when the hub is
	// on the same machine).
	Compression string
	// Push and Pull tune the pusher and the puller (zero: defaults).
	Push replication.PusherConfig
	Pull replication.PullerConfig
}

// provinceFile is the node's copy of the provincial directory, in its data
// folder beside node.db.
const provinceFile = "province.db"

// Side table of the provincial copy that holds how far it has pulled.
var (
	auxReplication = "replication"
	keyPosition    = []byte("position")
)

// startReplication opens the provincial copy and starts the link to the
// hub. The node's own directory must be open.
func (n *Node) startReplication(ctx context.Context) error {
	rc := n.cfg.Replication
	prov, err := OpenDirectory(ctx, DirectoryConfig{Path: filepath.Join(n.cfg.DataDir, provinceFile), Replica: true,
		Logger: n.log.With("copy", "province"), Now: n.cfg.Now, NoSync: n.cfg.NoSync})
	if err != nil {
		return err
	}
	n.province = prov
	link, err := replication.StartNode(replication.NodeConfig{
		Region:  n.cfg.Region,
		Server:  replication.ServerConfig{HubURLs: rc.HubURLs, TLS: rc.TLS, Creds: rc.Creds, Compression: rc.Compression},
		Outbox:  outbox{n.dir.Store()},
		Replica: &provincialCopy{d: prov},
		Push:    rc.Push,
		Pull:    rc.Pull,
		Logger:  n.log,
		Now:     n.cfg.Now,
	})
	if err != nil {
		return err
	}
	n.link = link
	committed := link.Committed
	n.dir.onWrite.Store(&committed)
	return nil
}

// closeReplication stops the link, then closes the provincial copy.
func (n *Node) closeReplication() error {
	n.dir.onWrite.Store(nil)
	if n.link != nil {
		n.link.Close()
	}
	if n.province != nil {
		return n.province.Close()
	}
	return nil
}

// Province returns the node's copy of the provincial directory (nil when
// the node runs alone).
func (n *Node) Province() *Directory { return n.province }

// ReplicationStatus returns the link's status (nil when the node runs
// alone).
func (n *Node) ReplicationStatus() (*replication.NodeStatus, error) {
	if n.link == nil {
		return nil, nil
	}
	return n.link.Status()
}

// Status is the body of GET /api/v1/status on a node.
type Status struct {
	Region string `json:"region"`
	Role   string `json:"role"`
	// Seq is the directory's last change sequence number.
	Seq uint64 `json:"seq"`
	// Replication is nil when the node runs alone.
	Replication *replication.NodeStatus `json:"replication"`
	Now         time.Time               `json:"now"`
}

// Status returns the node's status.
func (n *Node) Status() (*Status, error) {
	seq, err := n.dir.Store().Seq()
	if err != nil {
		return nil, err
	}
	rs, err := n.ReplicationStatus()
	if err != nil {
		return nil, err
	}
	return &Status{Region: n.cfg.Region, Role: "node", Seq: seq, Replication: rs, Now: n.cfg.Now()}, nil
}

func (n *Node) getStatus(w http.ResponseWriter, r *http.Request) {
	st, err := n.Status()
	if err != nil {
		httpx.WriteError(w, r, n.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(st)
}

// apiDirectory is what the HTTP API reads: the region's directory, and the
// provincial copy for scope=province.
type apiDirectory struct {
	*Directory
	n *Node
}

var _ api.ProvincialSearcher = apiDirectory{}

// SearchProvince searches the node's copy of the provincial directory. It
// answers from the copy while the hub is unreachable, and EUNAVAILABLE
// before the copy has received anything, or on a node that runs alone.
func (d apiDirectory) SearchProvince(ctx context.Context, q o211.Query) (*o211.Results, error) {
	if d.n.province == nil {
		return nil, o211.Errorf(o211.ENOTIMPLEMENTED, "this node is not linked to the provincial hub; search with scope=region")
	}
	pos, err := (&provincialCopy{d: d.n.province}).Position()
	if err != nil {
		return nil, err
	}
	if pos == 0 {
		return nil, o211.Errorf(o211.EUNAVAILABLE, "the provincial directory has not been received from the hub yet; try again shortly or search with scope=region")
	}
	return d.n.province.Search(ctx, q)
}

// outbox adapts the node's store to replication.Outbox.
type outbox struct{ st *store.Store }

var _ replication.Outbox = outbox{}

func (o outbox) Pending(after uint64, limit int) ([]replication.Entry, error) {
	es, err := o.st.Outbox(after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]replication.Entry, len(es))
	for i, e := range es {
		out[i] = replication.Entry{Seq: e.Seq, Kind: e.Kind, ID: e.ID, Version: e.Version}
	}
	return out, nil
}

func (o outbox) Records(refs []replication.Ref) ([]*o211.Record, error) {
	out := make([]*o211.Record, len(refs))
	err := o.st.View(func(tx *store.Tx) error {
		for i, r := range refs {
			rec, err := tx.GetAny(r.Kind, r.ID)
			if err != nil {
				return err
			}
			out[i] = rec
		}
		return nil
	})
	return out, err
}

func (o outbox) Ack(seq uint64) error { return o.st.Ack(seq) }

func (o outbox) Backlog() (int, uint64, uint64, error) {
	n, first, err := o.st.OutboxStats()
	if err != nil {
		return 0, 0, 0, err
	}
	head, err := o.st.Seq()
	return n, first, head, err
}

func (o outbox) Head() (uint64, error) { return o.st.Seq() }

var errEnough = errors.New("enough")

func (o outbox) Changes(after uint64, limit int) ([]replication.Change, error) {
	var out []replication.Change
	err := o.st.View(func(tx *store.Tx) error {
		err := tx.ChangesSince(after, func(c store.ChangeRef) error {
			if len(out) >= limit {
				return errEnough
			}
			out = append(out, replication.Change{Seq: c.Seq, Kind: c.Kind, ID: c.ID})
			return nil
		})
		if errors.Is(err, errEnough) {
			return nil
		}
		return err
	})
	return out, err
}

// provincialCopy adapts the provincial copy to replication.Replica.
type provincialCopy struct {
	d *Directory
	// stale is set while a long catch-up stores pages without indexing
	// them; the last page rebuilds the index.
	stale bool
}

var _ replication.Replica = (*provincialCopy)(nil)

// bulkPage is the page size from which a catch-up indexes at its end
// rather than page by page.
const bulkPage = 500

func (p *provincialCopy) Position() (uint64, error) {
	var pos uint64
	err := p.d.Store().View(func(tx *store.Tx) error {
		if b := tx.AuxGet(auxReplication, keyPosition); len(b) == 8 {
			pos = binary.BigEndian.Uint64(b)
		}
		return nil
	})
	return pos, err
}

// Apply stores a page. Pages of a long catch-up go to the store only;
// the last one rebuilds the search index once (the saved index remembers
// the sequence number it reflects, so a restart in between catches up).
func (p *provincialCopy) Apply(ctx context.Context, recs []*o211.Record, position uint64, more bool) error {
	ctx = o211.WithActor(ctx, o211.System("replication")) // for the records' history
	aux := store.Aux{Bucket: auxReplication, Key: keyPosition, Value: binary.BigEndian.AppendUint64(nil, position)}
	if !p.stale && !(more && len(recs) >= bulkPage) {
		_, err := p.d.Apply(ctx, recs, aux)
		return err
	}
	d := p.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.store.Apply(ctx, recs, aux); err != nil {
		return err
	}
	p.stale = more
	if more {
		return nil
	}
	start := time.Now()
	// Indexes the changes stored since (or rebuilds, for many).
	if err := d.catchUp(ctx, d.indexedSeq.Load()); err != nil {
		d.logger.Error("provincial search index update failed; it catches up at the next start", "err", err)
		return nil
	}
	d.logger.Info("provincial copy caught up; search index updated", "docs", d.indexer.Index().Len(),
		"took", time.Since(start).Round(time.Millisecond))
	return nil
}

// replicationCollector exports the link's figures at each scrape.
type replicationCollector struct {
	n     *Node
	descs map[string]*prometheus.Desc
}

// replicationMetrics names and explains the link's figures.
var replicationMetrics = []struct{ name, help string }{
	{"replication_push_lag_records", "Changes of the region that the hub has not acknowledged (the outbox backlog)."},
	{"replication_push_lag_seconds", "Age of the oldest change the hub has not acknowledged."},
	{"replication_hub_mark", "The region's high-water mark at the hub, as last heard."},
	{"replication_pull_lag_records", "Changes of the provincial directory the node's copy lacks, as last heard from the hub."},
	{"replication_pull_lag_seconds", "How long the node's provincial copy has been behind the hub."},
	{"replication_pull_position", "The hub sequence number the node's provincial copy has reached."},
	{"replication_hub_linked", "1 while the node's NATS server has a leaf connection to a hub replica."},
	{"replication_pushed_records_total", "Records the hub applied from this node's batches."},
	{"replication_push_batches_total", "Batches the hub acknowledged."},
	{"replication_push_retries_total", "Batches sent again because no answer came (no leader, link down, time-out)."},
	{"replication_outbox_repairs_total", "Gaps between the hub's mark and the outbox repaired from the change feed."},
	{"replication_conflicts_total", "Records of this node the hub skipped because another region owns them (since the node started)."},
}

func newReplicationCollector(n *Node) *replicationCollector {
	c := &replicationCollector{n: n, descs: map[string]*prometheus.Desc{}}
	for _, m := range replicationMetrics {
		c.descs[m.name] = prometheus.NewDesc("o211_"+m.name, m.help, nil, prometheus.Labels{"region": n.cfg.Region})
	}
	return c
}

func (c *replicationCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range replicationMetrics {
		ch <- c.descs[m.name]
	}
}

func (c *replicationCollector) Collect(ch chan<- prometheus.Metric) {
	st, err := c.n.ReplicationStatus()
	if err != nil || st == nil {
		return
	}
	linked := 0.0
	if st.Linked {
		linked = 1
	}
	values := map[string]float64{
		"replication_push_lag_records":     float64(st.PushLag.Records),
		"replication_push_lag_seconds":     st.PushLag.Seconds,
		"replication_hub_mark":             float64(st.Push.Mark),
		"replication_pull_lag_records":     float64(st.PullLag.Records),
		"replication_pull_lag_seconds":     st.PullLag.Seconds,
		"replication_pull_position":        float64(st.Pull.Position),
		"replication_hub_linked":           linked,
		"replication_pushed_records_total": float64(st.Push.Records),
		"replication_push_batches_total":   float64(st.Push.Batches),
		"replication_push_retries_total":   float64(st.Push.Retries),
		"replication_outbox_repairs_total": float64(st.Push.Repairs),
		"replication_conflicts_total":      float64(st.Push.Conflicts.Count),
	}
	for _, m := range replicationMetrics {
		t := prometheus.GaugeValue
		if len(m.name) > 6 && m.name[len(m.name)-6:] == "_total" {
			t = prometheus.CounterValue
		}
		ch <- prometheus.MustNewConstMetric(c.descs[m.name], t, values[m.name])
	}
}

// Link returns the node's link to the hub, nil when it runs alone.
func (n *Node) Link() *replication.Node { return n.link }
