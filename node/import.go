package node

import (
	"context"
	"sync"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/api"
	"github.com/o211/o211/node/hsds"
	imp "github.com/o211/o211/node/importer"
	"github.com/o211/o211/node/store"
)

// importer is the node's import endpoint: it reads a file into the node's
// directory, one import at a time, and brings the search index up to date
// when the import ends. Searches meanwhile see the directory as it was.
type importer struct {
	dir     *Directory
	tempDir string
	mu      *sync.Mutex // one import at a time
	// province returns the node's provincial copy (nil when the node runs
	// alone): a record another region owns is refused.
	province func() *Directory
}

// Import reads path in format and makes the directory's records from the
// source match it. See importer.Import for the errors.
func (a importer) Import(ctx context.Context, format, path string, opts api.ImportOptions) (any, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !opts.DryRun {
		a.dir.beginBulk()
		defer a.dir.endBulk(context.WithoutCancel(ctx))
	}
	// One reader of the input's tables at a time: the other core serves
	// searches meanwhile.
	o := imp.Options{Region: a.dir.Region(), Readers: 1,
		SkipInvalid: opts.SkipInvalid, Source: opts.Source, DryRun: opts.DryRun, TempDir: a.tempDir}
	if a.province != nil {
		if prov := a.province(); prov != nil {
			o.Owners = provincialOwners{prov}
		}
	}
	rep, err := imp.Import(ctx, bulkWriter{a.dir}, format, path, o)
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// bulkWriter writes an import's chunks to the directory's store without
// re-deriving the search index after each: endBulk does it once.
type bulkWriter struct{ d *Directory }

func (w bulkWriter) Write(ctx context.Context, changes []o211.Change, opt o211.WriteOptions) (*store.WriteResult, error) {
	d := w.d
	d.mu.Lock()
	defer d.mu.Unlock()
	res, err := d.store.Write(ctx, changes, opt)
	if err != nil || len(res.Changed) == 0 {
		return res, err
	}
	if f := d.onWrite.Load(); f != nil {
		(*f)(res.Changed[len(res.Changed)-1].Seq) // the outbox has new entries
	}
	return res, nil
}

// DropCacheEvery lets go of the store's file pages mapped by the writes'
// reads, every period until stop.
func (w bulkWriter) DropCacheEvery(period time.Duration) (stop func()) {
	return w.d.store.DropCacheEvery(period)
}

func (w bulkWriter) View(fn func(hsds.Tx) error) error { return w.d.View(fn) }

// beginBulk starts an import's writes: until endBulk, the index's saved
// sequence number stays where it is, so that a restart catches up on the
// import's changes whatever the index file says.
func (d *Directory) beginBulk() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.bulk = true
	d.bulkFrom = d.indexedSeq.Load()
}

// endBulk re-derives the services the import changed (or the whole index,
// for a large import) and ends the bulk.
func (d *Directory) endBulk(ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.bulk = false
	if err := d.catchUp(ctx, d.bulkFrom); err != nil {
		d.logger.Error("search index update failed after an import", "err", err)
	}
}
