package hub

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/node/store"
)

// RegionRecords is the body of GET /api/v1/regions/{id}/records: every
// record of the region the hub holds (tombstones included) and the region's
// mark, read in one view of the state, so that the records reflect every
// change 1..Mark of the region. A node restored from an older backup
// reconciles with it ('o211 reconcile').
type RegionRecords struct {
	AppliedIndex uint64         `json:"applied_index"`
	Region       string         `json:"region"`
	Mark         uint64         `json:"mark"`
	Records      []*o211.Record `json:"records"`
}

func (s *handlers) getRegionRecords(req *http.Request) (*reply, error) {
	out := &RegionRecords{Region: chi.URLParam(req, "id"), Records: []*o211.Record{}}
	err := s.r.fsm.View(func(st *fsm.State) error {
		out.AppliedIndex = st.AppliedIndex()
		reg, err := st.Region(out.Region)
		if err != nil {
			return err
		}
		out.Mark = reg.Mark
		tx := st.Tx()
		return tx.ChangesSince(0, func(c store.ChangeRef) error {
			r, err := tx.GetAny(c.Kind, c.ID)
			if err != nil || r == nil || r.Region != out.Region {
				return err
			}
			r.Seq = 0 // the hub's own sequence number means nothing to the node
			out.Records = append(out.Records, r)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, value: out, index: out.AppliedIndex}, nil
}
