package node

import (
	"context"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/store"
)

// Write applies changes to the store and brings the index up to date
// before returning: a search made after Write returns sees the change.
// Errors are the store's (EINVALID with every problem, ECONFLICT,
// ENOTFOUND).
func (d *Directory) Write(ctx context.Context, changes []o211.Change, opt o211.WriteOptions) (*store.WriteResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	res, err := d.store.Write(ctx, changes, opt)
	if err != nil || len(res.Changed) == 0 {
		return res, err
	}
	last := res.Changed[len(res.Changed)-1].Seq
	if f := d.onWrite.Load(); f != nil {
		(*f)(last) // the outbox has new entries
	}
	if len(res.Changed) >= fullRebuildAt {
		err = d.rebuild(ctx)
	} else {
		err = d.reindex(changedOf(res.Changed), last)
	}
	if err != nil {
		// The write is durable; the index will catch up from the store
		// at the next start. Searches may miss the change until then.
		d.logger.Error("search index update failed after a write", "err", err)
	}
	return res, nil
}

// Apply stores records replicated from other regions (replica directories
// only) and updates the index. See store.Store.Apply.
func (d *Directory) Apply(ctx context.Context, recs []*o211.Record, aux ...store.Aux) (*store.ApplyResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	res, err := d.store.Apply(ctx, recs, aux...)
	if err != nil || len(res.Changed) == 0 {
		return res, err
	}
	if err := d.reindex(changedOf(res.Changed), res.Changed[len(res.Changed)-1].Seq); err != nil {
		d.logger.Error("search index update failed after a replicated write", "err", err)
	}
	return res, nil
}

// Search runs a query against the index. A temporarily closed service's
// result says until when and why (o211.Closure, read from the stored
// service; closures.go).
func (d *Directory) Search(ctx context.Context, q o211.Query) (*o211.Results, error) {
	d.lastSearch.Store(time.Now().UnixNano())
	res, err := d.indexer.Search(ctx, q)
	if err == nil {
		err = d.closures(res.Results)
	}
	return res, err
}

// View runs fn with a consistent read view of the store.
func (d *Directory) View(fn func(hsds.Tx) error) error {
	return d.store.View(func(tx *store.Tx) error { return fn(tx) })
}

// Store returns the underlying store.
func (d *Directory) Store() *store.Store { return d.store }

// Region returns the region that owns the directory ("" for a replica).
func (d *Directory) Region() string { return d.region }

// IndexLen returns the number of docs in the search index.
func (d *Directory) IndexLen() int { return d.indexer.Index().Len() }

// Close saves the index if it changed since it was last saved, then closes
// the store. It is safe to call more than once.
func (d *Directory) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var err error
	if d.indexer != nil && d.IndexStale() {
		err = d.SaveIndex()
	}
	if cerr := d.store.Close(); err == nil {
		err = cerr
	}
	return err
}

// changedOf converts store change references for the indexer's Update.
func changedOf(refs []store.ChangeRef) []hsds.Changed {
	out := make([]hsds.Changed, len(refs))
	for i, r := range refs {
		out[i] = hsds.Changed{Kind: r.Kind, ID: r.ID}
	}
	return out
}

// History returns a page of a record's change history; see
// store.Store.History.
func (d *Directory) History(q o211.HistoryQuery) (*o211.HistoryPage, error) {
	return d.store.History(q)
}
