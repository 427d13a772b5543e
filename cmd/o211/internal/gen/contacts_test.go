package gen_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/cmd/o211/internal/gen"
	"github.com/o211/o211/node/geo"
	"github.com/o211/o211/node/taxonomy"
)

// monday is the first day of the periods the tests generate.
var monday = time.Date(2026, time.March, 2, 0, 0, 0, 0, time.UTC)

// mustContacts returns the contacts that cfg describes.
func mustContacts(tb testing.TB, cfg gen.ContactsConfig) []*o211.Contact {
	tb.Helper()
	var out []*o211.Contact
	if err := gen.GenerateContacts(cfg, func(c *o211.Contact) error {
		out = append(out, c)
		return nil
	}); err != nil {
		tb.Fatalf("GenerateContacts: %v", err)
	}
	return out
}

// ndjson returns the contacts that cfg describes, one JSON a line.
func ndjson(tb testing.TB, cfg gen.ContactsConfig) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if err := gen.GenerateContacts(cfg, func(c *o211.Contact) error { return enc.Encode(c) }); err != nil {
		tb.Fatalf("GenerateContacts: %v", err)
	}
	return buf.Bytes()
}

func TestGenerateContacts_Deterministic(t *testing.T) {
	cfg := gen.ContactsConfig{Seed: 7, Start: monday, Days: 3, PerDay: 800}
	a, b := ndjson(t, cfg), ndjson(t, cfg)
	if !bytes.Equal(a, b) {
		t.Fatal("the same config gave different output")
	}
	if len(a) == 0 {
		t.Fatal("no output")
	}
	cfg.Seed = 8
	if bytes.Equal(a, ndjson(t, cfg)) {
		t.Fatal("seeds 7 and 8 gave the same output")
	}

	t.Run("RegionAlone", func(t *testing.T) {
		// A region generated alone has exactly its contacts of the province.
		var want [][]byte
		for _, line := range bytes.SplitAfter(a, []byte("\n")) {
			if bytes.Contains(line, []byte(`"region":"east"`)) {
				want = append(want, line)
			}
		}
		cfg := gen.ContactsConfig{Seed: 7, Start: monday, Days: 3, PerDay: 800, Regions: []string{"east"}}
		if got := ndjson(t, cfg); !bytes.Equal(got, bytes.Join(want, nil)) {
			t.Fatalf("east alone: %d bytes, want the province's %d east lines", len(got), len(want))
		}
	})
	t.Run("OverlappingPeriods", func(t *testing.T) {
		// A day's contacts do not depend on the period it is generated in.
		cfg := gen.ContactsConfig{Seed: 7, Start: monday.AddDate(0, 0, 2), Days: 1, PerDay: 800}
		got := ndjson(t, cfg)
		if !bytes.HasSuffix(a, got) {
			t.Fatal("the third day alone differs from the third day of three")
		}
	})
	t.Run("SameWithoutReferrals", func(t *testing.T) {
		// Referrals draw from their own stream: the rest is unchanged.
		cfg := gen.ContactsConfig{Seed: 7, Start: monday, Days: 1, PerDay: 300}
		plain := mustContacts(t, cfg)
		cfg.Referrals = func(region, code string, _ *rand.Rand) (o211.Referral, bool) {
			return o211.Referral{ServiceID: "s-" + region}, true
		}
		with := mustContacts(t, cfg)
		if len(plain) != len(with) {
			t.Fatalf("%d contacts with referrals, %d without", len(with), len(plain))
		}
		for i := range plain {
			c := *with[i]
			c.Referrals = plain[i].Referrals
			// The notes count the referrals; what comes before is the same.
			if before, _, _ := strings.Cut(c.Notes, ". "); c.Notes != plain[i].Notes && !strings.HasPrefix(plain[i].Notes, before+". ") {
				t.Fatalf("contact %d: notes %q, %q without referrals", i, c.Notes, plain[i].Notes)
			}
			c.Notes = plain[i].Notes
			if !reflect.DeepEqual(&c, plain[i]) {
				t.Fatalf("contact %d differs beyond its referrals:\n%+v\n%+v", i, with[i], plain[i])
			}
		}
	})
}

