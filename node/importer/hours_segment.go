package importer

import (
	"strconv"
	"strings"
	"unicode"
)

// The tokens of a segment of hours text.
type tokKind int

const (
	tWord   tokKind = iota // any other word
	tDay                   // a weekday (or several: weekdays, daily)
	tOrd                   // an ordinal: first, 2nd, last
	tTime                  // a time of day with am/pm, noon or midnight
	tNum                   // a bare number (a time without am/pm, maybe)
	tDash                  // -, to, until, through
	tList                  // a comma, "and", "&" or "/"
	tClosed                // closed
	t24h                   // 24 hours, 24/7
)

type token struct {
	kind tokKind
	days [7]bool // tDay
	n    int     // tOrd: the ordinal; tTime, tNum: minutes after midnight
	pm   bool    // tNum: hour as written is 1..12
	mid  bool    // tTime: "midnight"
}

var dayWords = map[string]int{
	"mon": 0, "monday": 0, "mondays": 0,
	"tue": 1, "tues": 1, "tuesday": 1, "tuesdays": 1,
	"wed": 2, "weds": 2, "wednesday": 2, "wednesdays": 2,
	"thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "thursdays": 3,
	"fri": 4, "friday": 4, "fridays": 4,
	"sat": 5, "saturday": 5, "saturdays": 5,
	"sun": 6, "sunday": 6, "sundays": 6,
}

var ordWords = map[string]int{"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1,
	"1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5}

// tokenize splits a segment into tokens.
func tokenize(s string) []token {
	s = strings.ToLower(s)
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == ':' || c == '(' || c == ')' || c == '.' || c == ';':
			i++
		case c == '-' || strings.HasPrefix(s[i:], "–") || strings.HasPrefix(s[i:], "—"):
			out = append(out, token{kind: tDash})
			if c == '-' {
				i++
			} else {
				i += len("–")
			}
		case c == ',' || c == '&' || c == '/':
			out = append(out, token{kind: tList})
			i++
		case c >= '0' && c <= '9':
			tok, n := numberToken(s[i:])
			out = append(out, tok)
			i += n
		case c >= 'a' && c <= 'z':
			j := i
			for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] == '\'') {
				j++
			}
			out = appendWord(out, s[i:j])
			i = j
		default:
			i++
			out = append(out, token{kind: tWord})
		}
	}
	return out
}

// appendWord classifies a word.
func appendWord(out []token, w string) []token {
	if d, ok := dayWords[w]; ok {
		t := token{kind: tDay}
		t.days[d] = true
		return append(out, t)
	}
	if n, ok := ordWords[w]; ok {
		return append(out, token{kind: tOrd, n: n})
	}
	switch w {
	case "to", "until", "till", "through", "thru":
		return append(out, token{kind: tDash})
	case "and":
		return append(out, token{kind: tList})
	case "closed":
		return append(out, token{kind: tClosed})
	case "noon":
		return append(out, token{kind: tTime, n: 12 * 60})
	case "midnight":
		return append(out, token{kind: tTime, n: 0, mid: true})
	case "daily", "everyday":
		return append(out, token{kind: tDay, days: [7]bool{true, true, true, true, true, true, true}})
	case "weekdays":
		return append(out, token{kind: tDay, days: [7]bool{true, true, true, true, true}})
	case "weekends":
		return append(out, token{kind: tDay, days: [7]bool{5: true, 6: true}})
	case "day", "days":
		if len(out) > 0 && out[len(out)-1].kind == tWord && out[len(out)-1].n == everyMark {
			out[len(out)-1] = token{kind: tDay, days: [7]bool{true, true, true, true, true, true, true}}
			return out
		}
	case "every", "each":
		return append(out, token{kind: tWord, n: everyMark})
	}
	return append(out, token{kind: tWord})
}

// everyMark marks the word "every" so that "every day" reads as daily.
const everyMark = -7

// numberToken reads a number at the start of s: a time ("9", "9:30", with
// "am", "pm", "a.m.", "noon" after it), an ordinal ("2nd") or "24 hours".
func numberToken(s string) (token, int) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	hour, _ := strconv.Atoi(s[:i])
	if suf := s[i:min(i+2, len(s))]; i <= 2 && (suf == "st" || suf == "nd" || suf == "rd" || suf == "th") {
		if n, ok := ordWords[s[:i+2]]; ok && !(i+2 < len(s) && unicode.IsLetter(rune(s[i+2]))) {
			return token{kind: tOrd, n: n}, i + 2
		}
	}
	if hour == 24 {
		rest := strings.TrimLeft(s[i:], " ")
		for _, w := range []string{"hours", "hrs", "hour", "/7", "h"} {
			if strings.HasPrefix(rest, w) {
				return token{kind: t24h}, len(s) - len(rest) + len(w)
			}
		}
	}
	minute := 0
	if i+2 < len(s) && s[i] == ':' && isDigit(s[i+1]) && isDigit(s[i+2]) {
		minute, _ = strconv.Atoi(s[i+1 : i+3])
		i += 3
	}
	if i > 2+3 || hour > 24 || minute > 59 {
		return token{kind: tWord}, i
	}
	rest := strings.TrimLeft(s[i:], " ")
	gap := len(s[i:]) - len(rest)
	for _, m := range []struct {
		word string
		pm   int // 0 am, 1 pm, 2 noon
	}{{"a.m.", 0}, {"p.m.", 1}, {"am", 0}, {"pm", 1}, {"a.m", 0}, {"p.m", 1}, {"noon", 2}} {
		if !strings.HasPrefix(rest, m.word) || (len(rest) > len(m.word) && isLetter(rest[len(m.word)])) {
			continue
		}
		n := i + gap + len(m.word)
		switch {
		case hour < 1 || hour > 12:
			return token{kind: tWord}, n
		case m.pm == 2 && hour != 12:
			return token{kind: tWord}, n
		case m.pm == 2:
			return token{kind: tTime, n: 12*60 + minute}, n
		case hour == 12:
			hour = 0
		}
		return token{kind: tTime, n: (hour+12*m.pm)*60 + minute}, n
	}
	return token{kind: tNum, n: hour*60 + minute, pm: hour >= 1 && hour <= 12}, i
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' }

