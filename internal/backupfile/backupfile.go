// Package backupfile writes and reads the tar stream of an o211 backup, a
// node's or a hub replica's: its manifest first (backup.json, which the
// caller writes and reads), then its files, then SHA256SUMS, the SHA-256 of
// every entry before it in the format sha256sum -c reads. A reader stages
// each entry in a synced temporary file and checks the sums before the
// caller keeps anything. It also takes the consistent copy of a bbolt file
// a backup holds: a read transaction, whose WriteTo writes the file as it
// stood when the transaction began, while writes go on.
package backupfile

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

const (
	// ManifestName is the name of the first entry of a backup.
	ManifestName = "backup.json"
	// SumsName is the name of the last entry: the SHA-256 of the others.
	SumsName = "SHA256SUMS"
	// MaxManifest bounds the manifest and the sums.
	MaxManifest = 1 << 20
)

// Snapshot is a consistent copy of a bbolt file in the making: it holds a
// read transaction until Release.
type Snapshot struct{ tx *bolt.Tx }

// Begin starts a snapshot of db. It returns at once; the copying happens
// in WriteTo. It returns the error of bbolt's Begin (a closed file).
func Begin(db *bolt.DB) (*Snapshot, error) {
	tx, err := db.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("backup: snapshot: %w", err)
	}
	return &Snapshot{tx: tx}, nil
}

// Size returns the size in bytes WriteTo will write.
func (sn *Snapshot) Size() int64 { return sn.tx.Size() }

// WriteTo writes the whole file as it stood when the snapshot began.
func (sn *Snapshot) WriteTo(w io.Writer) (int64, error) {
	n, err := sn.tx.WriteTo(w)
	if err != nil {
		return n, fmt.Errorf("backup: snapshot: %w", err)
	}
	return n, nil
}

// Tx returns the snapshot's read transaction (nil once released).
func (sn *Snapshot) Tx() *bolt.Tx { return sn.tx }

// Release ends the snapshot. It is safe to call more than once.
func (sn *Snapshot) Release() {
	if sn.tx != nil {
		_ = sn.tx.Rollback()
		sn.tx = nil
	}
}

// Writer writes a backup's tar stream.
type Writer struct {
	tw    *tar.Writer
	mtime time.Time
	sums  bytes.Buffer
}

// NewWriter returns a Writer to w whose entries are dated mtime. The
// caller writes the manifest first (WriteBytes of ManifestName).
func NewWriter(w io.Writer, mtime time.Time) *Writer {
	return &Writer{tw: tar.NewWriter(w), mtime: mtime}
}

// WriteBytes writes an entry holding b.
func (w *Writer) WriteBytes(name string, b []byte) error {
	return w.WriteFrom(name, int64(len(b)), bytes.NewReader(b))
}

// WriteFrom writes an entry of size bytes, which src writes (a Snapshot).
// Entries are readable by their owner only (0600): a backup holds what the
// data folder holds, personal information among it.
func (w *Writer) WriteFrom(name string, size int64, src io.WriterTo) error {
	if err := w.tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: w.mtime}); err != nil {
		return fmt.Errorf("backup: %s: %w", name, err)
	}
	h := sha256.New()
	if _, err := src.WriteTo(io.MultiWriter(w.tw, h)); err != nil {
		return fmt.Errorf("backup: %s: %w", name, err)
	}
	fmt.Fprintf(&w.sums, "%x  %s\n", h.Sum(nil), name)
	return nil
}

// Close writes SHA256SUMS and ends the tar stream. It does not close the
// underlying writer.
func (w *Writer) Close() error {
	sums := w.sums.Bytes()
	if err := w.tw.WriteHeader(&tar.Header{Name: SumsName, Mode: 0o600, Size: int64(len(sums)), ModTime: w.mtime}); err != nil {
		return fmt.Errorf("backup: %s: %w", SumsName, err)
	}
	if _, err := w.tw.Write(sums); err != nil {
		return fmt.Errorf("backup: %s: %w", SumsName, err)
	}
	return w.tw.Close()
}

// Spec says what a backup of one kind may hold.
type Spec struct {
	// Kind names the backup in messages: "node", "hub".
	Kind string
	// Manifest decodes and checks the manifest's bytes. It says whether the
	// backup must end with SHA256SUMS (its format has them).
	Manifest func([]byte) (summed bool, err error)
	// MaxSize returns the largest size an entry of that name may have, or
	// 0 when a backup of the kind holds no such entry.
	MaxSize func(name string) int64
}