// TestGenerateContacts_Valid checks a large sample: every contact passes
// Validate, is closed, in its region's FSAs, with codes node/taxonomy
// knows; and the shares of unmet needs, French callers and phone calls.
func TestGenerateContacts_Valid(t *testing.T) {
	cs := mustContacts(t, gen.ContactsConfig{Seed: 3, Start: monday, Days: 14})
	if len(cs) < 15000 {
		t.Fatalf("%d contacts in two weeks, want about 19,600", len(cs))
	}
	var needs, unmet, french, phone, crisis, followUps, notes, names int
	ids := map[string]bool{}
	for i, c := range cs {
		if err := c.Validate(); err != nil {
			t.Fatalf("contact %d: %v\n%+v", i, err, c)
		}
		n := *c
		n.Caller = c.Caller
		n.Needs = append([]o211.Need(nil), c.Needs...)
		n.Normalize()
		if !reflect.DeepEqual(&n, c) {
			t.Fatalf("contact %d changes when normalized:\n%+v\n%+v", i, c, &n)
		}
		if ids[c.ID] {
			t.Fatalf("contact %d: id %s twice", i, c.ID)
		}
		ids[c.ID] = true
		if _, ok := geo.RegionByID(c.Region); !ok {
			t.Fatalf("contact %d: region %q", i, c.Region)
		}
		if c.Status != o211.ContactClosed || c.End == nil || !c.End.After(c.Start) || c.End.Sub(c.Start) > 3*time.Hour {
			t.Fatalf("contact %d: status %s, start %v, end %v; want closed a few minutes after it started", i, c.Status, c.Start, c.End)
		}
		if i > 0 && c.Start.Before(cs[i-1].Start) {
			t.Fatalf("contact %d starts at %v, before the one before it (%v)", i, c.Start, cs[i-1].Start)
		}
		if pc := c.Caller.PostalCode; pc != "" {
			if f, ok := geo.LookupFSA(o211.FSAOf(pc)); !ok || f.Region != c.Region {
				t.Fatalf("contact %d of %s: postal code %q is not in the region", i, c.Region, pc)
			}
		}
		if !strings.HasPrefix(c.Navigator, "nav-"+c.Region+"-") {
			t.Fatalf("contact %d of %s: navigator %q", i, c.Region, c.Navigator)
		}
		if len(c.Needs) < 1 || len(c.Needs) > 3 {
			t.Fatalf("contact %d: %d needs, want 1 to 3", i, len(c.Needs))
		}
		for _, n := range c.Needs {
			if _, ok := taxonomy.Lookup(n.Code); !ok {
				t.Fatalf("contact %d: need %q is not a code node/taxonomy knows", i, n.Code)
			}
			needs++
			if n.Status == o211.NeedUnmet {
				unmet++
			}
		}
		if c.Emergency != "" || len(c.Referrals) != 0 {
			t.Fatalf("contact %d: emergency %q and %d referrals without a surge or a directory", i, c.Emergency, len(c.Referrals))
		}
		if c.Caller.Language == "fr" {
			french++
		}
		if c.Channel == o211.ChannelPhone {
			phone++
		}
		if c.Crisis {
			crisis++
		}
		if c.FollowUp != nil {
			followUps++
			due, _ := time.Parse(time.DateOnly, c.FollowUp.Due)
			if d := due.Sub(dateOf(c.Start)); d < 2*24*time.Hour || d > 10*24*time.Hour {
				t.Fatalf("contact %d of %v: follow-up due %s", i, c.Start, c.FollowUp.Due)
			}
		}
		if c.Notes != "" {
			notes++
			if c.Caller.FirstName != "" && !strings.Contains(c.Notes, c.Caller.FirstName) {
				t.Fatalf("contact %d: notes %q do not name %s", i, c.Notes, c.Caller.FirstName)
			}
		}
		if c.Caller.FirstName != "" {
			names++
		}
	}
	share := func(n, of int) float64 { return float64(n) / float64(of) }
	for _, tc := range []struct {
		name     string
		got      float64
		min, max float64
	}{
		{"unmet needs", share(unmet, needs), 0.03, 0.07},
		{"French callers", share(french, len(cs)), 0.14, 0.19},
		{"phone contacts", share(phone, len(cs)), 0.65, 0.75},
		{"crisis contacts", share(crisis, len(cs)), 0.002, 0.03},
		{"follow-ups", share(followUps, len(cs)), 0.05, 0.3},
		{"notes", share(notes, len(cs)), 0.75, 0.95},
		{"named callers", share(names, len(cs)), 0.6, 0.95},
	} {
		if tc.got < tc.min || tc.got > tc.max {
			t.Errorf("%s: %.3f, want %.2f to %.2f", tc.name, tc.got, tc.min, tc.max)
		}
	}
}

