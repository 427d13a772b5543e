package contacts

import (
	"context"
	"time"
)

// Start starts the retention job: a purge now, then every PurgeEvery,
// unless Retention is negative. Close stops it.
func (s *Service) Start() {
	if s.cfg.Retention < 0 {
		s.log.Info("contacts: retention purge disabled")
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(1)
	go s.purgeEvery(ctx)
}

// Close stops the retention job, waiting for a purge in progress to end
// its batch. It is safe to call more than once, and without Start.
func (s *Service) Close() error {
	s.once.Do(func() {
		if s.cancel != nil {
			s.cancel()
		}
		s.wg.Wait()
	})
	return nil
}

func (s *Service) purgeEvery(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.PurgeEvery)
	defer t.Stop()
	for {
		if n, err := s.Purge(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("contacts: retention purge", "err", err, "purged", n)
		} else if n > 0 {
			s.log.Info("contacts: personal fields purged under the retention policy", "contacts", n,
				"retention", s.cfg.Retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Purge erases the personal fields of every contact that ended more than
// Retention ago, in batches of PurgeBatch (one durable transaction each,
// with its audit entries, actor "retention"), and returns how many it
// purged. It does nothing when Retention is negative.
func (s *Service) Purge(ctx context.Context) (int, error) {
	if s.cfg.Retention < 0 {
		return 0, nil
	}
	cutoff := s.cfg.Now().Add(-s.cfg.Retention)
	total := 0
	for {
		res, err := s.cfg.Store.PurgeContacts(ctx, cutoff, s.cfg.PurgeBatch)
		if err != nil {
			return total, err
		}
		total += res.Purged
		if !res.More {
			return total, nil
		}
	}
}
