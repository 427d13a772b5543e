package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/store"
)

// Write makes the region's records from the import's source match the
// batch (see Options.Source) and reports what happened, every rejection
// named by its file, line and field.
//
// It checks the whole batch before writing anything: every record against
// the HSDS schema (while reading) and its references against the batch and
// the directory. Without opts.SkipInvalid it is all or nothing: when there
// is any problem, nothing is written and Write returns the report with an
// EINVALID *o211.Error whose Problems list every problem and whose Message
// names the first as "file:line: field: reason". Then it writes the records
// in table and id order, in writes of at most opts.ChunkRecords records (so that
// no transaction holds the whole import), and removes the source's records
// the batch no longer holds, children first; a record still used by records
// from elsewhere is kept, with a warning. With SkipInvalid the valid
// records are written and every problem is in Report.Rejected. With
// opts.DryRun nothing is written and Report.Plan says what would be. Other
// errors of w are returned as they are; the writes made before such an
// error stay (importing the input again completes the sync).
//
// The records are written as ctx's actor (o211.ActorFrom: the credential's,
// for a file uploaded to the API), or as o211.System("import") when ctx
// names none.
func (b *Batch) Write(ctx context.Context, w Writer, opts Options) (*Report, error) {
	if b.err != nil {
		return nil, b.err
	}
	if opts.Pause != nil {
		b.pause = opts.Pause
	}
	if err := b.st.flush(); err != nil {
		return nil, err
	}
	rep := &Report{Format: b.Format, Records: b.Records, Kinds: map[o211.Kind]int{}, Source: opts.source(b.Format), DryRun: opts.DryRun}
	if err := store.ValidSource(rep.Source); err != nil {
		return nil, err
	}
	order := b.st.order()
	for _, i := range order {
		rep.Kinds[allKinds[b.st.ent(i).kind].Kind]++
	}
	// The checks read records all over the store's file, and so do the
	// writes: let go of its pages as they go.
	defer dropWhileWriting(w)()
	foreign, first, err := b.checkOwners(opts, order)
	if err != nil {
		return nil, err
	}
	var removals []o211.Change
	err = w.View(func(tx hsds.Tx) error {
		if err := b.check(tx, order); err != nil {
			return err
		}
		var err error
		removals, err = b.removals(tx, rep.Source)
		return err
	})
	if err != nil {
		return nil, err
	}
	b.finishLists()
	rep.Warnings = append(rep.Warnings, b.Warnings...)
	if len(b.Problems) > 0 && !opts.SkipInvalid {
		rep, err := b.fail(rep, append([]o211.InputProblem(nil), b.Problems...))
		if foreign > 0 {
			err = ownedError(err, foreign, first)
		}
		return rep, err
	}
	rep.Rejected = append(rep.Rejected, b.Problems...)
	if opts.DryRun {
		err = w.View(func(tx hsds.Tx) error { return b.plan(tx, order, removals, rep) })
	} else {
		err = b.apply(ctx, w, order, removals, rep, opts)
	}
	if err != nil {
		return rep, err
	}
	sortProblems(rep.Rejected)
	sortProblems(rep.Warnings)
	return rep, nil
}

// finishLists adds to the problems and warnings a line that counts those
// not listed.
func (b *Batch) finishLists() {
	if b.moreProblems > 0 {
		b.Problems = append(b.Problems, o211.InputProblem{Reason: fmt.Sprintf("and %d more problems, not listed", b.moreProblems)})
		b.moreProblems = 0
	}
	if b.moreWarnings > 0 {
		b.Warnings = append(b.Warnings, o211.InputProblem{Reason: fmt.Sprintf("and %d more warnings, not listed", b.moreWarnings)})
		b.moreWarnings = 0
	}
}

// checkOwners refuses, as problems, the staged records that another
// region owns (see Options.Owners), before the references are checked so
// that their children are refused in turn. It returns how many it refused
// and the first of them as a problem's text.
func (b *Batch) checkOwners(opts Options, order []int32) (n int, first string, err error) {
	if opts.Owners == nil || opts.Region == "" {
		return 0, "", nil
	}
	err = opts.Owners.ViewOwners(func(owner func(o211.Kind, string) (string, error)) error {
		for k, i := range order {
			b.yield(k)
			e := b.st.ent(i)
			kind := allKinds[e.kind].Kind
			if e.bad || o211.Shared(kind) {
				continue
			}
			id := string(b.st.id(e))
			region, err := owner(kind, id)
			if err != nil {
				return err
			}
			if region == "" || region == opts.Region {
				continue
			}
			st, _, err := b.st.read(i, b.files, nil)
			if err != nil {
				return err
			}
			src := st.src
			if src.Record == "" {
				src.Record = fmt.Sprintf("%s %q", kind, echo(id))
			}
			reason := fmt.Sprintf("belongs to region %q, not to %q: only its own region may change it", region, opts.Region)
			if n == 0 {
				first = b.located(src, "id", reason).String()
			}
			b.problem(src, "id", reason)
			e.bad = true
			n++
		}
		return nil
	})
	return n, first, err
}

