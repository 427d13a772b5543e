package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/o211/o211/hub"
	"github.com/o211/o211/node"
	"github.com/o211/o211/replication"
	"github.com/o211/o211/replication/pki"
)

// securityFlags are the certificate and credential flags of a site; each
// defaults to its place in the --pki folder.
type securityFlags struct {
	pki, ca, cert, key, creds, compression *string
}

func addSecurityFlags(fs *flag.FlagSet) *securityFlags {
	return &securityFlags{
		pki:         fs.String("pki", "", "PKI folder made by 'o211 pki': the CA, certificate, key, credentials (and for a hub, trust) files default to their places in it"),
		ca:          fs.String("tls-ca", "", "CA certificate (PEM) that every NATS link is verified against (default PKI/ca.pem)"),
		cert:        fs.String("tls-cert", "", "this site's certificate (PEM) (default from --pki)"),
		key:         fs.String("tls-key", "", "this site's private key (PEM) (default from --pki)"),
		creds:       fs.String("nats-creds", "", "this site's NATS credentials file (default from --pki)"),
		compression: fs.String("nats-compression", "s2_fast", "compression of the NATS links between sites: s2_fast, s2_better, s2_auto or off"),
	}
}

// resolve fills the files not given from the PKI folder's layout and
// checks that each is set.
func (f *securityFlags) resolve(cert, key, creds string) (ca, c, k, cr string, err error) {
	l := pki.Layout{Dir: *f.pki}
	pick := func(given, def string) string {
		if given != "" || *f.pki == "" {
			return given
		}
		return def
	}
	ca, c, k, cr = pick(*f.ca, l.CA()), pick(*f.cert, cert), pick(*f.key, key), pick(*f.creds, creds)
	if ca == "" || c == "" || k == "" || cr == "" {
		return "", "", "", "", fmt.Errorf("replication needs TLS and NATS credentials: give --pki DIR (made by 'o211 pki') or --tls-ca, --tls-cert, --tls-key and --nats-creds")
	}
	return ca, c, k, cr, nil
}

// nodeLink builds a node's replication settings from its flags; nil when
// no hub is given.
func nodeLink(region, hubURLs string, sec *securityFlags) (*node.ReplicationConfig, error) {
	urls := splitList(hubURLs)
	if len(urls) == 0 {
		return nil, nil
	}
	if region == "" {
		return nil, fmt.Errorf("--region is needed to link to the hub (it names the certificate and credentials)")
	}
	l := pki.Layout{Dir: *sec.pki}
	ca, cert, key, creds, err := sec.resolve(l.NodeCert(region), l.NodeKey(region), l.RegionCreds(region))
	if err != nil {
		return nil, err
	}
	t, err := pki.NodeTLS(ca, cert, key)
	if err != nil {
		return nil, err
	}
	return &node.ReplicationConfig{HubURLs: urls, TLS: t, Creds: creds, Compression: *sec.compression}, nil
}

// hubLinkFlags are a hub replica's NATS flags.
type hubLinkFlags struct {
	cluster, routes, leaf, client, trust *string
	sec                                  *securityFlags
}

func addHubLinkFlags(fs *flag.FlagSet) *hubLinkFlags {
	return &hubLinkFlags{
		cluster: fs.String("nats-cluster", "", "NATS route listen address, for the other hub replicas (e.g. 127.0.0.1:7222)"),
		routes:  fs.String("nats-routes", "", "NATS route addresses of the other hub replicas, comma separated"),
		leaf:    fs.String("nats-leaf", "", "NATS leaf listen address the region nodes link to (e.g. 127.0.0.1:7422); replication is off without it"),
		client:  fs.String("nats-client", "", "NATS client listen address for operators' tools (default: loopback, a free port)"),
		trust:   fs.String("nats-trust", "", "NATS operator and account JWTs (default PKI/nats/trust.json)"),
		sec:     addSecurityFlags(fs),
	}
}

// config builds a replica's replication settings; nil when --nats-leaf is
// not given.
func (f *hubLinkFlags) config(id string) (*hub.ReplicationConfig, error) {
	if *f.leaf == "" {
		if *f.cluster != "" || *f.routes != "" {
			return nil, fmt.Errorf("--nats-cluster and --nats-routes need --nats-leaf (the address the region nodes link to)")
		}
		return nil, nil
	}
	routes := splitList(*f.routes)
	if len(routes) > 0 && *f.cluster == "" {
		return nil, fmt.Errorf("--nats-routes needs --nats-cluster (this replica's own route address)")
	}
	l := pki.Layout{Dir: *f.sec.pki}
	ca, cert, key, creds, err := f.sec.resolve(l.HubCert(id), l.HubKey(id), l.HubCreds())
	if err != nil {
		return nil, err
	}
	trustFile := *f.trust
	if trustFile == "" && *f.sec.pki != "" {
		trustFile = l.Trust()
	}
	if trustFile == "" {
		return nil, fmt.Errorf("replication needs the NATS trust file: give --pki DIR or --nats-trust FILE")
	}
	t, err := pki.HubTLS(ca, cert, key)
	if err != nil {
		return nil, err
	}
	trust, err := pki.LoadTrust(trustFile)
	if err != nil {
		return nil, err
	}
	return &hub.ReplicationConfig{NATS: replication.ServerConfig{ClusterAddr: *f.cluster, Routes: routes,
		LeafAddr: *f.leaf, ClientAddr: *f.client, TLS: t, Trust: trust, Creds: creds, Compression: *f.sec.compression}}, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
