package replication

import (
	"strings"

	"github.com/o211/o211"
)

// The subjects of replication. Every one that a region uses ends with the
// region's id, so that a region's credentials can be limited to its own
// (see Permissions).
//
//	o211.hub.ingest.<region>  node -> hub leader: an outbox batch (request)
//	o211.hub.sync.<region>    node -> any hub replica: a page of the
//	                          provincial directory after an index (request)
//	o211.hub.status.<region>  node -> every hub replica: the node's
//	                          replication status (publish)
//	o211.hub.notify.<region>  hub leader -> node: the provincial directory
//	                          changed (publish)
//	o211.inbox.<region>.>     replies to the region's requests
//	o211.internal.>           between hub replicas only
const (
	subjectPrefix = "o211."
	ingestPrefix  = "o211.hub.ingest."
	syncPrefix    = "o211.hub.sync."
	statusPrefix  = "o211.hub.status."
	notifyPrefix  = "o211.hub.notify."
	inboxPrefix   = "o211.inbox."

	// IngestAll, SyncAll and StatusAll are the hub's subscriptions to
	// every region's requests and reports.
	IngestAll = ingestPrefix + "*"
	SyncAll   = syncPrefix + "*"
	StatusAll = statusPrefix + "*"
)

// IngestSubject is the subject on which region's node pushes outbox batches.
func IngestSubject(region string) string { return ingestPrefix + region }

// SyncSubject is the subject on which region's node pulls the provincial
// directory.
func SyncSubject(region string) string { return syncPrefix + region }

// StatusSubject is the subject on which region's node reports its status.
func StatusSubject(region string) string { return statusPrefix + region }

// NotifySubject is the subject on which the hub leader tells region's node
// that the provincial directory changed.
func NotifySubject(region string) string { return notifyPrefix + region }

// InboxPrefix is the prefix of the reply subjects of region's requests.
func InboxPrefix(region string) string { return inboxPrefix + region }

// regionOf returns the region named by the last token of subject under
// prefix, and false when the subject is not one of prefix's or the token is
// not a region id.
func regionOf(subject, prefix string) (string, bool) {
	r, ok := strings.CutPrefix(subject, prefix)
	if !ok || !o211.ValidRegionID(r) {
		return "", false
	}
	return r, true
}

// Permissions are the subjects a region's credentials may publish and
// subscribe to: its own requests and reports, its own replies and
// notifications, nothing of another region's and nothing else.
type Permissions struct {
	Publish   []string
	Subscribe []string
}

// RegionPermissions returns the permissions of region's credentials.
func RegionPermissions(region string) Permissions {
	return Permissions{
		Publish:   []string{IngestSubject(region), SyncSubject(region), StatusSubject(region)},
		Subscribe: []string{InboxPrefix(region) + ".>", NotifySubject(region)},
	}
}
