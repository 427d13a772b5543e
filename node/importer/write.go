package importer

import (
	"context"
	"errors"
	"fmt"

	"github.com/o211/o211"
	"github.com/o211/o211/node/store"
)

// Write hands the batch's changes to w and reports what happened, every
// rejection named by its file, line and field.
//
// Without opts.SkipInvalid it is all or nothing: when the batch has
// problems or the store rejects any change, nothing is written and Write
// returns the report with an EINVALID *o211.Error whose Problems list every
// problem (the store is asked to check the changes even when reading found
// problems, so that the list is whole) and whose Message names the first
// as "file:line: field: reason". With SkipInvalid the valid changes are
// written and every problem is in Report.Rejected. Other errors of w are
// returned as they are.
func (b *Batch) Write(ctx context.Context, w Writer, opts Options) (*Report, error) {
	rep := &Report{Format: b.Format, Records: b.Records, Kinds: map[o211.Kind]int{}}
	for _, c := range b.Changes {
		rep.Kinds[c.Kind]++
	}
	rep.Warnings = append(rep.Warnings, b.Warnings...)
	problems := append([]o211.Problem(nil), b.Problems...)
	if len(problems) > 0 && !opts.SkipInvalid {
		// Check without writing: a change that the store always rejects
		// makes the all-or-nothing write fail after its checks.
		n := len(b.Changes)
		dry := append(b.Changes[:n:n], o211.Upsert(&o211.Service{}))
		res, err := w.Write(ctx, dry, o211.WriteOptions{})
		if res == nil || len(res.Rejected) == 0 {
			if err == nil {
				err = errors.New("importer: the store accepted a dry run") // cannot happen: see above
			}
			return nil, err
		}
		problems = append(problems, b.rejections(res.Rejected)...)
		rep.Warnings = append(rep.Warnings, b.rejections(res.Warnings)...)
		return b.fail(rep, problems)
	}
	res, err := w.Write(ctx, b.Changes, o211.WriteOptions{SkipInvalid: opts.SkipInvalid, Progress: opts.progress(StageWrite)})
	if err != nil {
		if res != nil && len(res.Rejected) > 0 && !opts.SkipInvalid {
			problems = append(problems, b.rejections(res.Rejected)...)
			rep.Warnings = append(rep.Warnings, b.rejections(res.Warnings)...)
			return b.fail(rep, problems)
		}
		return nil, err
	}
	rep.Created, rep.Updated, rep.Deleted, rep.Unchanged = res.Created, res.Updated, res.Deleted, res.Unchanged
	rep.Changed = map[o211.Kind]int{}
	for _, c := range res.Changed {
		rep.Changed[c.Kind]++
	}
	rep.Rejected = append(problems, b.rejections(res.Rejected)...)
	rep.Warnings = append(rep.Warnings, b.rejections(res.Warnings)...)
	sortProblems(rep.Rejected)
	sortProblems(rep.Warnings)
	return rep, nil
}

// rejections turns the store's rejections (or warnings) of changes into
// problems located in the input; those of changes beyond the batch (the
// dry run's) are left out.
func (b *Batch) rejections(rs []store.Rejection) []o211.Problem {
	var out []o211.Problem
	for _, r := range rs {
		if r.Index < 0 || r.Index >= len(b.Sources) {
			continue
		}
		p := b.located(b.Sources[r.Index], r.Field, r.Reason)
		if p.Record == "" {
			p.Record = fmt.Sprintf("%s %q", r.Kind, r.ID)
		}
		out = append(out, p)
	}
	return out
}

// fail ends an all-or-nothing import that found problems.
func (b *Batch) fail(rep *Report, problems []o211.Problem) (*Report, error) {
	sortProblems(problems)
	sortProblems(rep.Warnings)
	rep.Rejected = problems
	return rep, problemsError(problems)
}

// problemsError returns the EINVALID error of an import that wrote nothing.
func problemsError(problems []o211.Problem) error {
	e := &o211.Error{Code: o211.EINVALID, Problems: problems, Field: problems[0].Field}
	e.Message = problems[0].String()
	if n := len(problems); n > 1 {
		e.Message += fmt.Sprintf(" (and %d more problems; nothing was imported)", n-1)
	} else {
		e.Message += " (nothing was imported)"
	}
	return e
}
