// Package pki creates and loads what secures replication between sites: a
// certificate authority and ECDSA certificates for the hub replicas and the
// region nodes (TLS on every NATS link, verified both ways), and NATS
// credentials (an operator, accounts, and one user per region limited to
// the region's own subjects).
//
// A PKI folder (Layout) holds:
//
//	ca.pem, ca-key.pem                 the certificate authority
//	hubs/<id>.pem, hubs/<id>-key.pem   a hub replica's certificate
//	nodes/<region>.pem, ...-key.pem    a region node's certificate
//	nats/operator.nk, system.nk,       seeds of the operator and the two
//	  account.nk                       accounts
//	nats/trust.json                    operator and account JWTs (hubs)
//	nats/hub.creds                     the hub replicas' own user
//	nats/regions/<region>.creds        a region's user
//
// The keys (ca-key.pem and the .nk seeds) stay with the provincial office;
// a hub replica needs ca.pem, its certificate and key, trust.json and
// hub.creds; a node needs ca.pem, its certificate and key and its region's
// .creds file.
package pki

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/replication"
)

// validSiteID matches hub replica ids (the hub's rule: letters, digits,
// '.', '-' and '_', starting with a letter or digit).
var validSiteID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// Layout names the files of a PKI folder.
type Layout struct{ Dir string }

// CA returns the path of the CA certificate.
func (l Layout) CA() string { return filepath.Join(l.Dir, "ca.pem") }

// CAKey returns the path of the CA's private key.
func (l Layout) CAKey() string { return filepath.Join(l.Dir, "ca-key.pem") }

// HubCert returns the path of hub replica id's certificate.
func (l Layout) HubCert(id string) string { return filepath.Join(l.Dir, "hubs", id+".pem") }

// HubKey returns the path of hub replica id's key.
func (l Layout) HubKey(id string) string { return filepath.Join(l.Dir, "hubs", id+"-key.pem") }

// NodeCert returns the path of region's node certificate.
func (l Layout) NodeCert(region string) string { return filepath.Join(l.Dir, "nodes", region+".pem") }

// NodeKey returns the path of region's node key.
func (l Layout) NodeKey(region string) string {
	return filepath.Join(l.Dir, "nodes", region+"-key.pem")
}

// OperatorSeed returns the path of the NATS operator's seed.
func (l Layout) OperatorSeed() string { return filepath.Join(l.Dir, "nats", "operator.nk") }

// SystemSeed returns the path of the NATS system account's seed.
func (l Layout) SystemSeed() string { return filepath.Join(l.Dir, "nats", "system.nk") }

// AccountSeed returns the path of the o211 account's seed.
func (l Layout) AccountSeed() string { return filepath.Join(l.Dir, "nats", "account.nk") }

// Trust returns the path of the hubs' trust file.
func (l Layout) Trust() string { return filepath.Join(l.Dir, "nats", "trust.json") }

// HubCreds returns the path of the hub replicas' credentials.
func (l Layout) HubCreds() string { return filepath.Join(l.Dir, "nats", "hub.creds") }

// RegionCreds returns the path of region's credentials.
func (l Layout) RegionCreds(region string) string {
	return filepath.Join(l.Dir, "nats", "regions", region+".creds")
}

// Site is a hub replica (by id) or a region node (by region id) to issue a
// certificate for, with the host names and addresses it is reached at
// (127.0.0.1, ::1 and localhost are always included).
type Site struct {
	ID    string
	Hosts []string
}

// Options say what Ensure creates.
type Options struct {
	// Dir is the PKI folder (created if missing).
	Dir string
	// Hubs and Regions are the sites to issue certificates (and, for
	// regions, credentials) for.
	Hubs, Regions []Site
	// Validity of the site certificates (default two years); the CA's is
	// ten years.
	Validity time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Ensure creates, in opts.Dir, whatever of the CA, the NATS operator and
// accounts, the hubs' files and the regions' files is missing, and returns
// the paths it wrote. Existing files are kept: running it again with a new
// region adds that region only. It returns an EINVALID error for an invalid
// hub or region id, and an error when the CA key is needed but missing.
func Ensure(opts Options) ([]string, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Validity <= 0 {
		opts.Validity = 2 * 365 * 24 * time.Hour
	}
	for _, h := range opts.Hubs {
		if !validSiteID.MatchString(h.ID) {
			return nil, o211.Errorf(o211.EINVALID, "hub id %q is not valid: use letters, digits, '.', '-' and '_'", h.ID)
		}
	}
	for _, r := range opts.Regions {
		if !o211.ValidRegionID(r.ID) {
			return nil, o211.Errorf(o211.EINVALID, "region %q is not a valid region id", r.ID)
		}
	}
	l := Layout{Dir: opts.Dir}
	now := opts.Now()
	var created []string
	ca, err := ensureCA(l, now, &created)
	if err != nil {
		return created, err
	}
	keys, err := ensureNATS(l, &created)
	if err != nil {
		return created, err
	}
	issue := func(cert, key, name, ou string, hosts []string) error {
		ok, err := exists(cert)
		if err != nil || ok {
			return err
		}
		if err := ca.issue(cert, key, name, ou, hosts, now, opts.Validity); err != nil {
			return err
		}
		created = append(created, cert, key)
		return nil
	}
	for _, h := range opts.Hubs {
		if err := issue(l.HubCert(h.ID), l.HubKey(h.ID), h.ID, OUHub, h.Hosts); err != nil {
			return created, err
		}
	}
	if len(opts.Hubs) > 0 {
		if err := ensureUser(keys, l.HubCreds(), "hub", nil, &created); err != nil {
			return created, err
		}
	}
	for _, r := range opts.Regions {
		if err := issue(l.NodeCert(r.ID), l.NodeKey(r.ID), r.ID, OUNode, r.Hosts); err != nil {
			return created, err
		}
		perms := replication.RegionPermissions(r.ID)
		if err := ensureUser(keys, l.RegionCreds(r.ID), "region-"+r.ID, &perms, &created); err != nil {
			return created, err
		}
	}
	return created, nil
}

func ensureCA(l Layout, now time.Time, created *[]string) (*authority, error) {
	ok, err := exists(l.CA())
	if err != nil {
		return nil, err
	}
	if ok {
		return loadAuthority(l.CA(), l.CAKey())
	}
	ca, err := newAuthority(l.CA(), l.CAKey(), "o211 provincial CA", now, 10*365*24*time.Hour)
	if err != nil {
		return nil, err
	}
	*created = append(*created, l.CA(), l.CAKey())
	return ca, nil
}

func ensureUser(k *natsKeys, path, name string, perms *replication.Permissions, created *[]string) error {
	ok, err := exists(path)
	if err != nil || ok {
		return err
	}
	if err := k.writeUser(path, name, perms); err != nil {
		return err
	}
	*created = append(*created, path)
	return nil
}

// writeFile writes b to path through a temporary file and a rename, making
// the folder first.
func writeFile(path string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, mode); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("pki: %w", err)
	}
	return nil
}
