package node

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"

	"github.com/o211/o211"
	"github.com/o211/o211/console"
	"github.com/o211/o211/node/store"
)

// consoleRecords is the region's directory as the resource specialist's
// console pages read and write it: writes go through the owning-region
// check (ownedWriter), as the write API's do.
type consoleRecords struct {
	n     *Node
	w     ownedWriter
	queue *verifyCache
}

var _ console.Records = consoleRecords{}

// maxLinked bounds the records Linked returns.
const maxLinked = 200

// Record returns the region's live record; ECONFLICT when the provincial
// copy says another region owns a record of that id.
func (r consoleRecords) Record(ctx context.Context, kind o211.Kind, id string) (*o211.Record, error) {
	rec, err := r.n.dir.Store().Get(kind, id)
	if o211.ErrorCode(err) != o211.ENOTFOUND || r.n.province == nil {
		return rec, err
	}
	if prec, perr := r.n.province.Store().Get(kind, id); perr == nil && prec.Region != r.n.cfg.Region {
		return nil, o211.Errorf(o211.ECONFLICT, "%s %q belongs to region %q", kind, short(id, 40), prec.Region)
	}
	return nil, err
}

// Linked returns the live records of kind whose field holds id.
func (r consoleRecords) Linked(ctx context.Context, kind o211.Kind, field, id string) ([]*o211.Record, error) {
	var out []*o211.Record
	err := r.n.dir.Store().View(func(tx *store.Tx) error {
		out = nil
		return tx.EachReferrer(kind, field, id, func(rec *o211.Record) error {
			if len(out) == maxLinked {
				return store.ErrStop
			}
			out = append(out, rec)
			return nil
		})
	})
	if errors.Is(err, store.ErrStop) {
		err = nil
	}
	return out, err
}

// Write writes the changes through the owning-region check.
func (r consoleRecords) Write(ctx context.Context, changes []o211.Change) error {
	_, err := r.w.Write(ctx, changes, o211.WriteOptions{})
	return err
}

// History returns a page of a record's change history.
func (r consoleRecords) History(ctx context.Context, q o211.HistoryQuery) (*o211.HistoryPage, error) {
	return r.n.dir.History(q)
}

// Unverified returns the services due for verification, the most referred
// first, then the longest unverified, then by name.
func (r consoleRecords) Unverified(ctx context.Context, before string, limit int) ([]console.Unverified, int, error) {
	all, err := r.queue.services(r.n.dir.Store())
	if err != nil {
		return nil, 0, err
	}
	counts, err := r.n.dir.Store().ReferralCounts()
	if err != nil {
		return nil, 0, err
	}
	total := 0
	var referred []console.Unverified
	for _, s := range all {
		if s.AssuredDate >= before {
			continue
		}
		total++
		if n := counts[s.ID]; n > 0 {
			s.Referrals = n
			referred = append(referred, s)
		}
	}
	slices.SortStableFunc(referred, func(a, b console.Unverified) int { return cmp.Compare(b.Referrals, a.Referrals) })
	out := referred[:min(limit, len(referred))]
	for _, s := range all {
		if len(out) >= limit {
			break
		}
		if s.AssuredDate < before && counts[s.ID] == 0 {
			out = append(out, s)
		}
	}
	return out, total, nil
}

// verifyCache keeps the region's services with their last verification,
// the longest unverified first, read again only after the directory
// changed (its change sequence number moved): the queue's page does not
// read 60,000 services on every view.
type verifyCache struct {
	mu   sync.Mutex
	seq  uint64
	read bool
	list []console.Unverified
}

// services returns every live service of the region, by assured_date
// (missing first), then name.
func (v *verifyCache) services(st *store.Store) ([]console.Unverified, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	seq, err := st.Seq()
	if err != nil {
		return nil, err
	}
	if v.read && seq == v.seq {
		return v.list, nil
	}
	var list []console.Unverified
	err = st.View(func(tx *store.Tx) error {
		list = list[:0]
		seq = tx.Seq()
		orgs := map[string]string{}
		return tx.Scan(o211.KindService, "", func(rec *o211.Record) error {
			var s struct {
				Name           string `json:"name"`
				OrganizationID string `json:"organization_id"`
				AssuredDate    string `json:"assured_date"`
			}
			if err := json.Unmarshal(rec.Data, &s); err != nil {
				return err
			}
			u := console.Unverified{ID: rec.ID, Name: s.Name, AssuredDate: s.AssuredDate}
			u.OrganizationName = orgName(tx, orgs, s.OrganizationID)
			list = append(list, u)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(list, func(a, b console.Unverified) int {
		return cmp.Or(cmp.Compare(a.AssuredDate, b.AssuredDate), cmp.Compare(a.Name, b.Name))
	})
	v.seq, v.read, v.list = seq, true, list
	return list, nil
}

// orgName returns the name of organization id, read once per scan.
func orgName(tx *store.Tx, names map[string]string, id string) string {
	if id == "" {
		return ""
	}
	if n, ok := names[id]; ok {
		return n
	}
	var o struct{ Name string }
	if rec, err := tx.Get(o211.KindOrganization, id); err == nil {
		_ = json.Unmarshal(rec.Data, &o)
	}
	names[id] = o.Name
	return o.Name
}
