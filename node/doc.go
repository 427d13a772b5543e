// Package node is a regional 211 node: its resource directory (a bbolt
// store and a search index kept in step), its HTTP surface, and (as the
// replication work lands) its link to the provincial hub.
package node