// ownedError turns the error of an import refused because n of its
// records, the first described by first, belong to another region into an
// ECONFLICT that names that record.
func ownedError(err error, n int, first string) error {
	var e *o211.Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Code = o211.ECONFLICT
	c.Message = fmt.Sprintf("%d of the import's records belong to another region (%s); nothing was imported", n, first)
	if n == 1 {
		c.Message = fmt.Sprintf("a record of the import belongs to another region (%s); nothing was imported", first)
	}
	return &c
}

// check checks the references of every staged record in table order, so
// that a record whose parent was rejected is rejected in turn (the strict
// references of o211 point to earlier tables), as the store would.
func (b *Batch) check(tx hsds.Tx, order []int32) error {
	var buf []byte
	for n, i := range order {
		b.yield(n)
		if b.st.ent(i).bad {
			continue
		}
		st, nb, err := b.st.read(i, b.files, buf)
		if err != nil {
			return err
		}
		buf = nb
		for _, r := range st.refs {
			if r.kind == "" || b.holds(tx, r.kind, r.id) {
				continue
			}
			e := b.st.ent(i)
			kind, id := allKinds[e.kind].Kind, string(b.st.id(e))
			src := st.src
			if src.Record == "" {
				src.Record = fmt.Sprintf("%s %q", kind, id)
			}
			if r.strict {
				b.problem(src, r.field, fmt.Sprintf("no %s %q (neither stored nor valid in this write)", r.kind, r.id))
				e.bad = true
				break
			}
			b.warn(src, r.field, fmt.Sprintf("refers to %s %q, which this directory does not hold", r.kind, r.id))
		}
	}
	return nil
}

// holds reports whether kind/id is a valid record of the batch or a live
// record of the directory.
func (b *Batch) holds(tx hsds.Tx, kind o211.Kind, id string) bool {
	if i := b.st.find(kind, id); i >= 0 {
		return !b.st.ent(i).bad
	}
	_, err := tx.Get(kind, id)
	return err == nil
}

