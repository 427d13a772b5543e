package o211

import (
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxIDLength is the longest id accepted for any record.
const MaxIDLength = 128

// ValidID returns an EINVALID *Error if id cannot name a record: empty,
// longer than MaxIDLength, or holding characters other than letters, digits
// and . _ : ~ -.
func ValidID(field, id string) error {
	switch {
	case id == "":
		return FieldErrorf(field, "is required")
	case len(id) > MaxIDLength:
		return FieldErrorf(field, "is longer than %d characters", MaxIDLength)
	case !idChars(id):
		return FieldErrorf(field, "%q holds characters other than letters, digits and . _ : ~ -", id)
	}
	return nil
}

// idChars reports whether id starts with a letter or digit and holds only
// letters, digits and . _ : ~ - (ids appear in keys, URLs and subjects).
func idChars(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == ':' || c == '~' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// checker collects the first problem found while validating a row.
type checker struct{ err error }

func (c *checker) fail(field, format string, args ...any) {
	if c.err == nil {
		c.err = FieldErrorf(field, format, args...)
	}
}

func (c *checker) id(id string) {
	if c.err == nil {
		c.err = ValidID("id", id)
	}
}

func (c *checker) ref(field, id string) {
	if id != "" && c.err == nil {
		c.err = ValidID(field, id)
	}
}

func (c *checker) required(field, v string) {
	if strings.TrimSpace(v) == "" {
		c.fail(field, "is required")
	}
}

func (c *checker) text(field, v string, max int) {
	if !utf8.ValidString(v) {
		c.fail(field, "is not valid UTF-8")
	} else if len(v) > max {
		c.fail(field, "is longer than %d bytes", max)
	}
}

func (c *checker) enum(field, v string, allowed ...string) {
	if v == "" {
		return
	}
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.fail(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
}

func (c *checker) date(field, v string) {
	if v == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		c.fail(field, "%q is not a date of the form YYYY-MM-DD", v)
	}
}

func (c *checker) dateTime(field, v string) {
	if v == "" {
		return
	}
	if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
		c.fail(field, "%q is not an RFC 3339 date-time", v)
	}
}

func (c *checker) email(field, v string) {
	if v == "" {
		return
	}
	if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
		c.fail(field, "%q is not an e-mail address", v)
	}
}

func (c *checker) uri(field, v string) {
	if v == "" {
		return
	}
	if u, err := url.Parse(v); err != nil || u.Scheme == "" {
		c.fail(field, "%q is not an absolute URI", v)
	}
}

func (c *checker) between(field string, v *float64, lo, hi float64) {
	if v != nil && (*v < lo || *v > hi) {
		c.fail(field, "%v is outside %v..%v", *v, lo, hi)
	}
}

var clockPattern = regexp.MustCompile(`^([01][0-9]|2[0-4]):[0-5][0-9](:[0-5][0-9])?(Z|[+-][0-9]{2}:?[0-9]{2})?$`)

func (c *checker) clock(field, v string) {
	if v != "" && !clockPattern.MatchString(v) {
		c.fail(field, "%q is not a time of day of the form HH:MM", v)
	}
}

var weekdays = map[string]bool{"MO": true, "TU": true, "WE": true, "TH": true, "FR": true, "SA": true, "SU": true}

func (c *checker) byday(field, v string) {
	if v == "" {
		return
	}
	for _, d := range strings.Split(v, ",") {
		d = strings.TrimSpace(d)
		day := strings.TrimLeft(d, "+-0123456789")
		if !weekdays[day] {
			c.fail(field, "%q is not a comma-separated list of days (MO,TU,...)", v)
			return
		}
	}
}

func (c *checker) nonNegative(field string, v *float64) {
	if v != nil && *v < 0 {
		c.fail(field, "%v is negative", *v)
	}
}

func (c *checker) result() error { return c.err }
