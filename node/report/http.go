package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
)

// Services counts the directory's services whose taxonomy matches code
// (descendants included) within radiusKm of an FSA's centroid.
type Services func(ctx context.Context, code, fsa string, radiusKm float64) (int, error)

// Config configures the report endpoints.
type Config struct {
	Cube     *Cube
	Scope    string   // "province" or the node's region id; echoed in responses
	Services Services // nil: the gaps report answers 501 not implemented
	// Now returns the current time (default time.Now); "this week" and the
	// default period are relative to it, in America/Toronto.
	Now    func() time.Time
	Logger *slog.Logger
	// AllowUnsuppressed lets a request ask for suppress=false and get exact
	// small counts: for a node's own managers, who may see their region's
	// contacts anyway. Leave it false wherever figures are published (the
	// hub): suppress=false is then refused with 403.
	AllowUnsuppressed bool
	// Protection is how counts are protected when a request does not ask
	// for exact ones: Perturbed (the default) wherever figures are
	// published. Suppressed serves the tests of the suppression alone.
	Protection Protection
	// Authenticate names the caller of a flexible report when no identity
	// middleware put an o211.Actor in the request's context. Without
	// either, flexible reports answer 401; the published tables answer
	// anyone.
	Authenticate Authenticate
	// Audit records every flexible query before it is answered (nil: a
	// QueryLog that logs to Logger and keeps the last thousand).
	Audit Audit
}

// server answers the report endpoints.
type server struct {
	cfg Config
	log *slog.Logger
	now func() time.Time
	loc *time.Location
}

// API is the route group of the report endpoints:
// GET /api/v1/reports (the list of reports) and /api/v1/reports/needs,
// /unmet, /top, /emerging and /gaps. See the package documentation.
type API struct{ s *server }

