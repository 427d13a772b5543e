package report

import (
	"context"

	"github.com/o211/o211"
	"github.com/o211/o211/node/geo"
)

// SearchServices returns the Services of a directory searched with search:
// the services (each counted once) of code or below it within radiusKm of
// the FSA's centroid. An FSA unknown to node/geo is an EINVALID error.
func SearchServices(search func(context.Context, o211.Query) (*o211.Results, error)) Services {
	return func(ctx context.Context, code, fsa string, radiusKm float64) (int, error) {
		f, ok := geo.LookupFSA(fsa)
		if !ok {
			return 0, o211.FieldErrorf("fsa", "%q is not an Ontario FSA", fsa)
		}
		res, err := search(ctx, o211.Query{Taxonomy: code, HasNear: true, Lat: f.Lat, Lon: f.Lon,
			RadiusKm: radiusKm, PerPage: 1, Distinct: true})
		if err != nil {
			return 0, err
		}
		return res.Total, nil
	}
}
