package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/o211/o211/cmd/o211/internal/gen"
)

func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "contacts" {
		return runGenContacts(ctx, args[1:], stdout, stderr)
	}
	fs := flagSet("gen", "gen --services N --seed S --out DIR [--region ID]\n"+
		"   or: o211 gen contacts [flags]   a stream of contacts (o211 gen contacts --help)", stderr)
	services := fs.Int("services", 6000, "number of services in the whole province")
	seed := fs.Int64("seed", 1, "random seed; the same seed gives the same output")
	out := fs.String("out", "", "folder to write the HSDS datapackage into (required)")
	region := fs.String("region", "", "write only this region's share of the province")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return fmt.Errorf("--out is required")
	}
	start := time.Now()
	stats, err := gen.WriteDatapackage(*out, gen.Options{Services: *services, Seed: *seed, Region: *region})
	if err != nil {
		return err
	}
	rows := 0
	for _, n := range stats.Rows {
		rows += n
	}
	fmt.Fprintf(stdout, "wrote %s in %s: %d organizations, %d services (%d in French), %d locations, %d rows in all\n",
		*out, time.Since(start).Round(time.Millisecond), stats.Organizations, stats.Services, stats.French, stats.Locations, rows)
	return nil
}
