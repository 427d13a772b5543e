package o211

import "time"

// AuditEntry records that someone was given, changed or erased a
// contact's personal fields, or changed a contact (every contact write has
// one), or changed an account or signed in.
type AuditEntry struct {
	Time time.Time `json:"time"`
	// Actor is who: the actor of the request's checked credential (never
	// what the request says of itself), System("retention") for the purge.
	Actor Actor `json:"actor"`
	// Action is what: "read", "create", "update", "close", "purge", or an
	// account action.
	Action    string `json:"action"`
	ContactID string `json:"contact_id"`
	// Fields names the personal fields concerned (PersonalFields); none
	// for a contact written without any.
	Fields []string `json:"fields"`
	// Path is the request path that returned them ("" for the purge), or
	// what an account change changed.
	Path string `json:"path,omitempty"`
	// From is the client address of a sign-in.
	From string `json:"from,omitempty"`
}

// AuditQuery selects audit entries.
type AuditQuery struct {
	// ContactID keeps the entries of one contact.
	ContactID string
	// From and To bound the time: From <= time < To (zero: open).
	From, To time.Time
	Cursor   string
	// Limit is the page size (default 100, at most 1000).
	Limit int
	// Newest lists the newest entries first, and the cursor continues
	// toward older ones (a page that shows the latest entries reads only
	// those).
	Newest bool
}

// AuditPage is a page of audit entries, oldest first (newest first for
// a query with Newest).
type AuditPage struct {
	Entries []AuditEntry
	// Next continues the listing; "" on the last page.
	Next string
}
