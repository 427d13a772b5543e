package report

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/params"
)

// request is a parsed report request: the query every report shares, the
// output format and the reader of the report's own parameters.
type request struct {
	r       *http.Request
	p       *params.Reader
	now     time.Time
	today   int32 // in Toronto
	query   Query
	applied map[string][]string
	csv     bool
}

// filterParams are the filter parameters every report accepts.
var filterParams = []string{"region", "fsa", "taxonomy", "met", "reason", "channel", "age_band", "language", "emergency"}

// reportParams are the parameters of each report beyond the common ones.
var reportParams = map[string][]string{
	"needs":    {"by", "level", "measure"},
	"unmet":    {"by", "level"},
	"top":      {"level", "n"},
	"emerging": {"week", "baseline", "level", "min_count", "alpha", "limit"},
	"gaps":     {"level", "radius_km", "min_unmet", "min_rate", "max_services", "limit"},
}

// commonParams returns the parameters report name shares with the others.
func commonParams(name string) []string {
	p := []string{"format", "lang", "suppress"}
	if name != "emerging" {
		p = append(p, "from", "to")
	}
	return append(p, filterParams...)
}

// parse reads the parameters every report shares and refuses parameters
// that report name does not know. The report's own parameters are read
// from rq.p by its handler, which then checks rq.p.Err().
func (s *server) parse(r *http.Request, name string) (*request, error) {
	p := params.New(r)
	p.Only("the "+name+" report", append(commonParams(name), reportParams[name]...)...)
	now := s.now()
	rq := &request{r: r, p: p, now: now, today: dayOf(now, s.loc), applied: map[string][]string{}}
	rq.parseOutput()
	rq.query.Protection = s.cfg.Protection
	if !p.Bool("suppress", true) {
		rq.query.Protection = Exact
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if rq.query.Protection == Exact && !s.cfg.AllowUnsuppressed {
		return nil, &o211.Error{Code: o211.EFORBIDDEN, Field: "suppress",
			Message: "suppress: this server publishes figures with small counts suppressed only"}
	}
	// The default period: the last twelve months, today included.
	rq.query.To = rq.today
	y, m, d := civilFromDays(rq.query.To)
	rq.query.From = dayOf(time.Date(y-1, time.Month(m), d+1, 12, 0, 0, 0, time.UTC), time.UTC)
	if t, ok := p.Date("from"); ok {
		rq.query.From = dayOf(t, time.UTC)
	}
	if t, ok := p.Date("to"); ok {
		rq.query.To = dayOf(t, time.UTC)
	}
	rq.parseFilters()
	if err := p.Err(); err != nil {
		return nil, err
	}
	return rq, rq.query.check()
}

// parseOutput reads the format and the language of names.
func (rq *request) parseOutput() {
	p := rq.p
	switch p.OneOf("format", "", "json", "csv") {
	case "csv":
		rq.csv = true
	case "":
		rq.csv = !p.Has("format") && acceptsCSV(rq.r.Header.Get("Accept"))
	}
	switch l := strings.ToLower(p.Str("lang", 16)); {
	case l == "" || l == "en" || strings.HasPrefix(l, "en-"):
	case l == "fr" || strings.HasPrefix(l, "fr-"):
		rq.query.Lang = "fr"
	default:
		p.Fail("lang", params.Quote(l)+" is not a language of the reports; use en or fr")
	}
}

// acceptsCSV reports whether an Accept header prefers text/csv to JSON.
func acceptsCSV(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.TrimSpace(mt) {
		case "text/csv":
			return true
		case "application/json", "*/*":
			return false
		}
	}
	return false
}

// filterSpec says how to read one filter parameter.
type filterSpec struct {
	name  string
	dst   func(*Filters) *[]string
	norm  func(string) string
	valid func(string) bool
	want  string
	none  string // the word for "" ("unknown", "none"), or no word
}

