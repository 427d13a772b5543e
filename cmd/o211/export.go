package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/o211/o211/node"
	"github.com/o211/o211/node/export"
	"github.com/o211/o211/node/hsds"
)

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("export", "export --data DIR --format hsds-json|hsds-csv --out PATH", stderr)
	data := fs.String("data", "", "the node's data folder (required)")
	format := fs.String("format", export.FormatHSDSCSV, "output format: hsds-json (a file) or hsds-csv (a folder, or a .zip)")
	out := fs.String("out", "", "file or folder to write (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" || *out == "" {
		fs.Usage()
		return fmt.Errorf("--data and --out are required")
	}
	logger, _ := newLogger("text", io.Discard)
	dir, err := node.OpenDirectory(ctx, node.DirectoryConfig{Path: filepath.Join(*data, "node.db"), Logger: logger})
	if err != nil {
		return err
	}
	defer dir.Close()
	start := time.Now()
	var rep *export.Report
	err = dir.View(func(tx hsds.Tx) error {
		rep, err = export.Export(ctx, tx, *format, *out, export.Options{})
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %d records as %s to %s in %s\n", rep.Total(), rep.Format, *out, time.Since(start).Round(time.Millisecond))
	return nil
}
