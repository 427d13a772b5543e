package hub

import (
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are a replica's Prometheus metrics, in a registry of its own (a
// process may run several replicas).
type metrics struct {
	reg           *prometheus.Registry
	applySeconds  prometheus.Histogram
	groupBatches  prometheus.Histogram
	leaderChanges prometheus.Counter
	forwards      *prometheus.CounterVec
}

func newMetrics(r *Replica) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.applySeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "o211_hub_apply_seconds",
		Help:    "Time from proposing a command on the leader to its being committed and applied.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	})
	m.groupBatches = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "o211_hub_ingest_group_batches",
		Help:    "Region batches committed together in one log entry by the leader's group commit.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 10),
	})
	m.leaderChanges = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "o211_hub_leader_changes_total",
		Help: "Leaders this replica has seen elected.",
	})
	m.forwards = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "o211_hub_forwarded_requests_total",
		Help: "Requests forwarded to the leader, by outcome (ok, retry, unreachable).",
	}, []string{"outcome"})
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	live := func(f func(*raft.Raft) float64) func() float64 {
		return func() float64 {
			if r.raft == nil {
				return 0
			}
			return f(r.raft)
		}
	}
	m.reg.MustRegister(m.applySeconds, m.groupBatches, m.leaderChanges, m.forwards,
		gauge("o211_hub_ingest_waiting_batches", "Region batches waiting for the leader's next group entry or for its commit.",
			func() float64 { return float64(r.group.waiting.Load()) }),
		gauge("o211_hub_raft_term", "Current Raft term.", live(func(rf *raft.Raft) float64 { return float64(rf.CurrentTerm()) })),
		gauge("o211_hub_raft_commit_index", "Index of the last log entry known committed.", live(func(rf *raft.Raft) float64 { return float64(rf.CommitIndex()) })),
		gauge("o211_hub_raft_applied_index", "Index of the last log entry handed to the state machine.", live(func(rf *raft.Raft) float64 { return float64(rf.AppliedIndex()) })),
		gauge("o211_hub_raft_last_index", "Index of the last log entry stored.", live(func(rf *raft.Raft) float64 { return float64(rf.LastIndex()) })),
		gauge("o211_hub_raft_last_contact_seconds", "Seconds since the leader was last heard from (0 on the leader, -1 before any contact).",
			live(func(rf *raft.Raft) float64 {
				if rf.State() == raft.Leader {
					return 0
				}
				if t := rf.LastContact(); !t.IsZero() {
					return time.Since(t).Seconds()
				}
				return -1
			})),
		gauge("o211_hub_fsm_applied_index", "Index of the last log entry in the state served to reads.", func() float64 {
			if r.fsm == nil {
				return 0
			}
			return float64(r.fsm.AppliedIndex())
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "o211_hub_fsm_snapshots_total", Help: "State snapshots begun."}, func() float64 {
			if r.fsm == nil {
				return 0
			}
			return float64(r.fsm.Snapshots())
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "o211_hub_fsm_restores_total", Help: "Times the state was replaced from a snapshot (at start or sent by the leader)."}, func() float64 {
			if r.fsm == nil {
				return 0
			}
			return float64(r.fsm.Restores())
		}),
	)
	m.registerStates(live)
	return m
}

// registerStates registers one o211_hub_raft_state gauge per Raft state.
func (m *metrics) registerStates(live func(func(*raft.Raft) float64) func() float64) {
	for _, st := range []raft.RaftState{raft.Follower, raft.Candidate, raft.Leader, raft.Shutdown} {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "o211_hub_raft_state",
			Help:        "1 for the Raft state this replica is in, 0 for the others.",
			ConstLabels: prometheus.Labels{"state": stateName(st)},
		}, live(func(rf *raft.Raft) float64 {
			if rf.State() == st {
				return 1
			}
			return 0
		})))
	}
}

func stateName(st raft.RaftState) string {
	switch st {
	case raft.Follower:
		return "follower"
	case raft.Candidate:
		return "candidate"
	case raft.Leader:
		return "leader"
	default:
		return "shutdown"
	}
}

// Registry returns the replica's Prometheus registry (served at /metrics).
func (r *Replica) Registry() *prometheus.Registry { return r.metrics.reg }
