package replication

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/o211/o211"
)

// What the pusher does when the hub's mark and the outbox disagree, and
// when the hub refuses a batch. See DESIGN.md, "Push".

// probe sends the node's last change again and checks where the hub
// stands.
func (p *Pusher) probe(ctx context.Context, head uint64) error {
	cs, err := p.cfg.Outbox.Changes(head-1, 1)
	if err != nil {
		return fmt.Errorf("replication: read changes: %w", err)
	}
	if len(cs) == 0 || cs[0].Seq != head {
		return nil // the change feed does not end at head: nothing to probe with
	}
	b, err := p.build([]item{{seq: head, ref: Ref{cs[0].Kind, cs[0].ID}}}, 0)
	if err != nil {
		return err
	}
	rep, err := p.send(ctx, b)
	if err != nil {
		return err
	}
	if rep.Error != nil {
		if rep.Error.Code == o211.ECONFLICT && rep.Mark != nil && *rep.Mark+1 < head {
			return p.repair(ctx, *rep.Mark, head+1)
		}
		return p.refused(b, rep.Error)
	}
	if *rep.Mark > head {
		return p.diverged(*rep.Mark, head)
	}
	p.mu.Lock()
	p.st.Mark = *rep.Mark
	p.mu.Unlock()
	return nil
}

// repair re-sends, from the change feed, the records changed after the
// hub's mark and before upTo: the outbox entries for them are gone (the
// outbox was pruned wrongly, or the hub was restored from an old backup).
// Records are sent as they now stand, which is what those entries would
// have sent at the latest.
func (p *Pusher) repair(ctx context.Context, mark, upTo uint64) error {
	p.log.Error("replication: OUTBOX GAP: the hub holds region "+p.cfg.Region+"'s changes up to "+strconv.FormatUint(mark, 10)+
		" but the node's outbox holds nothing before "+strconv.FormatUint(upTo, 10)+
		"; re-sending the records changed in between from the change feed", "hub_mark", mark, "outbox_from", upTo)
	p.count(func(s *PushStatus) { s.Repairs++ })
	after := mark
	for after+1 < upTo {
		cs, err := p.cfg.Outbox.Changes(after, p.cfg.BatchEntries)
		if err != nil {
			return fmt.Errorf("replication: read changes: %w", err)
		}
		var items []item
		for _, c := range cs {
			if c.Seq >= upTo {
				break
			}
			items = append(items, item{seq: c.Seq, ref: Ref{c.Kind, c.ID}})
		}
		var b *batch
		if len(items) == 0 {
			// Every change of the gap was superseded by a later one
			// still in the outbox: close the gap with an empty batch.
			body := appendBatchHead(nil, p.cfg.Region, after+1, upTo-1)
			b = &batch{from: after + 1, to: upTo - 1, head: upTo - 1, body: appendBatchTail(body)}
		} else {
			end := uint64(0)
			if len(items) < len(cs) || len(cs) < p.cfg.BatchEntries {
				end = upTo - 1 // the feed has nothing more inside the gap
			}
			items[0].seq = after + 1
			if b, err = p.build(items, end); err != nil {
				return err
			}
		}
		rep, err := p.send(ctx, b)
		if err != nil {
			return err
		}
		if rep.Error != nil {
			return p.refused(b, rep.Error)
		}
		if *rep.Mark <= after {
			return fmt.Errorf("replication: repair batch %d-%d left the hub's mark at %d", b.from, b.to, *rep.Mark)
		}
		after = *rep.Mark
		p.mu.Lock()
		p.st.Mark = after
		p.st.Records += uint64(rep.Applied)
		p.mu.Unlock()
	}
	p.log.Warn("replication: outbox gap repaired", "hub_mark", after)
	return nil
}

// refused records a batch the hub refused for a reason other than a gap.
func (p *Pusher) refused(b *batch, e *WireError) error {
	err := fmt.Errorf("replication: the hub refused batch %d-%d of region %s: %w", b.from, b.to, p.cfg.Region, e)
	now := p.cfg.Now()
	p.mu.Lock()
	again := p.refusal == e.Error() && now.Sub(p.refusedAt) < time.Minute
	if !again {
		p.refusal, p.refusedAt = e.Error(), now
	}
	p.mu.Unlock()
	if !again { // the same refusal is logged once a minute
		p.log.Error("replication: the hub refuses a batch; the region's changes wait in the outbox until this is fixed",
			"from", b.from, "to", b.to, "code", e.Code, "error", e.Message)
	}
	return err
}

// diverged stops pushing: the hub holds changes of this region past the
// node's last one, so the node's store is older than what it once sent
// (restored from a backup, or its data folder replaced). Its new changes
// would reuse sequence numbers the hub has and be skipped: nothing is sent
// until an operator resolves it.
func (p *Pusher) diverged(mark, head uint64) error {
	msg := fmt.Sprintf("replication: DIVERGED: the hub holds changes of region %s up to %d but this node's last change is %d: "+
		"its store is older than what it sent (restored from a backup or replaced). Pushing is stopped so that nothing is "+
		"silently skipped; new changes are kept in the outbox. Restore the node's latest data, or re-seed the region (see replication/DESIGN.md)",
		p.cfg.Region, mark, head)
	p.log.Error(msg)
	p.mu.Lock()
	p.st.State, p.st.Mark, p.st.LastError, p.st.ErrorAt = StateDiverged, mark, msg, p.cfg.Now()
	p.mu.Unlock()
	return errDiverged
}