// removals lists the deletions that make the source's records match the
// batch: every record of the source that the batch does not hold, children
// first (tables in the reverse of o211.Kinds' order).
func (b *Batch) removals(tx hsds.Tx, source string) ([]o211.Change, error) {
	src, ok := tx.(sourceReader)
	if !ok {
		return nil, nil
	}
	var out []o211.Change
	err := src.EachFromSource(source, func(kind o211.Kind, id string) error {
		if b.st.find(kind, id) < 0 {
			out = append(out, o211.Delete(kind, id))
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return kindIndex[out[i].Kind] > kindIndex[out[j].Kind] })
	return out, err
}

// chunkRecords bounds one write of an import by default (Options.
// ChunkRecords), and chunkRecordBytes its bytes, a record's worth.
const (
	chunkRecords     = 16384
	chunkRecordBytes = 1 << 10
)

func (o *Options) chunk() (records, bytes int) {
	records = chunkRecords
	if o.ChunkRecords > 0 {
		records = o.ChunkRecords
	}
	return records, records * chunkRecordBytes
}

// apply writes the valid records in chunks, then the removals.
func (b *Batch) apply(ctx context.Context, w Writer, order []int32, removals []o211.Change, rep *Report, opts Options) error {
	if _, ok := o211.ActorFrom(ctx); !ok { // an import no person asked for is the system's
		ctx = o211.WithActor(ctx, o211.System("import"))
	}
	rep.Changed = map[o211.Kind]int{}
	total, done := len(order)+len(removals), 0
	progress := opts.progress(StageWrite)
	var changes []o211.Change
	var index []int32
	size := 0
	maxRecords, maxBytes := opts.chunk()
	write := func() error {
		if len(changes) == 0 {
			return nil
		}
		b.yield(0)
		res, err := w.Write(ctx, changes, o211.WriteOptions{SkipInvalid: opts.SkipInvalid, Source: rep.Source})
		if err != nil {
			return b.writeError(rep, res, err, index)
		}
		b.count(rep, res, index)
		done += len(changes)
		if progress != nil {
			progress(done, total)
		}
		changes, index, size = changes[:0], index[:0], 0
		return nil
	}
	var buf []byte
	for n, i := range order {
		b.yield(n)
		if b.st.ent(i).bad {
			done++
			continue
		}
		st, nb, err := b.st.read(i, b.files, buf)
		if err != nil {
			return err
		}
		buf = nb
		obj := mustLookup(st.kind).New()
		if err := json.Unmarshal(st.data, obj); err != nil {
			return fmt.Errorf("importer: staged %s: %w", st.kind, err)
		}
		changes, index = append(changes, o211.Upsert(obj)), append(index, i)
		if size += len(st.data); len(changes) >= maxRecords || size >= maxBytes {
			if err := write(); err != nil {
				return err
			}
		}
	}
	if err := write(); err != nil {
		return err
	}
	return b.remove(ctx, w, removals, rep, maxRecords, func(n int) {
		if done += n; progress != nil {
			progress(done, total)
		}
	})
}

// dropWhileWriting lets go of the store's file pages that the writes map,
// four times a second until stop is called, when the writer can (see
// store.Store.DropCacheEvery): the checks of every write read records all
// over the file, so the process's resident set would grow to its size.
func dropWhileWriting(w Writer) (stop func()) {
	if dc, ok := w.(interface {
		DropCacheEvery(time.Duration) func()
	}); ok {
		return dc.DropCacheEvery(250 * time.Millisecond)
	}
	return func() {}
}

// count adds a write's result to the report.
func (b *Batch) count(rep *Report, res *store.WriteResult, index []int32) {
	rep.Created += res.Created
	rep.Updated += res.Updated
	rep.Deleted += res.Deleted
	rep.Unchanged += res.Unchanged
	for _, c := range res.Changed {
		rep.Changed[c.Kind]++
	}
	rep.Rejected = append(rep.Rejected, b.rejections(res.Rejected, index)...)
}

// writeError ends an import whose write failed after the checks passed:
// the directory changed meanwhile (a record deleted by hand), or the store
// failed.
func (b *Batch) writeError(rep *Report, res *store.WriteResult, err error, index []int32) error {
	if res == nil || len(res.Rejected) == 0 {
		return err
	}
	problems := b.rejections(res.Rejected, index)
	sortProblems(problems)
	rep.Rejected = append(rep.Rejected, problems...)
	e := problemsError(problems)
	e.Message = fmt.Sprintf("the import stopped after writing %d records: %s", rep.Created+rep.Updated+rep.Unchanged, e.Message)
	return e
}

// rejections turns the store's rejections of a chunk into problems
// located in the input.
func (b *Batch) rejections(rs []store.Rejection, index []int32) []o211.InputProblem {
	var out []o211.InputProblem
	for _, r := range rs {
		if r.Index < 0 || r.Index >= len(index) {
			continue
		}
		st, _, err := b.st.read(index[r.Index], b.files, nil)
		if err != nil {
			continue
		}
		p := b.located(st.src, r.Field, r.Reason)
		if p.Record == "" {
			p.Record = fmt.Sprintf("%s %q", r.Kind, r.ID)
		}
		out = append(out, p)
	}
	return out
}

// remove deletes the source's vanished records in chunks. A record still
// used by records from elsewhere is kept with a warning; one already gone
// (removed with its parent) is passed over.
func (b *Batch) remove(ctx context.Context, w Writer, removals []o211.Change, rep *Report, chunk int, progress func(int)) error {
	for len(removals) > 0 {
		b.yield(0)
		n := min(len(removals), chunk)
		res, err := w.Write(ctx, removals[:n], o211.WriteOptions{SkipInvalid: true})
		if err != nil {
			return err
		}
		rep.Deleted += res.Deleted
		for _, c := range res.Changed {
			rep.Changed[c.Kind]++
		}
		for _, r := range res.Rejected {
			if r.Code != o211.ENOTFOUND {
				rep.Warnings = append(rep.Warnings, o211.InputProblem{Record: fmt.Sprintf("%s %q", r.Kind, r.ID),
					Reason: "is no longer in the source but is kept: " + r.Reason})
			}
		}
		progress(n)
		removals = removals[n:]
	}
	return nil
}

// fail ends an all-or-nothing import that found problems.
func (b *Batch) fail(rep *Report, problems []o211.InputProblem) (*Report, error) {
	sortProblems(problems)
	sortProblems(rep.Warnings)
	rep.Rejected = problems
	return rep, problemsError(problems)
}

// problemsError returns the EINVALID error of an import that wrote nothing.
func problemsError(problems []o211.InputProblem) *o211.Error {
	e := &o211.Error{Code: o211.EINVALID, Problems: problems, Field: problems[0].Field}
	e.Message = problems[0].String()
	if n := len(problems); n > 1 {
		e.Message += fmt.Sprintf(" (and %d more problems; nothing was imported)", n-1)
	} else {
		e.Message += " (nothing was imported)"
	}
	return e
}
