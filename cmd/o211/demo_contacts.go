package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/cmd/o211/internal/gen"
	"github.com/o211/o211/node"
)

// demoContactDays is how many days of contacts the demo loads, ending
// yesterday, with a surge in the east in the last week so that the
// emerging-needs report has something to find.
const demoContactDays = 56

// seedContacts loads generated contacts into a node whose region has none
// yet, through its contact service (checked against the directory, closed
// at once, reported to the hub), with a few concurrent writers. It runs in
// the background and stops early when ctx ends.
func seedContacts(ctx context.Context, cfg demoConfig, n *node.Node) error {
	if cfg.contactsPerDay <= 0 || n.Reports().Contacts() > 0 {
		return nil
	}
	loc := o211.Toronto()
	today := time.Now().In(loc)
	end := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	start := end.AddDate(0, 0, -demoContactDays)
	gc := gen.ContactsConfig{Seed: cfg.seed, Start: start, Days: demoContactDays, PerDay: cfg.contactsPerDay,
		Regions: []string{n.Region()}}
	if n.Region() == "east" {
		gc.Surge = &gen.Surge{Region: "east", Start: end.AddDate(0, 0, -5), Days: 3, Factor: 3}
	}
	work := make(chan *o211.Contact, 64)
	loader := o211.WithActor(ctx, o211.System("demo")) // the audit log's actor of the demo's contacts
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				if _, err := n.Contacts().Create(loader, c); err != nil && ctx.Err() == nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("contact of %s: %w", c.Start.Format(time.RFC3339), err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	err := gen.GenerateContacts(gc, func(c *o211.Contact) error {
		select {
		case work <- c:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(work)
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return err
	}
	return firstErr
}
