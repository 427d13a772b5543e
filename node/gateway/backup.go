package gateway

import (
	"fmt"

	"github.com/o211/o211/internal/backupfile"
)

// BeginBackup starts a consistent copy of the gateway's file (gateway.db:
// conversations, transcripts, the people's numbers and addresses) for the
// node's backup: its WriteTo writes the file as it stood now, while the
// channels go on. The caller releases it, soon: a long copy holds back the
// file's growth. It fails before Start and on a closed gateway.
func (g *Gateway) BeginBackup() (*backupfile.Snapshot, error) {
	if g.store == nil {
		return nil, fmt.Errorf("gateway: backup: not started")
	}
	sn, err := backupfile.Begin(g.store.db)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	return sn, nil
}
