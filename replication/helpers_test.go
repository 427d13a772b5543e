package replication

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
)

// memStore is a region's store in memory: records with versions, a change
// feed and an outbox, as node/store keeps them.
type memStore struct {
	region string
	mu     sync.Mutex
	seq    uint64
	recs   map[Ref]*o211.Record
	latest map[Ref]uint64 // record -> seq of its latest change
	outbox []Entry
}

var _ Outbox = (*memStore)(nil)

func newMemStore(region string) *memStore {
	return &memStore{region: region, recs: map[Ref]*o211.Record{}, latest: map[Ref]uint64{}}
}

// write upserts (or deletes) organisation id and returns the new sequence
// number.
func (m *memStore) write(id, name string, del bool) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	ref := Ref{o211.KindOrganization, id}
	m.seq++
	r := &o211.Record{Kind: ref.Kind, ID: id, Region: m.region, Version: 1, Modified: time.Now().UTC(), Seq: m.seq}
	if old := m.recs[ref]; old != nil {
		r.Version = old.Version + 1
		r.Data = old.Data
	}
	if del {
		r.Deleted = true
	} else {
		r.Data, _ = json.Marshal(&o211.Organization{ID: id, Name: name, Description: "x"})
	}
	m.recs[ref] = r
	m.latest[ref] = m.seq
	m.outbox = append(m.outbox, Entry{Seq: m.seq, Kind: ref.Kind, ID: id, Version: r.Version})
	return m.seq
}

func (m *memStore) Pending(after uint64, limit int) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Entry
	for _, e := range m.outbox {
		if e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memStore) Records(refs []Ref) ([]*o211.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*o211.Record, len(refs))
	for i, r := range refs {
		if rec := m.recs[r]; rec != nil {
			c := *rec
			out[i] = &c
		}
	}
	return out, nil
}

func (m *memStore) Ack(seq uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := 0
	for i < len(m.outbox) && m.outbox[i].Seq <= seq {
		i++
	}
	m.outbox = m.outbox[i:]
	return nil
}

func (m *memStore) Backlog() (int, uint64, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var first uint64
	if len(m.outbox) > 0 {
		first = m.outbox[0].Seq
	}
	return len(m.outbox), first, m.seq, nil
}

func (m *memStore) Head() (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seq, nil
}

