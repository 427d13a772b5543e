package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/o211/o211"
)

// ContentTypeProblem is the media type of error bodies (RFC 9457).
const ContentTypeProblem = "application/problem+json"

// Problem is the error body of every o211 HTTP answer (RFC 9457 "problem
// details"). Beside the standard members it carries the o211 error code,
// the request id and, as extensions, the offending field or query
// parameter, the individual problems of an input and, for a directory
// batch the hub refused, the region's high-water mark.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	Code      string `json:"code,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// Field names the offending field of the body or header.
	Field string `json:"field,omitempty"`
	// Param names the offending query parameter (set by the groups whose
	// errors are about parameters, such as the reports).
	Param string `json:"param,omitempty"`
	// Errors lists every individual problem of the input.
	Errors []o211.InputProblem `json:"errors,omitempty"`
	// Mark is the region's high-water mark after a refused ingest batch.
	Mark *uint64 `json:"mark,omitempty"`
}

// Err returns the domain error p stands for: its code, detail, field and
// problems. Clients of the API use it to turn an answer back into an
// *o211.Error.
func (p *Problem) Err() *o211.Error {
	return &o211.Error{Code: p.Code, Message: p.Detail, Field: p.Field, Problems: p.Errors}
}

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

// StatusClientClosed is the status of a request whose client went away
// (nginx's 499); nobody reads it, but it is logged and counted.
const StatusClientClosed = 499

// CodeOf returns the o211 error code of an HTTP status (the reverse of the
// table), for clients that get an answer with no problem body.
func CodeOf(status int) string {
	for code, s := range statusOf {
		if s == status {
			return code
		}
	}
	if status >= 500 {
		return o211.EINTERNAL
	}
	return o211.EINVALID
}

// invalidBody marks an EINVALID error about the contents of a well-formed
// request body: it is answered 422 rather than 400.
type invalidBody struct{ error }

// Unwrap returns the EINVALID error.
func (e invalidBody) Unwrap() error { return e.error }

// Unprocessable wraps err so that an EINVALID code is answered 422
// Unprocessable Content (a well-formed body whose contents break a rule)
// rather than 400. It returns nil for nil.
func Unprocessable(err error) error {
	if err == nil {
		return nil
	}
	return invalidBody{err}
}

// StatusOf returns the HTTP status that answers err: the table's status of
// its o211 code, 422 for an Unprocessable EINVALID error, 503 for a
// deadline, 499 for a cancelled request and 500 for anything else.
func StatusOf(err error) int {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		return StatusClientClosed
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

// StatusText is http.StatusText, knowing 499 too.
func StatusText(st int) string {
	if st == StatusClientClosed {
		return "Client Closed Request"
	}
	return http.StatusText(st)
}

// ProblemFor returns the problem that answers err in request r. Internal
// errors get a plain sentence, never their text.
func ProblemFor(r *http.Request, err error) *Problem {
	st := StatusOf(err)
	p := &Problem{Type: "about:blank", Title: StatusText(st), Status: st,
		Code: o211.ErrorCode(err), Detail: o211.ErrorMessage(err), Instance: Prefix(r.URL.Path),
		RequestID: RequestIDFrom(r.Context())}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		p.Code, p.Detail = o211.EUNAVAILABLE, "The request took too long; please try again."
	case errors.Is(err, context.Canceled):
		p.Code, p.Detail = o211.EUNAVAILABLE, "The request was cancelled."
	}
	var e *o211.Error
	if errors.As(err, &e) && p.Code != o211.EINTERNAL {
		p.Field, p.Errors = e.Field, e.Problems
		if len(p.Errors) == 0 && e.Field != "" {
			p.Errors = []o211.InputProblem{{Field: e.Field, Reason: strings.TrimPrefix(e.Message, e.Field+": ")}}
		}
	}
	return p
}

// WriteProblem writes p as an application/problem+json response. A 401
// carries a Bearer challenge and a 503 a Retry-After, unless the caller
// set them already.
func WriteProblem(w http.ResponseWriter, p *Problem) {
	h := w.Header()
	h.Set("Content-Type", ContentTypeProblem)
	h.Set("Cache-Control", "no-store")
	if p.Status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
		h.Set("WWW-Authenticate", `Bearer realm="o211"`)
	}
	if p.Status == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(p.Status)
	b, _ := json.Marshal(p) // a Problem always marshals
	_, _ = w.Write(append(b, '\n'))
}

// WriteError answers err as a problem. Internal errors (500) are logged in
// full on log, with the request's method, path and id; other 5xx answers
// are logged as warnings.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	WriteProblem(w, LogProblem(r, log, err))
}

// LogProblem returns the problem that answers err, as ProblemFor, and logs
// err as WriteError does: for groups that add an extension member before
// writing it.
func LogProblem(r *http.Request, log *slog.Logger, err error) *Problem {
	p := ProblemFor(r, err)
	if log == nil {
		log = slog.Default()
	}
	switch {
	case p.Status == http.StatusInternalServerError:
		log.Error("http: internal error", "method", r.Method, "path", r.URL.Path,
			"request_id", p.RequestID, "err", err)
	case p.Status == StatusClientClosed:
		log.Debug("http: request cancelled", "path", r.URL.Path, "request_id", p.RequestID)
	case p.Status >= 500 && p.Status != http.StatusNotImplemented:
		log.Warn("http: unavailable", "path", r.URL.Path, "request_id", p.RequestID, "err", err)
	}
	return p
}

// WriteJSON writes v as a JSON response (application/json, one line) with
// the status. A value that does not marshal (a fault of ours) is answered
// as a 500 problem.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		WriteProblem(w, &Problem{Type: "about:blank", Title: StatusText(500), Status: 500,
			Code: o211.EINTERNAL, Detail: o211.ErrorMessage(err)})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
