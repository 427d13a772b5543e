package node

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
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
// first, then the longest unverified, then by name. The cached list is
// sorted by assured_date, so the services due are a prefix of it; only the
// referred ones (few) are looked up by id.
func (r consoleRecords) Unverified(ctx context.Context, before string, limit int) ([]console.Unverified, int, error) {
	all, pos, err := r.queue.services(r.n.dir.Store())
	if err != nil {
		return nil, 0, err
	}
	counts, err := r.n.dir.Store().ReferralCounts()
	if err != nil {
		return nil, 0, err
	}
	total := sort.Search(len(all), func(i int) bool { return all[i].AssuredDate >= before })
	var referred []int
	for id := range counts {
		if i, ok := pos[id]; ok && i < total {
			referred = append(referred, i)
		}
	}
	slices.SortFunc(referred, func(a, b int) int {
		return cmp.Or(cmp.Compare(counts[all[b].ID], counts[all[a].ID]), cmp.Compare(a, b))
	})
	out := make([]console.Unverified, 0, min(limit, total))
	for _, i := range referred[:min(limit, len(referred))] {
		u := all[i]
		u.Referrals = counts[u.ID]
		out = append(out, u)
	}
	for i := 0; i < total && len(out) < limit; i++ {
		if counts[all[i].ID] == 0 {
			out = append(out, all[i])
		}
	}
	return out, total, nil
}

// verifyCache keeps the region's services with their last verification,
// sorted by it (missing first), then by name. It follows the store's
// change feed: after a write only the services and organizations changed
// since are read again (the whole directory when it has not been read, or
// when more than fullRescanAt records changed).
type verifyCache struct {
	mu   sync.Mutex
	seq  uint64
	read bool
	byID map[string]*queueEntry
	list []console.Unverified
	pos  map[string]int // service id -> index in list
}

// queueEntry is a service of the cache with its organization's id.
type queueEntry struct {
	console.Unverified
	orgID string
}

// fullRescanAt is the number of changes from which reading every service
// again is simpler than following them.
const fullRescanAt = 5000

// services returns the sorted services and each one's index.
func (v *verifyCache) services(st *store.Store) ([]console.Unverified, map[string]int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	seq, err := st.Seq()
	if err != nil {
		return nil, nil, err
	}
	if v.read && seq == v.seq {
		return v.list, v.pos, nil
	}
	err = st.View(func(tx *store.Tx) error {
		if v.read && v.follow(tx) == nil {
			return nil
		}
		return v.scan(tx)
	})
	if err != nil {
		return nil, nil, err
	}
	v.sort()
	return v.list, v.pos, nil
}

// errRescan says the change feed is too long to follow.
var errRescan = errors.New("node: too many changes; read every service")

// follow applies the changes made since the cache was read.
func (v *verifyCache) follow(tx *store.Tx) error {
	var refs []store.ChangeRef
	err := tx.ChangesSince(v.seq, func(c store.ChangeRef) error {
		if len(refs) == fullRescanAt {
			return errRescan
		}
		if c.Kind == o211.KindService || c.Kind == o211.KindOrganization {
			refs = append(refs, c)
		}
		return nil
	})
	if err != nil {
		return err
	}
	orgs := map[string]string{}
	for _, c := range refs {
		if c.Kind == o211.KindOrganization {
			name := orgName(tx, orgs, c.ID)
			for _, e := range v.byID {
				if e.orgID == c.ID {
					e.OrganizationName = name
				}
			}
			continue
		}
		rec, err := tx.Get(o211.KindService, c.ID)
		if o211.ErrorCode(err) == o211.ENOTFOUND {
			delete(v.byID, c.ID)
			continue
		} else if err != nil {
			return err
		}
		if err := v.put(tx, orgs, rec); err != nil {
			return err
		}
	}
	v.seq = tx.Seq()
	return nil
}

// scan reads every live service of the region.
func (v *verifyCache) scan(tx *store.Tx) error {
	v.byID = map[string]*queueEntry{}
	orgs := map[string]string{}
	if err := tx.Scan(o211.KindService, "", func(rec *o211.Record) error { return v.put(tx, orgs, rec) }); err != nil {
		return err
	}
	v.seq, v.read = tx.Seq(), true
	return nil
}

// put enters a service record in the cache.
func (v *verifyCache) put(tx *store.Tx, orgs map[string]string, rec *o211.Record) error {
	var s struct {
		Name           string `json:"name"`
		OrganizationID string `json:"organization_id"`
		AssuredDate    string `json:"assured_date"`
	}
	if err := json.Unmarshal(rec.Data, &s); err != nil {
		return err
	}
	v.byID[rec.ID] = &queueEntry{Unverified: console.Unverified{ID: rec.ID, Name: s.Name, AssuredDate: s.AssuredDate,
		OrganizationName: orgName(tx, orgs, s.OrganizationID)}, orgID: s.OrganizationID}
	return nil
}

// sort lays the cache out by assured_date (missing first), then name.
func (v *verifyCache) sort() {
	v.list = make([]console.Unverified, 0, len(v.byID)) // callers may still read the old one
	for _, e := range v.byID {
		v.list = append(v.list, e.Unverified)
	}
	slices.SortFunc(v.list, func(a, b console.Unverified) int {
		return cmp.Or(cmp.Compare(a.AssuredDate, b.AssuredDate), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	v.pos = make(map[string]int, len(v.list))
	for i, u := range v.list {
		v.pos[u.ID] = i
	}
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