// NewAPI returns the report endpoints of cfg, with defaults filled in.
func NewAPI(cfg Config) *API {
	s := &server{cfg: cfg, log: cfg.Logger, now: cfg.Now, loc: o211.Toronto()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cfg.Cube == nil {
		s.cfg.Cube = NewCube()
	}
	if s.cfg.Audit == nil {
		s.cfg.Audit = (&QueryLog{Logger: s.log, Now: s.now}).Audit
	}
	return &API{s: s}
}

// Routes mounts the report endpoints on r.
func (g *API) Routes(r chi.Router) {
	s := g.s
	r.Get("/api/v1/reports", s.index)
	r.Get("/api/v1/reports/needs", s.serve("needs", s.needs))
	r.Get("/api/v1/reports/unmet", s.serve("unmet", s.unmet))
	r.Get("/api/v1/reports/top", s.serve("top", s.top))
	r.Get("/api/v1/reports/emerging", s.serve("emerging", s.emerging))
	r.Get("/api/v1/reports/gaps", s.serve("gaps", s.gaps))
	r.Get("/api/v1/reports/published", s.publishedIndex)
	r.Get("/api/v1/reports/published/{name}", s.published)
}

// output is a report ready to send: as JSON (the value itself) or as CSV.
type output interface {
	writeCSV(w *csv.Writer)
	meta() *Meta
}

// serve adapts a flexible report handler to an HTTP handler: it checks
// the caller, parses the common parameters, audits the query, answers
// errors as problems and output as JSON or CSV.
func (s *server) serve(name string, fn func(*request) (output, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := s.caller(r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		rq, err := s.parse(r, name)
		if err == nil {
			err = s.checkScope(a, &rq.query)
		}
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		if err := s.cfg.Audit(r.Context(), a, r); err != nil {
			s.writeProblem(w, r, fmt.Errorf("report: audit of a query: %w", err))
			return
		}
		out, err := fn(rq)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		s.write(w, r, rq, name, out)
	}
}

// write answers out as JSON or CSV.
func (s *server) write(w http.ResponseWriter, r *http.Request, rq *request, name string, out output) {
	m := out.meta()
	m.Scope, m.Filters = s.cfg.Scope, rq.applied
	m.GeneratedAt = rq.now.UTC().Truncate(time.Second)
	var buf bytes.Buffer
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Add("Vary", "Accept")
	if rq.csv {
		cw := csv.NewWriter(&buf)
		out.writeCSV(cw)
		cw.Flush()
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+"-"+m.From+"-"+m.To+`.csv"`)
	} else {
		if err := encodeJSON(&buf, out); err != nil {
			s.writeProblem(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
	}
	_, _ = w.Write(buf.Bytes())
}

// encodeJSON writes out as JSON, through its own appender when it has one.
func encodeJSON(buf *bytes.Buffer, out output) error {
	if a, ok := out.(jsonAppender); ok {
		b, err := a.appendJSON(nil)
		buf.Write(b)
		return err
	}
	return json.NewEncoder(buf).Encode(out)
}

// The handlers read each report's own parameters into its typed query,
// call the report and return it.

func (s *server) needs(rq *request) (output, error) {
	q := NeedsQuery{Query: rq.query}
	measure := rq.p.OneOf("measure", "needs", "needs", "contacts")
	q.Contacts = measure == "contacts"
	def := []string{"category"}
	if q.Contacts {
		def = []string{"region"}
	}
	q.By = rq.dims("by", def, 2, rq.level(2))
	if err := rq.p.Err(); err != nil {
		return nil, err
	}
	return Needs(s.cfg.Cube, q)
}

func (s *server) unmet(rq *request) (output, error) {
	q := UnmetQuery{Query: rq.query}
	by := rq.dims("by", []string{"region"}, 1, rq.level(2))
	if err := rq.p.Err(); err != nil {
		return nil, err
	}
	q.By = by[0]
	return Unmet(s.cfg.Cube, q)
}

func (s *server) top(rq *request) (output, error) {
	q := TopQuery{Query: rq.query, Level: rq.level(3), N: rq.p.Int("n", 10, 1, 100)}
	if err := rq.p.Err(); err != nil {
		return nil, err
	}
	return Top(s.cfg.Cube, q)
}

func (s *server) emerging(rq *request) (output, error) {
	q := EmergingQuery{Query: rq.query, Level: rq.level(3), BaselineWeeks: rq.p.Int("baseline", 8, 1, 104),
		MinCount: rq.p.Int("min_count", Threshold, 1, 1<<30), Limit: rq.p.Int("limit", 0, 0, 10000),
		Week: rq.today - 7} // the last seven complete days
	q.Alpha = 0.05
	if a, ok := rq.p.Number("alpha", 1e-12, 0.5); ok {
		q.Alpha = a
	}
	if t, ok := rq.p.Date("week"); ok {
		q.Week = dayOf(t, time.UTC)
	}
	if err := rq.p.Err(); err != nil {
		return nil, err
	}
	return Emerging(s.cfg.Cube, q)
}

func (s *server) gaps(rq *request) (output, error) {
	q := GapsQuery{Query: rq.query, Level: rq.level(3), MinUnmet: rq.p.Int("min_unmet", Threshold, 1, 1<<30),
		MaxServices: rq.p.Int("max_services", 2, 0, 1<<20), Limit: rq.p.Int("limit", 50, 1, 500),
		RadiusKm: 10, MinRate: 0.2}
	if v, ok := rq.p.Number("radius_km", 0.1, 500); ok {
		q.RadiusKm = v
	}
	if v, ok := rq.p.Number("min_rate", 0, 1); ok {
		q.MinRate = v
	}
	if err := rq.p.Err(); err != nil {
		return nil, err
	}
	return Gaps(rq.r.Context(), s.cfg.Cube, s.cfg.Services, q)
}

// writeProblem answers err as application/problem+json, naming the
// offending query parameter in "param". Internal errors are logged in full
// and shown as a plain sentence.
func (s *server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := httpx.LogProblem(r, s.log, err)
	p.Param, p.Field = p.Field, ""
	httpx.WriteProblem(w, p)
}

// index lists the reports and their parameters.
func (s *server) index(w http.ResponseWriter, r *http.Request) {
	type report struct {
		Name   string   `json:"name"`
		Path   string   `json:"path"`
		Title  string   `json:"title"`
		Params []string `json:"params"`
	}
	var list []report
	for _, name := range []string{"needs", "unmet", "top", "emerging", "gaps"} {
		list = append(list, report{Name: name, Path: "/api/v1/reports/" + name, Title: reportTitles[name],
			Params: append(append([]string(nil), reportParams[name]...), commonParams(name)...)})
	}
	writeJSON(w, map[string]any{"scope": s.cfg.Scope, "reports": list, "published": "/api/v1/reports/published",
		"dimensions": dimNames[:], "suppression_threshold": Threshold})
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(b, '\n'))
}

var reportTitles = map[string]string{
	"needs":    "Needs (or contacts) counted by one or two dimensions",
	"unmet":    "Unmet needs by reason, with the unmet rate",
	"top":      "The most frequent needs, with their share and unmet rate",
	"emerging": "Needs rising this week against the weeks before (exact binomial test, Benjamini-Hochberg)",
	"gaps":     "Service gaps: FSAs where a need is often unmet and few services of that kind are near",
}
