package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/hashicorp/raft"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/internal/backupfile"
	"github.com/o211/o211/node/store"
)

// A backup of a hub replica is a tar stream: backup.json (BackupManifest),
// then state.db, the state machine's file as it stood at one applied log
// index (a bbolt read transaction: consistent, taken while the replica
// applies). That file is exactly what a Raft snapshot of the replica holds;
// the manifest adds the index and the cluster's configuration, which a Raft
// snapshot carries in its metadata. RestoreBackup turns it back into a Raft
// snapshot in an empty data folder: a replica started there restores it
// and, with the other replicas restored from the same file, forms the
// cluster again at that index. raft.db (the log) is not in it: the log
// after the index is what the backup does not hold.

// BackupFormat is the format of the hub backups this release writes: 2
// ends with SHA256SUMS. A backup of format 1 (without) still restores.
const BackupFormat = 2

// BackupManifest describes a hub backup.
type BackupManifest struct {
	Format  int       `json:"format"`
	Role    string    `json:"role"` // "hub"
	Replica string    `json:"replica"`
	Created time.Time `json:"created"`
	// AppliedIndex is the index of the last log entry the state holds.
	AppliedIndex uint64 `json:"applied_index"`
	// Servers is the cluster's configuration when the backup was taken.
	Servers []BackupServer `json:"servers"`
	Files   []string       `json:"files"`
}

// BackupServer is one server of the configuration a backup recorded.
type BackupServer struct {
	ID    string `json:"id"`
	Raft  string `json:"raft"`
	Voter bool   `json:"voter"`
}

const backupState = "state.db"

