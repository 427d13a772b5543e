package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/store"
)

// TestBinary_ImportRefusesAnotherRegionsRecord checks that `o211 import`
// into a stopped node's folder refuses, as the API does, a record that the
// node's provincial copy says another region owns, and writes nothing
// (issue 11.4).
func TestBinary_ImportRefusesAnotherRegionsRecord(t *testing.T) {
	data := t.TempDir()
	prov, err := store.Open(filepath.Join(data, "province.db"), store.Options{Replica: true, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	row, _ := json.Marshal(&o211.Organization{ID: "org-east", Name: "East pantry", Description: "x"})
	_, err = prov.Apply(o211.WithActor(context.Background(), o211.System("replication")), []*o211.Record{{Kind: o211.KindOrganization,
		ID: "org-east", Region: "east", Version: 1, Modified: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Data: row}})
	if err != nil {
		t.Fatal(err)
	}
	prov.Close()
	file := filepath.Join(t.TempDir(), "orgs.json")
	os.WriteFile(file, []byte(`{"organizations": [{"id": "org-west", "name": "West kitchen", "description": "x"},
		{"id": "org-east", "name": "Taken over", "description": "x"}]}`), 0o644)
	out, errOut, err := runO211(t, nil, "import", "--data", data, "--region", "west", "--format", "hsds-json", "--quiet", file)
	if err == nil || !strings.Contains(errOut, `organization "org-east"`) || !strings.Contains(errOut, `region "east"`) {
		t.Fatalf("import of east's record into west: %v\nstdout: %s\nstderr: %s\nwant a refusal naming the record and its owner", err, out, errOut)
	}
	s, err := store.Open(filepath.Join(data, "node.db"), store.Options{Region: "west", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if seq, err := s.Seq(); err != nil || seq != 0 {
		t.Errorf("west's store after the refused import: seq %d (%v), want nothing written", seq, err)
	}
}
