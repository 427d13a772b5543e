package replication

import (
	"time"

	"github.com/o211/o211"
)

// Conflict is a record that the hub did not apply because another region
// owns a record of the same table and id (issue 11.4). A node refuses such
// a write when its provincial copy already knows the owner; the hub still
// finds the ones two regions made before either heard of the other's.
type Conflict struct {
	Table o211.Kind `json:"table"`
	ID    string    `json:"id"`
	// Region is the region whose record was skipped; Owner the region
	// that owns the record at the hub.
	Region string `json:"region"`
	Owner  string `json:"owner"`
	// At is when the hub skipped it (the leader's time of the batch).
	At time.Time `json:"at"`
}

// Conflicts counts the conflicts seen and keeps the latest few, newest
// first: what a status shows so that an operator finds them without
// reading the logs.
type Conflicts struct {
	Count  uint64     `json:"count"`
	Latest []Conflict `json:"latest"`
}

// LatestConflicts is how many conflicts a Conflicts keeps.
const LatestConflicts = 5

// Add counts cs and keeps the newest of them; cs are in the order they
// happened. It makes a new Latest slice, so a copy of c made before stays
// as it was.
func (c *Conflicts) Add(cs ...Conflict) {
	c.Count += uint64(len(cs))
	latest := make([]Conflict, 0, LatestConflicts)
	for i := len(cs) - 1; i >= 0 && len(latest) < LatestConflicts; i-- {
		latest = append(latest, cs[i])
	}
	for _, x := range c.Latest {
		if len(latest) == LatestConflicts {
			break
		}
		latest = append(latest, x)
	}
	c.Latest = latest
}

// Merge adds o's count to c's and keeps the newest of both lists (for a
// total over regions).
func (c *Conflicts) Merge(o Conflicts) {
	c.Count += o.Count
	all := append(append(make([]Conflict, 0, len(c.Latest)+len(o.Latest)), c.Latest...), o.Latest...)
	sortNewestFirst(all)
	c.Latest = all[:min(len(all), LatestConflicts)]
}

func sortNewestFirst(cs []Conflict) {
	for i := 1; i < len(cs); i++ { // a handful: insertion sort keeps equal times in order
		for j := i; j > 0 && cs[j].At.After(cs[j-1].At); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// conflicts returns the reply's conflicts, each with its region and time
// set (region and at when the hub did not say: a hub of the previous
// release sends only their text, kept as the id).
func (rep *IngestReply) conflicts(region string, at time.Time) []Conflict {
	if len(rep.ConflictRecords) == 0 && len(rep.Conflicts) == 0 {
		return nil
	}
	out := append([]Conflict(nil), rep.ConflictRecords...)
	if len(out) == 0 {
		for _, s := range rep.Conflicts {
			out = append(out, Conflict{ID: s})
		}
	}
	for i := range out {
		if out[i].Region == "" {
			out[i].Region = region
		}
		if out[i].At.IsZero() {
			out[i].At = at
		}
	}
	return out
}
