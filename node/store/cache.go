package store

import (
	"sync"
	"time"
)

// DropCacheEvery calls DropCache every period, and once more when stop is
// called, for work that reads the whole file (a bulk import, re-deriving
// the search index): the process's resident set then holds only what the
// last period read.
func (s *Store) DropCacheEvery(period time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-done:
				s.DropCache()
				return
			case <-t.C:
				s.DropCache()
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}
