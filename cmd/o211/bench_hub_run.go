package main

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"time"
)

// failovers stops the leader with sig, trials times, and returns for each
// the time until a write sent to a surviving replica was acknowledged.
func (b *hubBench) failovers(ctx context.Context, sig syscall.Signal) ([]time.Duration, error) {
	var out []time.Duration
	for t := 0; t < b.trials; t++ {
		leader, err := b.leader(ctx, "", 30*time.Second)
		if err != nil {
			return nil, err
		}
		if err := b.write(ctx, leader, benchRegion(0), 1); err != nil {
			return nil, fmt.Errorf("trial %d: write before the stop: %w", t+1, err)
		}
		via := b.ids[0]
		if via == leader {
			via = b.ids[1]
		}
		start := time.Now()
		b.procs[leader].Process.Signal(sig)
		for {
			if err := b.write(ctx, via, benchRegion(0), 1); err == nil {
				break
			}
			if time.Since(start) > 30*time.Second {
				return nil, fmt.Errorf("trial %d: no write acknowledged within 30 s of stopping %s", t+1, leader)
			}
		}
		out = append(out, time.Since(start))
		b.procs[leader].Wait()
		b.procs[leader] = nil
		if err := b.start(ctx, leader); err != nil {
			return nil, err
		}
		if err := b.caughtUp(ctx, leader); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// caughtUp waits until replica id has applied what the leader committed.
func (b *hubBench) caughtUp(ctx context.Context, id string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		st, err := b.client(id).Cluster(ctx)
		if err == nil && st.Leader != "" {
			if lst, err := b.client(st.Leader).Cluster(ctx); err == nil && st.AppliedIndex >= lst.CommitIndex {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("replica %s did not catch up within 60 s", id)
}

// throughput writes batches from several regions for the duration and
// reports the records per second the hub acknowledged.
func (b *hubBench) throughput(ctx context.Context) error {
	leader, err := b.leader(ctx, "", 30*time.Second)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	records, batches, failed := 0, 0, 0
	stop := time.Now().Add(b.duration)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < b.writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for time.Now().Before(stop) && ctx.Err() == nil {
				err := b.write(ctx, leader, benchRegion(w), b.batch)
				mu.Lock()
				if err != nil {
					failed++
				} else {
					records += b.batch
					batches++
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	fmt.Fprintf(b.out, "batched directory writes through the leader: %d records in %d batches of %d from %d regions in %s: %.0f records/s (%d failed)\n",
		records, batches, b.batch, b.writers, elapsed.Round(time.Millisecond), float64(records)/elapsed.Seconds(), failed)
	return nil
}
