package params_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/params"
)

func TestReader(t *testing.T) {
	q, _ := url.ParseQuery("n=12&bad=x&list=a,b,,a&list=c&flag=yes&day=2026-02-30&kind=CSV&long=" + strings.Repeat("z", 100))
	p := params.FromValues(q)
	if n := p.Int("n", 1, 1, 100); n != 12 {
		t.Errorf("Int n = %d, want 12", n)
	}
	if got := strings.Join(p.List("list", 8), "|"); got != "a|b|c" {
		t.Errorf("List = %s, want a|b|c", got)
	}
	if !p.Bool("flag", false) || p.Bool("absent", false) {
		t.Error("Bool: want flag true, absent false")
	}
	if v := p.OneOf("kind", "json", "json", "csv"); v != "csv" {
		t.Errorf("OneOf = %q, want csv", v)
	}
	if err := p.Err(); err != nil {
		t.Fatalf("Err = %v, want none yet", err)
	}
	p.Int("bad", 0, 0, 9)
	if _, ok := p.Date("day"); ok {
		t.Error("Date 2026-02-30 accepted")
	}
	p.Only("the test", "n", "bad", "list", "flag", "day", "kind")
	err := p.Err()
	var e *o211.Error
	if !errors.As(err, &e) || e.Code != o211.EINVALID || e.Field != "bad" || len(e.Problems) != 3 {
		t.Fatalf("Err = %#v, want three problems, the first about bad", err)
	}
	if e.Problems[2].Field != "long" || strings.Count(e.Problems[2].Reason, "z") > 40 {
		t.Errorf("unknown parameter problem %+v: want long, echoed short", e.Problems[2])
	}
}
