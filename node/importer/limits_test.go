package importer_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/importer"
)

// repeatReader gives n bytes of b over and over, without holding them.
type repeatReader struct {
	b byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), r.n))
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= int64(k)
	return k, nil
}

// peakHeap runs fn while sampling the heap, and returns the most it saw
// in use beyond what it was before fn.
func heapGrowth(fn func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	// TotalAlloc counts every allocation fn made, freed or not: an upper
	// bound of what it held at once.
	return after.TotalAlloc - before.TotalAlloc
}

func TestImport_EnormousLineRefused(t *testing.T) {
	const lineBytes = 512 << 20
	for _, tc := range []struct {
		name, format, file, header string
	}{
		{"211ontario", importer.Format211Ontario, "export.csv", "id_program,id_site,id_organization,program_name\n1,2,3,"},
		{"hsds-csv", importer.FormatHSDSCSV, "services.csv", "id,name,status\ns-1,Food,"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			alloc := heapGrowth(func() {
				body := io.MultiReader(strings.NewReader(tc.header), &repeatReader{b: 'x', n: lineBytes})
				_, err = importer.ImportReader(context.Background(), importer.Store(testutil.MustOpenStore(t)), tc.format, tc.file, body,
					importer.Options{Region: "east", TempDir: t.TempDir()})
			})
			if o211.ErrorCode(err) != o211.ETOOLARGE || !strings.Contains(o211.ErrorMessage(err), tc.file+":2") {
				t.Fatalf("got %v; want ETOOLARGE naming %s:2", err, tc.file)
			}
			if alloc > 64<<20 {
				t.Errorf("allocated %d MiB reading a %d MiB line; want it refused within a few MiB", alloc>>20, lineBytes>>20)
			}
		})
	}
}

func TestImport_ZipBombRefused(t *testing.T) {
	// A small zip holding one 128 MiB line (the 510 KB archive
	// held 512 MiB).
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("services.csv")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "id,name,status\ns-1,Food,")
	if _, err := io.Copy(w, &repeatReader{b: 'x', n: 128 << 20}); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	if buf.Len() > 1<<20 {
		t.Fatalf("the zip is %d bytes; want a small archive", buf.Len())
	}
	path := filepath.Join(t.TempDir(), "bomb.zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	s := testutil.MustOpenStore(t)
	alloc := heapGrowth(func() {
		_, err = importer.Import(context.Background(), importer.Store(s), importer.FormatHSDSCSV, path, importer.Options{TempDir: t.TempDir()})
	})
	if o211.ErrorCode(err) != o211.ETOOLARGE || !strings.Contains(o211.ErrorMessage(err), "services.csv unpacks to 128 MiB") {
		t.Fatalf("got %v; want ETOOLARGE naming services.csv and its size", err)
	}
	if alloc > 64<<20 {
		t.Errorf("allocated %d MiB for a zip bomb; want it refused within a few MiB", alloc>>20)
	}
	if n, _ := s.Seq(); n != 0 {
		t.Errorf("the store changed (seq %d)", n)
	}
}
