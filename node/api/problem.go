package api

import (
	"net/http"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
)

// paramError returns the EINVALID error of a bad query parameter.
func paramError(param, format string, args ...any) error {
	return o211.FieldErrorf(param, format, args...)
}

// writeProblem answers err as a problem (httpx.WriteError).
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, s.log, err)
}

// writeJSON writes v as a JSON response with the status.
func writeJSON(w http.ResponseWriter, status int, v any) { httpx.WriteJSON(w, status, v) }