// segParser reads the rules of one segment.
type segParser struct {
	toks  []token
	rules []rule
	spec  *rule // the days being described; nil before any
	open  bool  // the day spec is still being written (no time since)
}

// readSegment returns the opening periods of one segment of hours text.
func readSegment(seg string) []rule {
	p := &segParser{toks: tokenize(seg)}
	for i := 0; i < len(p.toks); i++ {
		i = p.step(i)
	}
	return p.rules
}

// step handles the token at i and returns the index of the last token it
// used.
func (p *segParser) step(i int) int {
	t := p.toks[i]
	switch t.kind {
	case tDay:
		p.day(i)
	case tOrd:
		return p.ordinal(i)
	case tTime, tNum:
		return p.times(i)
	case t24h:
		p.emit(0, 24*60-1)
		p.open = false
	case tClosed:
		if p.open {
			p.spec = nil
		}
		p.open = false
		for i+1 < len(p.toks) && (p.toks[i+1].kind == tDay || p.toks[i+1].kind == tList) {
			i++ // "(Closed Wed, Sun)"
		}
	}
	return i
}

// prev returns the kind of the token before i, or tWord.
func (p *segParser) prev(i int) tokKind {
	if i == 0 {
		return tWord
	}
	return p.toks[i-1].kind
}

// day extends the day spec ("Mon-Fri", "Mon, Wed") or starts a new one.
func (p *segParser) day(i int) {
	t := p.toks[i]
	if p.open && p.spec != nil && p.spec.nth == nil {
		switch {
		case p.prev(i) == tDash && i >= 2 && p.toks[i-2].kind == tDay:
			from, to := firstDay(p.toks[i-2].days), firstDay(t.days)
			for d := from; ; d = (d + 1) % 7 {
				p.spec.days[d] = true
				if d == to {
					break
				}
			}
			return
		case p.prev(i) == tList:
			for d, on := range t.days {
				p.spec.days[d] = p.spec.days[d] || on
			}
			return
		}
	}
	p.spec = &rule{days: t.days}
	p.open = true
}

func firstDay(days [7]bool) int {
	for d, on := range days {
		if on {
			return d
		}
	}
	return 0
}

// ordinal reads "second Saturday", "first and third Tue": a monthly spec.
func (p *segParser) ordinal(i int) int {
	nth := []int{p.toks[i].n}
	j := i + 1
	for j+1 < len(p.toks) && p.toks[j].kind == tList && p.toks[j+1].kind == tOrd {
		nth = append(nth, p.toks[j+1].n)
		j += 2
	}
	if j >= len(p.toks) || p.toks[j].kind != tDay {
		return i
	}
	days := p.toks[j].days
	count := 0
	for _, on := range days {
		if on {
			count++
		}
	}
	if count != 1 {
		return j
	}
	p.spec = &rule{nth: nth, nthDay: firstDay(days)}
	p.open = true
	return j
}

// times reads a time range ("9 am-5 pm", "1-3 pm") starting at i and emits
// it for the current days; a single time is read and skipped.
func (p *segParser) times(i int) int {
	a := p.toks[i]
	if i+2 >= len(p.toks) || p.toks[i+1].kind != tDash || (p.toks[i+2].kind != tTime && p.toks[i+2].kind != tNum) {
		if a.kind == tTime {
			p.open = false
		}
		return i
	}
	b := p.toks[i+2]
	open, close, ok := timeRange(a, b)
	p.open = false
	if ok {
		p.emit(open, close)
	}
	return i + 2
}

// timeRange returns the minutes of a range; a bare number takes the
// meridiem of the other end when that keeps the range in order ("1-3 pm").
func timeRange(a, b token) (int, int, bool) {
	switch {
	case a.kind == tTime && b.kind == tTime:
	case a.kind == tNum && b.kind == tTime && a.pm && !b.mid:
		h := a.n / 60
		if h == 12 {
			h = 0
		}
		a.n = h*60 + a.n%60
		if b.n >= 12*60 {
			a.n += 12 * 60
		}
		if a.n >= b.n || (b.n >= 12*60) != (a.n >= 12*60) {
			return 0, 0, false
		}
	default:
		return 0, 0, false
	}
	open, close := a.n, b.n
	if a.mid {
		open = 0
	}
	if b.mid {
		close = 24*60 - 1
	}
	if open == close {
		return 0, 0, false
	}
	return open, close, true
}

// emit adds a rule for the current days.
func (p *segParser) emit(open, close int) {
	if p.spec == nil {
		return
	}
	r := *p.spec
	r.open, r.close = open, close
	p.rules = addRule(p.rules, r)
}