func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// TestGenerateContacts_Volume checks the daily average, the weekly rhythm
// over four weeks and the daily one.
func TestGenerateContacts_Volume(t *testing.T) {
	const perDay, days = 1400, 28
	cs := mustContacts(t, gen.ContactsConfig{Seed: 11, Start: monday, Days: days, PerDay: perDay})
	byWeekday := map[time.Weekday]int{}
	byHour := make([]int, 24)
	byRegion := map[string]int{}
	for _, c := range cs {
		local := c.Start.In(o211.Toronto())
		byWeekday[local.Weekday()]++
		byHour[local.Hour()]++
		byRegion[c.Region]++
	}
	if avg := float64(len(cs)) / days; avg < 0.9*perDay || avg > 1.12*perDay {
		t.Errorf("%.0f contacts a day, want about %d", avg, perDay)
	}
	if mon, sun := byWeekday[time.Monday], byWeekday[time.Sunday]; float64(mon) < 1.2*float64(sun) {
		t.Errorf("%d contacts on Mondays, %d on Sundays: want Mondays well ahead", mon, sun)
	}
	if sat, wed := byWeekday[time.Saturday], byWeekday[time.Wednesday]; sat >= wed {
		t.Errorf("%d contacts on Saturdays, %d on Wednesdays: want weekends quieter", sat, wed)
	}
	if night, noon := byHour[3], byHour[11]; night == 0 || 5*night > noon {
		t.Errorf("%d contacts at 3 a.m., %d at 11 a.m.: want 211 open at night but quiet", night, noon)
	}
	if len(byRegion) != 6 || byRegion["central"] < 3*byRegion["east"] || byRegion["central-east"] > byRegion["north"] {
		t.Errorf("contacts by region %v: want all six, in proportion to their FSAs", byRegion)
	}
}

func TestGenerateContacts_Surge(t *testing.T) {
	surgeStart := monday.AddDate(0, 0, 7)
	base := gen.ContactsConfig{Seed: 5, Start: monday, Days: 14, PerDay: 1400}
	surged := base
	surged.Surge = &gen.Surge{Region: "north", Start: surgeStart, Days: 3, Factor: 4, Emergency: "2026-thunder-bay-flood"}
	count := func(cs []*o211.Contact) (inSurge, tagged, surgeNeeds int, unmet, needs int) {
		for _, c := range cs {
			day := dateOf(c.Start)
			during := c.Region == "north" && !day.Before(surgeStart) && day.Before(surgeStart.AddDate(0, 0, 3))
			if during {
				inSurge++
			}
			if c.Emergency != "" {
				if !during || c.Emergency != "2026-thunder-bay-flood" {
					t.Fatalf("contact of %s on %v tagged %q: want only north's in the surge, with its tag", c.Region, c.Start, c.Emergency)
				}
				tagged++
				for _, d := range gen.DefaultSurgeNeeds {
					if c.Needs[0].Code == d {
						surgeNeeds++
					}
				}
			}
			if during {
				for _, n := range c.Needs {
					needs++
					if n.Status == o211.NeedUnmet {
						unmet++
					}
				}
			}
		}
		return
	}
	plainIn, plainTagged, _, plainUnmet, plainNeeds := count(mustContacts(t, base))
	in, tagged, surgeNeeds, unmet, needs := count(mustContacts(t, surged))
	if plainTagged != 0 {
		t.Fatalf("%d contacts tagged without a surge", plainTagged)
	}
	if float64(in) < 3*float64(plainIn) || float64(in) > 5*float64(plainIn) {
		t.Errorf("north had %d contacts in the surge's days, %d without it: want about 4 times as many", in, plainIn)
	}
	if want := 0.75 * float64(in); float64(tagged) < 0.65*float64(in) || float64(tagged) > 0.85*float64(in) {
		t.Errorf("%d of the surge's %d contacts tagged, want about %.0f (its extra contacts)", tagged, in, want)
	}
	if surgeNeeds != tagged {
		t.Errorf("%d of the %d tagged contacts have a surge need first, want all", surgeNeeds, tagged)
	}
	if got, was := float64(unmet)/float64(needs), float64(plainUnmet)/float64(plainNeeds); got < 2*was {
		t.Errorf("unmet share in the surge %.3f, %.3f without it: want shelters full", got, was)
	}
}

