package queue

import (
	"context"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// TransferToQueue is a cold transfer of navigator nav's item id back to
// the queue: it waits again in its old place (its enqueue time is kept)
// and the navigator is free (wrap-up when it was their last contact).
//
// Errors: ENOTFOUND, EFORBIDDEN (not nav's), EUNAVAILABLE.
func (q *Queue) TransferToQueue(ctx context.Context, nav, id string) error {
	return q.transfer(nav, id, "", false)
}

// TransferToNavigator transfers navigator nav's item id to navigator
// target. Cold (warm false): nav lets go at once and the item waits for
// target alone; if target declines or lets the offer time out, it waits
// for anyone. Warm: nav keeps the item until target accepts; if target
// declines, it stays with nav.
//
// Errors: EINVALID (target unknown, or nav), ENOTFOUND, EFORBIDDEN,
// EUNAVAILABLE.
func (q *Queue) TransferToNavigator(ctx context.Context, nav, id, target string, warm bool) error {
	if target == "" || target == nav {
		return o211.FieldErrorf("navigator", "name another navigator to transfer to")
	}
	return q.transfer(nav, id, target, warm)
}

func (q *Queue) transfer(nav, id, target string, warm bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errClosed
	}
	r, err := q.mine(nav, id)
	if err != nil {
		return err
	}
	if target != "" && q.navs[target] == nil {
		return o211.FieldErrorf("navigator", "%q is not a navigator who has set a presence", truncate(target, 40))
	}
	if r.Target != "" {
		return o211.Errorf(o211.ECONFLICT, "queue item %q is being transferred already", truncate(id, 40))
	}
	now := q.cfg.Now().UTC()
	old := *r
	r.Target, r.Warm = target, warm
	r.Transfers++
	if !warm {
		r.Handle += now.Sub(r.Accepted)
		r.State, r.Navigator, r.NavigatorName = StateWaiting, "", ""
	}
	if err := q.db.Update(func(tx *bolt.Tx) error { return putLive(tx, r) }); err != nil {
		*r = old
		return q.storeError("transfer", err)
	}
	if !warm {
		q.release(nav, r.Item.Channel, now)
		q.wrapUp(nav, now)
	}
	q.needOffer(r)
	q.dispatch(now)
	return nil
}

// TransferToNumber is a warm transfer of navigator nav's call id to a
// program's phone number (from the directory): the phone connector,
// which must implement NumberTransferer, keeps the navigator on the line
// until the program answers. The item then ends as transferred.
//
// Errors: EINVALID (number, not a call), ENOTIMPLEMENTED (no connector
// that transfers), ENOTFOUND, EFORBIDDEN, EUNAVAILABLE, and the
// connector's error (the call stays with the navigator).
func (q *Queue) TransferToNumber(ctx context.Context, nav, id, number string) error {
	number, err := phoneNumber(number)
	if err != nil {
		return err
	}
	q.mu.Lock()
	r, err := q.mine(nav, id)
	var it Item
	if err == nil {
		it = r.Item
	}
	q.mu.Unlock()
	if err != nil {
		return err
	}
	if it.Channel != o211.ChannelPhone {
		return o211.Errorf(o211.EINVALID, "only a call can be transferred to a phone number; this contact is a %s", it.Channel)
	}
	nt, ok := q.connector(o211.ChannelPhone).(NumberTransferer)
	if !ok {
		return o211.Errorf(o211.ENOTIMPLEMENTED, "this node's telephony cannot transfer calls to a number")
	}
	if err := nt.TransferToNumber(ctx, it, nav, number); err != nil {
		if o211.ErrorCode(err) != o211.EINTERNAL { // the connector says why it cannot
			return err
		}
		q.log.Warn("queue: a transfer to a program's number failed; the call stays with the navigator", "item", id, "err", err)
		return o211.Errorf(o211.EUNAVAILABLE, "The program did not answer; the caller is still with you.")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if r, err = q.mine(nav, id); err != nil {
		return err
	}
	now := q.cfg.Now().UTC()
	r.Handle += now.Sub(r.Accepted)
	return q.finish(r, StateTransferred, "transferred to "+number, now, func() {
		q.addEvent(event{at: now, key: keyOf(r.Item), kind: evHandled, handle: r.Handle})
		q.wrapUp(nav, now)
	})
}

// phoneNumber checks a phone number (digits, with + ( ) - . and spaces)
// and returns it without the punctuation, keeping a leading +, and a
// North American number of 10 or 11 digits in E.164 (+1...).
func phoneNumber(s string) (string, error) {
	var b strings.Builder
	for i, c := range strings.TrimSpace(s) {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '+' && i == 0:
			b.WriteRune(c)
		case strings.ContainsRune(" ()-.", c):
		default:
			return "", o211.FieldErrorf("number", "%q is not a phone number", truncate(s, 30))
		}
	}
	out := b.String()
	n := strings.TrimPrefix(out, "+")
	if len(n) < 3 || len(n) > 15 {
		return "", o211.FieldErrorf("number", "%q is not a phone number of 3 to 15 digits", truncate(s, 30))
	}
	// North American numbers as the directory writes them ("613-555-0142")
	// become E.164, which the telephony provider dials.
	switch {
	case out[0] != '+' && len(n) == 10:
		out = "+1" + n
	case out[0] != '+' && len(n) == 11 && n[0] == '1':
		out = "+" + n
	}
	return out, nil
}
