package node

import (
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
	"github.com/o211/o211/internal/backupfile"
	"github.com/o211/o211/node/gateway"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/queue"
	"github.com/o211/o211/node/store"
)

// A backup of a node is a tar stream (internal/backupfile): backup.json
// (BackupManifest), then every bbolt store the node keeps in its data
// folder, queue.db (the contact queue), gateway.db (the channels'
// conversations and transcripts), node.db (the region's store) and
// province.db (the provincial copy, when the node replicates), then token
// (the API token), then SHA256SUMS. Each store is a bbolt hot copy taken in
// one read transaction, so it is consistent; the transactions are begun
// together, and the queue's and gateway's are copied to the data folder
// and released at once (spooled), so that a slow client does not hold
// back their files. The search
// index is not in it: it is rebuilt at start. The stores hold personal
// information (contacts, transcripts, phone numbers): the backup is the
// owner's alone (0600), like the data folder, and says so in its manifest.

// BackupFormat is the format of the backups this release writes: 2 holds
// queue.db and gateway.db, says each file's size and what it holds, and
// ends with SHA256SUMS. A backup of format 1 (node.db, province.db and the
// token, without sums) still restores.
const BackupFormat = 2

// BackupManifest describes a backup: what it is of and what it holds.
type BackupManifest struct {
	Format  int          `json:"format"`
	Role    string       `json:"role"` // "node"
	Region  string       `json:"region"`
	Created time.Time    `json:"created"`
	Files   []BackupFile `json:"files"`
	// Seq is the region's change sequence number the backup holds.
	Seq uint64 `json:"seq"`
}

// BackupFile is one file of a backup.
type BackupFile struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	// Holds says what the file holds; Sensitive what care it asks for
	// ("personal information", "a credential"), if any.
	Holds     string `json:"holds,omitempty"`
	Sensitive string `json:"sensitive,omitempty"`
}

// UnmarshalJSON reads a file of the manifest, also as format 1 wrote it:
// its bare name.
func (f *BackupFile) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		*f = BackupFile{}
		return json.Unmarshal(b, &f.Name)
	}
	type plain BackupFile
	return json.Unmarshal(b, (*plain)(f))
}

// Names returns the names of the backup's files.
func (m *BackupManifest) Names() []string {
	names := make([]string, len(m.Files))
	for i, f := range m.Files {
		names[i] = f.Name
	}
	return names
}

const (
	backupTokenName = "token"
	// maxBackupToken bounds the token of a backup being restored.
	maxBackupToken = 1 << 20
	personalInfo   = "personal information"
)

// nodeBackupFiles are the files a node's backup may hold, in the order it
// writes them.
var nodeBackupFiles = []BackupFile{
	{Name: "queue.db", Holds: "the contact queue: waiting and active contacts, and ended ones for the service level", Sensitive: personalInfo},
	{Name: "gateway.db", Holds: "the channels' conversations: transcripts, and the people's phone numbers and e-mail addresses", Sensitive: personalInfo},
	{Name: "node.db", Holds: "the region's store: directory, contacts, users, reports and audit log", Sensitive: personalInfo},
	{Name: provinceFile, Holds: "the provincial copy of the directory (the hub's; pulled again if lost)"},
	{Name: backupTokenName, Holds: "the node's API token", Sensitive: "a credential"},
}

// backupSource is the consistent copy of one store in the making.
type backupSource interface {
	Size() int64
	WriteTo(io.Writer) (int64, error)
	Release()
}

