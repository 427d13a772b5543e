package report_test

import (
	"context"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/geo"
	"github.com/o211/o211/node/report"
)

func TestSearchServices(t *testing.T) {
	var got o211.Query
	count := report.SearchServices(func(_ context.Context, q o211.Query) (*o211.Results, error) {
		got = q
		return &o211.Results{Total: 3}, nil
	})
	n, err := count(context.Background(), "BD-1800", "K1N", 10)
	f, _ := geo.LookupFSA("K1N")
	if err != nil || n != 3 {
		t.Fatalf("got %d, %v; want 3", n, err)
	}
	if got.Taxonomy != "BD-1800" || !got.HasNear || got.Lat != f.Lat || got.Lon != f.Lon || got.RadiusKm != 10 || !got.Distinct {
		t.Fatalf("query = %+v, want BD-1800 within 10 km of K1N's centroid, services counted once", got)
	}
	if _, err := count(context.Background(), "BD", "Z9Z", 10); o211.ErrorCode(err) != o211.EINVALID {
		t.Fatalf("unknown FSA: got %v, want EINVALID", err)
	}
}
