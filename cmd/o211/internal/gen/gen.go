// Package gen generates a realistic synthetic Ontario 211 directory: every
// region of the province, organizations with several services and sites at
// real forward sortation areas, 211 HSIS taxonomy codes, opening hours,
// languages, age limits and verification dates, about one record in six in
// French. It writes HSDS rows, streamed to a function or into an HSDS
// tabular datapackage. GenerateContacts draws a stream of contacts of the
// same province (see contacts.go for their conventions).
//
// Output is deterministic: the same Options give the same rows in the same
// order, and WriteDatapackage byte-identical files. Each organization is
// drawn from its own random stream, keyed by its region and position, so
// that one region's rows are generated without the rest of the province:
// Options.Region gives exactly the rows of the whole province that belong
// to that region, while Options.Services stays the province total ("--region
// east --services 60000" gives the east's share of a 60,000-service
// province).
//
// The conventions of the generated data:
//   - Services are shared among the regions in proportion to their number
//     of FSAs in ontario-fsa.csv (largest remainder).
//   - Taxonomy: one taxonomy row (taxonomy.TaxonomyRow) and a taxonomy_term
//     row for every term node/taxonomy knows, with ids from taxonomy.TermID;
//     these are shared reference data and are emitted with region "". A
//     service links 1 to 4 terms through attribute rows (link_entity
//     "service", link_type "service_type", or "target_population" for Y
//     terms). French records link the same codes as English ones.
//   - Schedules are weekly (or monthly: byday "3SA") iCalendar rules in
//     local Toronto time without an offset; a service open around the clock
//     has byday MO..SU, opens_at "00:00" and closes_at "23:59". Seasonal
//     services have valid_from and valid_to.
//   - A service's first language row is the language its record is written
//     in ("en" or "fr"); the others are further languages it is offered in.
//   - Phones are "voice", "fax", "text" (SMS) or "textphone" (TTY, the
//     RFC 6350 name that HSDS uses).
//   - Web sites and e-mail addresses are under example.org, so that none
//     reaches a real organization.
package gen

import (
	"fmt"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/tabular"
	"github.com/o211/o211/node/taxonomy"
)

// DefaultServices is the number of services generated when
// Options.Services is 0.
const DefaultServices = 6000

// DefaultNow is the reference date used when Options.Now is zero. It is
// fixed, not the clock, so that output does not change from day to day.
var DefaultNow = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Options say what to generate.
type Options struct {
	// Services is the number of services of the whole province, also when
	// Region is set; 0 means DefaultServices.
	Services int
	// Seed selects the directory; the same seed gives the same output.
	Seed int64
	// Region, when set, keeps only the rows of that region (a region id of
	// geo.Regions), and the shared taxonomy rows.
	Region string
	// Now is the reference date: verification dates fall in the three years
	// before it, seasonal hours in its year. Zero means DefaultNow.
	Now time.Time
}

// Stats count what was generated.
type Stats struct {
	// Organizations, Services and Locations count those rows.
	Organizations int
	Services      int
	Locations     int
	// French counts the services whose record is written in French.
	French int
	// Rows counts the rows of each table.
	Rows map[o211.Kind]int
	// Regions counts the services of each region.
	Regions map[string]int
}

func (s *Stats) add(region string, obj o211.Object) {
	k := obj.ObjectKind()
	s.Rows[k]++
	switch k {
	case o211.KindOrganization:
		s.Organizations++
	case o211.KindService:
		s.Services++
		s.Regions[region]++
	case o211.KindLocation:
		s.Locations++
	}
}

// Generate draws the directory described by opts and passes every row to
// emit with the id of the region that owns it ("" for the shared taxonomy
// rows). Rows come in an order where every row follows the rows it refers
// to. It returns an EINVALID *o211.Error for a negative count or an unknown
// region, and the first error emit returns, wrapped.
func Generate(opts Options, emit func(region string, obj o211.Object) error) (Stats, error) {
	st := Stats{Rows: map[o211.Kind]int{}, Regions: map[string]int{}}
	if opts.Services < 0 {
		return st, o211.Errorf(o211.EINVALID, "gen: services must not be negative, got %d", opts.Services)
	}
	if opts.Services == 0 {
		opts.Services = DefaultServices
	}
	if opts.Now.IsZero() {
		opts.Now = DefaultNow
	}
	p := newPlan(opts.Seed, opts.Services)
	only := -1
	if opts.Region != "" {
		for i, r := range regions {
			if r.ID == opts.Region {
				only = i
			}
		}
		if only < 0 {
			return st, o211.Errorf(o211.EINVALID, "gen: unknown region %q", opts.Region)
		}
	}
	put := func(region string, obj o211.Object) error {
		st.add(region, obj)
		if err := emit(region, obj); err != nil {
			return fmt.Errorf("gen: %s %s: %w", obj.ObjectKind(), obj.ObjectID(), err)
		}
		return nil
	}
	if err := put("", taxonomy.TaxonomyRow()); err != nil {
		return st, err
	}
	for _, t := range taxonomy.All() {
		row, _ := taxonomy.TermRow(t.Code)
		if err := put("", row); err != nil {
			return st, err
		}
	}
	for _, op := range p.orgs {
		if only >= 0 && op.region != only {
			continue
		}
		g := newOrgGen(opts, p, op, put)
		if err := g.run(); err != nil {
			return st, err
		}
		st.French += g.frenchServices
	}
	return st, nil
}

// WriteDatapackage writes the directory described by opts into dir as an
// HSDS tabular datapackage (one CSV file per table and datapackage.json).
// It returns the errors of Generate and those of creating and writing the
// files.
func WriteDatapackage(dir string, opts Options) (Stats, error) {
	w, err := tabular.NewWriter(dir)
	if err != nil {
		return Stats{}, err
	}
	w.Name = "o211-synthetic-ontario"
	if opts.Region != "" {
		w.Name = "o211-synthetic-" + opts.Region
	}
	w.Title = fmt.Sprintf("o211 synthetic 211 directory (seed %d)", opts.Seed)
	st, err := Generate(opts, func(_ string, obj o211.Object) error { return w.Write(obj) })
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("gen: %w", cerr)
	}
	return st, err
}
