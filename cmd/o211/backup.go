package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/o211/o211/node"
)

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("backup", "backup --url URL --token TOKEN --out FILE", stderr)
	url := fs.String("url", "http://127.0.0.1:8211", "HTTP address of the running node")
	token := fs.String("token", "", "the node's API token (required)")
	out := fs.String("out", "", "file to write the backup (a tar) to (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *token == "" || *out == "" {
		fs.Usage()
		return fmt.Errorf("--token and --out are required")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(*url, "/")+"/api/v1/backup", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+*token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s cannot be reached: %w", *url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return fmt.Errorf("%s answered %s: %s", *url, resp.Status, strings.TrimSpace(string(body)))
	}
	n, err := writeFileAtomic(*out, resp.Body)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", *out, n)
	return nil
}

// writeFileAtomic writes r to a temporary file beside path, checks it is a
// whole node backup, syncs it and renames it to path.
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
		return n, fmt.Errorf("the node's backup arrived incomplete (%v); %s is not written", err, path)
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
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = node.RestoreBackup(filepath.Join(dir, "data"), f)
	return err
}

func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("restore", "restore --data DIR --from FILE", stderr)
	data := fs.String("data", "", "the node's data folder to restore into: empty, or without node.db (required)")
	from := fs.String("from", "", "the backup file written by 'o211 backup' (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" || *from == "" {
		fs.Usage()
		return fmt.Errorf("--data and --from are required")
	}
	f, err := os.Open(*from)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := node.RestoreBackup(*data, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored region %s into %s: %s (taken %s, change %d); start the node on it\n",
		m.Region, *data, strings.Join(m.Files, ", "), m.Created.Format("2006-01-02 15:04:05 MST"), m.Seq)
	return nil
}