func (m *memStore) Changes(after uint64, limit int) ([]Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Change
	for ref, seq := range m.latest {
		if seq > after {
			out = append(out, Change{Seq: seq, Kind: ref.Kind, ID: ref.ID})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// memHub is a hub's state in memory with the rules of hub/fsm: per region
// a mark, batches at or below it skipped, a batch past mark+1 refused,
// records version gated.
type memHub struct {
	mu      sync.Mutex
	marks   map[string]uint64
	recs    map[Ref]*o211.Record
	seq     uint64         // change sequence number of the directory
	latest  map[Ref]uint64 // record -> its latest change
	batches int
	// before, when set, is called with each batch before it is applied;
	// an error reply it returns is sent instead.
	before func(b *IngestBatch) *IngestReply
	// lateReply, when set, is asked whether to apply a batch and answer
	// only after the given delay (a reply that comes too late).
	lateReply func(b *IngestBatch) time.Duration
}

var _ Ingester = (*memHub)(nil)

func newMemHub() *memHub {
	return &memHub{marks: map[string]uint64{}, recs: map[Ref]*o211.Record{}, latest: map[Ref]uint64{}}
}

func (h *memHub) Ingest(ctx context.Context, region string, raw []byte) *IngestReply {
	var b IngestBatch
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return &IngestReply{Error: &WireError{Code: o211.EINVALID, Message: err.Error()}}
	}
	if b.Region != region {
		return &IngestReply{Error: &WireError{Code: o211.EFORBIDDEN, Message: "wrong region"}}
	}
	if h.before != nil {
		if rep := h.before(&b); rep != nil {
			return rep
		}
	}
	if h.lateReply != nil {
		if d := h.lateReply(&b); d > 0 {
			defer func() {
				t := time.NewTimer(d)
				defer t.Stop()
				select {
				case <-t.C:
				case <-ctx.Done():
				}
			}()
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.batches++
	mark := h.marks[region]
	rep := &IngestReply{}
	switch {
	case b.ToSeq <= mark:
		rep.Skipped = true
	case b.FromSeq > mark+1:
		m := mark
		return &IngestReply{Mark: &m, Error: &WireError{Code: o211.ECONFLICT, Message: fmt.Sprintf("gap: hub holds %d", mark)}}
	default:
		for _, r := range b.Records {
			ref := Ref{r.Kind, r.ID}
			if old := h.recs[ref]; old != nil && old.Version >= r.Version {
				rep.Stale++
				continue
			}
			h.recs[ref] = r
			h.seq++
			h.latest[ref] = h.seq
			rep.Applied++
		}
		h.marks[region] = b.ToSeq
	}
	m := h.marks[region]
	rep.Mark = &m
	return rep
}

func (h *memHub) mark(region string) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.marks[region]
}

// same returns an error unless the hub holds exactly the store's records.
func (h *memHub) same(m *memStore) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(h.recs) != len(m.recs) {
		return fmt.Errorf("hub holds %d records, store %d", len(h.recs), len(m.recs))
	}
	for ref, r := range m.recs {
		got := h.recs[ref]
		if got == nil || got.Version != r.Version || got.Deleted != r.Deleted || string(got.Data) != string(r.Data) {
			return fmt.Errorf("%s: hub has %+v, store %+v", ref.ID, got, r)
		}
	}
	return nil
}

// View implements the hub's read side for pulls.
func (h *memHub) View(fn func(Feed) error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return fn(memFeed{h})
}

type memFeed struct{ h *memHub }

func (f memFeed) Seq() uint64   { return f.h.seq }
func (f memFeed) Index() uint64 { return f.h.seq }
func (f memFeed) ChangesSince(seq uint64, fn func(Change) error) error {
	var cs []Change
	for ref, s := range f.h.latest {
		if s > seq {
			cs = append(cs, Change{Seq: s, Kind: ref.Kind, ID: ref.ID})
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Seq < cs[j].Seq })
	for _, c := range cs {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}
func (f memFeed) GetAny(kind o211.Kind, id string) (*o211.Record, error) {
	if r := f.h.recs[Ref{kind, id}]; r != nil {
		c := *r
		return &c, nil
	}
	return nil, nil
}

// memReplica is a provincial copy in memory.
type memReplica struct {
	mu   sync.Mutex
	pos  uint64
	recs map[Ref]*o211.Record
}

var _ Replica = (*memReplica)(nil)

func newMemReplica() *memReplica { return &memReplica{recs: map[Ref]*o211.Record{}} }

func (m *memReplica) Position() (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pos, nil
}

func (m *memReplica) Apply(ctx context.Context, recs []*o211.Record, pos uint64, more bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range recs {
		ref := Ref{r.Kind, r.ID}
		if old := m.recs[ref]; old == nil || old.Version < r.Version {
			m.recs[ref] = r
		}
	}
	m.pos = pos
	return nil
}

func (m *memReplica) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.recs)
}

// pair is a hub server with the hub service over a memHub, and a node
// linked to it as a leaf over a memStore and a memReplica, without TLS or
// credentials.
type pair struct {
	hubSrv *Server
	hub    *Hub
	mem    *memHub
	store  *memStore
	copy   *memReplica
	node   *Node
}

func newPair(tb testing.TB, region string, tune func(*NodeConfig)) *pair {
	tb.Helper()
	log := testutil.Logger(tb)
	p := &pair{mem: newMemHub(), store: newMemStore(region), copy: newMemReplica()}
	var err error
	p.hubSrv, err = StartServer(ServerConfig{Name: "hub-test", ClusterAddr: "127.0.0.1:0", LeafAddr: "127.0.0.1:0", Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.hubSrv.Close)
	p.hub = NewHub(HubConfig{Server: p.hubSrv, Ingest: p.mem, View: p.mem.View,
		Regions: func() []string { return []string{region} }, Logger: log})
	if err := p.hub.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.hub.Close)
	p.hub.SetLeader(true)
	cfg := NodeConfig{Region: region, Server: ServerConfig{HubURLs: []string{p.hubSrv.LeafAddr()}, LeafReconnect: 50 * time.Millisecond},
		Outbox: p.store, Replica: p.copy, Logger: log}
	cfg.Push.MaxBackoff = 200 * time.Millisecond
	cfg.Pull.Poll = 500 * time.Millisecond
	if tune != nil {
		tune(&cfg)
	}
	p.node, err = StartNode(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.node.Close)
	return p
}

// write writes n changes to the node's store (upserts over ids
// organisations) and wakes the pusher.
func (p *pair) write(n, ids int) {
	for i := 0; i < n; i++ {
		seq := p.store.write(fmt.Sprintf("org-%d", i%ids), fmt.Sprintf("Organisation %d", i), false)
		p.node.Committed(seq)
	}
}

// converged checks that the hub holds exactly the store's records at its
// last sequence number and the outbox is empty.
func (p *pair) converged() error {
	n, _, head, _ := p.store.Backlog()
	if n != 0 {
		return fmt.Errorf("%d outbox entries wait", n)
	}
	if m := p.mem.mark(p.store.region); m != head {
		return fmt.Errorf("hub mark %d, store seq %d", m, head)
	}
	return p.mem.same(p.store)
}
