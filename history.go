package o211

import (
	"encoding/json"
	"time"
)

// HistoryEntry is one change of a directory record in its change history:
// who made it, when, and which fields it changed from what to what. The
// store writes one in the transaction of every change of a directory
// record (anonymised report records have none: their time would point to
// the contact).
type HistoryEntry struct {
	Kind Kind   `json:"kind"`
	ID   string `json:"id"`
	// Seq is the change sequence number the store gave the change, and
	// Version the record's version it made.
	Seq     uint64 `json:"seq"`
	Version uint64 `json:"version"`
	// Time is when the change was made: the record's modification time,
	// stamped by the region that owns it (a replicated change keeps it).
	Time time.Time `json:"time"`
	// Actor is who made it: the credential's actor for a change through
	// the API, System("import") or System("replication") for the others.
	Actor Actor `json:"actor"`
	// Action is HistoryCreate, HistoryUpdate or HistoryDelete.
	Action string `json:"action"`
	// Changes lists the fields whose values differ from the record's
	// previous version, in field order. A record's first version has none
	// (its values are the next change's Old values, or the record's own),
	// and neither has a deletion (the tombstone keeps the last values).
	Changes []FieldChange `json:"changes,omitempty"`
}

// The actions of a HistoryEntry.
const (
	HistoryCreate = "create"
	HistoryUpdate = "update"
	HistoryDelete = "delete"
)

// FieldChange is one field of a record changed: its JSON values before and
// after, each absent when the field was not set.
type FieldChange struct {
	Field string          `json:"field"`
	Old   json.RawMessage `json:"old,omitempty"`
	New   json.RawMessage `json:"new,omitempty"`
}

// HistoryQuery selects the change history of one directory record.
type HistoryQuery struct {
	Kind Kind
	ID   string
	// Cursor continues a listing where the page that gave it ended.
	Cursor string
	// Limit is the page size (default 100, at most 1000).
	Limit int
}

// HistoryPage is a page of a record's change history, oldest first.
type HistoryPage struct {
	Entries []HistoryEntry `json:"entries"`
	// Next continues the listing; "" on the last page.
	Next string `json:"next_cursor"`
}
