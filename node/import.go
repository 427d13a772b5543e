package node

import (
	"context"
	"runtime"
	"slices"
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
// when the import ends (searches see the directory as it was until then,
// and then the services re-derived so far). While the node serves
// searches, the import rests as much as it works (pacer).
type importer struct {
	dir     *Directory
	tempDir string
	mu      *sync.Mutex // one import at a time
	// province returns the node's provincial copy (nil when the node runs
	// alone): a record another region owns is refused.
	province func() *Directory
	// memory bounds the process's Go memory during the import and its
	// index update (importMemory when nil).
	memory *memoryBudget
}

// Import reads path in format and makes the directory's records from the
// source match it. See importer.Import for the errors.
func (a importer) Import(ctx context.Context, format, path string, opts api.ImportOptions) (any, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	// The Go memory limit follows the live heap until the index update
	// ends (deferred before endBulk, so it runs after it).
	mem := a.memory
	if mem == nil {
		mem = importMemory
	}
	defer mem.begin()()
	var prov *Directory
	if a.province != nil {
		prov = a.province()
	}
	pause := newPacer(a.dir, prov).pause
	if !opts.DryRun {
		a.dir.beginBulk()
		defer a.dir.endBulk(context.WithoutCancel(ctx), pause)
	}
	// One reader of the input's tables at a time, resting while searches
	// are served, in writes of a few thousand records: searches keep a
	// core (see pacer).
	o := imp.Options{Region: a.dir.Region(), Readers: 1, Pause: pause, ChunkRecords: importChunk,
		SkipInvalid: opts.SkipInvalid, Source: opts.Source, DryRun: opts.DryRun, TempDir: a.tempDir}
	if prov != nil {
		o.Owners = imp.StoreOwners(prov.store)
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
	// A write's puts and checks map store pages all over the file (each
	// fault maps the sixteen pages around it): a write of importChunk
	// records maps up to a hundred megabytes. On a busy machine the
	// periodic drop (DropCacheEvery) comes late, so let go of them before
	// and after each write too (a few hundred times an import).
	d.store.DropCache()
	res, err := d.store.Write(ctx, changes, opt)
	d.store.DropCache()
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

// bulkBatch is how many services endBulk re-derives at a time: a batch
// takes ten or twenty milliseconds of one core and a few megabytes.
const bulkBatch = 128

// importChunk bounds the records of one write of an import through the
// node: about 25 ms of work, a few megabytes of heap, and up to about 60 MB
// of the store's pages mapped.
const importChunk = 1024

// restPerWork is how long an import rests, while searches are served, for
// each unit of time it worked: it so takes at most a third of a core.
const restPerWork = 2

// maxRest bounds one rest of an import that yields to searches.
const maxRest = 100 * time.Millisecond

// searchActive is how recent a search must be for an import to rest.
const searchActive = 100 * time.Millisecond

// pacer is an import's yield (importer.Options.Pause, and between the
// batches of its index update): while the node serves searches (of its
// region or of its copy of the province) it sleeps for restPerWork times
// as long as the import worked since its last rest, so that the import
// takes at most about a third of a core and a search never waits long
// behind it; otherwise it only gives up the processor. The import so
// takes up to three times as long on a busy node, and its searches stay
// fast: on two cores an import that kept one core busy with its parsing,
// writes and garbage made searches' p99 three to five times what it is
// idle, and one that rested as long as it worked (half a core) 2.3 times.
// It is safe for concurrent use.
type pacer struct {
	dirs  []*Directory
	now   func() time.Time
	sleep func(time.Duration)
	mu    sync.Mutex
	last  time.Time // the end of the last rest
}

func newPacer(dirs ...*Directory) *pacer {
	return &pacer{dirs: dirs, now: time.Now, sleep: time.Sleep, last: time.Now()}
}

func (p *pacer) pause() {
	p.mu.Lock()
	work := p.now().Sub(p.last)
	p.mu.Unlock()
	if p.searching() {
		p.sleep(min(work*restPerWork, maxRest))
	} else {
		runtime.Gosched()
	}
	p.mu.Lock()
	p.last = p.now()
	p.mu.Unlock()
}

// searching reports whether a search came in within searchActive.
func (p *pacer) searching() bool {
	for _, d := range p.dirs {
		if d != nil && p.now().Sub(time.Unix(0, d.lastSearch.Load())) < searchActive {
			return true
		}
	}
	return false
}

// endBulk brings the search index up to date with an import's writes and
// ends the bulk. It re-derives the services the import affected in small
// batches on one goroutine, while the index serves searches (they see the
// batches applied so far), instead of rebuilding the whole index at once:
// a rebuild would take every core for seconds and hold every doc of the
// directory, twice over, in memory.
func (d *Directory) endBulk(ctx context.Context, pause func()) {
	start := time.Now()
	// Following the changes reads records all over the store's file: let
	// go of its pages as they go.
	stop := d.store.DropCacheEvery(250 * time.Millisecond)
	ids, err := d.bulkAffected()
	if err == nil {
		d.logger.Info("updating the search index after an import", "services", len(ids))
		// Re-deriving services maps pages all over the store's file, and
		// each page fault maps the sixteen around it (the kernel's
		// fault-around): let go of them every few services, from the
		// reading goroutine itself (a periodic drop comes too late on a
		// busy machine).
		err = d.indexer.UpdateServices(ctx, ids, bulkBatch, &d.mu, pause, func(tx hsds.Tx) {
			if t, ok := tx.(*store.Tx); ok {
				t.DropCache()
			}
		})
	}
	stop()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.bulk = false
	if err == nil {
		var seq uint64
		if seq, err = d.store.Seq(); err == nil {
			// Every change up to seq is indexed: the import's by the batches,
			// the directory's other writes by themselves.
			d.indexedSeq.Store(seq)
		}
	}
	if err != nil {
		d.logger.Error("search index update failed after an import", "err", err)
		return
	}
	d.logger.Info("search index updated after an import", "services", len(ids), "docs", d.indexer.Index().Len(),
		"duration", time.Since(start).Round(time.Millisecond))
}

// bulkAffected returns the services that the changes since the bulk began
// affect: for a few, those they lead to; for more than d.bulkAllAt,
// every service of the store and of the index, since following each of
// so many changes to its services costs more than re-deriving them all.
func (d *Directory) bulkAffected() ([]string, error) {
	var changed []hsds.Changed
	var ids []string
	err := d.store.View(func(tx *store.Tx) error {
		err := tx.ChangesSince(d.bulkFrom, func(c store.ChangeRef) error {
			if len(changed) > d.bulkAllAt {
				return store.ErrStop
			}
			if !c.IsReport() { // reports of closed contacts are not in the directory
				changed = append(changed, hsds.Changed{Kind: c.Kind, ID: c.ID})
			}
			return nil
		})
		if err != nil && err != store.ErrStop {
			return err
		}
		if len(changed) <= d.bulkAllAt {
			ids, err = hsds.AffectedServices(tx, changed)
			return err
		}
		return tx.Scan(o211.KindService, "", func(r *o211.Record) error {
			ids = append(ids, r.ID)
			return nil
		})
	})
	if err != nil || len(changed) <= d.bulkAllAt {
		return ids, err
	}
	// Services gone from the store leave the index.
	ids = append(ids, d.indexer.Index().ServiceIDs()...)
	slices.Sort(ids)
	return slices.Compact(ids), nil
}
