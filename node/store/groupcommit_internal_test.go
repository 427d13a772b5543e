package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// A request whose writes bbolt refuses fails alone: the others of its
// group are committed without it. A request whose check fails writes
// nothing and fails alone too.
func TestCommitter_OneBadRequestFailsAlone(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "node.db"), Options{Region: "east", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	put := func(key string) func(*groupTx) (func() error, error) {
		return func(g *groupTx) (func() error, error) {
			return func() error { return g.tx.Bucket(bucketAudit).Put([]byte(key), []byte{codecV1}) }, nil
		}
	}
	errCheck := errors.New("check failed")
	req := func(prepare func(*groupTx) (func() error, error)) *commitReq {
		return &commitReq{ctx: context.Background(), prepare: prepare, done: make(chan struct{})}
	}
	batch := []*commitReq{
		req(put("a")),
		req(put(strings.Repeat("k", 40000))), // longer than bbolt's longest key
		req(func(*groupTx) (func() error, error) { return nil, errCheck }),
		req(put("b")),
	}
	s.commit.commit(batch)
	if batch[0].err != nil || batch[3].err != nil {
		t.Fatalf("good requests failed: %v, %v", batch[0].err, batch[3].err)
	}
	if batch[1].err == nil || !errors.Is(batch[2].err, errCheck) {
		t.Fatalf("bad requests: got %v and %v, want bbolt's refusal and the check's error", batch[1].err, batch[2].err)
	}
	s.View(func(tx *Tx) error {
		b := tx.tx.Bucket(bucketAudit)
		if b.Get([]byte("a")) == nil || b.Get([]byte("b")) == nil || b.Stats().KeyN != 2 {
			t.Fatalf("after the commit the bucket holds %d keys, want a and b", b.Stats().KeyN)
		}
		return nil
	})
	if st := s.GroupCommitStats(); st.Commits != 1 || st.Requests != 2 {
		t.Fatalf("got %+v, want 2 requests in 1 commit", st)
	}
}