func TestGenerateContacts_Errors(t *testing.T) {
	day := monday
	for _, tc := range []struct {
		name string
		cfg  gen.ContactsConfig
	}{
		{"ErrNegativeDays", gen.ContactsConfig{Days: -1}},
		{"ErrNegativePerDay", gen.ContactsConfig{PerDay: -5}},
		{"ErrUnknownRegion", gen.ContactsConfig{Regions: []string{"atlantis"}}},
		{"ErrSurgeRegion", gen.ContactsConfig{Surge: &gen.Surge{Region: "atlantis", Start: day, Factor: 2}}},
		{"ErrSurgeNoStart", gen.ContactsConfig{Surge: &gen.Surge{Region: "east", Factor: 2}}},
		{"ErrSurgeFactor", gen.ContactsConfig{Surge: &gen.Surge{Region: "east", Start: day, Factor: 0.5}}},
		{"ErrSurgeCode", gen.ContactsConfig{Surge: &gen.Surge{Region: "east", Start: day, Factor: 2, Needs: []string{"ZZ-9999"}}}},
		{"ErrSurgeTag", gen.ContactsConfig{Surge: &gen.Surge{Region: "east", Start: day, Factor: 2, Emergency: "Ice Storm!"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := gen.GenerateContacts(tc.cfg, func(*o211.Contact) error { return nil })
			if o211.ErrorCode(err) != o211.EINVALID {
				t.Fatalf("got %v, want an EINVALID error", err)
			}
		})
	}
	t.Run("ErrFromFn", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := gen.GenerateContacts(gen.ContactsConfig{PerDay: 100}, func(*o211.Contact) error {
			n++
			return stop
		})
		if !errors.Is(err, stop) || n != 1 {
			t.Fatalf("got %v after %d contacts, want fn's error after the first", err, n)
		}
	})
}

// TestGenerateContacts_Referrals refers to the services of a generated
// directory: every referral is a service at a location of the contact's
// region that offers one of its needs or a broader code.
func TestGenerateContacts_Referrals(t *testing.T) {
	var rows []o211.Object
	if _, err := gen.Generate(gen.Options{Services: 1500, Seed: 2}, func(_ string, obj o211.Object) error {
		rows = append(rows, obj)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	idx := gen.NewReferralIndex(rows)
	if idx.Sites() < 1500 {
		t.Fatalf("%d sites indexed, want at least one a service", idx.Sites())
	}
	sal := map[o211.Referral]bool{}
	locFSA := map[string]string{}
	codes := map[string][]string{}
	termCode := map[string]string{}
	for _, obj := range rows {
		switch o := obj.(type) {
		case *o211.ServiceAtLocation:
			sal[o211.Referral{ServiceID: o.ServiceID, LocationID: o.LocationID}] = true
		case *o211.Address:
			locFSA[o.LocationID] = o211.FSAOf(o.PostalCode)
		case *o211.TaxonomyTerm:
			termCode[o.ID] = o.Code
		case *o211.Attribute:
			if o.LinkType == "service_type" {
				codes[o.LinkID] = append(codes[o.LinkID], termCode[o.TaxonomyTermID])
			}
		}
	}
	cs := mustContacts(t, gen.ContactsConfig{Seed: 4, Start: monday, Days: 2, Referrals: idx.Pick})
	referred := 0
	for i, c := range cs {
		if len(c.Referrals) > 0 {
			referred++
		}
		for _, ref := range c.Referrals {
			if !sal[ref] {
				t.Fatalf("contact %d: referral %+v is not a service at a location of the directory", i, ref)
			}
			if f, _ := geo.LookupFSA(locFSA[ref.LocationID]); f.Region != c.Region {
				t.Fatalf("contact %d of %s: referral to a location in %s (%s)", i, c.Region, f.Region, f.Code)
			}
			if !offersANeed(codes[ref.ServiceID], c.Needs) {
				t.Fatalf("contact %d: service with codes %v offers none of the needs %+v", i, codes[ref.ServiceID], c.Needs)
			}
		}
	}
	if share := float64(referred) / float64(len(cs)); share < 0.7 {
		t.Errorf("%.2f of contacts have referrals, want most", share)
	}
}

// offersANeed reports whether a service code is a need's code, under it,
// or above it (from the second level down).
func offersANeed(serviceCodes []string, needs []o211.Need) bool {
	for _, n := range needs {
		for _, a := range o211.TaxonomyAncestors(n.Code)[1:] {
			for _, sc := range serviceCodes {
				if o211.TaxonomyMatches(sc, a) {
					return true
				}
			}
		}
	}
	return false
}
