package node

import (
	"context"

	"github.com/o211/o211"
	"github.com/o211/o211/node/store"
)

// ownedWriter refuses, before writing, a change to a record that the
// provincial copy says another region owns (issue 11.4): the node knows
// the owner, so the hub need not find the conflict later. Without a
// provincial copy (a node on its own) it writes as the directory does.
type ownedWriter struct {
	region   string
	dir      *Directory
	province func() *Directory
}

// Write checks every change's owner, then writes them.
//
// Errors: ECONFLICT naming the record and its owner, and the directory's.
func (w ownedWriter) Write(ctx context.Context, changes []o211.Change, opt o211.WriteOptions) (*store.WriteResult, error) {
	if prov := w.province(); prov != nil {
		for _, c := range changes {
			rec, err := prov.store.Get(c.Kind, c.ID)
			if err != nil {
				if o211.ErrorCode(err) == o211.ENOTFOUND {
					continue
				}
				return nil, err
			}
			if rec.Region != "" && rec.Region != w.region {
				return nil, o211.Errorf(o211.ECONFLICT, "%s %q belongs to region %q, not to %q: only its own region may change it",
					c.Kind, short(c.ID, 40), rec.Region, w.region)
			}
		}
	}
	return w.dir.Write(ctx, changes, opt)
}

// short returns s cut to n bytes, for messages.
func short(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// History returns a page of a record's change history in the region's
// directory; see store.Store.History.
func (w ownedWriter) History(q o211.HistoryQuery) (*o211.HistoryPage, error) {
	return w.dir.History(q)
}
