package boltfile

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
)

var bucketData = []byte("data")

var testSchema = Schema{Owner: "test", Version: "1", Buckets: [][]byte{bucketData}}

func mustOpen(tb testing.TB, path string) *bolt.DB {
	tb.Helper()
	db, err := Open(path, testSchema, false)
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

func TestOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db := mustOpen(t, path)
	t.Run("ErrHeld", func(t *testing.T) {
		_, err := Open(path, testSchema, false)
		if o211.ErrorCode(err) != o211.EUNAVAILABLE || !strings.Contains(err.Error(), "held by another process") {
			t.Fatalf("second open: got %v, want EUNAVAILABLE saying the file is held", err)
		}
	})
	db.Close()
	t.Run("Reopen", func(t *testing.T) {
		db := mustOpen(t, path)
		defer db.Close()
		err := db.View(func(tx *bolt.Tx) error {
			if v := string(tx.Bucket(bucketMeta).Get(keyVersion)); v != "1" {
				return fmt.Errorf("version %q, want 1", v)
			}
			if tx.Bucket(bucketData) == nil {
				return errors.New("no data bucket")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrOtherVersion", func(t *testing.T) {
		_, err := Open(path, Schema{Owner: "test", Version: "2"}, false)
		if o211.ErrorCode(err) != o211.EINVALID || !strings.Contains(err.Error(), `schema version "1"; this o211 reads version 2`) {
			t.Fatalf("got %v, want EINVALID naming both versions", err)
		}
		db := mustOpen(t, path) // the refused open changed nothing
		db.Close()
	})
}

// TestCommitter_Concurrent: writes from many goroutines are all on disk
// after a reopen, and they shared transactions.
func TestCommitter_Concurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db := mustOpen(t, path)
	c := NewCommitter(db, 0)
	const n = 300
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- c.Do(func(tx *bolt.Tx) error {
				return tx.Bucket(bucketData).Put(fmt.Appendf(nil, "k%03d", i), []byte("v"))
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	commits, writes := c.Stats()
	t.Logf("%d writes in %d commits", writes, commits)
	if writes != n || commits == 0 || commits > n {
		t.Fatalf("stats: %d writes in %d commits, want %d writes in 1..%d", writes, commits, n, n)
	}
	c.Close()
	db.Close()
	db = mustOpen(t, path)
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if got := tx.Bucket(bucketData).Stats().KeyN; got != n {
			t.Fatalf("after reopen: %d keys, want %d", got, n)
		}
		return nil
	})
	if err := c.Do(func(*bolt.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Do after Close: %v, want ErrClosed", err)
	}
}

// queueBehind holds the Committer in a transaction until n more writes
// (returned as channels of their errors) are queued behind it.
func queueBehind(t *testing.T, c *Committer, n int, fn func(i int) func(*bolt.Tx) error) []chan error {
	t.Helper()
	hold, held := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- c.Do(func(*bolt.Tx) error { close(held); <-hold; return nil })
	}()
	<-held
	out := make([]chan error, n)
	for i := range out {
		out[i] = make(chan error, 1)
		go func() { out[i] <- c.Do(fn(i)) }()
	}
	testutil.WaitFor(t, 10*time.Second, fmt.Sprintf("%d writes queued", n), func() bool { return c.pending() == n })
	close(hold)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	return out
}

func put(i int) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error { return tx.Bucket(bucketData).Put(fmt.Appendf(nil, "k%03d", i), []byte("v")) }
}

func keys(t *testing.T, db *bolt.DB) int {
	n := 0
	db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bucketData).Stats().KeyN; return nil })
	return n
}

// TestCommitter_FailedCommitFailsAll: when the commit of a batch fails,
// every write in it gets the error and none is stored.
func TestCommitter_FailedCommitFailsAll(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "x.db"))
	defer db.Close()
	c := NewCommitter(db, 0)
	defer c.Close()
	broken := errors.New("disk on fire")
	c.fail = func(n int) error {
		if n > 1 {
			return broken
		}
		return nil
	}
	for i, ch := range queueBehind(t, c, 20, put) {
		if err := <-ch; !errors.Is(err, broken) {
			t.Errorf("write %d: %v, want the commit's error", i, err)
		}
	}
	if n := keys(t, db); n != 0 {
		t.Fatalf("%d keys stored by a failed commit", n)
	}
}

// TestCommitter_OneFailingWrite: a write whose function fails gets its
// error; the others of its batch are committed without it.
func TestCommitter_OneFailingWrite(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "x.db"))
	defer db.Close()
	c := NewCommitter(db, 0)
	defer c.Close()
	bad := errors.New("no such thing")
	chans := queueBehind(t, c, 10, func(i int) func(*bolt.Tx) error {
		if i == 4 {
			return func(*bolt.Tx) error { return bad }
		}
		return put(i)
	})
	for i, ch := range chans {
		err := <-ch
		if i == 4 && !errors.Is(err, bad) || i != 4 && err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if n := keys(t, db); n != 9 {
		t.Fatalf("%d keys stored, want 9", n)
	}
	if commits, _ := c.Stats(); commits != 2 {
		t.Fatalf("%d commits, want 2 (the holder's, then the nine together)", commits)
	}
}