// getBackup answers GET /api/v1/backup with a backup of this replica's state.
func (s *handlers) getBackup(w http.ResponseWriter, req *http.Request) {
	sn, applied, err := s.r.fsm.BeginBackup()
	if err != nil {
		writeProblem(w, req, s.logger, err, nil)
		return
	}
	defer sn.Release()
	m := BackupManifest{Format: BackupFormat, Role: "hub", Replica: s.r.cfg.ID, Created: time.Now().UTC(), AppliedIndex: applied,
		Files: []string{backupState}}
	if f := s.r.raft.GetConfiguration(); f.Error() == nil {
		for _, sv := range f.Configuration().Servers {
			m.Servers = append(m.Servers, BackupServer{ID: string(sv.ID), Raft: string(sv.Address), Voter: sv.Suffrage == raft.Voter})
		}
	}
	w.Header().Set("Content-Type", "application/x-tar")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="o211-hub-%s-%d.tar"`, m.Replica, applied))
	if err := writeBackup(w, &m, sn); err != nil {
		// The status is sent: the client sees a truncated tar and says so.
		s.logger.Error("hub backup: writing", "err", err)
	}
}

func writeBackup(w io.Writer, m *BackupManifest, sn *store.Snapshot) error {
	manifest, _ := json.MarshalIndent(m, "", "  ")
	bw := backupfile.NewWriter(w, m.Created)
	if err := bw.WriteBytes(backupfile.ManifestName, manifest); err != nil {
		return err
	}
	if err := bw.WriteFrom(backupState, sn.Size(), sn); err != nil {
		return err
	}
	return bw.Close()
}

// RestoreBackup writes the hub backup read from r into dir, which must hold
// no replica yet, as a Raft snapshot at the backup's index. The snapshot's
// configuration is peers (id to Raft address) when given, else the one the
// backup recorded. Every replica of the restored hub is restored from the
// same file, so that their snapshots agree. A backup cut short or of
// anything else is refused with an EINVALID error and writes nothing.
func RestoreBackup(dir string, r io.Reader, peers map[string]string, logger *slog.Logger) (*BackupManifest, error) {
	for _, name := range []string{"raft.db", "state.db", "snapshots"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return nil, o211.Errorf(o211.ECONFLICT, "%s already holds a hub replica (%s): restore into an empty folder", dir, name)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("hub: restore: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("hub: restore: %w", err)
	}
	m, state, err := readHubBackup(dir, r)
	if state != "" {
		defer os.Remove(state)
	}
	if err != nil {
		return nil, err
	}
	conf, err := backupConfiguration(m, peers)
	if err != nil {
		return nil, err
	}
	if err := writeSnapshot(dir, m.AppliedIndex, conf, state, logger); err != nil {
		os.RemoveAll(filepath.Join(dir, "snapshots"))
		return nil, err
	}
	return m, nil
}

// readHubBackup reads the manifest and stages state.db in a checked
// temporary file in dir, whose path it returns.
func readHubBackup(dir string, r io.Reader) (*BackupManifest, string, error) {
	var m *BackupManifest
	staged, err := backupfile.Read(dir, r, backupfile.Spec{Kind: "hub",
		Manifest: func(b []byte) (bool, error) {
			m = new(BackupManifest)
			if err := json.Unmarshal(b, m); err != nil || m.Role != "hub" || m.Format > BackupFormat {
				return false, o211.Errorf(o211.EINVALID, "the backup's %s is not a hub backup's manifest this o211 reads", backupfile.ManifestName)
			}
			return m.Format >= 2, nil
		},
		MaxSize: func(name string) int64 {
			if name == backupState {
				return 1 << 50
			}
			return 0
		}})
	state := staged[backupState]
	if err != nil {
		return nil, state, err
	}
	if state == "" {
		return nil, state, o211.Errorf(o211.EINVALID, "the backup lacks its state.db: is it cut short, or not a hub backup?")
	}
	return m, state, checkState(state)
}

// checkState checks that a staged state file opens as a hub state at an
// applied index.
func checkState(path string) error {
	st, err := fsm.Open(fsm.Options{Path: path})
	if err != nil {
		return o211.Errorf(o211.EINVALID, "the backup's state.db is not a hub state: %v", err)
	}
	applied := st.AppliedIndex()
	if err := st.Close(); err != nil {
		return fmt.Errorf("hub: restore: %w", err)
	}
	if applied == 0 {
		return o211.Errorf(o211.EINVALID, "the backup's state.db holds no applied log entry")
	}
	return nil
}

// backupConfiguration is the Raft configuration of the restored cluster.
func backupConfiguration(m *BackupManifest, peers map[string]string) (raft.Configuration, error) {
	var conf raft.Configuration
	if len(peers) == 0 {
		for _, p := range m.Servers {
			s := raft.Server{ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.Raft), Suffrage: raft.Nonvoter}
			if p.Voter {
				s.Suffrage = raft.Voter
			}
			conf.Servers = append(conf.Servers, s)
		}
	}
	ids := make([]string, 0, len(peers))
	for id := range peers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		conf.Servers = append(conf.Servers, raft.Server{ID: raft.ServerID(id), Address: raft.ServerAddress(peers[id]), Suffrage: raft.Voter})
	}
	if len(conf.Servers) == 0 {
		return conf, o211.Errorf(o211.EINVALID, "the backup names no replicas: give the restored cluster's --peers")
	}
	return conf, nil
}

// writeSnapshot writes the state file as a Raft snapshot at index in dir's
// snapshot store. Its term is 1: the restored cluster's log starts there.
func writeSnapshot(dir string, index uint64, conf raft.Configuration, state string, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.Default()
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, newHclog(logger, "raft-snapshot"))
	if err != nil {
		return fmt.Errorf("hub: restore: %w", err)
	}
	// The transport only encodes the legacy peer list of the metadata.
	_, enc := raft.NewInmemTransport("")
	sink, err := snaps.Create(raft.SnapshotVersionMax, index, 1, conf, index, enc)
	if err != nil {
		return fmt.Errorf("hub: restore: %w", err)
	}
	f, err := os.Open(state)
	if err != nil {
		sink.Cancel()
		return fmt.Errorf("hub: restore: %w", err)
	}
	defer f.Close()
	_, err = io.WriteString(sink, fsm.SnapshotHeader)
	if err == nil {
		_, err = io.Copy(sink, f)
	}
	if err != nil {
		sink.Cancel()
		return fmt.Errorf("hub: restore: %w", err)
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("hub: restore: %w", err)
	}
	return nil
}
