package hsds

import "github.com/o211/o211"

// ResultSchedules reads, in one view, the schedules that say when each
// result's service is open at its location: the service at location's
// own, else the service's, else the location's. It returns the indexes of
// the results whose service is not in the view.
func ResultSchedules(view func(func(Tx) error) error, results []o211.Result) (out [][]o211.Schedule, missing []int, err error) {
	out = make([][]o211.Schedule, len(results))
	err = view(func(tx Tx) error {
		for i, r := range results {
			if _, err := tx.Get(o211.KindService, r.ServiceID); o211.ErrorCode(err) == o211.ENOTFOUND {
				missing = append(missing, i)
				continue
			} else if err != nil {
				return err
			}
			sc, err := firstSchedules(tx, []string{"service_at_location_id", "service_id", "location_id"},
				[]string{r.ServiceAtLocationID, r.ServiceID, r.LocationID})
			if err != nil {
				return err
			}
			out[i] = sc
		}
		return nil
	})
	return out, missing, err
}

// firstSchedules returns the live schedules whose field holds the id, for
// the first field and id that have any.
func firstSchedules(tx Tx, fields, ids []string) ([]o211.Schedule, error) {
	for i, field := range fields {
		if ids[i] == "" {
			continue
		}
		recs, err := tx.Referrers(o211.KindSchedule, field, ids[i])
		if err != nil || len(recs) == 0 {
			if err != nil {
				return nil, err
			}
			continue
		}
		out := make([]o211.Schedule, 0, len(recs))
		for _, rec := range recs {
			obj, err := rec.Decode()
			if err != nil {
				return nil, err
			}
			if sc, ok := obj.(*o211.Schedule); ok {
				out = append(out, *sc)
			}
		}
		return out, nil
	}
	return nil, nil
}
