package hub

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/node/httpx"
)

// readFunc serves a read from this replica's state.
type readFunc func(req *http.Request) (*reply, error)

// read serves h here, or on the leader after a Raft barrier when the query
// asks for ?consistent=true: such a read sees every acknowledged write.
func (s *handlers) read(h readFunc) http.HandlerFunc {
	consistent := s.onLeader(func(ctx context.Context, req *http.Request, _ []byte) (*reply, error) {
		if err := s.r.Barrier(ctx); err != nil {
			return nil, err
		}
		return h(req)
	})
	return func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Query().Get("consistent") == "true" {
			consistent(w, req)
			return
		}
		rep, err := h(req)
		s.respond(w, req, rep, err)
	}
}

func (s *handlers) routesHealth(r chi.Router) {
	r.Get("/healthz", func(w http.ResponseWriter, req *http.Request) {
		writeJSON(w, http.StatusOK, 0, map[string]string{"status": "ok", "id": s.r.cfg.ID})
	})
	r.Get("/readyz", func(w http.ResponseWriter, req *http.Request) {
		if err := s.r.Ready(); err != nil {
			writeProblem(w, req, s.logger, err, nil)
			return
		}
		writeJSON(w, http.StatusOK, 0, map[string]string{"status": "ready", "id": s.r.cfg.ID, "leader": s.r.Leader()})
	})
	r.Handle("/metrics", promhttp.HandlerFor(s.r.metrics.reg, promhttp.HandlerOpts{}))
}

func (s *handlers) routesCluster(r chi.Router) {
	r.Get("/api/v1/cluster", s.read(s.getCluster))
	r.Get("/api/v1/cluster/members", s.read(s.getMembers))
	r.Group(func(r chi.Router) {
		r.Use(s.requireToken)
		r.Post("/api/v1/cluster/members", s.onLeader(s.postMember))
		r.Put("/api/v1/cluster/members/{id}", s.onLeader(s.putMember))
		r.Delete("/api/v1/cluster/members/{id}", s.onLeader(s.deleteMember))
		r.Get("/api/v1/backup", s.getBackup)
	})
}

func (s *handlers) getCluster(*http.Request) (*reply, error) {
	st, err := s.r.Status()
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, value: st, index: st.AppliedIndex}, nil
}

// MemberList is the body of GET /api/v1/cluster/members.
type MemberList struct {
	AppliedIndex uint64 `json:"applied_index"`
	Members      []Peer `json:"members"`
}

func (s *handlers) getMembers(*http.Request) (*reply, error) {
	peers, err := s.r.peers()
	if err != nil {
		return nil, err
	}
	index := s.r.fsm.AppliedIndex()
	return &reply{status: http.StatusOK, value: &MemberList{AppliedIndex: index, Members: peers}, index: index}, nil
}

func (s *handlers) postMember(ctx context.Context, _ *http.Request, body []byte) (*reply, error) {
	var m fsm.Member
	if err := decodeStrict(body, &m); err != nil {
		return nil, err
	}
	changed, err := s.r.addMember(ctx, &m)
	if err != nil {
		return nil, err
	}
	status := http.StatusOK
	if changed {
		status = http.StatusCreated
	}
	return &reply{status: status, value: &m}, nil
}

func (s *handlers) putMember(ctx context.Context, req *http.Request, body []byte) (*reply, error) {
	var m fsm.Member
	if err := decodeStrict(body, &m); err != nil {
		return nil, err
	}
	if id := chi.URLParam(req, "id"); m.ID == "" {
		m.ID = id
	} else if m.ID != id {
		return nil, o211.FieldErrorf("id", "the body names replica %q but the path %q", httpx.Prefix(m.ID), httpx.Prefix(id))
	}
	if err := s.r.updateMember(ctx, &m); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, value: &m}, nil
}

func (s *handlers) deleteMember(ctx context.Context, req *http.Request, _ []byte) (*reply, error) {
	if err := s.r.removeMember(ctx, chi.URLParam(req, "id")); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusNoContent}, nil
}

func (s *handlers) routesRegions(r chi.Router) {
	r.Get("/api/v1/regions", s.read(s.getRegions))
	r.Get("/api/v1/regions/{id}", s.read(s.getRegion))
	r.With(s.requireToken).Put("/api/v1/regions/{id}", s.onLeader(s.putRegion))
	r.With(s.requireToken).Get("/api/v1/regions/{id}/records", s.read(s.getRegionRecords))
}

// RegionList is the body of GET /api/v1/regions.
type RegionList struct {
	AppliedIndex uint64        `json:"applied_index"`
	Regions      []*fsm.Region `json:"regions"`
}

func (s *handlers) getRegions(*http.Request) (*reply, error) {
	list := &RegionList{Regions: []*fsm.Region{}}
	err := s.r.fsm.View(func(st *fsm.State) error {
		list.AppliedIndex = st.AppliedIndex()
		regs, err := st.Regions()
		if regs != nil {
			list.Regions = regs
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, value: list, index: list.AppliedIndex}, nil
}

func (s *handlers) getRegion(req *http.Request) (*reply, error) {
	var reg *fsm.Region
	var index uint64
	err := s.r.fsm.View(func(st *fsm.State) (err error) {
		index = st.AppliedIndex()
		reg, err = st.Region(chi.URLParam(req, "id"))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, value: reg, index: index}, nil
}

func (s *handlers) putRegion(ctx context.Context, req *http.Request, body []byte) (*reply, error) {
	var reg o211.Region
	if err := decodeStrict(body, &reg); err != nil {
		return nil, err
	}
	if id := chi.URLParam(req, "id"); reg.ID == "" {
		reg.ID = id
	} else if reg.ID != id {
		return nil, o211.FieldErrorf("id", "the body names region %q but the path %q", httpx.Prefix(reg.ID), httpx.Prefix(id))
	}
	res, index, err := s.r.PutRegion(ctx, reg)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, value: res, index: index}, nil
}

func (s *handlers) routesDirectory(r chi.Router) {
	r.With(s.requireToken).Post("/api/v1/directory/batch", s.onLeader(s.postBatch))
}

func (s *handlers) postBatch(ctx context.Context, _ *http.Request, body []byte) (*reply, error) {
	res, index, err := s.r.IngestBatchJSON(ctx, body)
	if err != nil {
		rep := &reply{}
		if res != nil {
			rep.mark = &res.Mark
		}
		return rep, err
	}
	return &reply{status: http.StatusOK, value: res, index: index}, nil
}
