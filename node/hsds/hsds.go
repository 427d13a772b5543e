// Package hsds assembles stored HSDS rows into the nested objects of
// the HSDS API (a service with its phones, schedules, locations and
// taxonomy terms; an organization with its services) and works out which
// services a change of any row affects. It reads through the narrow Reader
// interface, so the node's store and the hub's provincial store both serve.
package hsds

import (
	"time"

	"github.com/o211/o211"
)

// Reader is the read access assembly needs: a consistent view of one store.
type Reader interface {
	// Get returns the live record, or an ENOTFOUND error.
	Get(kind o211.Kind, id string) (*o211.Record, error)
	// GetAny returns the record, tombstones included, or nil.
	GetAny(kind o211.Kind, id string) (*o211.Record, error)
	// Referrers returns the live records of kind whose field holds id.
	Referrers(kind o211.Kind, field, id string) ([]*o211.Record, error)
}

// decodeAs decodes a record's row into its type, or returns an error naming
// the record.
func decodeAs[T any](rec *o211.Record) (*T, error) {
	obj, err := rec.Decode()
	if err != nil {
		return nil, err
	}
	t, ok := any(obj).(*T)
	if !ok {
		return nil, o211.Errorf(o211.EINTERNAL, "%s %q has the wrong type", rec.Kind, rec.ID)
	}
	return t, nil
}

// children returns the live rows of kind whose field holds id, decoded.
func children[T any](r Reader, kind o211.Kind, field, id string) ([]T, error) {
	recs, err := r.Referrers(kind, field, id)
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	out := make([]T, 0, len(recs))
	for _, rec := range recs {
		t, err := decodeAs[T](rec)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, nil
}

// Timestamp formats a modification time as HSDS wants last_modified:
// RFC 3339 in UTC with milliseconds.
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// Tx is a consistent read view of a whole directory: the Reader plus table
// scans and counts, for listing endpoints and exports.
type Tx interface {
	Reader
	// Scan calls fn for every live record of kind with an id after the
	// given one ("" for all), in id order.
	Scan(kind o211.Kind, after string, fn func(*o211.Record) error) error
	// Count returns the number of live records of kind.
	Count(kind o211.Kind) (int, error)
}
