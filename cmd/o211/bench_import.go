package main

import (
	"context"
	"encoding/json"
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
	peak := b.sampleMemory(ended)
	start := time.Now()
	go func() {
		done <- postDatapackage(ctx, b.out, base, tok, pkg, "")
		close(ended)
	}()
	fmt.Fprintf(b.out, "during an API import of %d generated services (seed 2, source %s), from its upload to its end:\n",
		b.services, benchImportSource)
	// The whole import is measured: no warm-up, and the load ends with it.
	b.warmup, b.duration, b.until = 0, time.Hour, ended
	loadErr := b.load(ctx, base)
	err = <-done
	fmt.Fprintf(b.out, "API import: %s\n", time.Since(start).Round(time.Millisecond))
	if err != nil {
		return err
	}
	if b.pid != 0 {
		rss, hwm := memoryOf(b.pid)
		p := <-peak
		fmt.Fprintf(b.out, "node resident memory after the import: %.0f MB (peak %.0f MB); during it, sampled: at most %.0f MB, "+
			"of which Go heap and other anonymous memory at most %.0f MB (at %s), the store's mapped file pages at most %.0f MB (at %s)\n",
			rss, hwm, p.rss, p.anon, p.anonAt.Round(time.Second), p.file, p.fileAt.Round(time.Second))
	}
	start = time.Now()
	if err := postDatapackage(ctx, b.out, base, tok, "", "organizations.csv"); err != nil {
		return fmt.Errorf("removing the benchmark's import: %w", err)
	}
	fmt.Fprintf(b.out, "removed it again (a sync with an empty table): %s\n", time.Since(start).Round(time.Millisecond))
	return loadErr
}

// residentPeak is the most of a process's resident memory seen, in MB:
// all of it, its anonymous memory (the Go heap) and its mapped file pages
// (the store's bbolt file).
type residentPeak struct {
	rss, anon, file float64
	// anonAt and fileAt are when the anonymous and the file peaks were
	// seen, since the sampling began.
	anonAt, fileAt time.Duration
}

// sampleMemory samples the benchmark node's resident memory every 100 ms
// until ended is closed, then sends the peaks (nothing when this command
// did not start the node).
func (b *searchBench) sampleMemory(ended <-chan struct{}) <-chan residentPeak {
	out := make(chan residentPeak, 1)
	if b.pid == 0 {
		return out
	}
	go func() {
		var p residentPeak
		start := time.Now()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			m := procStatus(b.pid, "VmRSS:", "RssAnon:", "RssFile:")
			p.rss = max(p.rss, m[0])
			if m[1] > p.anon {
				p.anon, p.anonAt = m[1], time.Since(start)
			}
			if m[2] > p.file {
				p.file, p.fileAt = m[2], time.Since(start)
			}
			select {
			case <-ended:
				out <- p
				return
			case <-t.C:
			}
		}
	}()
	return out
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
func postDatapackage(ctx context.Context, out io.Writer, base, token, dir, empty string) error {
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
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return fmt.Errorf("import: %s: %s", res.Status, body)
	}
	var rep struct {
		Created, Updated, Deleted, Unchanged int
		Changed                              map[string]int
	}
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil {
		return fmt.Errorf("import: the report: %w", err)
	}
	fmt.Fprintf(out, "  the node's report: %d created, %d updated, %d deleted, %d unchanged; changed by table %v\n",
		rep.Created, rep.Updated, rep.Deleted, rep.Unchanged, rep.Changed)
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