var filterSpecs = []filterSpec{
	{"region", func(f *Filters) *[]string { return &f.Region }, nil, o211.ValidRegionID, "a region id (lower-case letters, digits and hyphens)", ""},
	{"fsa", func(f *Filters) *[]string { return &f.FSA }, strings.ToUpper, o211.ValidFSA, "a forward sortation area (A1A), or unknown", "unknown"},
	{"taxonomy", func(f *Filters) *[]string { return &f.Taxonomy }, nil, validTerm, "a 211 taxonomy code of one term (BD-1800; no *)", ""},
	{"reason", func(f *Filters) *[]string { return &f.Reason }, nil, oneOf(o211.UnmetReasons), "one of " + joinValues(o211.UnmetReasons), ""},
	{"channel", func(f *Filters) *[]string { return &f.Channel }, nil, oneOf(o211.Channels), "one of " + joinValues(o211.Channels), ""},
	{"age_band", func(f *Filters) *[]string { return &f.AgeBand }, nil, oneOf(o211.AgeBands), "one of " + joinValues(o211.AgeBands) + ", or unknown", "unknown"},
	{"language", func(f *Filters) *[]string { return &f.Language }, strings.ToLower, o211.ValidLanguage, "an ISO 639 code of two or three letters, or unknown", "unknown"},
	{"emergency", func(f *Filters) *[]string { return &f.Emergency }, nil, o211.ValidTag, "an emergency tag, or none", "none"},
}

// parseFilters reads and checks the filter parameters.
func (rq *request) parseFilters() {
	f := &rq.query.Filters
	for _, sp := range filterSpecs {
		vals := rq.p.List(sp.name, 128)
		if len(vals) == 0 {
			continue
		}
		out := make([]string, 0, len(vals))
		for _, v := range vals {
			if sp.norm != nil {
				v = sp.norm(v)
			}
			switch {
			case sp.none != "" && strings.EqualFold(v, sp.none):
				out = append(out, "")
			case !sp.valid(v):
				rq.p.Fail(sp.name, params.Quote(v)+" is not "+sp.want)
				return
			default:
				out = append(out, v)
			}
		}
		*sp.dst(f) = out
		rq.applied[sp.name] = vals
	}
	if rq.p.Get("met") != "" {
		b := rq.p.Bool("met", false)
		f.Met = &b
		rq.applied["met"] = []string{map[bool]string{true: "true", false: "false"}[b]}
	}
}

func validTerm(s string) bool { return !strings.Contains(s, "*") && o211.ValidTaxonomyCode(s) }

func oneOf[T ~string](vals []T) func(string) bool {
	return func(s string) bool { return slices.Contains(vals, T(s)) }
}

func joinValues[T ~string](vals []T) string {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// level reads the taxonomy level parameter.
func (rq *request) level(def int) int { return rq.p.Int("level", def, 1, MaxLevel) }

// dims reads a list of dimensions ("category" is taxonomy at level 1).
func (rq *request) dims(param string, def []string, most int, level int) []Group {
	names := rq.p.List(param, 32)
	if len(names) == 0 {
		names = def
	}
	if len(names) > most {
		rq.p.Fail(param, "group by at most "+strconv.Itoa(most)+" dimensions, not "+strconv.Itoa(len(names)))
		return nil
	}
	var out []Group
	for _, n := range names {
		g := Group{Level: level}
		switch {
		case n == "category":
			g = Group{Dim: DimTaxonomy, Level: 1}
		default:
			i := slices.Index(dimNames[:], n)
			if i < 0 {
				rq.p.Fail(param, params.Quote(n)+" is not a dimension; use "+strings.Join(dimNames[:], ", ")+" or category")
				return nil
			}
			g.Dim = Dim(i)
		}
		for _, o := range out {
			if o.Dim == g.Dim {
				rq.p.Fail(param, g.Dim.String()+" is given twice (category is taxonomy at level 1)")
				return nil
			}
		}
		out = append(out, g)
	}
	return out
}
