package importer

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// PlainText turns untrusted HTML-ish text (as 211 Ontario's descriptions,
// with <br>, <b> and the odd <a href>) into plain text: tags are dropped
// (never interpreted), <br> and block tags become line breaks, list items
// start with "* ", a link keeps its address in brackets after its text,
// entities are decoded, runs of spaces collapse to one, and no more than
// one blank line separates paragraphs. A literal newline next to a <br>
// counts once, since the sources mix both.
func PlainText(s string) string {
	if s == "" {
		return ""
	}
	if !strings.ContainsAny(s, "<&\r\t\u00a0") && !strings.Contains(s, "  ") && !strings.Contains(s, "\n") {
		return strings.TrimSpace(s)
	}
	c := converter{}
	for i := 0; i < len(s); {
		if s[i] == '<' {
			if n, ok := c.tag(s[i:]); ok {
				i += n
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == '&' {
			if n := entityLen(s[i-1:]); n > 0 {
				c.text(html.UnescapeString(s[i-1 : i-1+n]))
				i += n - 1
				continue
			}
		}
		c.rune(r)
	}
	return strings.TrimSpace(c.b.String())
}

// link is an open <a>: its address and where its text starts.
type link struct {
	href  string
	start int
}

// converter accumulates plain text, holding back whitespace and line
// breaks until the next visible character.
type converter struct {
	b        strings.Builder
	brs, nls int  // pending <br>-like tags and literal newlines
	space    bool // pending space
	skip     string
	links    []link // the open links
}

func (c *converter) text(s string) {
	for _, r := range s {
		c.rune(r)
	}
}

func (c *converter) rune(r rune) {
	if c.skip != "" {
		return
	}
	switch {
	case r == '\n':
		c.nls++
	case r == '\r':
	case unicode.IsSpace(r) || r == '\u00a0':
		c.space = true
	default:
		c.flush()
		c.b.WriteRune(r)
	}
}

// flush writes the pending break or space before visible text.
func (c *converter) flush() {
	if c.b.Len() > 0 {
		n := max(c.brs, c.nls)
		switch {
		case n >= 2:
			c.b.WriteString("\n\n")
		case n == 1:
			c.b.WriteByte('\n')
		case c.space:
			c.b.WriteByte(' ')
		}
	}
	c.brs, c.nls, c.space = 0, 0, false
}

var blockTags = map[string]bool{"br": true, "p": true, "div": true, "ul": true, "ol": true, "tr": true,
	"table": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "hr": true,
	"blockquote": true, "pre": true, "dl": true, "dt": true, "dd": true, "section": true}

// tag consumes the tag at the start of s and returns its length; false when
// s does not start a tag (a lone "<" is text).
func (c *converter) tag(s string) (int, bool) {
	if len(s) < 2 {
		return 0, false
	}
	if strings.HasPrefix(s, "<!--") {
		if end := strings.Index(s[4:], "-->"); end >= 0 {
			return end + 7, true
		}
		return len(s), true
	}
	closing := s[1] == '/'
	start := 1
	if closing {
		start = 2
	}
	if start >= len(s) || !(isASCIILetter(s[start]) || (!closing && (s[start] == '!' || s[start] == '?'))) {
		return 0, false
	}
	end, quote := -1, byte(0)
	for i := start; i < len(s); i++ {
		switch ch := s[i]; {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '"' || ch == '\'':
			quote = ch
		case ch == '>':
			end = i
		}
		if end >= 0 {
			break
		}
	}
	if end < 0 {
		return 0, false // "a < b": not a tag
	}
	body := s[start:end]
	name := body
	if i := strings.IndexFunc(body, func(r rune) bool { return unicode.IsSpace(r) || r == '/' }); i >= 0 {
		name = body[:i]
	}
	name = strings.ToLower(name)
	c.element(name, body, closing)
	return end + 1, true
}

func (c *converter) element(name, body string, closing bool) {
	switch {
	case name == "script" || name == "style":
		if closing {
			c.skip = ""
		} else if !strings.HasSuffix(strings.TrimSpace(body), "/") {
			c.skip = name
		}
	case c.skip != "":
	case name == "li":
		c.brs = max(c.brs, 1)
		if !closing {
			c.flush()
			c.b.WriteString("* ")
		}
	case blockTags[name]:
		c.brs++
		if name != "br" {
			c.brs = max(c.brs, 1)
		}
	case name == "a" && !closing:
		c.links = append(c.links, link{attr(body, "href"), c.b.Len()})
	case name == "a" && closing && len(c.links) > 0:
		l := c.links[len(c.links)-1]
		c.links = c.links[:len(c.links)-1]
		isURL := strings.HasPrefix(l.href, "http://") || strings.HasPrefix(l.href, "https://")
		if isURL && l.start <= c.b.Len() && !strings.Contains(c.b.String()[l.start:], l.href) {
			c.space = true
			c.text("(" + l.href + ")")
		}
	}
}

// attr returns the value of a tag's attribute, entities decoded.
func attr(body, name string) string {
	lower := strings.ToLower(body)
	for from := 0; ; {
		i := strings.Index(lower[from:], name)
		if i < 0 {
			return ""
		}
		i += from
		from = i + len(name)
		if i > 0 && !unicode.IsSpace(rune(lower[i-1])) {
			continue
		}
		rest := strings.TrimLeft(body[from:], " \t\n")
		if !strings.HasPrefix(rest, "=") {
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t\n")
		if rest == "" {
			return ""
		}
		if q := rest[0]; q == '"' || q == '\'' {
			if j := strings.IndexByte(rest[1:], q); j >= 0 {
				return html.UnescapeString(rest[1 : j+1])
			}
			return ""
		}
		if j := strings.IndexAny(rest, " \t\n>"); j >= 0 {
			rest = rest[:j]
		}
		return html.UnescapeString(rest)
	}
}

// entityLen returns the length of the character reference at the start of
// s ("&amp;", "&#39;"), or 0.
func entityLen(s string) int {
	for i := 1; i < len(s) && i < 40; i++ {
		ch := s[i]
		if ch == ';' {
			if i == 1 {
				return 0
			}
			return i + 1
		}
		if !(isASCIILetter(ch) || (ch >= '0' && ch <= '9') || (ch == '#' && i == 1)) {
			return 0
		}
	}
	return 0
}

func isASCIILetter(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') }
