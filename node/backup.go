package node

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/store"
)

// A backup of a node is a tar stream: backup.json (BackupManifest), then
// node.db (the region's store), province.db (the provincial copy, when the
// node replicates) and token (the API token). Each store is a bbolt hot
// copy taken in one read transaction, so it is consistent; the two stores
// are begun together. The search index is not in it: it is rebuilt at start.

// BackupManifest describes a backup: what it is of and what it holds.
type BackupManifest struct {
	Role    string    `json:"role"` // "node"
	Region  string    `json:"region"`
	Created time.Time `json:"created"`
	Files   []string  `json:"files"`
	// Seq is the region's change sequence number the backup holds.
	Seq uint64 `json:"seq"`
}

const (
	backupManifestName = "backup.json"
	backupTokenName    = "token"
	// maxBackupEntry bounds a non-store entry of a backup being restored.
	maxBackupEntry = 1 << 20
)

// backupStores lists the node's stores by their file names.
func (n *Node) backupStores() map[string]*store.Store {
	stores := map[string]*store.Store{"node.db": n.dir.Store()}
	if n.province != nil {
		stores[provinceFile] = n.province.Store()
	}
	return stores
}

// backupRoutes is the route group of GET /api/v1/backup, for
// administrators (the API token is the bootstrap administrator).
type backupRoutes struct{ n *Node }

// Routes mounts GET /api/v1/backup on r.
func (g backupRoutes) Routes(r chi.Router) {
	r.With(httpx.Require(o211.RoleAdmin)).Get("/api/v1/backup", g.n.getBackup)
}

