package o211

import (
	"strings"
	"time"
)

// Closure is a service's temporary closure: until when, and why, in
// English and French. o211 writes it in the HSDS fields every consumer
// knows: the service's status becomes "temporarily closed" and its alert
// holds one line per language, readable as it stands:
//
//	Temporarily closed until 2027-01-15. Closed for renovations.
//	Fermé temporairement jusqu’au 2027-01-15. Fermé pour rénovations.
//
// ClosureOf reads them back. The closure ends after its Until day (Toronto
// time): the portal and search then show the service as open again.
type Closure struct {
	// Until is the last day of the closure, YYYY-MM-DD.
	Until string `json:"until"`
	// En and Fr are the message in each language (either may be empty).
	En string `json:"message_en,omitempty"`
	Fr string `json:"message_fr,omitempty"`
}

// The line prefixes of a closure in a service's alert.
const (
	closureEn = "Temporarily closed until "
	closureFr = "Fermé temporairement jusqu’au "
)

// Alert writes the closure as a service's HSDS alert text.
func (c Closure) Alert() string {
	var lines []string
	if c.En != "" || c.Fr == "" {
		lines = append(lines, strings.TrimSpace(closureEn+c.Until+". "+oneLine(c.En)))
	}
	if c.Fr != "" {
		lines = append(lines, strings.TrimSpace(closureFr+c.Until+". "+oneLine(c.Fr)))
	}
	return strings.Join(lines, "\n")
}

// Validate returns an EINVALID error naming the field (until, message_en,
// message_fr) that is wrong.
func (c Closure) Validate() error {
	var ch checker
	ch.required("until", c.Until)
	ch.date("until", c.Until)
	ch.text("message_en", c.En, 500)
	ch.text("message_fr", c.Fr, 500)
	return ch.result()
}

// On reports whether the closure still holds on the day of now in Toronto.
func (c Closure) On(now time.Time) bool {
	return c.Until >= now.In(Toronto()).Format(time.DateOnly)
}

// Message returns the message in lang ("en", "fr"), else the other one,
// with the language it is in.
func (c Closure) Message(lang string) (msg, in string) {
	switch {
	case lang == "fr" && c.Fr != "", c.En == "" && c.Fr != "":
		return c.Fr, "fr"
	case c.En != "":
		return c.En, "en"
	}
	return "", lang
}

// ClosureOf reads the closure o211 wrote in a service's status and alert;
// false when the service is not temporarily closed or its alert is not a
// closure o211 wrote.
func ClosureOf(status, alert string) (Closure, bool) {
	if status != StatusTemporarilyClosed {
		return Closure{}, false
	}
	var c Closure
	for _, line := range strings.Split(alert, "\n") {
		var until, text string
		var fr bool
		switch {
		case strings.HasPrefix(line, closureEn):
			until, text, _ = strings.Cut(line[len(closureEn):], ".")
		case strings.HasPrefix(line, closureFr):
			until, text, _ = strings.Cut(line[len(closureFr):], ".")
			fr = true
		default:
			continue
		}
		if _, err := time.Parse(time.DateOnly, until); err != nil {
			continue
		}
		c.Until = until
		if fr {
			c.Fr = strings.TrimSpace(text)
		} else {
			c.En = strings.TrimSpace(text)
		}
	}
	return c, c.Until != ""
}

// oneLine turns line breaks into spaces and trims.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Join(strings.Fields(s), " "))
}
