package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/o211/o211/node/importer"
	"github.com/o211/o211/node/store"
)

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("import", "import --data DIR --region ID --format hsds-json|hsds-csv|211ontario [--source NAME] [--dry-run] [--skip-invalid] PATH", stderr)
	data := fs.String("data", "", "the node's data folder (required)")
	region := fs.String("region", "", "region that owns the imported records (required for a new data folder)")
	format := fs.String("format", "", "input format: hsds-json, hsds-csv or 211ontario (required)")
	skip := fs.Bool("skip-invalid", false, "import the valid rows and list the rejected ones, instead of all or nothing")
	quiet := fs.Bool("quiet", false, "do not show progress")
	source := fs.String("source", "", "name of the feed the file comes from (default: the format); the import makes the region's records from it match the file, removing those it no longer holds")
	dryRun := fs.Bool("dry-run", false, "print what the import would add, change and remove, and change nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" || *format == "" || fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("--data, --format and one PATH are required")
	}
	// A bulk import allocates a lot of short-lived garbage: collect seldom,
	// but hard near importMemoryLimit, which keeps the whole process within
	// its memory target whatever the input's size.
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(importMemoryLimit)
	logger, _ := newLogger("text", io.Discard)
	// The store alone: the node re-derives its search index from the
	// store's changes when it next starts.
	dir, err := store.Open(filepath.Join(*data, "node.db"), store.Options{Region: *region, Logger: logger})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w\n(a running node holds it: import through its API instead, POST /api/v1/import)", err)
	} else if err != nil {
		return err
	}
	defer dir.Close()
	opts := importer.Options{Region: dir.Region(), SkipInvalid: *skip, Source: *source, DryRun: *dryRun, TempDir: *data}
	prov, err := openProvince(*data, logger)
	if err != nil {
		return err
	}
	if prov != nil {
		defer prov.Close()
		opts.Owners = importer.StoreOwners(prov) // another region's records are refused, as by the API
	}
	if !*quiet {
		opts.Progress = progressPrinter(stderr)
	}
	rep, err := importer.Import(ctx, importer.Store(dir), *format, fs.Arg(0), opts)
	if err != nil {
		return err // its message lists every problem
	}
	printReport(stdout, rep)
	return dir.Close()
}

// openProvince opens the node's copy of the provincial directory in data,
// or returns nil when the node has none (it runs alone).
func openProvince(data string, logger *slog.Logger) (*store.Store, error) {
	path := filepath.Join(data, "province.db")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	s, err := store.Open(path, store.Options{Replica: true, Timeout: time.Second, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("the node's provincial copy (who owns which record): %w", err)
	}
	return s, nil
}

// importMemoryLimit is the soft memory limit of an import process.
const importMemoryLimit = 384 << 20

// progressPrinter returns a progress callback that prints at most twice a
// second, and always when a stage ends.
func progressPrinter(w io.Writer) func(stage string, done, total int) {
	var mu sync.Mutex
	var last time.Time
	return func(stage string, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if done != total && time.Since(last) < 500*time.Millisecond {
			return
		}
		last = time.Now()
		if total > 0 {
			fmt.Fprintf(w, "%-8s %9d / %d (%.0f%%)\n", stage, done, total, 100*float64(done)/float64(total))
		} else {
			fmt.Fprintf(w, "%-8s %9d\n", stage, done)
		}
	}
}

func printReport(w io.Writer, rep *importer.Report) {
	if rep.DryRun {
		fmt.Fprintf(w, "dry run of %s (source %s): %d records read; would create %d, update %d and remove %d; %d unchanged, %d rejected, %d warnings; nothing was changed\n",
			rep.Format, rep.Source, rep.Records, rep.Created, rep.Updated, rep.Deleted, rep.Unchanged, len(rep.Rejected), len(rep.Warnings))
		for _, p := range rep.Plan {
			more := ""
			if p.Count > len(p.IDs) {
				more = fmt.Sprintf(" ... (%d more)", p.Count-len(p.IDs))
			}
			fmt.Fprintf(w, "  %-6s %6d %-24s %s%s\n", p.Op, p.Count, p.Kind, strings.Join(p.IDs, " "), more)
		}
	} else {
		fmt.Fprintf(w, "%s (source %s): %d records read; %d created, %d updated, %d removed, %d unchanged, %d rejected, %d warnings in %s\n",
			rep.Format, rep.Source, rep.Records, rep.Created, rep.Updated, rep.Deleted, rep.Unchanged, len(rep.Rejected), len(rep.Warnings),
			rep.Duration.Round(time.Millisecond))
	}
	for _, p := range rep.Rejected {
		fmt.Fprintf(w, "  rejected: %s\n", p)
	}
	const maxWarnings = 20
	for i, p := range rep.Warnings {
		if i == maxWarnings {
			fmt.Fprintf(w, "  ... and %d more warnings\n", len(rep.Warnings)-maxWarnings)
			break
		}
		fmt.Fprintf(w, "  warning: %s\n", p)
	}
}
