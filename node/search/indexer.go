package search

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/taxonomy"
)

// Viewer gives consistent read views of a directory: a node's store, or
// the hub's replicated state.
type Viewer func(fn func(hsds.Tx) error) error

// Indexer keeps a search index in step with a directory (a node's store, or
// the hub's replicated state): it derives the
// search docs of services from the directory's rows, all of them
// (Rebuild) or those a set of changed rows affects (Update). It is safe for
// concurrent use; updates are applied one at a time.
type Indexer struct {
	view  Viewer
	index *Index
	mu    sync.Mutex // serialises Rebuild and Update
}

// NewIndexer returns an indexer over view, with index (a new empty index
// when nil).
func NewIndexer(view Viewer, index *Index) *Indexer {
	if index == nil {
		index = New(Options{})
	}
	return &Indexer{view: view, index: index}
}

// Index returns the search index.
func (ix *Indexer) Index() *Index { return ix.index }

// Search runs a query against the index.
func (ix *Indexer) Search(ctx context.Context, q o211.Query) (*o211.Results, error) {
	return ix.index.Search(ctx, q)
}

// Rebuild derives every service's docs and rebuilds the index from them.
func (ix *Indexer) Rebuild(ctx context.Context) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var ids []string
	err := ix.view(func(tx hsds.Tx) error {
		return tx.Scan(o211.KindService, "", func(r *o211.Record) error {
			ids = append(ids, r.ID)
			return nil
		})
	})
	if err != nil {
		return err
	}
	docs, err := ix.derive(ctx, ids, runtime.GOMAXPROCS(0), nil)
	if err != nil {
		return err
	}
	if err := ix.index.Build(docs); err != nil {
		return fmt.Errorf("search: build index: %w", err)
	}
	return nil
}

// Update re-derives the services affected by changed rows.
func (ix *Indexer) Update(ctx context.Context, changed []hsds.Changed) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var ids []string
	err := ix.view(func(tx hsds.Tx) error {
		var err error
		ids, err = hsds.AffectedServices(tx, changed)
		return err
	})
	if err != nil || len(ids) == 0 {
		return err
	}
	docs, err := ix.derive(ctx, ids, runtime.GOMAXPROCS(0), nil)
	if err != nil {
		return err
	}
	if err := ix.index.Replace(ids, docs); err != nil {
		return fmt.Errorf("search: update index: %w", err)
	}
	return nil
}

// UpdateServices re-derives the services ids (those no longer in the
// directory leave the index) in batches of at most batch services, each
// derived and analysed on one goroutine and applied as its own atomic
// change, yielding the processor between batches. It is for a large update
// made while the index serves searches (after a bulk import): searches keep
// the other cores and are never held up by it, and its memory is that of
// one batch, not of every doc at once. lock, when not nil, is held around
// each batch (a directory's write lock, so that the batches and the
// directory's own writes reach the index in the order of the store);
// pause, when not nil, is called between batches in place of
// runtime.Gosched. Searches see the batches applied so far. read, when
// not nil, is called with the read view every readEvery services derived
// (a node lets go of the store's mapped pages there).
func (ix *Indexer) UpdateServices(ctx context.Context, ids []string, batch int, lock sync.Locker, pause func(), read func(hsds.Tx)) error {
	batch = max(batch, 1)
	if pause == nil {
		pause = runtime.Gosched
	}
	for len(ids) > 0 {
		n := min(batch, len(ids))
		if err := ix.updateBatch(ctx, ids[:n], lock, read); err != nil {
			return err
		}
		ids = ids[n:]
		pause()
	}
	return nil
}

func (ix *Indexer) updateBatch(ctx context.Context, ids []string, lock sync.Locker, read func(hsds.Tx)) error {
	if lock != nil {
		lock.Lock()
		defer lock.Unlock()
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	docs, err := ix.derive(ctx, ids, 1, read)
	if err != nil {
		return err
	}
	if err := ix.index.replace(ids, docs, 1); err != nil {
		return fmt.Errorf("search: update index: %w", err)
	}
	return nil
}

// readEvery is how many services derive reads between calls of its read
// function: each reads a few dozen of the store's pages.
const readEvery = 16

// derive assembles the services and returns their docs, on up to workers
// goroutines, calling read (when not nil) with the view every readEvery
// services. Services that no longer exist give no docs.
func (ix *Indexer) derive(ctx context.Context, ids []string, workers int, read func(hsds.Tx)) ([]Doc, error) {
	if len(ids) < 64 {
		workers = 1
	}
	parts := make([][]Doc, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			errs[w] = ix.view(func(tx hsds.Tx) error {
				view := hsds.NewIndexView(tx)
				for i := w; i < len(ids); i += workers {
					if i%1024 == 0 && ctx.Err() != nil {
						return ctx.Err()
					}
					rec, err := tx.Get(o211.KindService, ids[i])
					if o211.ErrorCode(err) == o211.ENOTFOUND {
						continue
					} else if err != nil {
						return err
					}
					svc, err := view.Service(rec)
					if err != nil {
						return err
					}
					parts[w] = append(parts[w], DocsFromService(svc, rec.Region, rec.Modified, taxonomyNames)...)
					if read != nil && (i/workers)%readEvery == readEvery-1 {
						read(tx)
					}
				}
				return nil
			})
		}(w)
	}
	wg.Wait()
	var docs []Doc
	for w := range parts {
		if errs[w] != nil {
			return nil, errs[w]
		}
		docs = append(docs, parts[w]...)
	}
	return docs, nil
}

// taxonomyNames gives the English and French names o211 knows for a code.
func taxonomyNames(code string) (en, fr string) {
	if t, ok := taxonomy.Lookup(code); ok {
		return t.NameEn, t.NameFr
	}
	return "", ""
}
