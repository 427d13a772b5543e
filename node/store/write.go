package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// Rejection is a change that was not written, and why.
type Rejection struct {
	Index  int       `json:"index"` // position in the changes given to Write
	Kind   o211.Kind `json:"kind"`
	ID     string    `json:"id"`
	Code   string    `json:"code"`
	Field  string    `json:"field,omitempty"`
	Reason string    `json:"reason"`
}

// WriteResult says what a Write did.
type WriteResult struct {
	Created, Updated, Deleted, Unchanged int
	// Rejected lists the changes that were not written.
	Rejected []Rejection
	// Warnings lists references to records this store does not hold (the
	// change was written; HSDS allows such references).
	Warnings []Rejection
	// Changed names every record written, cascaded deletions included, in
	// sequence order.
	Changed []ChangeRef
}

// Write applies changes to the region's directory in one transaction: each
// row is validated, stamped with a new version, modification time and change
// sequence number, and entered in the outbox. Rows identical to the stored
// ones are left alone. Deleting a service, location or service_at_location
// also deletes the rows that belong to it; deleting an organization,
// program, taxonomy or taxonomy term that others still use is refused.
//
// Each record changed gets a history entry naming the actor ctx carries
// (o211.ActorFrom) and the fields changed; a ctx without one fails with
// ErrNoActor.
//
// Without SkipInvalid, any invalid change fails the whole write with an
// EINVALID *o211.Error listing every problem, and nothing is written.
func (s *Store) Write(ctx context.Context, changes []o211.Change, opt o211.WriteOptions) (*WriteResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	b := newBatch(s, changes)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("store: closed")
	}
	if s.region == replicaMark {
		return nil, o211.Errorf(o211.EFORBIDDEN, "this is a replica of other regions' records; write to the owning region's node")
	}
	if opt.Source != "" {
		if err := ValidSource(opt.Source); err != nil {
			return nil, err
		}
	}
	var res *WriteResult
	err = s.db.Update(func(tx *bolt.Tx) error {
		b.tx = tx
		b.check()
		res = &WriteResult{Rejected: b.rejected(), Warnings: b.warnings}
		if len(res.Rejected) > 0 && !opt.SkipInvalid {
			return rejectionError(res.Rejected)
		}
		return b.apply(ctx, actor, res, opt)
	})
	if err != nil {
		if res != nil && len(res.Rejected) > 0 && !opt.SkipInvalid {
			return res, err
		}
		return nil, err
	}
	return res, nil
}

// rejectionError summarises rejections as one EINVALID error (ECONFLICT or
// ENOTFOUND when that is the only kind of problem).
func rejectionError(rej []Rejection) error {
	code := rej[0].Code
	for _, r := range rej {
		if r.Code != code {
			code = o211.EINVALID
		}
	}
	e := &o211.Error{Code: code, Field: rej[0].Field}
	for _, r := range rej {
		e.Problems = append(e.Problems, o211.InputProblem{Record: fmt.Sprintf("%s %q", r.Kind, r.ID), Field: r.Field, Reason: r.Reason})
	}
	e.Message = e.Problems[0].String()
	if len(rej) > 1 {
		e.Message = fmt.Sprintf("%d changes rejected; first: %s", len(rej), e.Message)
	}
	return e
}

type key struct {
	kind o211.Kind
	id   string
}

// pending is one change of a batch on its way to the file.
type pending struct {
	index  int
	op     o211.Op
	key    key
	obj    o211.Object
	data   []byte
	rej    *Rejection
	dupeOf int // index of an identical earlier change, or -1
}

type batch struct {
	s        *Store
	tx       *bolt.Tx
	items    []*pending
	byKey    map[key]*pending
	warnings []Rejection
}

func newBatch(s *Store, changes []o211.Change) *batch {
	b := &batch{s: s, items: make([]*pending, len(changes)), byKey: make(map[key]*pending, len(changes))}
	for i, c := range changes {
		p := &pending{index: i, op: c.Op, key: key{c.Kind, c.ID}, obj: c.Object, dupeOf: -1}
		b.items[i] = p
		b.prepare(p)
		if p.rej != nil {
			continue
		}
		if prev, ok := b.byKey[p.key]; ok {
			if prev.op == p.op && bytes.Equal(prev.data, p.data) {
				p.dupeOf = prev.index
			} else {
				b.reject(p, o211.EINVALID, "id", fmt.Sprintf("the same record is changed twice in one write (also change #%d)", prev.index+1))
			}
			continue
		}
		b.byKey[p.key] = p
	}
	return b
}

