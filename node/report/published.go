package report

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/node/params"
)

// The published tables are what anyone may read without an account: a
// fixed set of tables over a fixed period, the twelve complete calendar
// months before the current one (in Toronto), perturbed like every report
// and with small counts withheld. They take no filter and no period, so
// the whole set a reader can ever obtain in a month is these tables, and
// no two of them count sets of records that differ by a few contacts
// except through perturbed totals (the adversary test checks them
// together). The next month's set overlaps this one by eleven months;
// the difference of the two is two months of a table's counts, each
// perturbed.
var publishedTables = []struct {
	name, title string
	run         func(c *Cube, q Query) (output, error)
}{
	{"needs-by-region", "Needs by region and category", func(c *Cube, q Query) (output, error) {
		return Needs(c, NeedsQuery{Query: q, By: []Group{{Dim: DimRegion}, {Dim: DimTaxonomy, Level: 1}}})
	}},
	{"contacts-by-month", "Contacts by month and channel", func(c *Cube, q Query) (output, error) {
		return Needs(c, NeedsQuery{Query: q, Contacts: true, By: []Group{{Dim: DimMonth}, {Dim: DimChannel}}})
	}},
	{"top-needs", "The ten most frequent needs at level 2", func(c *Cube, q Query) (output, error) {
		return Top(c, TopQuery{Query: q, Level: 2, N: 10})
	}},
	{"unmet-by-region", "Unmet needs by reason and region, with the unmet rate", func(c *Cube, q Query) (output, error) {
		return Unmet(c, UnmetQuery{Query: q, By: Group{Dim: DimRegion}})
	}},
}

// PublishedPeriod returns the period of the published tables at now: the
// twelve complete calendar months before now's month, in Toronto.
func PublishedPeriod(now time.Time) (from, to int32) {
	mi := monthIndex(dayOf(now, o211.Toronto()))
	return monthStart(mi - 12), monthStart(mi) - 1
}

// published answers GET /api/v1/reports/published/{name}.
func (s *server) published(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	for _, pt := range publishedTables {
		if pt.name != name {
			continue
		}
		p := params.New(r)
		p.Only("a published table", "format", "lang")
		rq := &request{r: r, p: p, now: s.now(), applied: map[string][]string{}}
		rq.parseOutput()
		if err := p.Err(); err != nil {
			s.writeProblem(w, r, err)
			return
		}
		q := Query{Lang: rq.query.Lang, Protection: s.cfg.Protection}
		if q.Protection == Exact {
			q.Protection = Perturbed // published tables are never exact
		}
		q.From, q.To = PublishedPeriod(rq.now)
		out, err := pt.run(s.cfg.Cube, q)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		out.meta().Report = "published/" + name
		s.write(w, r, rq, "published-"+name, out)
		return
	}
	s.writeProblem(w, r, o211.Errorf(o211.ENOTFOUND, "There is no published table of that name; GET /api/v1/reports/published lists them."))
}

// publishedIndex answers GET /api/v1/reports/published.
func (s *server) publishedIndex(w http.ResponseWriter, r *http.Request) {
	type table struct {
		Name  string `json:"name"`
		Path  string `json:"path"`
		Title string `json:"title"`
	}
	from, to := PublishedPeriod(s.now())
	var list []table
	for _, pt := range publishedTables {
		list = append(list, table{pt.name, "/api/v1/reports/published/" + pt.name, pt.title})
	}
	writeJSON(w, map[string]any{"scope": s.cfg.Scope, "from": DayString(from), "to": DayString(to), "tables": list})
}