// getBackup answers GET /api/v1/backup with a backup of the running node.
func (n *Node) getBackup(w http.ResponseWriter, r *http.Request) {
	snaps := map[string]*store.Snapshot{}
	defer func() {
		for _, sn := range snaps {
			sn.Release()
		}
	}()
	for name, st := range n.backupStores() {
		sn, err := st.BeginSnapshot()
		if err != nil {
			httpx.WriteError(w, r, n.log, err)
			return
		}
		snaps[name] = sn
	}
	seq, _ := n.dir.Store().Seq()
	w.Header().Set("Content-Type", "application/x-tar")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="o211-%s-%s.tar"`, n.Region(), n.now().UTC().Format("20060102T150405Z")))
	if err := n.writeBackup(w, snaps, seq); err != nil {
		// The status is sent: the client sees a truncated tar and says so.
		n.log.Error("backup: writing", "err", err)
	}
}

func (n *Node) now() time.Time {
	if n.cfg.Now != nil {
		return n.cfg.Now()
	}
	return time.Now()
}

// writeBackup writes the tar of a backup: manifest, stores, token.
func (n *Node) writeBackup(w io.Writer, snaps map[string]*store.Snapshot, seq uint64) error {
	m := BackupManifest{Role: "node", Region: n.Region(), Created: n.now().UTC(), Seq: seq}
	for _, name := range []string{"node.db", provinceFile} {
		if snaps[name] != nil {
			m.Files = append(m.Files, name)
		}
	}
	token, err := os.ReadFile(filepath.Join(n.cfg.DataDir, backupTokenName))
	if err == nil {
		m.Files = append(m.Files, backupTokenName)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	manifest, _ := json.MarshalIndent(m, "", "  ")
	tw := tar.NewWriter(w)
	mtime := m.Created
	if err := writeTarBytes(tw, backupManifestName, manifest, mtime); err != nil {
		return err
	}
	for _, name := range m.Files {
		if name == backupTokenName {
			if err := writeTarBytes(tw, name, token, mtime); err != nil {
				return err
			}
			continue
		}
		sn := snaps[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: sn.Size(), ModTime: mtime}); err != nil {
			return err
		}
		if _, err := sn.WriteTo(tw); err != nil {
			return err
		}
	}
	return tw.Close()
}

func writeTarBytes(tw *tar.Writer, name string, b []byte, mtime time.Time) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(b)), ModTime: mtime}); err != nil {
		return err
	}
	_, err := tw.Write(b)
	return err
}

// RestoreBackup writes the backup read from r into the data folder dir,
// which must hold no node store yet, and returns its manifest. Each file is
// written beside its place, synced and checked (a store must open as the
// kind it names) before any is renamed into place; a backup that is cut
// short or holds anything else is refused with an EINVALID error and
// leaves dir as it was.
func RestoreBackup(dir string, r io.Reader) (*BackupManifest, error) {
	if _, err := os.Stat(filepath.Join(dir, "node.db")); err == nil {
		return nil, o211.Errorf(o211.ECONFLICT, "%s already holds a node store (node.db): restore into an empty folder", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("node: restore: %w", err)
	}
	staged := map[string]string{} // file name -> temporary path
	defer func() {
		for _, tmp := range staged {
			os.Remove(tmp)
		}
	}()
	m, err := readBackup(dir, tar.NewReader(r), staged)
	if err != nil {
		return nil, err
	}
	for _, name := range m.Files {
		if staged[name] == "" {
			return nil, o211.Errorf(o211.EINVALID, "the backup lists %s but does not hold it: is it cut short?", name)
		}
	}
	for _, name := range m.Files {
		if err := os.Rename(staged[name], filepath.Join(dir, name)); err != nil {
			return nil, fmt.Errorf("node: restore: %w", err)
		}
		delete(staged, name)
	}
	return m, syncDir(dir)
}

// readBackup reads the tar's entries into temporary files in dir, checking
// each, and returns the manifest.
func readBackup(dir string, tr *tar.Reader, staged map[string]string) (*BackupManifest, error) {
	var m *BackupManifest
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, o211.Errorf(o211.EINVALID, "the backup is not a readable tar stream: %v", err)
		}
		switch h.Name {
		case backupManifestName:
			m = new(BackupManifest)
			if err := json.NewDecoder(io.LimitReader(tr, maxBackupEntry)).Decode(m); err != nil || m.Role != "node" {
				return nil, o211.Errorf(o211.EINVALID, "the backup's %s is not a node backup's manifest", backupManifestName)
			}
		case "node.db", provinceFile, backupTokenName:
			if m == nil {
				return nil, o211.Errorf(o211.EINVALID, "the backup does not start with its %s", backupManifestName)
			}
			tmp, err := stageEntry(dir, h, tr)
			if tmp != "" {
				staged[h.Name] = tmp
			}
			if err != nil {
				return nil, err
			}
		default:
			return nil, o211.Errorf(o211.EINVALID, "the backup holds %.40q, which no node backup has", h.Name)
		}
	}
	if m == nil {
		return nil, o211.Errorf(o211.EINVALID, "the backup has no %s: is it an o211 node backup?", backupManifestName)
	}
	return m, nil
}

// stageEntry copies one entry to a synced temporary file beside its place
// and checks a store; it returns the file's path.
func stageEntry(dir string, h *tar.Header, r io.Reader) (string, error) {
	if h.Name == backupTokenName && h.Size > maxBackupEntry {
		return "", o211.Errorf(o211.EINVALID, "the backup's token is %d bytes", h.Size)
	}
	f, err := os.CreateTemp(dir, "."+h.Name+".restore-*")
	if err != nil {
		return "", fmt.Errorf("node: restore: %w", err)
	}
	n, err := io.Copy(f, r)
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
		return f.Name(), o211.Errorf(o211.EINVALID, "the backup's %s could not be read whole: %v", h.Name, err)
	}
	if h.Name != backupTokenName {
		st, err := store.Open(f.Name(), store.Options{Replica: h.Name == provinceFile, Timeout: time.Second})
		if err != nil {
			return f.Name(), o211.Errorf(o211.EINVALID, "the backup's %s is not a usable store: %v", h.Name, err)
		}
		if err := st.Close(); err != nil {
			return f.Name(), fmt.Errorf("node: restore: %w", err)
		}
	}
	return f.Name(), nil
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("node: restore: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("node: restore: %w", err)
	}
	return nil
}
