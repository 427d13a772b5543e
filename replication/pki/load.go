package pki

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/o211/o211/replication"
)

// loadPair reads a certificate and key pair and the CA pool.
func loadPair(caFile, certFile, keyFile string) (tls.Certificate, *x509.CertPool, error) {
	cas, err := readCerts(caFile)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range cas {
		pool.AddCert(c)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("pki: %s and %s: %w", certFile, keyFile, err)
	}
	return pair, pool, nil
}

// HubTLS returns the TLS settings of a hub replica from its CA,
// certificate and key files: listeners that require and verify a client
// certificate of the CA (leaf and client connections, from any site), and
// routes on which both ends must show a hub certificate of the CA.
func HubTLS(caFile, certFile, keyFile string) (*replication.TLS, error) {
	pair, pool, err := loadPair(caFile, certFile, keyFile)
	if err != nil {
		return nil, err
	}
	server := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
		ClientCAs:    pool,
		RootCAs:      pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}
	cluster := server.Clone()
	cluster.VerifyPeerCertificate = requireOU(OUHub)
	return &replication.TLS{Server: server, Cluster: cluster}, nil
}

// NodeTLS returns the TLS settings of a region node from its CA,
// certificate and key files: its leaf connection shows its certificate and
// verifies the hub's against the CA.
func NodeTLS(caFile, certFile, keyFile string) (*replication.TLS, error) {
	pair, pool, err := loadPair(caFile, certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return &replication.TLS{Client: &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
		RootCAs:      pool,
	}}, nil
}

// requireOU refuses a verified peer whose certificate is not of the given
// organisational unit (a node certificate on the hubs' route port).
func requireOU(ou string) func([][]byte, [][]*x509.Certificate) error {
	return func(_ [][]byte, chains [][]*x509.Certificate) error {
		for _, chain := range chains {
			if len(chain) > 0 && slices.Contains(chain[0].Subject.OrganizationalUnit, ou) {
				return nil
			}
		}
		return errors.New("pki: the peer's certificate is not a " + ou + " certificate")
	}
}

// LoadTrust reads a trust file written by Ensure. It returns an error for
// a missing or malformed file.
func LoadTrust(path string) (*replication.Trust, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	t := new(replication.Trust)
	if err := json.Unmarshal(b, t); err != nil {
		return nil, fmt.Errorf("pki: %s: %w", path, err)
	}
	if t.Operator == "" || t.SystemAccount == "" || t.Account == "" || t.Accounts[t.SystemAccount] == "" || t.Accounts[t.Account] == "" {
		return nil, fmt.Errorf("pki: %s lacks the operator or an account", path)
	}
	return t, nil
}

// HubFiles returns the TLS settings and NATS trust and credentials of hub
// replica id from a PKI folder.
func HubFiles(dir, id string) (*replication.TLS, *replication.Trust, string, error) {
	l := Layout{Dir: dir}
	t, err := HubTLS(l.CA(), l.HubCert(id), l.HubKey(id))
	if err != nil {
		return nil, nil, "", err
	}
	trust, err := LoadTrust(l.Trust())
	if err != nil {
		return nil, nil, "", err
	}
	if _, err := os.Stat(l.HubCreds()); err != nil {
		return nil, nil, "", fmt.Errorf("pki: %w", err)
	}
	return t, trust, l.HubCreds(), nil
}

// NodeFiles returns the TLS settings and NATS credentials of region's node
// from a PKI folder.
func NodeFiles(dir, region string) (*replication.TLS, string, error) {
	l := Layout{Dir: dir}
	t, err := NodeTLS(l.CA(), l.NodeCert(region), l.NodeKey(region))
	if err != nil {
		return nil, "", err
	}
	if _, err := os.Stat(l.RegionCreds(region)); err != nil {
		return nil, "", fmt.Errorf("pki: %w", err)
	}
	return t, l.RegionCreds(region), nil
}
