// Package replication is what crosses between a region's node and the
// provincial hub: the embedded NATS servers (a hub cluster with a leaf
// listener; a leaf per node), the subjects and the wire envelope, the
// node's outbox pusher and provincial-directory puller, and the hub's
// services that answer them.
//
// It knows the node and the hub only through small interfaces (Outbox,
// Replica, Ingester, Feed), so that it imports neither. See DESIGN.md in
// this folder for the invariants.
package replication
