package main

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// benchImportSource names the records `o211 bench search --during-import`
// imports, so that it can remove them again by importing an empty table
// under the same source (an import is a sync of its source).
const benchImportSource = "bench-during-import"

// loadDuringImport measures search while the node imports a second
// generated province (seed 2: other ids, so every record is new) through
// POST /api/v1/import, then removes what it imported.
func (b *searchBench) loadDuringImport(ctx context.Context, base string) error {
	pkg := filepath.Join(b.data, "datapackage-2")
	if _, err := os.Stat(filepath.Join(pkg, "services.csv")); err != nil {
		if err := b.self(ctx, "gen", "--services", strconv.Itoa(b.services), "--seed", "2", "--out", pkg); err != nil {
			return err
		}
	}
	token, err := os.ReadFile(filepath.Join(b.data, "token"))
	if err != nil {
		return fmt.Errorf("the node's API token: %w", err)
	}
	tok := strings.TrimSpace(string(token))
	done, ended := make(chan error, 1), make(chan struct{})
	start := time.Now()
	go func() {
		done <- postDatapackage(ctx, base, tok, pkg, "")
		close(ended)
	}()
	fmt.Fprintf(b.out, "during an API import of %d generated services (seed 2, source %s), from its upload to its end:\n",
		b.services, benchImportSource)
	// The whole import is measured: no warm-up, and the load ends with it.
	b.warmup, b.duration, b.until = 0, 10*time.Minute, ended
	loadErr := b.load(ctx, base)
	err = <-done
	fmt.Fprintf(b.out, "API import: %s\n", time.Since(start).Round(time.Millisecond))
	if err != nil {
		return err
	}
	start = time.Now()
	if err := postDatapackage(ctx, base, tok, "", "organizations.csv"); err != nil {
		return fmt.Errorf("removing the benchmark's import: %w", err)
	}
	fmt.Fprintf(b.out, "removed it again (a sync with an empty table): %s\n", time.Since(start).Round(time.Millisecond))
	return loadErr
}

// ended reports whether the load should end before its duration.
func (b *searchBench) ended() bool {
	select {
	case <-b.until:
		return true
	default:
		return false
	}
}

// postDatapackage sends the CSV files of dir, or one empty table when dir
// is "", to the node's import API as multipart parts, under the
// benchmark's source.
func postDatapackage(ctx context.Context, base, token, dir, empty string) error {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() { pw.CloseWithError(writeParts(mw, dir, empty)) }()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/import?format=hsds-csv&source="+benchImportSource, pr)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("import: %s: %s", res.Status, body)
	}
	return nil
}

func writeParts(mw *multipart.Writer, dir, empty string) error {
	if dir == "" {
		w, err := mw.CreateFormFile("file", empty)
		if err == nil {
			_, err = io.WriteString(w, "id,name\n")
		}
		if err != nil {
			return err
		}
		return mw.Close()
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil {
		return err
	}
	for _, name := range names {
		w, err := mw.CreateFormFile("file", filepath.Base(name))
		if err != nil {
			return err
		}
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return mw.Close()
}
