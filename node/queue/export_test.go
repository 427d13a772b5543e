package queue

import "fmt"

// CheckInvariants checks, under the lock, that every standing offer is
// for a live item that needs one and held by the navigator it names, and
// that each navigator holds at most the one offer that names them.
func (q *Queue) CheckInvariants() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	held := map[string]string{}
	for id, o := range q.offers {
		r := q.live[id]
		if r == nil {
			return fmt.Errorf("offer of %s: not a live item", id)
		}
		if r.State != StateWaiting && r.Target == "" {
			return fmt.Errorf("offer of %s: the item is %s", id, r.State)
		}
		nv := q.navs[o.nav]
		if nv == nil || nv.offer != id {
			return fmt.Errorf("offer of %s to %s: the navigator does not hold it", id, o.nav)
		}
		if other, ok := held[o.nav]; ok {
			return fmt.Errorf("navigator %s holds offers of %s and %s", o.nav, other, id)
		}
		held[o.nav] = id
	}
	for _, nv := range q.navs {
		if nv.offer != "" && (q.offers[nv.offer] == nil || q.offers[nv.offer].nav != nv.ID) {
			return fmt.Errorf("navigator %s thinks they hold %s", nv.ID, nv.offer)
		}
	}
	return nil
}
