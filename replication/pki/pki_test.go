package pki

import (
	"crypto/x509"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/jwt/v2"

	"github.com/o211/o211"
	"github.com/o211/o211/replication"
)

func TestEnsure(t *testing.T) {
	dir := t.TempDir()
	l := Layout{Dir: dir}
	created, err := Ensure(Options{Dir: dir, Hubs: []Site{{ID: "h1", Hosts: []string{"hub1.example.org"}}},
		Regions: []Site{{ID: "east", Hosts: []string{"10.1.2.3"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{l.CA(), l.CAKey(), l.HubCert("h1"), l.HubKey("h1"), l.NodeCert("east"), l.NodeKey("east"),
		l.OperatorSeed(), l.AccountSeed(), l.SystemSeed(), l.Trust(), l.HubCreds(), l.RegionCreds("east")} {
		if !slices.Contains(created, f) {
			t.Errorf("%s was not created", f)
		}
	}

	t.Run("KeysAreOwnerOnly", func(t *testing.T) {
		for _, f := range []string{l.CAKey(), l.HubKey("h1"), l.NodeKey("east"), l.AccountSeed(), l.RegionCreds("east")} {
			fi, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v", f, fi.Mode().Perm())
			}
		}
	})

	t.Run("CertificatesVerify", func(t *testing.T) {
		cas, err := readCerts(l.CA())
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AddCert(cas[0])
		for _, c := range []struct{ file, ou, host string }{
			{l.HubCert("h1"), OUHub, "hub1.example.org"},
			{l.NodeCert("east"), OUNode, "10.1.2.3"},
		} {
			certs, err := readCerts(c.file)
			if err != nil {
				t.Fatal(err)
			}
			cert := certs[0]
			if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
				t.Errorf("%s: %v", c.file, err)
			}
			for _, h := range []string{"127.0.0.1", "localhost", c.host} {
				if err := cert.VerifyHostname(h); err != nil {
					t.Errorf("%s: %v", c.file, err)
				}
			}
			if !slices.Contains(cert.Subject.OrganizationalUnit, c.ou) {
				t.Errorf("%s: units %v, want %s", c.file, cert.Subject.OrganizationalUnit, c.ou)
			}
		}
	})

	t.Run("RegionCredentialsCarryItsPermissions", func(t *testing.T) {
		b, err := os.ReadFile(l.RegionCreds("east"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := jwt.ParseDecoratedJWT(b)
		if err != nil {
			t.Fatal(err)
		}
		uc, err := jwt.DecodeUserClaims(s)
		if err != nil {
			t.Fatal(err)
		}
		want := replication.RegionPermissions("east")
		if !slices.Equal([]string(uc.Pub.Allow), want.Publish) || !slices.Equal([]string(uc.Sub.Allow), want.Subscribe) {
			t.Fatalf("permissions pub %v sub %v, want %+v", uc.Pub.Allow, uc.Sub.Allow, want)
		}
		trust, err := LoadTrust(l.Trust())
		if err != nil {
			t.Fatal(err)
		}
		if uc.Issuer != trust.Account {
			t.Fatalf("issued by %s, not the o211 account %s", uc.Issuer, trust.Account)
		}
	})

	t.Run("AgainCreatesNothing", func(t *testing.T) {
		created, err := Ensure(Options{Dir: dir, Hubs: []Site{{ID: "h1"}}, Regions: []Site{{ID: "east"}}})
		if err != nil || len(created) != 0 {
			t.Fatalf("created %v, %v", created, err)
		}
	})

	t.Run("NewRegionAddsItsFilesOnly", func(t *testing.T) {
		trust, _ := os.ReadFile(l.Trust())
		created, err := Ensure(Options{Dir: dir, Regions: []Site{{ID: "east"}, {ID: "north"}}})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{l.NodeCert("north"), l.NodeKey("north"), l.RegionCreds("north")}
		slices.Sort(created)
		slices.Sort(want)
		if !slices.Equal(created, want) {
			t.Fatalf("created %v, want %v", created, want)
		}
		if again, _ := os.ReadFile(l.Trust()); string(again) != string(trust) {
			t.Fatal("the trust file changed: the hubs would need it again")
		}
	})

	t.Run("ErrInvalidRegion", func(t *testing.T) {
		_, err := Ensure(Options{Dir: dir, Regions: []Site{{ID: "East Side"}}})
		if o211.ErrorCode(err) != o211.EINVALID {
			t.Fatalf("got %v, want invalid", err)
		}
	})

	t.Run("ErrNoCAKey", func(t *testing.T) {
		other := t.TempDir()
		if _, err := Ensure(Options{Dir: other}); err != nil {
			t.Fatal(err)
		}
		os.Remove(Layout{Dir: other}.CAKey())
		_, err := Ensure(Options{Dir: other, Regions: []Site{{ID: "west"}}})
		if err == nil || !strings.Contains(err.Error(), "CA key") {
			t.Fatalf("got %v, want an error about the CA key", err)
		}
	})
}
