package fsm_test

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
)

// Both envelope versions decode to the same command; a version 2 entry
// damaged after it was written is found out.
func TestCommand_Versions(t *testing.T) {
	p, _ := json.Marshal(&fsm.PutRegion{Region: o211.Region{ID: "east", Name: "East"}})
	for v := 1; v <= fsm.CommandVersion; v++ {
		b, err := fsm.EncodeCommandVersion(v, fsm.CmdPutRegion, t0, p)
		if err != nil {
			t.Fatal(err)
		}
		c, err := fsm.DecodeCommand(b)
		if err != nil || c.V != v || c.Type != fsm.CmdPutRegion || !c.At.Equal(t0) || string(c.Payload) != string(p) {
			t.Fatalf("version %d: %+v %v", v, c, err)
		}
	}
	b, _ := fsm.EncodeCommandVersion(2, fsm.CmdPutRegion, t0, p)
	b[len(b)-3] ^= 1
	if _, err := fsm.DecodeCommand(b); err != fsm.ErrCorruptCommand {
		t.Fatalf("a damaged entry: %v, want ErrCorruptCommand", err)
	}
	if _, err := fsm.EncodeCommandVersion(fsm.CommandVersion+1, fsm.CmdPutRegion, t0, p); err == nil {
		t.Fatal("encoding a version this o211 does not know succeeded")
	}
}

// A replica of an older release (it reads version 1) that meets a version
// 2 entry stops applying at it (a panic that ends the process) and leaves
// its state and applied index as they were, instead of answering an error
// and moving on while the others apply the entry. Restarted on the newer
// release, it applies the entry. A damaged entry stops a replica the same
// way.
func TestFSM_NewerCommandStops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	old, err := fsm.Open(fsm.Options{Path: path, NoSync: true, MaxCommandVersion: 1})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := json.Marshal(&fsm.PutRegion{Region: o211.Region{ID: "east", Name: "East"}})
	v1, _ := fsm.EncodeCommandVersion(1, fsm.CmdPutRegion, t0, p)
	if resp := apply(t, old, &raft.Log{Index: 1, Type: raft.LogCommand, Data: v1}); resp.Err != nil {
		t.Fatal(resp.Err)
	}
	p2, _ := json.Marshal(&fsm.PutRegion{Region: o211.Region{ID: "west", Name: "West"}})
	v2, _ := fsm.EncodeCommandVersion(2, fsm.CmdPutRegion, t0, p2)
	entry := &raft.Log{Index: 2, Type: raft.LogCommand, Data: v2}
	msg := mustStop(t, func() { old.Apply(entry) })
	if !strings.Contains(msg, "version 2") || !strings.Contains(msg, "upgrade this replica") {
		t.Errorf("the stop says %q", msg)
	}
	if old.AppliedIndex() != 1 {
		t.Errorf("applied index %d after the stop, want 1", old.AppliedIndex())
	}
	old.Close()

	upgraded, err := fsm.Open(fsm.Options{Path: path, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer upgraded.Close()
	if resp := apply(t, upgraded, entry); resp.Err != nil {
		t.Fatal(resp.Err)
	}
	err = upgraded.View(func(s *fsm.State) error { _, err := s.Region("west"); return err })
	if err != nil || upgraded.AppliedIndex() != 2 {
		t.Fatalf("after the upgrade: %v, applied %d", err, upgraded.AppliedIndex())
	}

	damaged, _ := fsm.EncodeCommandVersion(2, fsm.CmdPutRegion, t0, p2)
	damaged[len(damaged)-2] ^= 4
	msg = mustStop(t, func() { upgraded.Apply(&raft.Log{Index: 3, Type: raft.LogCommand, Data: damaged}) })
	if !strings.Contains(msg, "checksum") || upgraded.AppliedIndex() != 2 {
		t.Errorf("a damaged entry: %q, applied %d", msg, upgraded.AppliedIndex())
	}
}

func mustStop(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("the state machine applied an entry it must stop at")
		}
		msg, _ = r.(string)
	}()
	f()
	return ""
}

// TestFSM_OpensPreviousRelease opens the hub state written by the previous
// release (node/store/testdata/v1): it is upgraded and reads as before.
func TestFSM_OpensPreviousRelease(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "node", "store", "testdata", "v1", "state.db.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "state.db")
	os.WriteFile(path, b, 0o600)
	st, err := fsm.Open(fsm.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.AppliedIndex() != 2 {
		t.Errorf("applied index %d, want 2", st.AppliedIndex())
	}
	err = st.View(func(s *fsm.State) error {
		r, err := s.Region("east")
		if err == nil && r.Mark != 463 {
			err = fmt.Errorf("east's mark %d, want 463", r.Mark)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