// beginBackup begins the copies of the node's stores, together, by file
// name. The caller releases them.
func (n *Node) beginBackup() (map[string]backupSource, error) {
	srcs := map[string]backupSource{}
	var errs []error
	add := func(name string, sn backupSource, err error) {
		if err != nil {
			errs = append(errs, err)
		} else {
			srcs[name] = sn
		}
	}
	q, err := n.queue.BeginBackup()
	add("queue.db", q, err)
	g, err := n.gateway.BeginBackup()
	add("gateway.db", g, err)
	d, err := n.dir.Store().BeginSnapshot()
	add("node.db", d, err)
	if n.province != nil {
		p, err := n.province.Store().BeginSnapshot()
		add(provinceFile, p, err)
	}
	for _, name := range []string{"queue.db", "gateway.db"} {
		if sn := srcs[name]; sn != nil && len(errs) == 0 {
			sp, err := spool(n.cfg.DataDir, sn)
			if err != nil {
				errs = append(errs, fmt.Errorf("node: backup: copying %s: %w", name, err))
				continue
			}
			srcs[name] = sp
		}
	}
	if len(errs) > 0 {
		releaseAll(srcs)
		return nil, errors.Join(errs...)
	}
	return srcs, nil
}

// spooled is a store's copy in an unlinked temporary file of the data
// folder. The queue's and the gateway's copies are spooled, so that their
// read transactions end at once rather than when the backup's client has
// read them: while a read transaction is open, a write that must grow the
// file waits (bbolt remaps), and these files, unlike node.db, have no
// room set aside. The copy of the personal information stays in the data
// folder, and a crash leaves nothing behind.
type spooled struct {
	f    *os.File
	size int64
}

