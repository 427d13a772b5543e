package hub

import (
	"path/filepath"
	"sync"
	"testing"

	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

func openStable(t *testing.T, path string) *stableStore {
	t.Helper()
	b, err := raftboltdb.New(raftboltdb.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	return newStableStore(b, nil)
}

// TestStableStore_WriteAfterClose: a term written by a late heartbeat after
// the store closed is dropped instead of failing (raft panics on a failed
// term write), and what was written before the close is on disk.
func TestStableStore_WriteAfterClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raft.db")
	s := openStable(t, path)
	key := []byte("CurrentTerm")
	if err := s.SetUint64(key, 7); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUint64(key, 8); err != nil {
		t.Fatalf("SetUint64 after close: %v, want nil (the write is dropped)", err)
	}
	if err := s.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatalf("Set after close: %v, want nil", err)
	}
	if _, err := s.GetUint64(key); err != errStableClosed {
		t.Fatalf("GetUint64 after close: %v, want errStableClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	s = openStable(t, path)
	defer s.Close()
	if got, err := s.GetUint64(key); err != nil || got != 7 {
		t.Fatalf("after reopen: term %d, %v; want 7", got, err)
	}
}

// TestStableStore_CloseDuringWrites: writers racing a close either write
// before it or are dropped after it; none fails and none panics.
func TestStableStore_CloseDuringWrites(t *testing.T) {
	s := openStable(t, filepath.Join(t.TempDir(), "raft.db"))
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				errs <- s.SetUint64([]byte{byte(w)}, uint64(i))
			}
		}()
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a write racing the close failed: %v", err)
		}
	}
}
