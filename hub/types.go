package hub

import "github.com/o211/o211/hub/fsm"

// The state machine's payload and result types, under the names a user of
// this package expects.
type (
	// IngestBatch is a region's batch of directory records.
	IngestBatch = fsm.IngestBatch
	// IngestResult says what an IngestBatch did, with the region's mark.
	IngestResult = fsm.IngestResult
	// Member is a hub replica's id and addresses.
	Member = fsm.Member
	// Region is a registered region with its ingest mark.
	Region = fsm.Region
)
