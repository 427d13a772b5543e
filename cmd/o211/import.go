package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/o211/o211/node"
	"github.com/o211/o211/node/importer"
	"github.com/o211/o211/node/store"
)

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("import", "import --data DIR --region ID --format hsds-json|hsds-csv|211ontario [--skip-invalid] PATH", stderr)
	data := fs.String("data", "", "the node's data folder (required)")
	region := fs.String("region", "", "region that owns the imported records (required for a new data folder)")
	format := fs.String("format", "", "input format: hsds-json, hsds-csv or 211ontario (required)")
	skip := fs.Bool("skip-invalid", false, "import the valid rows and list the rejected ones, instead of all or nothing")
	quiet := fs.Bool("quiet", false, "do not show progress")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" || *format == "" || fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("--data, --format and one PATH are required")
	}
	// A bulk import allocates a lot of short-lived garbage; collecting less
	// often is the cheapest speed-up there is (the process is short-lived).
	debug.SetGCPercent(400)
	logger, _ := newLogger("text", io.Discard)
	dir, err := node.OpenDirectory(ctx, node.DirectoryConfig{Path: filepath.Join(*data, "node.db"), Region: *region, Logger: logger})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w\n(a running node holds it: import through its API instead, POST /api/v1/import)", err)
	} else if err != nil {
		return err
	}
	defer dir.Close()
	opts := importer.Options{Region: dir.Region(), SkipInvalid: *skip}
	if !*quiet {
		opts.Progress = progressPrinter(stderr)
	}
	rep, err := importer.Import(ctx, dir, *format, fs.Arg(0), opts)
	if err != nil {
		return err // its message lists every problem
	}
	printReport(stdout, rep)
	return dir.Close()
}

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
	fmt.Fprintf(w, "%s: %d records read; %d created, %d updated, %d unchanged, %d rejected, %d warnings in %s\n",
		rep.Format, rep.Records, rep.Created, rep.Updated, rep.Unchanged, len(rep.Rejected), len(rep.Warnings),
		rep.Duration.Round(time.Millisecond))
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
