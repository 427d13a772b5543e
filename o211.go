// Package o211 holds the domain vocabulary of the o211 federated 211 system:
// the Open Referral HSDS 3.0 record types, regions, search queries and
// results, and error codes. It uses the standard library only; every other
// package imports it and it imports nothing from this module.
package o211

import (
	"regexp"
	"sync"
	"time"
)

// Region is one regional 211 centre. Every directory record belongs to
// exactly one region, the one whose node created it.
type Region struct {
	ID   string  `json:"id"`
	Name string  `json:"name"`
	City string  `json:"city,omitempty"`
	Lat  float64 `json:"lat,omitempty"`
	Lon  float64 `json:"lon,omitempty"`
}

var regionIDPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// ValidRegionID reports whether id is usable as a region identifier:
// lower-case letters, digits and hyphens, starting with a letter. Region ids
// appear in NATS subjects and file names, so nothing else is allowed.
func ValidRegionID(id string) bool { return regionIDPattern.MatchString(id) }

// Toronto is the time zone in which Ontario's 211 services keep their hours.
// It falls back to a fixed EST offset when the zone database is missing.
// The zone is loaded once (loading it reads and parses the zone file).
func Toronto() *time.Location { return toronto() }

var toronto = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("America/Toronto"); err == nil {
		return loc
	}
	return time.FixedZone("EST", -5*3600)
})
