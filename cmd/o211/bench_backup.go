package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// loadDuringBackup measures the search load again while 'o211 backup'
// copies the running node: the whole backup is measured (no warm-up, the
// load ends with it), and backups are taken one after another until the
// load has lasted at least minimum.
func (b *searchBench) loadDuringBackup(ctx context.Context, base string, minimum time.Duration) error {
	token, err := os.ReadFile(filepath.Join(b.data, "token"))
	if err != nil {
		return fmt.Errorf("the node's API token: %w", err)
	}
	tok := strings.TrimSpace(string(token))
	out := filepath.Join(b.data, "bench-backup.tar")
	defer os.Remove(out)
	done, ended := make(chan error, 1), make(chan struct{})
	start := time.Now()
	go func() {
		defer close(ended)
		for n := 1; ; n++ {
			size, err := backupTo(ctx, base, tok, out)
			if err != nil {
				done <- err
				return
			}
			fmt.Fprintf(b.out, "backup %d: %d MB in %s\n", n, size>>20, time.Since(start).Round(time.Millisecond))
			if time.Since(start) >= minimum {
				done <- nil
				return
			}
		}
	}()
	fmt.Fprintf(b.out, "during 'o211 backup' of the running node (GET /api/v1/backup to a file), from the first to the last byte:\n")
	b.warmup, b.duration, b.until = 0, 10*time.Minute, ended
	loadErr := b.load(ctx, base)
	if err := <-done; err != nil {
		return err
	}
	return loadErr
}

// backupTo writes the node's backup to path, synced, and returns its size.
func backupTo(ctx context.Context, base, token, path string) (int64, error) {
	body, err := fetchBackup(ctx, base, token)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}