// spool copies sn to a spooled file and releases it.
func spool(dir string, sn backupSource) (*spooled, error) {
	defer sn.Release()
	f, err := os.CreateTemp(dir, ".backup-spool-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	size, err := sn.WriteTo(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &spooled{f: f, size: size}, nil
}

func (s *spooled) Size() int64 { return s.size }

func (s *spooled) WriteTo(w io.Writer) (int64, error) {
	return io.Copy(w, io.NewSectionReader(s.f, 0, s.size))
}

func (s *spooled) Release() { s.f.Close() }

func releaseAll(srcs map[string]backupSource) {
	for _, sn := range srcs {
		sn.Release()
	}
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
	srcs, err := n.beginBackup()
	if err != nil {
		httpx.WriteError(w, r, n.log, err)
		return
	}
	defer releaseAll(srcs)
	seq, _ := n.dir.Store().Seq()
	w.Header().Set("Content-Type", "application/x-tar")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="o211-%s-%s.tar"`, n.Region(), n.now().UTC().Format("20060102T150405Z")))
	pw := &pacedWriter{w: w, pause: newPacer(n.dir, n.province).pause}
	if err := n.writeBackup(pw, srcs, seq); err != nil {
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

// writeBackup writes the tar of a backup: manifest, stores (each released
// once written), token, sums.
func (n *Node) writeBackup(w io.Writer, srcs map[string]backupSource, seq uint64) error {
	m := BackupManifest{Format: BackupFormat, Role: "node", Region: n.Region(), Created: n.now().UTC(), Seq: seq}
	token, err := os.ReadFile(filepath.Join(n.cfg.DataDir, backupTokenName))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, f := range nodeBackupFiles {
		switch sn := srcs[f.Name]; {
		case sn != nil:
			f.Size = sn.Size()
		case f.Name == backupTokenName && token != nil:
			f.Size = int64(len(token))
		default:
			continue
		}
		m.Files = append(m.Files, f)
	}
	manifest, _ := json.MarshalIndent(m, "", "  ")
	bw := backupfile.NewWriter(w, m.Created)
	if err := bw.WriteBytes(backupfile.ManifestName, manifest); err != nil {
		return err
	}
	for _, f := range m.Files {
		if f.Name == backupTokenName {
			err = bw.WriteBytes(f.Name, token)
		} else {
			err = bw.WriteFrom(f.Name, f.Size, srcs[f.Name])
			srcs[f.Name].Release()
		}
		if err != nil {
			return err
		}
	}
	return bw.Close()
}

// RestoreBackup writes the backup read from r into the data folder dir,
// which must hold no node store yet, and returns its manifest. Each file is
// written beside its place, synced and checked (its SHA-256, its size, and
// a store must open as the kind it names) before any is renamed into
// place; a backup that is cut short, damaged or holds anything else is
// refused with an EINVALID error and leaves dir as it was.
func RestoreBackup(dir string, r io.Reader) (*BackupManifest, error) {
	for _, f := range nodeBackupFiles {
		if f.Name == backupTokenName {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, f.Name)); err == nil {
			return nil, o211.Errorf(o211.ECONFLICT, "%s already holds a node store (%s): restore into an empty folder", dir, f.Name)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("node: restore: %w", err)
	}
	var m *BackupManifest
	staged, err := backupfile.Read(dir, r, backupfile.Spec{Kind: "node", MaxSize: nodeEntryMax,
		Manifest: func(b []byte) (bool, error) {
			m = new(BackupManifest)
			if err := json.Unmarshal(b, m); err != nil || m.Role != "node" || m.Format > BackupFormat {
				return false, o211.Errorf(o211.EINVALID, "the backup's %s is not a node backup's manifest this o211 reads", backupfile.ManifestName)
			}
			return m.Format >= 2, nil
		}})
	if err != nil {
		return nil, err
	}
	defer backupfile.Discard(staged)
	if err := checkStaged(m, staged); err != nil {
		return nil, err
	}
	for _, name := range m.Names() {
		if err := os.Rename(staged[name], filepath.Join(dir, name)); err != nil {
			return nil, fmt.Errorf("node: restore: %w", err)
		}
		delete(staged, name)
	}
	return m, syncDir(dir)
}

// nodeEntryMax is the largest size of an entry of a node backup, 0 for a
// name no node backup has.
func nodeEntryMax(name string) int64 {
	switch name {
	case backupTokenName:
		return maxBackupToken
	case "queue.db", "gateway.db", "node.db", provinceFile:
		return 1 << 50
	}
	return 0
}

// checkStaged checks the staged files against the manifest: the same
// files, of the sizes it says (format 2), each store opening as the kind
// its name says.
func checkStaged(m *BackupManifest, staged map[string]string) error {
	listed := map[string]bool{}
	for _, f := range m.Files {
		listed[f.Name] = true
		path := staged[f.Name]
		if path == "" {
			return o211.Errorf(o211.EINVALID, "the backup lists %.40s but does not hold it: is it cut short?", f.Name)
		}
		if fi, err := os.Stat(path); err != nil {
			return fmt.Errorf("node: restore: %w", err)
		} else if m.Format >= 2 && fi.Size() != f.Size {
			return o211.Errorf(o211.EINVALID, "the backup's manifest says %s is %d bytes, but it holds %d", f.Name, f.Size, fi.Size())
		}
		if err := checkStore(f.Name, path, m.Region); err != nil {
			return o211.Errorf(o211.EINVALID, "the backup's %s is not a usable store: %v", f.Name, err)
		}
	}
	for name := range staged {
		if !listed[name] {
			return o211.Errorf(o211.EINVALID, "the backup holds %s, which its manifest does not list", name)
		}
	}
	return nil
}

// checkStore opens a staged store as what its name says and closes it.
func checkStore(name, path, region string) error {
	var c io.Closer
	var err error
	switch name {
	case "node.db", provinceFile:
		c, err = store.Open(path, store.Options{Replica: name == provinceFile, Timeout: time.Second})
	case "queue.db":
		c, err = queue.Open(queue.Config{Path: path, Region: region})
	case "gateway.db":
		c, err = gateway.OpenStore(path, false, nil)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	return c.Close()
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

// backupChunk is how much of a backup is written between two of its
// pacer's yields: about a millisecond of copying and hashing.
const backupChunk = 1 << 20

// pacedWriter writes a backup at the pace of an import: after each
// backupChunk it yields through the import's pacer, which rests while the
// node serves searches, so that a backup takes about a third of a core
// from them instead of a whole one (searches' p99 during back-to-back
// backups was about twice its idle figure unpaced).
type pacedWriter struct {
	w     io.Writer
	pause func()
	n     int
}

func (pw *pacedWriter) Write(b []byte) (int, error) {
	n, err := pw.w.Write(b)
	pw.n += n
	if pw.n >= backupChunk {
		pw.n = 0
		pw.pause()
	}
	return n, err
}
