package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/o211/o211/node"
	"github.com/o211/o211/node/contacts"
)

func runNode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("node", "node --region ID --data DIR --http ADDR [flags]", stderr)
	region := fs.String("region", "", "region the node serves (required on first start)")
	data := fs.String("data", "", "data folder (required)")
	httpAddr := fs.String("http", "127.0.0.1:8211", "HTTP listen address")
	token := fs.String("token", "", "API token of the write API (default: the one in DATA/token, created on first start)")
	hubNATS := fs.String("hub-nats", "", "NATS leaf addresses of the hub replicas, comma separated (host:port,...); the node runs alone without")
	sec := addSecurityFlags(fs)
	retention := fs.Duration("contact-retention", contacts.DefaultRetention,
		"how long contacts' personal fields are kept after the contact ended (then erased; reports stay); 0 keeps them")
	verifyMonths := fs.Int("verify-months", 12, "months a service's verification (its assured_date) holds before it enters the console's verification queue")
	logFormat := fs.String("log", "text", "log format: text or json")
	gwFlags := addGatewayFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	gw, err := gwFlags.config()
	if err != nil {
		return err
	}
	if *data == "" {
		fs.Usage()
		return fmt.Errorf("--data is required")
	}
	logger, err := newLogger(*logFormat, stderr)
	if err != nil {
		return err
	}
	link, err := nodeLink(*region, *hubNATS, sec)
	if err != nil {
		return err
	}
	if *retention < 0 {
		return fmt.Errorf("--contact-retention %s: use a positive duration, or 0 to keep personal fields", *retention)
	} else if *retention == 0 {
		*retention = -1 // node.Config: negative disables the purge
	}
	if *verifyMonths < 1 || *verifyMonths > 120 {
		return fmt.Errorf("--verify-months %d: use a number of months from 1 to 120", *verifyMonths)
	}
	n := node.New(node.Config{Region: *region, DataDir: *data, HTTPAddr: *httpAddr, Token: *token, Logger: logger,
		Replication: link, ContactRetention: *retention, Gateway: gw, VerifyMonths: *verifyMonths})
	if err := n.Start(ctx); err != nil {
		n.Close()
		return err
	}
	fmt.Fprintf(stdout, "o211 node %s serving at %s\n", n.Region(), n.URL())
	if a := n.Gateway().SMTPAddr(); a != "" {
		fmt.Fprintf(stdout, "e-mail for %s accepted at %s\n", gw.SMTPMailbox, a)
	}
	if link != nil {
		fmt.Fprintf(stdout, "linked to the hub at %s\n", strings.Join(link.HubURLs, ", "))
	}
	<-ctx.Done()
	logger.Info("shutting down")
	return n.Close()
}

// newLogger returns a structured logger writing to w in the given format.
func newLogger(format string, w io.Writer) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if os.Getenv("O211_DEBUG") != "" {
		opts.Level = slog.LevelDebug
	}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log %q: use text or json", format)
}
