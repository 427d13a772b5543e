package node

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/search"
	"github.com/o211/o211/node/store"
)

// Directory is a region's resource directory: the bbolt store and the
// search index kept in step with it. Every write goes to the store first;
// the services it affects are then re-derived into the index, in the order
// of the writes. The index is saved beside the store (with the store's
// change sequence number it reflects) so that a restart loads it instead of
// rebuilding it, and catches up on the changes made after it was saved.
type Directory struct {
	store     *store.Store
	indexer   *search.Indexer
	indexPath string
	logger    *slog.Logger
	region    string
	now       func() time.Time

	mu         sync.Mutex                   // serialises Write with re-indexing and saving
	indexedSeq atomic.Uint64                // store sequence number the index reflects
	savedSeq   atomic.Uint64                // sequence number of the saved index file
	onWrite    atomic.Pointer[func(uint64)] // called with the last sequence number of each Write that changed something
	// bulk is set while an import writes (under mu): the index is not
	// updated for the import's writes, and indexedSeq stays at bulkFrom.
	bulk     bool
	bulkFrom uint64
	// lastSearch is when the last search began (Unix nanoseconds): an
	// import rests while searches are served (pacer).
	lastSearch atomic.Int64
	// bulkAllAt is the number of an import's changes from which endBulk
	// re-derives every service instead of following each change
	// (fullRebuildAt; tests lower it).
	bulkAllAt int
}

// DirectoryConfig configures OpenDirectory.
type DirectoryConfig struct {
	// Path of the bbolt file; the index is saved at Path + ".idx".
	Path string
	// Region owns the directory (required for a new store).
	Region string
	// Replica opens a store of many regions' records (the hub's, or a
	// node's copy of the province).
	Replica bool
	Logger  *slog.Logger
	Now     func() time.Time
	// NoSync skips fsync: tests and benchmarks only.
	NoSync bool
}

// fullRebuildAt is the number of changed records from which re-deriving
// every service is cheaper than following each change to its services.
const fullRebuildAt = 20000

// OpenDirectory opens the store and loads (or builds) its search index.
func OpenDirectory(ctx context.Context, cfg DirectoryConfig) (*Directory, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	st, err := store.Open(cfg.Path, store.Options{Region: cfg.Region, Replica: cfg.Replica, Now: cfg.Now,
		Logger: cfg.Logger, NoSync: cfg.NoSync})
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	d := &Directory{store: st, indexPath: cfg.Path + ".idx", logger: cfg.Logger, region: st.Region(), bulkAllAt: fullRebuildAt,
		now: cfg.Now}
	if err := d.loadIndex(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return d, nil
}

// loadIndex loads the saved index and catches up, or builds it anew.
func (d *Directory) loadIndex(ctx context.Context) error {
	start := time.Now()
	storeSeq, err := d.store.Seq()
	if err != nil {
		return err
	}
	ix, seq, err := loadIndexFile(d.indexPath)
	switch {
	case err == nil && seq <= storeSeq:
		d.indexer = search.NewIndexer(d.View, ix)
		d.indexedSeq.Store(seq)
		d.savedSeq.Store(seq)
		if err := d.catchUp(ctx, seq); err != nil {
			return err
		}
		d.logger.Info("search index loaded", "docs", ix.Len(), "from_seq", seq, "to_seq", storeSeq,
			"duration", time.Since(start).Round(time.Millisecond))
		return nil
	case err == nil:
		d.logger.Warn("search index is ahead of the store; rebuilding", "index_seq", seq, "store_seq", storeSeq)
	case !errors.Is(err, os.ErrNotExist):
		d.logger.Warn("search index unreadable; rebuilding", "err", err)
	}
	d.indexer = search.NewIndexer(d.View, nil)
	if err := d.rebuild(ctx); err != nil {
		return err
	}
	d.logger.Info("search index built", "docs", d.indexer.Index().Len(), "duration", time.Since(start).Round(time.Millisecond))
	return d.SaveIndex()
}

func loadIndexFile(path string) (*search.Index, uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	return search.Load(bufio.NewReaderSize(f, 1<<20))
}

// catchUp re-derives the services changed after seq.
func (d *Directory) catchUp(ctx context.Context, seq uint64) error {
	var changed []hsds.Changed
	var last uint64
	err := d.store.View(func(tx *store.Tx) error {
		last = tx.Seq()
		return tx.ChangesSince(seq, func(c store.ChangeRef) error {
			if !c.IsReport() { // reports of closed contacts are not in the directory
				changed = append(changed, hsds.Changed{Kind: c.Kind, ID: c.ID})
			}
			return nil
		})
	})
	if err != nil || len(changed) == 0 {
		return err
	}
	if len(changed) >= fullRebuildAt {
		return d.rebuild(ctx)
	}
	return d.reindex(changed, last)
}

// rebuild rebuilds the whole index from the store.
func (d *Directory) rebuild(ctx context.Context) error {
	seq, err := d.store.Seq()
	if err != nil {
		return err
	}
	// The rebuild reads the whole file: let go of its pages as it goes.
	defer d.store.DropCacheEvery(250 * time.Millisecond)()
	if err := d.indexer.Rebuild(ctx); err != nil {
		return err
	}
	d.setIndexed(seq)
	return nil
}

// reindex re-derives the services affected by changed records, which
// bring the store to sequence number seq.
func (d *Directory) reindex(changed []hsds.Changed, seq uint64) error {
	if err := d.indexer.Update(context.Background(), changed); err != nil {
		return err
	}
	d.setIndexed(seq)
	return nil
}

// setIndexed records that the index reflects the store up to seq, unless
// an import is writing (it has changes before seq that the index lacks).
func (d *Directory) setIndexed(seq uint64) {
	if !d.bulk {
		d.indexedSeq.Store(seq)
	}
}

// SaveIndex writes the index to its file (through a temporary file and a
// rename, so a crash leaves the old file or the new one).
func (d *Directory) SaveIndex() error {
	seq := d.indexedSeq.Load()
	tmp := d.indexPath + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("node: save search index: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = d.indexer.Index().Save(w, seq)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, d.indexPath)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("node: save search index: %w", err)
	}
	d.savedSeq.Store(seq)
	if dir, err := os.Open(filepath.Dir(d.indexPath)); err == nil {
		dir.Sync()
		dir.Close()
	}
	return nil
}

// IndexStale reports whether the index has changes that its file lacks.
func (d *Directory) IndexStale() bool { return d.savedSeq.Load() != d.indexedSeq.Load() }