// prepare validates a change on its own and encodes its row.
func (b *batch) prepare(p *pending) {
	switch p.op {
	case o211.OpDelete:
		if _, ok := o211.LookupKind(p.key.kind); !ok {
			b.reject(p, o211.EINVALID, "kind", fmt.Sprintf("unknown record kind %q", p.key.kind))
		} else if err := o211.ValidID("id", p.key.id); err != nil {
			b.reject(p, o211.EINVALID, "id", o211.ErrorMessage(err))
		}
	case o211.OpUpsert:
		if p.obj == nil {
			b.reject(p, o211.EINVALID, "", "an upsert needs a record")
			return
		}
		p.key = key{p.obj.ObjectKind(), p.obj.ObjectID()}
		if err := p.obj.Validate(); err != nil {
			field := ""
			if e, ok := err.(*o211.Error); ok {
				field = e.Field
			}
			b.reject(p, o211.EINVALID, field, strings.TrimPrefix(o211.ErrorMessage(err), field+": "))
			return
		}
		flat := p.obj.Flat()
		if svc, ok := flat.(*o211.Service); ok {
			svc.LastModified = "" // the store keeps modification times itself
		}
		data, err := json.Marshal(flat)
		if err != nil {
			b.reject(p, o211.EINVALID, "", err.Error())
			return
		}
		p.data = data
	default:
		b.reject(p, o211.EINVALID, "op", fmt.Sprintf("unknown operation %q", p.op))
	}
}

func (b *batch) reject(p *pending, code, field, reason string) {
	if p.rej == nil {
		p.rej = &Rejection{Index: p.index, Kind: p.key.kind, ID: p.key.id, Code: code, Field: field, Reason: reason}
	}
}

func (b *batch) rejected() []Rejection {
	var out []Rejection
	for _, p := range b.items {
		if p.rej != nil {
			out = append(out, *p.rej)
		}
	}
	return out
}

// live reports whether kind/id exists once this batch is applied (counting
// only the changes not rejected so far).
func (b *batch) live(kind o211.Kind, id string) bool {
	if p, ok := b.byKey[key{kind, id}]; ok && p.rej == nil {
		return p.op == o211.OpUpsert
	}
	r, err := findRecord(b.tx, kind, id)
	return err == nil && r != nil && !r.Deleted
}

// strictRefs are the references without which a row makes no sense; a
// dangling one rejects the row. Others only warn.
var strictRefs = map[o211.Kind]map[string]bool{
	o211.KindServiceAtLocation: {"service_id": true, "location_id": true},
	o211.KindService:           {"organization_id": true},
}

// check validates references and deletions until no new rejection appears
// (rejecting an organization rejects its services, then their
// service_at_locations).
func (b *batch) check() {
	for changed := true; changed; {
		changed = false
		for _, p := range b.items {
			if p.rej != nil || p.dupeOf >= 0 {
				continue
			}
			if p.op == o211.OpUpsert {
				b.checkRefs(p)
			} else {
				b.checkDelete(p)
			}
			changed = changed || p.rej != nil
		}
	}
	b.warnings = nil
	for _, p := range b.items {
		if p.rej == nil && p.op == o211.OpUpsert && p.dupeOf < 0 {
			for _, r := range p.obj.Refs() {
				if r.ID != "" && r.Kind != "" && !b.live(r.Kind, r.ID) {
					b.warnings = append(b.warnings, Rejection{Index: p.index, Kind: p.key.kind, ID: p.key.id,
						Code: o211.ENOTFOUND, Field: r.Field, Reason: fmt.Sprintf("refers to %s %q, which this directory does not hold", r.Kind, r.ID)})
				}
			}
		}
	}
}

func (b *batch) checkRefs(p *pending) {
	for _, r := range p.obj.Refs() {
		if r.ID == "" || !strictRefs[p.key.kind][r.Field] {
			continue
		}
		if !b.live(r.Kind, r.ID) {
			b.reject(p, o211.EINVALID, r.Field, fmt.Sprintf("no %s %q (neither stored nor valid in this write)", r.Kind, r.ID))
			return
		}
	}
}

// protected lists, for each kind, the referrers that forbid its deletion.
var protected = map[o211.Kind][]struct {
	kind  o211.Kind
	field string
}{
	o211.KindOrganization: {{o211.KindService, "organization_id"}, {o211.KindLocation, "organization_id"},
		{o211.KindProgram, "organization_id"}, {o211.KindOrganization, "parent_organization_id"}},
	o211.KindProgram:      {{o211.KindService, "program_id"}},
	o211.KindTaxonomy:     {{o211.KindTaxonomyTerm, "taxonomy_id"}},
	o211.KindTaxonomyTerm: {{o211.KindAttribute, "taxonomy_term_id"}, {o211.KindTaxonomyTerm, "parent_id"}},
}

func (b *batch) checkDelete(p *pending) {
	r, err := findRecord(b.tx, p.key.kind, p.key.id)
	if err != nil || r == nil || r.Deleted {
		b.reject(p, o211.ENOTFOUND, "id", fmt.Sprintf("%s %q not found", p.key.kind, p.key.id))
		return
	}
	for _, pr := range protected[p.key.kind] {
		n := 0
		_ = newTx(b.tx).EachReferrer(pr.kind, pr.field, p.key.id, func(ref *o211.Record) error {
			if b.live(ref.Kind, ref.ID) {
				n++
			}
			return nil
		})
		if n > 0 {
			b.reject(p, o211.ECONFLICT, "id", fmt.Sprintf("%s %q is still used by %d %s record(s); delete or move them first", p.key.kind, p.key.id, n, pr.kind))
			return
		}
	}
}
