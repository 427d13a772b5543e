package o211

import "time"

// ContactQuery selects contacts for a listing. Every filter set must hold.
type ContactQuery struct {
	// From and To bound the start time: From <= start < To (zero: open).
	From, To time.Time
	// Navigator keeps the contacts of one navigator.
	Navigator string
	// FollowUpDue (YYYY-MM-DD) keeps the contacts whose follow-up is due on
	// or before that day and has no outcome yet.
	FollowUpDue string
	// Status keeps the open or the closed contacts.
	Status ContactStatus
	// Cursor continues a listing where the page that gave it ended.
	Cursor string
	// Limit is the page size (default 50, at most MaxContactPage).
	Limit int
}

// MaxContactPage is the largest page of contacts a listing returns.
const MaxContactPage = 500

// ContactPage is one page of contacts, with the cursor of the next.
type ContactPage struct {
	Contacts []*Contact
	// Next continues the listing; "" on the last page.
	Next string
}
