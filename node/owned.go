package node

import (
	"context"

	"github.com/o211/o211"
	imp "github.com/o211/o211/node/importer"
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
		err := imp.StoreOwners(prov.store).ViewOwners(func(owner func(o211.Kind, string) (string, error)) error {
			for _, c := range changes {
				if o211.Shared(c.Kind) {
					continue
				}
				region, err := owner(c.Kind, c.ID)
				if err != nil {
					return err
				}
				if region != "" && region != w.region {
					return o211.Errorf(o211.ECONFLICT, "%s %q belongs to region %q, not to %q: only its own region may change it",
						c.Kind, short(c.ID, 40), region, w.region)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
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
