// Package node wires a regional 211 node: its resource directory (the
// Directory: a bbolt store and a search index kept in step), its one HTTP
// server with every route group mounted (HSDS, search, write and import,
// contacts, reports, status, the console), its contacts and reports, and
// its replication link to the provincial hub. The hub does not import it:
// it uses the node's parts (node/api, node/search, node/report, ...).
package node
