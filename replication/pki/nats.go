package pki

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"

	"github.com/o211/o211/replication"
)

// The NATS side of the PKI is decentralised JWT authentication: an
// operator signs two accounts, SYS (the servers' own) and O211 (everything
// of replication); the O211 account signs one user for the hub replicas'
// own connections, without limits, and one user per region whose JWT
// carries the region's permissions (replication.RegionPermissions). The hub
// servers trust the operator and know the two account JWTs (trust.json);
// they need no list of regions: a region's credentials are valid because
// the account signed them, and limited because the JWT says so.

// loadOrCreateSeed returns the key pair whose seed is in path, creating it
// with create when the file does not exist.
func loadOrCreateSeed(path string, create func() (nkeys.KeyPair, error)) (nkeys.KeyPair, bool, error) {
	if b, err := os.ReadFile(path); err == nil {
		kp, err := nkeys.FromSeed(trimSpace(b))
		if err != nil {
			return nil, false, fmt.Errorf("pki: %s: %w", path, err)
		}
		return kp, false, nil
	} else if !os.IsNotExist(err) {
		return nil, false, fmt.Errorf("pki: %w", err)
	}
	kp, err := create()
	if err != nil {
		return nil, false, err
	}
	seed, err := kp.Seed()
	if err != nil {
		return nil, false, err
	}
	return kp, true, writeFile(path, append(seed, '\n'), 0o600)
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// natsKeys are the operator and account key pairs.
type natsKeys struct {
	operator, system, account nkeys.KeyPair
}

// ensureNATS creates the operator, the accounts and trust.json where they
// are missing, and returns the keys.
func ensureNATS(l Layout, created *[]string) (*natsKeys, error) {
	var k natsKeys
	var err error
	var made bool
	for _, s := range []struct {
		path   string
		kp     *nkeys.KeyPair
		create func() (nkeys.KeyPair, error)
	}{
		{l.OperatorSeed(), &k.operator, nkeys.CreateOperator},
		{l.SystemSeed(), &k.system, nkeys.CreateAccount},
		{l.AccountSeed(), &k.account, nkeys.CreateAccount},
	} {
		var m bool
		if *s.kp, m, err = loadOrCreateSeed(s.path, s.create); err != nil {
			return nil, err
		}
		if m {
			*created = append(*created, s.path)
		}
		made = made || m
	}
	ok, err := exists(l.Trust())
	if err != nil {
		return nil, err
	}
	if ok && !made {
		return &k, nil
	}
	trust, err := k.trust()
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(trust, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeFile(l.Trust(), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	*created = append(*created, l.Trust())
	return &k, nil
}

// trust signs the operator and account JWTs.
func (k *natsKeys) trust() (*replication.Trust, error) {
	opPub, _ := k.operator.PublicKey()
	sysPub, _ := k.system.PublicKey()
	accPub, _ := k.account.PublicKey()
	oc := jwt.NewOperatorClaims(opPub)
	oc.Name = "o211"
	oc.SystemAccount = sysPub
	opJWT, err := oc.Encode(k.operator)
	if err != nil {
		return nil, fmt.Errorf("pki: sign operator: %w", err)
	}
	t := &replication.Trust{Operator: opJWT, SystemAccount: sysPub, Account: accPub, Accounts: map[string]string{}}
	for _, a := range []struct {
		pub, name string
	}{{sysPub, "SYS"}, {accPub, "O211"}} {
		ac := jwt.NewAccountClaims(a.pub)
		ac.Name = a.name
		s, err := ac.Encode(k.operator)
		if err != nil {
			return nil, fmt.Errorf("pki: sign account %s: %w", a.name, err)
		}
		t.Accounts[a.pub] = s
	}
	return t, nil
}

// writeUser signs a user of the O211 account with perms and writes its
// credentials file. A region's user (perms set) may connect as a leaf
// only, as a node links (issue 11.4): never as a plain client of a hub's
// client port, where it would be a second way in to watch; the hubs' own
// (perms nil: no limits) in process or as a client, never as a leaf, so
// that its file cannot link a node with every right.
func (k *natsKeys) writeUser(path, name string, perms *replication.Permissions) error {
	ukp, err := nkeys.CreateUser()
	if err != nil {
		return err
	}
	upub, _ := ukp.PublicKey()
	uc := jwt.NewUserClaims(upub)
	uc.Name = name
	if perms != nil {
		uc.Permissions.Pub.Allow.Add(perms.Publish...)
		uc.Permissions.Sub.Allow.Add(perms.Subscribe...)
		uc.AllowedConnectionTypes.Add(jwt.ConnectionTypeLeafnode)
	} else {
		uc.AllowedConnectionTypes.Add(jwt.ConnectionTypeInProcess, jwt.ConnectionTypeStandard)
	}
	s, err := uc.Encode(k.account)
	if err != nil {
		return fmt.Errorf("pki: sign user %s: %w", name, err)
	}
	seed, _ := ukp.Seed()
	creds, err := jwt.FormatUserConfig(s, seed)
	if err != nil {
		return err
	}
	return writeFile(path, creds, 0o600)
}
