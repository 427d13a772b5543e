package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/o211/o211/replication/pki"
)

func runPKI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("pki", "pki --out DIR --hubs h1,h2,h3 --regions east,west,... [--hosts HOST,...]", stderr)
	out := fs.String("out", "o211-pki", "PKI folder (created or completed)")
	hubs := fs.String("hubs", "h1,h2,h3", "hub replicas to issue certificates for: id or id=host+host, comma separated")
	regions := fs.String("regions", "", "regions to issue certificates and NATS credentials for: id or id=host+host, comma separated")
	hosts := fs.String("hosts", "", "extra host names or addresses for every certificate (127.0.0.1, ::1 and localhost are always in)")
	if err := parse(fs, args); err != nil {
		return err
	}
	hubSites, err := parseSites(*hubs, *hosts)
	if err != nil {
		return err
	}
	regionSites, err := parseSites(*regions, *hosts)
	if err != nil {
		return err
	}
	created, err := pki.Ensure(pki.Options{Dir: *out, Hubs: hubSites, Regions: regionSites})
	for _, f := range created {
		fmt.Fprintf(stdout, "created %s\n", f)
	}
	if err != nil {
		return err
	}
	if len(created) == 0 {
		fmt.Fprintf(stdout, "%s already holds everything asked for\n", *out)
	}
	l := pki.Layout{Dir: *out}
	fmt.Fprintf(stdout, "\nKeep %s and %s/nats/*.nk at the provincial office: they issue everything else.\n", l.CAKey(), *out)
	fmt.Fprintf(stdout, "A hub replica needs ca.pem, hubs/<id>.pem and -key.pem, nats/trust.json and nats/hub.creds (o211 hub --pki DIR).\n")
	fmt.Fprintf(stdout, "A node needs ca.pem, nodes/<region>.pem and -key.pem and nats/regions/<region>.creds (o211 node --pki DIR).\n")
	return nil
}

// parseSites parses "id,id=host+host" with extra hosts for every site.
func parseSites(s, extra string) ([]pki.Site, error) {
	var common []string
	for _, h := range strings.Split(extra, ",") {
		if h = strings.TrimSpace(h); h != "" {
			common = append(common, h)
		}
	}
	var out []pki.Site
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, hs, _ := strings.Cut(part, "=")
		site := pki.Site{ID: strings.TrimSpace(id), Hosts: append([]string(nil), common...)}
		for _, h := range strings.Split(hs, "+") {
			if h = strings.TrimSpace(h); h != "" {
				site.Hosts = append(site.Hosts, h)
			}
		}
		if site.ID == "" {
			return nil, fmt.Errorf("%q names no site", part)
		}
		out = append(out, site)
	}
	return out, nil
}
