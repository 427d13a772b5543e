package node

import (
	"encoding/json"

	"github.com/o211/o211"
	"github.com/o211/o211/node/store"
)

// closures fills in the closure of each temporarily closed service among
// results, from its stored status and alert (the index keeps the status
// only): while it holds, the result carries it; once its last day has
// passed the service is shown as active again. Closed services are few,
// so this reads a handful of records at most.
func (d *Directory) closures(results []o211.Result) error {
	var closed []int
	for i := range results {
		if results[i].Status == o211.StatusTemporarilyClosed {
			closed = append(closed, i)
		}
	}
	if len(closed) == 0 {
		return nil
	}
	now := d.now()
	return d.store.View(func(tx *store.Tx) error {
		for _, i := range closed {
			rec, err := tx.Get(o211.KindService, results[i].ServiceID)
			if o211.ErrorCode(err) == o211.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			var svc struct {
				Status string `json:"status"`
				Alert  string `json:"alert"`
			}
			if err := json.Unmarshal(rec.Data, &svc); err != nil {
				return err
			}
			cl, ok := o211.ClosureOf(svc.Status, svc.Alert)
			switch {
			case !ok:
			case cl.On(now):
				results[i].Closure = &cl
			default:
				results[i].Status = ""
			}
		}
		return nil
	})
}
