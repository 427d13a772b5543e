package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/store"
)

// When set, the test binary is the child of
// TestStore_AcknowledgedContactsSurviveKill.
const contactCrashChildEnv = "O211_STORE_CONTACT_CRASH_CHILD"

// contactCrashChild creates and closes contacts from 16 goroutines, with
// fsync and audit entries, and prints the id of each one once both calls
// have returned, until it is killed.
func contactCrashChild(path string) {
	s, err := store.Open(path, store.Options{Region: "east"})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for g := 0; g < 16; g++ {
		go func(g int) {
			for i := 0; ; i++ {
				c := newContact(fmt.Sprintf("nav-%d", g), start)
				c.ID = fmt.Sprintf("c-%d-%d", g, i)
				res, err := s.CreateContact(ctx, c, store.ContactOptions{Path: "/api/v1/contacts"})
				if err == nil {
					_, err = s.UpdateContact(ctx, closed(res.Contact), store.ContactOptions{})
				}
				mu.Lock()
				if err != nil {
					fmt.Println("error", err)
					os.Exit(1)
				}
				fmt.Println("acked", c.ID)
				mu.Unlock()
			}
		}(g)
	}
	select {}
}

// Every contact whose create and close were acknowledged is in the store,
// closed, with its report in the outbox, after the process is killed with
// SIGKILL in the middle of group commits.
func TestStore_AcknowledgedContactsSurviveKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.db")
	acked := killChildAfter(t, contactCrashChildEnv, path, 300)
	s, err := store.Open(path, store.Options{Region: "east"})
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer s.Close()
	for _, id := range acked {
		c, err := s.Contact(id)
		if err != nil {
			t.Fatalf("acknowledged contact %s lost: %v", id, err)
		}
		if c.Status != o211.ContactClosed {
			t.Fatalf("acknowledged close of %s lost", id)
		}
	}
	reports := 0
	s.Reports(func(*o211.Report) error { reports++; return nil })
	if n := outboxLen(t, s); reports < len(acked) || n != reports {
		t.Fatalf("%d acknowledged closes, %d reports, %d outbox entries", len(acked), reports, n)
	}
}