// Read reads a backup from r. It stages every entry but the manifest and
// the sums in a synced temporary file in dir and returns their paths by
// entry name; the caller checks them, renames the ones it keeps and
// removes the others (Discard). A backup that is no tar, does not start
// with its manifest, holds an entry the kind has not, is cut short or does
// not match its sums is refused with an EINVALID error, and Read leaves no
// file behind then.
func Read(dir string, r io.Reader, spec Spec) (staged map[string]string, err error) {
	staged = map[string]string{}
	defer func() {
		if err != nil {
			Discard(staged)
			staged = nil
		}
	}()
	tr := tar.NewReader(r)
	got := map[string]string{} // entry name -> its SHA-256, hex
	var summed bool
	var want map[string]string
	for i := 0; ; i++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return staged, o211.Errorf(o211.EINVALID, "the backup is not a readable tar stream (is it cut short?): %v", err)
		}
		if want != nil {
			return staged, o211.Errorf(o211.EINVALID, "the backup holds %.40q after its %s, where it should end", h.Name, SumsName)
		}
		switch {
		case i == 0:
			if h.Name != ManifestName {
				return staged, o211.Errorf(o211.EINVALID, "the backup does not start with its %s: is it an o211 %s backup?", ManifestName, spec.Kind)
			}
			b, sum, err := readSmall(tr, h)
			if err != nil {
				return staged, err
			}
			got[h.Name] = sum
			if summed, err = spec.Manifest(b); err != nil {
				return staged, err
			}
		case h.Name == SumsName:
			b, _, err := readSmall(tr, h)
			if err != nil {
				return staged, err
			}
			if want, err = parseSums(b); err != nil {
				return staged, err
			}
		default:
			if _, dup := got[h.Name]; dup || spec.MaxSize(h.Name) == 0 {
				return staged, o211.Errorf(o211.EINVALID, "the backup holds %.40q, which no %s backup has (or twice)", h.Name, spec.Kind)
			}
			if h.Size > spec.MaxSize(h.Name) {
				return staged, o211.Errorf(o211.EINVALID, "the backup's %s is %d bytes, more than such a file can be", h.Name, h.Size)
			}
			path, sum, err := stage(dir, h, tr)
			if path != "" {
				staged[h.Name] = path
			}
			if err != nil {
				return staged, err
			}
			got[h.Name] = sum
		}
	}
	return staged, checkSums(got, want, summed)
}

// Discard removes the staged files that are left.
func Discard(staged map[string]string) {
	for _, path := range staged {
		os.Remove(path)
	}
}

// readSmall reads a manifest or the sums whole, with their SHA-256.
func readSmall(r io.Reader, h *tar.Header) ([]byte, string, error) {
	if h.Size > MaxManifest {
		return nil, "", o211.Errorf(o211.EINVALID, "the backup's %s is %d bytes: not an o211 backup's", h.Name, h.Size)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, "", o211.Errorf(o211.EINVALID, "the backup's %s could not be read whole (is it cut short?): %v", h.Name, err)
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:]), nil
}

// stage copies one entry to a synced temporary file in dir and returns
// its path and SHA-256.
func stage(dir string, h *tar.Header, r io.Reader) (string, string, error) {
	f, err := os.CreateTemp(dir, "."+h.Name+".restore-*")
	if err != nil {
		return "", "", fmt.Errorf("backup: restore: %w", err)
	}
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, sum), r)
	if err == nil && n != h.Size {
		err = io.ErrUnexpectedEOF
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return f.Name(), "", o211.Errorf(o211.EINVALID, "the backup's %s could not be read whole (is it cut short?): %v", h.Name, err)
	}
	return f.Name(), hex.EncodeToString(sum.Sum(nil)), nil
}

// parseSums reads SHA256SUMS: "<64 hex>  <name>" a line.
func parseSums(b []byte) (map[string]string, error) {
	sums := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != 64 || name == "" {
			return nil, o211.Errorf(o211.EINVALID, "the backup's %s: line %d is not '<sha256>  <name>'", SumsName, line)
		}
		sums[name] = sum
	}
	return sums, nil
}

// checkSums compares what was read with what SHA256SUMS says: the same
// entries, the same sums.
func checkSums(got, want map[string]string, summed bool) error {
	if want == nil {
		if summed {
			return o211.Errorf(o211.EINVALID, "the backup ends before its %s: is it cut short?", SumsName)
		}
		return nil // a backup of the format before the sums
	}
	for name, sum := range want {
		switch g, ok := got[name]; {
		case !ok:
			return o211.Errorf(o211.EINVALID, "the backup's %s lists %.40q, which it does not hold", SumsName, name)
		case g != sum:
			return o211.Errorf(o211.EINVALID, "the backup's %.40s does not match its SHA-256 in %s: the file is damaged", name, SumsName)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			return o211.Errorf(o211.EINVALID, "the backup holds %.40q, which its %s does not list", name, SumsName)
		}
	}
	return nil
}
