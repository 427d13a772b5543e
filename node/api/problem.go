package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
)

// statusOf is the one table that maps o211 error codes to HTTP statuses.
var statusOf = map[string]int{
	o211.EINVALID:        http.StatusBadRequest,
	o211.ENOTFOUND:       http.StatusNotFound,
	o211.ECONFLICT:       http.StatusConflict,
	o211.EUNAUTHORIZED:   http.StatusUnauthorized,
	o211.EFORBIDDEN:      http.StatusForbidden,
	o211.EUNAVAILABLE:    http.StatusServiceUnavailable,
	o211.ETOOLARGE:       http.StatusRequestEntityTooLarge,
	o211.ENOTIMPLEMENTED: http.StatusNotImplemented,
	o211.EINTERNAL:       http.StatusInternalServerError,
}

// ContentTypeProblem is the media type of error bodies (RFC 9457).
const ContentTypeProblem = "application/problem+json"

// Problem is an error body (RFC 9457 "problem details"), with the o211
// error code, the request id and the individual problems as extensions.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail,omitempty"`
	Instance  string         `json:"instance,omitempty"`
	Code      string         `json:"code,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
	Errors    []o211.Problem `json:"errors,omitempty"`
}

// invalidBody marks an EINVALID error about the contents of a well-formed
// request body: it is answered 422 rather than 400.
type invalidBody struct{ error }

// Unwrap returns the EINVALID error.
func (e invalidBody) Unwrap() error { return e.error }

// unprocessable wraps err so that an EINVALID code is answered 422.
func unprocessable(err error) error {
	if err == nil {
		return nil
	}
	return invalidBody{err}
}

// paramError returns the EINVALID error of a bad query parameter.
func paramError(param, format string, args ...any) error {
	return o211.FieldErrorf(param, format, args...)
}

// statusFor returns the HTTP status of err.
func statusFor(err error) int {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		return 499 // the client went away; nobody reads this
	}
	code := o211.ErrorCode(err)
	var ib invalidBody
	if code == o211.EINVALID && errors.As(err, &ib) {
		return http.StatusUnprocessableEntity
	}
	if st, ok := statusOf[code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// ProblemFor returns the problem that answers err in request r, with the
// status of its o211 error code. Internal errors get a plain sentence,
// never their text.
func ProblemFor(r *http.Request, err error) *Problem {
	st := statusFor(err)
	p := &Problem{Type: "about:blank", Title: statusText(st), Status: st,
		Code: o211.ErrorCode(err), Detail: o211.ErrorMessage(err), Instance: r.URL.Path,
		RequestID: requestIDFrom(r.Context())}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		p.Code, p.Detail = o211.EUNAVAILABLE, "The request took too long; please try again."
	case errors.Is(err, context.Canceled):
		p.Code, p.Detail = o211.EUNAVAILABLE, "The request was cancelled."
	}
	var e *o211.Error
	if errors.As(err, &e) && p.Code != o211.EINTERNAL {
		p.Errors = e.Problems
		if len(p.Errors) == 0 && e.Field != "" {
			p.Errors = []o211.Problem{{Field: e.Field, Reason: strings.TrimPrefix(e.Message, e.Field+": ")}}
		}
	}
	return p
}

// statusText is http.StatusText, knowing 499 too.
func statusText(st int) string {
	if st == 499 {
		return "Client Closed Request"
	}
	return http.StatusText(st)
}

// writeProblem answers err as a problem. Errors that are ours (5xx but
// 501 and 503) are logged in full.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := ProblemFor(r, err)
	switch {
	case p.Status == http.StatusInternalServerError:
		s.log.Error("api: internal error", "method", r.Method, "path", r.URL.Path,
			"request_id", p.RequestID, "err", err)
	case p.Status == 499:
		s.log.Debug("api: request cancelled", "path", r.URL.Path, "request_id", p.RequestID)
	case p.Status >= 500:
		s.log.Warn("api: unavailable", "path", r.URL.Path, "request_id", p.RequestID, "err", err)
	}
	WriteProblem(w, p)
}

// WriteProblem writes p as an application/problem+json response.
func WriteProblem(w http.ResponseWriter, p *Problem) {
	w.Header().Set("Content-Type", ContentTypeProblem)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeJSON writes v as a JSON response with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // our types always marshal; say so plainly if not
		WriteProblem(w, &Problem{Type: "about:blank", Title: statusText(500), Status: 500,
			Code: o211.EINTERNAL, Detail: o211.ErrorMessage(err)})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// notFound answers requests that match no route.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeProblem(w, r, o211.Errorf(o211.ENOTFOUND, "There is nothing at %s.", r.URL.Path))
}

// methodNotAllowed answers requests whose path matches but whose method
// does not, with the Allow header.
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		if s.router.Match(chi.NewRouteContext(), m, r.URL.Path) {
			allowed = append(allowed, m)
		}
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	st := http.StatusMethodNotAllowed
	WriteProblem(w, &Problem{Type: "about:blank", Title: statusText(st), Status: st, Code: o211.EINVALID,
		Detail:   r.Method + " is not allowed on " + r.URL.Path + "; use " + strings.Join(allowed, " or ") + ".",
		Instance: r.URL.Path, RequestID: requestIDFrom(r.Context())})
}
