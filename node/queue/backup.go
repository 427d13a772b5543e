package queue

import (
	"fmt"

	"github.com/o211/o211/internal/backupfile"
)

// BeginBackup starts a consistent copy of the queue's file (queue.db) for
// the node's backup: its WriteTo writes the file as it stood now, while the
// queue goes on. The caller releases it, soon: a long copy holds back the
// file's growth. It fails only on a closed queue.
func (q *Queue) BeginBackup() (*backupfile.Snapshot, error) {
	sn, err := backupfile.Begin(q.db)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return sn, nil
}
