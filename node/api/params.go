package api

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/o211/o211"
)

// params reads the query parameters of a request and collects every
// problem with them, each naming its parameter.
type params struct {
	q        url.Values
	problems []o211.Problem
}

// newParams reads the query of r.
func newParams(r *http.Request) *params { return &params{q: r.URL.Query()} }

// fail records a problem with the parameter.
func (p *params) fail(name, reason string) {
	p.problems = append(p.problems, o211.Problem{Field: name, Reason: reason})
}

// err returns an EINVALID error listing every problem, or nil.
func (p *params) err() error {
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

// str returns the parameter, trimmed, or "". Values over maxLen bytes or
// not UTF-8 are problems.
func (p *params) str(name string, maxLen int) string {
	v := strings.TrimSpace(p.q.Get(name))
	switch {
	case !utf8.ValidString(v):
		p.fail(name, "is not valid UTF-8")
		return ""
	case len(v) > maxLen:
		p.fail(name, "is longer than "+strconv.Itoa(maxLen)+" bytes")
		return ""
	}
	return v
}

// id returns the parameter as a record id, or "".
func (p *params) id(name string) string {
	v := p.str(name, o211.MaxIDLength+1)
	if v == "" {
		return ""
	}
	if err := o211.ValidID(name, v); err != nil {
		p.fail(name, strings.TrimPrefix(o211.ErrorMessage(err), name+": "))
		return ""
	}
	return v
}

// boolean returns the parameter as true or false (also 1, 0, yes, no);
// absent or empty is false.
func (p *params) boolean(name string) bool {
	switch strings.ToLower(p.str(name, 8)) {
	case "", "false", "0", "no":
		return false
	case "true", "1", "yes":
		return true
	}
	p.fail(name, "must be true or false, not "+strconv.Quote(p.q.Get(name)))
	return false
}

// integer returns the parameter as a whole number from min to max, or def
// when it is absent.
func (p *params) integer(name string, def, min, max int) int {
	v := p.str(name, 20)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		limits := "from " + strconv.Itoa(min) + " to " + strconv.Itoa(max)
		if max >= 1<<20 {
			limits = "of " + strconv.Itoa(min) + " or more"
		}
		p.fail(name, "must be a whole number "+limits+", not "+strconv.Quote(v))
		return def
	}
	return n
}

// number returns the parameter as a number from min to max, and whether
// it was given.
func (p *params) number(name string, min, max float64) (float64, bool) {
	v := p.str(name, 32)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < min || f > max {
		p.fail(name, "must be a number from "+strconv.FormatFloat(min, 'f', -1, 64)+" to "+
			strconv.FormatFloat(max, 'f', -1, 64)+", not "+strconv.Quote(v))
		return 0, false
	}
	return f, true
}

// timeFormats are the forms accepted for instants, most precise first.
// Forms without a zone are read in UTC.
var timeFormats = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", time.DateOnly}

// instant returns the parameter as an RFC 3339 date-time or a date (the
// start of that day, UTC), or the zero time when absent.
func (p *params) instant(name string) time.Time {
	v := p.str(name, 64)
	if v == "" {
		return time.Time{}
	}
	for _, f := range timeFormats {
		if t, err := time.Parse(f, v); err == nil {
			return t
		}
	}
	p.fail(name, "must be an RFC 3339 date-time (2024-05-01T09:30:00-04:00) or a date (2024-05-01), not "+strconv.Quote(v))
	return time.Time{}
}

// oneOf returns the parameter when it is one of allowed, def when absent.
func (p *params) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(p.str(name, 32))
	if v == "" {
		return def
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.fail(name, "must be one of "+strings.Join(allowed, ", ")+", not "+strconv.Quote(p.q.Get(name)))
	return def
}
