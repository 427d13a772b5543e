package importer

import (
	"bytes"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
)

// maxPlannedIDs is how many ids a dry run lists per table and operation.
const maxPlannedIDs = 20

// plan fills the report of a dry run: what the import would add, change
// and remove, by table, and the counts it would report.
func (b *Batch) plan(tx hsds.Tx, order []int32, removals []o211.Change, rep *Report) error {
	plans := map[string]map[o211.Kind]*Planned{}
	note := func(op string, kind o211.Kind, id string) {
		if plans[op] == nil {
			plans[op] = map[o211.Kind]*Planned{}
		}
		p := plans[op][kind]
		if p == nil {
			p = &Planned{Op: op, Kind: kind, IDs: []string{}}
			plans[op][kind] = p
		}
		p.Count++
		if len(p.IDs) < maxPlannedIDs {
			p.IDs = append(p.IDs, id)
		}
	}
	var buf []byte
	for _, i := range order {
		e := b.st.ent(i)
		if e.bad {
			continue
		}
		st, nb, err := b.st.read(i, b.files, buf)
		if err != nil {
			return err
		}
		buf = nb
		kind, id := st.kind, string(b.st.id(e))
		old, err := tx.GetAny(kind, id)
		switch {
		case err != nil:
			return err
		case old == nil || old.Deleted:
			rep.Created++
			note("add", kind, id)
		case !bytes.Equal(old.Data, st.data):
			rep.Updated++
			note("change", kind, id)
		default:
			rep.Unchanged++
		}
	}
	for _, c := range removals {
		rep.Deleted++
		note("remove", c.Kind, c.ID)
	}
	for _, op := range []string{"add", "change", "remove"} {
		for _, ki := range allKinds {
			if p := plans[op][ki.Kind]; p != nil {
				rep.Plan = append(rep.Plan, *p)
			}
		}
	}
	return nil
}
