package report

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/o211/o211"
)

// request is a parsed report request: its period, filters, output format
// and language, and the query string for the report's own parameters.
type request struct {
	r        *http.Request
	q        url.Values
	now      time.Time
	today    int32 // in Toronto
	from, to int32
	f        filters
	applied  map[string][]string
	lang     string
	csv      bool
	suppress bool
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

// maxPeriod is the longest period a report covers, in days.
const maxPeriod = 3660

// parse reads the parameters every report shares and refuses parameters
// that report name does not know.
func (s *server) parse(r *http.Request, name string) (*request, error) {
	q := r.URL.Query()
	known := append(commonParams(name), reportParams[name]...)
	var unknown []string
	for k := range q {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		sort.Strings(known)
		return nil, o211.FieldErrorf(unknown[0], "the %s report has no parameter %q; it takes %s", name, unknown[0], strings.Join(known, ", "))
	}
	now := s.now()
	rq := &request{r: r, q: q, now: now, today: dayOf(now, s.loc), applied: map[string][]string{}, lang: "en", suppress: true}

	switch f := q.Get("format"); f {
	case "json":
	case "csv":
		rq.csv = true
	case "":
		rq.csv = acceptsCSV(r.Header.Get("Accept"))
	default:
		return nil, o211.FieldErrorf("format", "%q is not a format; use json or csv", f)
	}
	switch l := strings.ToLower(q.Get("lang")); {
	case l == "" || l == "en" || strings.HasPrefix(l, "en-"):
	case l == "fr" || strings.HasPrefix(l, "fr-"):
		rq.lang = "fr"
	default:
		return nil, o211.FieldErrorf("lang", "%q is not a language of the reports; use en or fr", q.Get("lang"))
	}
	if v := q.Get("suppress"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, o211.FieldErrorf("suppress", "%q is not true or false", v)
		}
		if !b && !s.cfg.AllowUnsuppressed {
			return nil, &o211.Error{Code: o211.EFORBIDDEN, Field: "suppress",
				Message: "suppress: this server publishes figures with small counts suppressed only"}
		}
		rq.suppress = b
	}
	// The default period: the last twelve months, today included.
	rq.to = rq.today
	y, m, d := civilFromDays(rq.to)
	rq.from = dayOf(time.Date(y-1, time.Month(m), d+1, 12, 0, 0, 0, time.UTC), time.UTC)
	var err error
	if v := q.Get("from"); v != "" {
		if rq.from, err = DayNumber(v); err != nil {
			return nil, o211.FieldErrorf("from", "%q is not a day of the form YYYY-MM-DD", v)
		}
	}
	if v := q.Get("to"); v != "" {
		if rq.to, err = DayNumber(v); err != nil {
			return nil, o211.FieldErrorf("to", "%q is not a day of the form YYYY-MM-DD", v)
		}
	}
	if rq.from > rq.to {
		return nil, o211.FieldErrorf("from", "the period starts (%s) after it ends (%s)", DayString(rq.from), DayString(rq.to))
	}
	if rq.to-rq.from >= maxPeriod {
		return nil, o211.FieldErrorf("from", "the period is longer than %d days; ask for ten years or less", maxPeriod)
	}
	if err := rq.parseFilters(); err != nil {
		return nil, err
	}
	return rq, nil
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

// list returns the comma-separated values of a parameter, repeated or not.
func (rq *request) list(name string) []string {
	var out []string
	for _, v := range rq.q[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// parseFilters reads and checks the filter parameters.
func (rq *request) parseFilters() error {
	f := &rq.f
	type spec struct {
		name  string
		dst   *[]string
		norm  func(string) string
		valid func(string) bool
		want  string
	}
	specs := []spec{
		{"region", &f.Region, nil, o211.ValidRegionID, "a region id (lower-case letters, digits and hyphens)"},
		{"fsa", &f.FSA, strings.ToUpper, o211.ValidFSA, "a forward sortation area (A1A), or unknown"},
		{"taxonomy", &f.Taxonomy, nil, validTerm, "a 211 taxonomy code of one term (BD-1800; no *)"},
		{"reason", &f.Reason, nil, oneOf(o211.UnmetReasons), "one of " + joinValues(o211.UnmetReasons)},
		{"channel", &f.Channel, nil, oneOf(o211.Channels), "one of " + joinValues(o211.Channels)},
		{"age_band", &f.AgeBand, nil, oneOf(o211.AgeBands), "one of " + joinValues(o211.AgeBands) + ", or unknown"},
		{"language", &f.Language, strings.ToLower, o211.ValidLanguage, "an ISO 639 code of two or three letters, or unknown"},
		{"emergency", &f.Emergency, nil, o211.ValidTag, "an emergency tag, or none"},
	}
	for _, sp := range specs {
		vals := rq.list(sp.name)
		if len(vals) == 0 {
			continue
		}
		out := make([]string, 0, len(vals))
		for _, v := range vals {
			if sp.norm != nil {
				v = sp.norm(v)
			}
			switch {
			case strings.EqualFold(v, "unknown") && (sp.name == "fsa" || sp.name == "age_band" || sp.name == "language"),
				v == "none" && sp.name == "emergency":
				out = append(out, "")
				continue
			case !sp.valid(v):
				return o211.FieldErrorf(sp.name, "%q is not %s", v, sp.want)
			}
			out = append(out, v)
		}
		*sp.dst = out
		rq.applied[sp.name] = vals
	}
	if v := rq.q.Get("met"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return o211.FieldErrorf("met", "%q is not true or false", v)
		}
		f.Met = &b
		rq.applied["met"] = []string{strconv.FormatBool(b)}
	}
	return nil
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

// intParam returns an integer parameter within [lo, hi], or def when absent.
func (rq *request) intParam(name string, def, lo, hi int) (int, error) {
	v := rq.q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, o211.FieldErrorf(name, "%q is not a whole number from %d to %d", v, lo, hi)
	}
	return n, nil
}

// floatParam returns a number parameter within [lo, hi], or def when absent.
func (rq *request) floatParam(name string, def, lo, hi float64) (float64, error) {
	v := rq.q.Get(name)
	if v == "" {
		return def, nil
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || x != x || x < lo || x > hi {
		return 0, o211.FieldErrorf(name, "%q is not a number from %g to %g", v, lo, hi)
	}
	return x, nil
}

// maxLevel is the deepest taxonomy level a report groups by.
const maxLevel = 6

// level returns the taxonomy level parameter.
func (rq *request) level(def int) (int, error) {
	return rq.intParam("level", def, 1, maxLevel)
}

// parseDims reads a list of dimensions ("category" is taxonomy at level 1).
func (rq *request) parseDims(param string, def []string, most int, level int) ([]group, error) {
	names := rq.list(param)
	if len(names) == 0 {
		names = def
	}
	if len(names) > most {
		return nil, o211.FieldErrorf(param, "group by at most %d dimensions, not %d", most, len(names))
	}
	var out []group
	for _, n := range names {
		g := group{Level: level}
		switch {
		case n == "category":
			g = group{Dim: dimTaxonomy, Level: 1}
		default:
			i := slices.Index(dimNames[:], n)
			if i < 0 {
				return nil, o211.FieldErrorf(param, "%q is not a dimension; use %s or category", n, strings.Join(dimNames[:], ", "))
			}
			g.Dim = dim(i)
		}
		for _, o := range out {
			if o.Dim == g.Dim {
				return nil, o211.FieldErrorf(param, "%s is given twice (category is taxonomy at level 1)", g.Dim)
			}
		}
		out = append(out, g)
	}
	return out, nil
}
