package main

import (
	"context"
	"fmt"
	"io"

	"github.com/o211/o211"
)

// runHubRegions lists the hub's regions or registers one (a region's
// batches are refused until it is registered).
func runHubRegions(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("hub regions", "hub regions list|put --url URL [--token T] [--id ID --name NAME]", stderr)
	url := fs.String("url", "http://127.0.0.1:8201", "HTTP address of any replica")
	token := fs.String("token", "", "API token (for put)")
	id := fs.String("id", "", "region id to register or describe, e.g. east")
	name := fs.String("name", "", "the region's name, e.g. \"Eastern Ontario\"")
	action, cl, err := hubAdminArgs(fs, args, url, token)
	if err != nil {
		return err
	}
	switch action {
	case "list":
		list, err := cl.Regions(ctx)
		if err != nil {
			return err
		}
		return printIndented(stdout, list)
	case "put":
		if *id == "" || *name == "" {
			return fmt.Errorf("put needs --id and --name")
		}
		reg, err := cl.PutRegion(ctx, o211.Region{ID: *id, Name: *name})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "region %s (%s) registered %s\n", reg.ID, reg.Name, reg.Registered.Format("2006-01-02 15:04:05 MST"))
		return nil
	}
	return fmt.Errorf("unknown action %q: use list or put", action)
}
