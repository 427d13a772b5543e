package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node"
	"github.com/o211/o211/node/store"
)

func TestUsersCommand_Folder(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "node.db"), store.Options{Region: "east", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	ctx := context.Background()
	users := func(args ...string) (string, error) {
		var out, errw bytes.Buffer
		err := runUsers(ctx, args, &out, &errw)
		return out.String() + errw.String(), err
	}
	out, err := users("add", "--data", dir, "--username", "Nadia", "--role", "navigator")
	if err != nil || !strings.Contains(out, "added: nadia (navigator, east)") || !strings.Contains(out, "password: ") {
		t.Fatalf("add: %v\n%s", err, out)
	}
	if _, err := users("add", "--data", dir, "--username", "nadia", "--role", "navigator"); o211.ErrorCode(err) != o211.ECONFLICT {
		t.Errorf("second nadia: %v, want ECONFLICT", err)
	}
	if _, err := users("add", "--data", dir, "--username", "rob", "--role", "boss"); err == nil || !strings.Contains(err.Error(), "unknown role") {
		t.Errorf("unknown role: %v", err)
	}
	if out, err := users("disable", "--data", dir, "--username", "nadia"); err != nil || !strings.Contains(out, "nadia is now disabled") {
		t.Errorf("disable: %v %s", err, out)
	}
	out, err = users("list", "--data", dir, "--json")
	var list []o211.User
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || !list[0].Disabled || list[0].PasswordHash != "" {
		t.Errorf("list: %v\n%s", err, out)
	}
	if _, err := users("list", "--url", "http://x", "--data", dir); o211.ErrorCode(err) != o211.EINVALID {
		t.Errorf("--url and --data: %v, want EINVALID", err)
	}
	held, err := store.Open(filepath.Join(dir, "node.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if _, err := users("list", "--data", dir); err == nil || !strings.Contains(err.Error(), "is running") {
		t.Errorf("folder of a running node: %v", err)
	}
}

func TestUsersCommand_URL(t *testing.T) {
	n := node.New(node.Config{Region: "east", DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", Token: "tok", NoSync: true})
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	users := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := runUsers(context.Background(), append(args, "--url", n.URL(), "--token", "tok"), &out, &out)
		return out.String(), err
	}
	if out, err := users("add", "--username", "sam", "--role", "supervisor"); err != nil || !strings.Contains(out, "added: sam (supervisor, east)") {
		t.Fatalf("add over HTTP: %v %s", err, out)
	}
	if out, err := users("disable", "--username", "sam"); err != nil || !strings.Contains(out, "sam is now disabled") {
		t.Errorf("disable over HTTP: %v %s", err, out)
	}
	if out, err := users("passwd", "--username", "sam"); err != nil || !strings.Contains(out, "password: ") {
		t.Errorf("passwd over HTTP: %v %s", err, out)
	}
	if out, err := users("list"); err != nil || !strings.Contains(out, "sam") || !strings.Contains(out, "disabled") {
		t.Errorf("list over HTTP: %v %s", err, out)
	}
	var out bytes.Buffer
	err := runUsers(context.Background(), []string{"list", "--url", n.URL(), "--token", "wrong"}, &out, &out)
	if o211.ErrorCode(err) != o211.EUNAUTHORIZED {
		t.Errorf("a wrong token: %v", err)
	}
}
