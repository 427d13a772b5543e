package importer_test

import (
	"context"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/importer"
	"github.com/o211/o211/node/store"
)

// An import no person asked for (the command line) is the system's; one
// made for a credential's actor (an upload) is that actor's.
func TestImport_Actor(t *testing.T) {
	header, rows := ontarioRows(t)
	path := writeOntario(t, header, rows[:1])
	admin := o211.Actor{ID: "token:bootstrap", Role: o211.RoleAdmin, Region: "east"}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want o211.Actor
	}{
		{"CommandLine", context.Background(), o211.System("import")},
		{"Credential", o211.WithActor(context.Background(), admin), admin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testutil.MustOpenStore(t)
			if _, err := importer.Import(tc.ctx, importer.Store(s), importer.Format211Ontario, path, importer.Options{Region: "east"}); err != nil {
				t.Fatal(err)
			}
			page, err := s.History(o211.HistoryQuery{Kind: o211.KindOrganization, ID: firstID(t, s, o211.KindOrganization)})
			if err != nil || len(page.Entries) != 1 {
				t.Fatalf("history: %+v, %v", page, err)
			}
			if e := page.Entries[0]; e.Actor != tc.want || e.Action != o211.HistoryCreate {
				t.Fatalf("got %s by %+v, want create by %+v", e.Action, e.Actor, tc.want)
			}
		})
	}
}

// firstID returns the id of the first live record of kind in s.
func firstID(tb testing.TB, s *store.Store, kind o211.Kind) string {
	tb.Helper()
	var id string
	_ = s.View(func(tx *store.Tx) error {
		return tx.Scan(kind, "", func(r *o211.Record) error {
			id = r.ID
			return store.ErrStop
		})
	})
	if id == "" {
		tb.Fatalf("no %s imported", kind)
	}
	return id
}
