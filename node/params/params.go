// Package params reads the query parameters of an HTTP request for the
// JSON APIs of nodes and hubs (search, HSDS, imports, reports). Each read
// checks one parameter; every problem is collected with the parameter's
// name, and Err returns them together as one EINVALID error, so that a
// caller learns everything wrong with a request at once. Messages quote at
// most a short prefix of what was sent.
package params

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/o211/o211"
)

// Reader reads the query parameters of one request.
type Reader struct {
	q        url.Values
	problems []o211.InputProblem
}

// New returns a Reader of the query of r.
func New(r *http.Request) *Reader { return &Reader{q: r.URL.Query()} }

// FromValues returns a Reader of q.
func FromValues(q url.Values) *Reader { return &Reader{q: q} }

// Has reports whether the parameter was sent, even empty.
func (p *Reader) Has(name string) bool { return p.q.Has(name) }

// Get returns the parameter as sent (its first value), or "".
func (p *Reader) Get(name string) string { return p.q.Get(name) }

// Fail records a problem with the parameter. A name that came from the
// request (an unknown parameter) is kept to a short valid prefix.
func (p *Reader) Fail(name, reason string) {
	p.problems = append(p.problems, o211.InputProblem{Field: short(name), Reason: reason})
}

// short returns v as valid UTF-8, cut to maxEcho bytes.
func short(v string) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	if len(v) <= maxEcho {
		return v
	}
	cut := maxEcho
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut] + "…"
}

// Err returns an EINVALID error listing every problem, or nil.
func (p *Reader) Err() error {
	if len(p.problems) == 0 {
		return nil
	}
	first := p.problems[0]
	msg := first.Field + ": " + first.Reason
	if len(p.problems) > 1 {
		msg = strconv.Itoa(len(p.problems)) + " query parameters are invalid; first: " + msg
	}
	return &o211.Error{Code: o211.EINVALID, Field: first.Field, Message: msg, Problems: p.problems}
}

// maxEcho is the longest prefix of a value that a message quotes.
const maxEcho = 40

// Quote returns v quoted for a message, cut to a short prefix.
func Quote(v string) string {
	if len(v) > maxEcho {
		cut := maxEcho
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		return strconv.Quote(v[:cut]) + "…"
	}
	return strconv.Quote(v)
}

// Only records a problem for the first parameter sent that is not in
// known (in sorted order, so that the answer is stable); what tells the
// caller what it was asking for (e.g. "the needs report").
func (p *Reader) Only(what string, known ...string) {
	var unknown []string
	for k := range p.q {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return
	}
	sort.Strings(unknown)
	sorted := slices.Clone(known)
	sort.Strings(sorted)
	p.Fail(unknown[0], what+" has no parameter "+Quote(unknown[0])+"; it takes "+strings.Join(sorted, ", "))
}

// Str returns the parameter, trimmed, or "". Values over maxLen bytes or
// not UTF-8 are problems.
func (p *Reader) Str(name string, maxLen int) string {
	v := strings.TrimSpace(p.q.Get(name))
	switch {
	case !utf8.ValidString(v):
		p.Fail(name, "is not valid UTF-8")
		return ""
	case len(v) > maxLen:
		p.Fail(name, "is longer than "+strconv.Itoa(maxLen)+" bytes")
		return ""
	}
	return v
}

// List returns the comma-separated values of a parameter, repeated or
// not, trimmed and each once, in the order given. Values over maxLen bytes
// or not UTF-8 are problems.
func (p *Reader) List(name string, maxLen int) []string {
	var out []string
	for _, v := range p.q[name] {
		if !utf8.ValidString(v) {
			p.Fail(name, "is not valid UTF-8")
			return nil
		}
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" || slices.Contains(out, s) {
				continue
			}
			if len(s) > maxLen {
				p.Fail(name, "has a value longer than "+strconv.Itoa(maxLen)+" bytes")
				return nil
			}
			out = append(out, s)
		}
	}
	return out
}

// ID returns the parameter as a record id, or "".
func (p *Reader) ID(name string) string {
	v := p.Str(name, o211.MaxIDLength+1)
	if v == "" {
		return ""
	}
	if err := o211.ValidID(name, v); err != nil {
		p.Fail(name, strings.TrimPrefix(o211.ErrorMessage(err), name+": "))
		return ""
	}
	return v
}

// Bool returns the parameter as true or false (also 1, 0, yes, no); absent
// or empty is def.
func (p *Reader) Bool(name string, def bool) bool {
	switch strings.ToLower(p.Str(name, 8)) {
	case "":
		return def
	case "false", "0", "no":
		return false
	case "true", "1", "yes":
		return true
	}
	p.Fail(name, "must be true or false, not "+Quote(p.q.Get(name)))
	return def
}

// Int returns the parameter as a whole number from min to max, or def when
// it is absent.
func (p *Reader) Int(name string, def, min, max int) int {
	v := p.Str(name, 20)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		limits := "from " + strconv.Itoa(min) + " to " + strconv.Itoa(max)
		if max >= 1<<20 {
			limits = "of " + strconv.Itoa(min) + " or more"
		}
		p.Fail(name, "must be a whole number "+limits+", not "+Quote(v))
		return def
	}
	return n
}

// Number returns the parameter as a number from min to max, and whether
// it was given.
func (p *Reader) Number(name string, min, max float64) (float64, bool) {
	v := p.Str(name, 32)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < min || f > max {
		p.Fail(name, "must be a number from "+strconv.FormatFloat(min, 'f', -1, 64)+" to "+
			strconv.FormatFloat(max, 'f', -1, 64)+", not "+Quote(v))
		return 0, false
	}
	return f, true
}

// timeFormats are the forms accepted for instants, most precise first.
// Forms without a zone are read in UTC.
var timeFormats = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", time.DateOnly}

// Instant returns the parameter as an RFC 3339 date-time or a date (the
// start of that day, UTC), or the zero time when absent.
func (p *Reader) Instant(name string) time.Time {
	v := p.Str(name, 64)
	if v == "" {
		return time.Time{}
	}
	for _, f := range timeFormats {
		if t, err := time.Parse(f, v); err == nil {
			return t
		}
	}
	p.Fail(name, "must be an RFC 3339 date-time (2024-05-01T09:30:00-04:00) or a date (2024-05-01), not "+Quote(v))
	return time.Time{}
}

// Date returns the parameter as a day of the form YYYY-MM-DD (midnight
// UTC), and whether it was given and valid.
func (p *Reader) Date(name string) (time.Time, bool) {
	v := p.Str(name, 32)
	if v == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		p.Fail(name, Quote(v)+" is not a day of the form YYYY-MM-DD")
		return time.Time{}, false
	}
	return t, true
}

// OneOf returns the parameter (lower-cased) when it is one of allowed, def
// when absent.
func (p *Reader) OneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(p.Str(name, 32))
	if v == "" {
		return def
	}
	if slices.Contains(allowed, v) {
		return v
	}
	p.Fail(name, "must be one of "+strings.Join(allowed, ", ")+", not "+Quote(p.q.Get(name)))
	return def
}
