package search

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/registry"
)

// Text analysis. Text is cut into words (letters, digits and marks, with
// apostrophes inside words kept, as Unicode word segmentation does for
// Latin text), and each word goes through bleve's filters once:
//
//	lower case -> French elision (l', d', qu'...) -> English possessive ('s)
//	-> stop words (English and French lists, also accent-folded) -> ASCII
//	folding -> English Porter stem and French light stem.
//
// Folding comes before stemming so that "épicerie" and "epicerie" (and
// "santé" and "sante") give the same stems both ways. A word gives its
// folded surface form (for type-ahead) and up to two terms, English and
// French. Analysis costs about a microsecond per word, so its result is
// cached per raw word (wordCache).

// word is the analysis of one raw word.
type word struct {
	surface string // lower-cased, elided, accent-folded form
	en, fr  string // English and French stems; fr is "" when equal to en
}

// analyzer holds bleve's filters. It is immutable and safe for concurrent use.
type analyzer struct {
	lower, elision, possessive, porter, frLight analysis.TokenFilter
	fold                                        *asciifolding.AsciiFoldingFilter
	stop                                        map[string]bool
}

var sharedAnalyzer = sync.OnceValue(func() *analyzer {
	a, err := newAnalyzer()
	if err != nil {
		panic("search: bleve analysis filters: " + err.Error())
	}
	return a
})

func newAnalyzer() (*analyzer, error) {
	c := registry.NewCache()
	a := &analyzer{fold: asciifolding.New(), stop: make(map[string]bool)}
	for _, f := range []struct {
		name string
		dst  *analysis.TokenFilter
	}{
		{lowercase.Name, &a.lower}, {fr.ElisionName, &a.elision}, {en.PossessiveName, &a.possessive},
		{porter.Name, &a.porter}, {fr.LightStemmerName, &a.frLight},
	} {
		tf, err := c.TokenFilterNamed(f.name)
		if err != nil {
			return nil, err
		}
		*f.dst = tf
	}
	for _, name := range []string{en.StopName, fr.StopName} {
		m, err := c.TokenMapNamed(name)
		if err != nil {
			return nil, err
		}
		for w := range m {
			a.stop[w] = true
			a.stop[a.foldString(w)] = true
		}
	}
	return a, nil
}

// filter runs one bleve token filter on a single term.
func filter(f analysis.TokenFilter, term []byte) []byte {
	ts := f.Filter(analysis.TokenStream{&analysis.Token{Term: term}})
	if len(ts) == 0 {
		return nil
	}
	return ts[0].Term
}

func (a *analyzer) foldString(s string) string {
	if isASCII(s) {
		return s
	}
	return string(a.fold.Filter([]byte(s)))
}

// analyze returns the analysis of one raw word (as cut by nextWord), and
// false when the word carries no meaning for search (a stop word, a single
// letter).
func (a *analyzer) analyze(raw string) (word, bool) {
	t := filter(a.lower, []byte(raw))
	if strings.IndexByte(string(t), '\'') >= 0 {
		t = filter(a.elision, t)
		t = filter(a.possessive, t)
	}
	if len(t) == 0 || a.stop[string(t)] {
		return word{}, false
	}
	surface := a.foldString(string(t))
	if a.stop[surface] || (len(surface) < 2 && !isDigit(surface[0])) {
		return word{}, false
	}
	w := word{surface: surface}
	w.en = string(filter(a.porter, []byte(surface)))
	if f := string(filter(a.frLight, []byte(surface))); f != w.en {
		w.fr = f
	}
	return w, true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// nextWord returns the next word of s at or after i, as offsets; start <
// 0 when there is none. Apostrophes of any kind are normalised to "'" by
// the analysis (wordText).
func nextWord(s string, i int) (start, end int) {
	start = -1
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch asciiClass[c] {
			case classWord:
				if start < 0 {
					start = i
				}
				i++
				continue
			case classJoin:
				if start >= 0 && i+1 < len(s) && joins(s, i, rune(c), 1) {
					i++
					continue
				}
			}
			if start >= 0 {
				return start, i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case isWordRune(r):
			if start < 0 {
				start = i
			}
		case start >= 0 && isApostrophe(r) && i+n < len(s) && joins(s, i, r, n):
		default:
			if start >= 0 {
				return start, i
			}
		}
		i += n
	}
	return start, len(s)
}

// joins reports whether the apostrophe or decimal mark r (n bytes) at i
// joins the letters or digits around it into one word: l'hébergement,
// children's, 1.5.
func joins(s string, i int, r rune, n int) bool {
	if isApostrophe(r) {
		return prevIsLetter(s, i) && nextIsLetter(s, i+n)
	}
	return isDigit(s[i-1]) && isDigit(s[i+n])
}

const (
	classSep uint8 = iota
	classWord
	classJoin // ' . ,
)

var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := range t {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			t[c] = classWord
		case c == '\'', c == '.', c == ',':
			t[c] = classJoin
		}
	}
	return t
}()

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == '＇' }

func prevIsLetter(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsLetter(r)
}

func nextIsLetter(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r)
}

// wordText returns a raw word with its apostrophes normalised to "'".
func wordText(w string) string {
	if isASCII(w) {
		return w
	}
	return strings.NewReplacer("’", "'", "＇", "'").Replace(w)
}

// eachWord calls fn with every raw word of s.
func eachWord(s string, fn func(raw string)) {
	for i := 0; i < len(s); {
		start, end := nextWord(s, i)
		if start < 0 {
			return
		}
		if end-start <= maxWordLen {
			fn(s[start:end])
		}
		i = end
	}
}

// maxWordLen is the longest word indexed, in bytes; longer ones are noise
// (pasted links, hashes).
const maxWordLen = 48

// queryCache caches the analysis of query words, shared by concurrent
// searches. It stops growing at maxQueryCache entries.
type queryCache struct {
	m sync.Map // raw word -> *cachedWord
	n atomic.Int64
}

type cachedWord struct {
	w  word
	ok bool
}

const maxQueryCache = 50000

func (c *queryCache) analyze(a *analyzer, raw string) (word, bool) {
	if v, ok := c.m.Load(raw); ok {
		cw := v.(*cachedWord)
		return cw.w, cw.ok
	}
	w, ok := a.analyze(wordText(raw))
	if c.n.Load() < maxQueryCache {
		c.m.Store(strings.Clone(raw), &cachedWord{w, ok})
		c.n.Add(1)
	}
	return w, ok
}
