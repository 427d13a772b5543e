package store_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
	"github.com/o211/o211/node/store"
)

// When set, the test binary is the child of TestStore_AcknowledgedWritesSurviveKill.
const crashChildEnv = "O211_STORE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	if path := os.Getenv(contactCrashChildEnv); path != "" {
		contactCrashChild(path)
		return
	}
	os.Exit(m.Run())
}

// crashChild writes small directories as fast as it can, with fsync, and
// prints the number of each one after Write returns, until it is killed.
func crashChild(path string) {
	s, err := store.Open(path, store.Options{Region: "east"})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for n := 0; ; n++ {
		if _, err := s.Write(ctx, smallDirectory(n), o211.WriteOptions{}); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("acked", n)
	}
}

// Every write that Write acknowledged is in the store after the process is
// killed with SIGKILL in the middle of writing.
func TestStore_AcknowledgedWritesSurviveKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.db")
	lines := killChildAfter(t, crashChildEnv, path, 41)
	acked, _ := strconv.Atoi(lines[len(lines)-1])
	s, err := store.Open(path, store.Options{Region: "east"})
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer s.Close()
	for n := 0; n <= acked; n++ {
		if _, err := s.Get(o211.KindServiceAtLocation, fmt.Sprintf("sal-%d", n)); err != nil {
			t.Fatalf("acknowledged write %d lost: %v", n, err)
		}
	}
}

// A file written by another schema version is refused with a message that
// says so, and left as it was.
func TestOpen_ErrSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucket([]byte("meta"))
		b.Put([]byte("version"), []byte("99"))
		return b.Put([]byte("region"), []byte("east"))
	})
	db.Close()
	_, err = store.Open(path, store.Options{Region: "east"})
	if err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Fatalf("got %v, want a schema version error", err)
	}
}

// killChildAfter runs this test binary as a crash child (env set to path),
// reads the "acked X" lines it prints, kills it with SIGKILL once it has
// acknowledged want writes, and returns what followed "acked " on each.
func killChildAfter(t *testing.T, env, path string, want int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	var acked []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "error") {
			cmd.Process.Kill()
			t.Fatal(line)
		}
		acked = append(acked, strings.TrimPrefix(line, "acked "))
		if len(acked) >= want {
			cmd.Process.Kill()
			return acked
		}
	}
	t.Fatalf("the crash child ended after %d acknowledgements: %v", len(acked), sc.Err())
	return nil
}
