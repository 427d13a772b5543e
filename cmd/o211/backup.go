package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/o211/o211/hub"
	"github.com/o211/o211/node"
)

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("backup", "backup --url URL --token TOKEN --out FILE", stderr)
	url := fs.String("url", "http://127.0.0.1:8211", "HTTP address of the running node or hub replica")
	token := fs.String("token", "", "the node's or hub's API token (required)")
	out := fs.String("out", "", "file to write the backup (a tar) to (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *token == "" || *out == "" {
		fs.Usage()
		return fmt.Errorf("--token and --out are required")
	}
	body, err := fetchBackup(ctx, *url, *token)
	if err != nil {
		return err
	}
	defer body.Close()
	n, err := writeFileAtomic(*out, body)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", *out, n)
	return nil
}

// fetchBackup asks the node or hub replica at url for a backup (GET
// /api/v1/backup) and returns the tar stream; the caller closes it.
func fetchBackup(ctx context.Context, url, token string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(url, "/")+"/api/v1/backup", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s cannot be reached: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return nil, fmt.Errorf("%s answered %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return resp.Body, nil
}

// writeFileAtomic writes r to a temporary file beside path, checks it is a
// whole node or hub backup, syncs it and renames it to path.
func writeFileAtomic(path string, r io.Reader) (int64, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	n, err := io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := checkBackupFile(f.Name()); err != nil {
		return n, fmt.Errorf("the backup arrived incomplete (%v); %s is not written", err, path)
	}
	return n, os.Rename(f.Name(), path)
}

// checkBackupFile restores the backup into a scratch folder and removes it:
// the only proof that a backup restores is restoring it.
func checkBackupFile(path string) error {
	dir, err := os.MkdirTemp(filepath.Dir(path), ".o211-backup-check-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	_, err = restoreFile(filepath.Join(dir, "data"), path, nil)
	return err
}

// backupRole reads the role in the manifest a backup file starts with:
// "node" or "hub".
func backupRole(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	h, err := tr.Next()
	if err != nil || h.Name != "backup.json" {
		return "", fmt.Errorf("%s is not an o211 backup: it does not start with backup.json", path)
	}
	var m struct {
		Role string `json:"role"`
	}
	if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m); err != nil {
		return "", fmt.Errorf("%s is not an o211 backup: its backup.json does not read", path)
	}
	return m.Role, nil
}

// restoreFile restores the node or hub backup in the file from into dir
// and says what it restored. peers is the restored hub's configuration
// (nil: the backup's own).
func restoreFile(dir, from string, peers map[string]string) (string, error) {
	role, err := backupRole(from)
	if err != nil {
		return "", err
	}
	f, err := os.Open(from)
	if err != nil {
		return "", err
	}
	defer f.Close()
	switch role {
	case "node":
		m, err := node.RestoreBackup(dir, f)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("restored region %s into %s: %s (taken %s, change %d); start the node on it",
			m.Region, dir, strings.Join(m.Names(), ", "), m.Created.Format("2006-01-02 15:04:05 MST"), m.Seq), nil
	case "hub":
		m, err := hub.RestoreBackup(dir, f, peers, nil)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("restored hub state at log index %d (taken on %s at %s) into %s as a Raft snapshot; "+
			"restore every replica from this file, then start them", m.AppliedIndex, m.Replica,
			m.Created.Format("2006-01-02 15:04:05 MST"), dir), nil
	}
	return "", fmt.Errorf("%s is a backup of a %.20q, which o211 does not restore", from, role)
}

func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("restore", "restore --data DIR --from FILE [--peers id=raftaddr,...]", stderr)
	data := fs.String("data", "", "the node's or hub replica's data folder to restore into: empty, or without a store (required)")
	from := fs.String("from", "", "the backup file written by 'o211 backup' of a node or a hub replica (required)")
	peersFlag := fs.String("peers", "", "hub backups: the restored cluster's voters, id=raftaddr,... (default: the backup's)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" || *from == "" {
		fs.Usage()
		return fmt.Errorf("--data and --from are required")
	}
	peers, err := hub.ParsePeers(*peersFlag)
	if err != nil {
		return err
	}
	said, err := restoreFile(*data, *from, peers)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, said)
	return nil
}
