package hub

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/o211/o211"
)

// statusOf is the one table mapping o211 error codes to HTTP statuses on the
// hub's API.
var statusOf = map[string]int{
	o211.EINVALID:        http.StatusBadRequest,
	o211.EUNAUTHORIZED:   http.StatusUnauthorized,
	o211.EFORBIDDEN:      http.StatusForbidden,
	o211.ENOTFOUND:       http.StatusNotFound,
	o211.ECONFLICT:       http.StatusConflict,
	o211.ETOOLARGE:       http.StatusRequestEntityTooLarge,
	o211.EINTERNAL:       http.StatusInternalServerError,
	o211.ENOTIMPLEMENTED: http.StatusNotImplemented,
	o211.EUNAVAILABLE:    http.StatusServiceUnavailable,
}

// codeOf returns the status code's o211 error code (the reverse of
// statusOf), for the client.
func codeOf(status int) string {
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

// headerRetry marks a 503 answer after which another replica, or the same
// one a moment later, may succeed: the origin of a forwarded write retries.
const headerRetry = "X-O211-Retry"

// Problem is an RFC 9457 problem document, with the o211 error code, the
// offending field and, for a refused batch, the region's mark.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail"`
	Instance string         `json:"instance,omitempty"`
	Code     string         `json:"code"`
	Field    string         `json:"field,omitempty"`
	Problems []o211.Problem `json:"problems,omitempty"`
	Mark     *uint64        `json:"mark,omitempty"`
}

// asDomain turns the hub's infrastructure errors into domain errors with a
// message fit for users; other errors are returned as they are.
func asDomain(err error) error {
	switch {
	case errors.Is(err, ErrNotLeader), errors.Is(err, ErrLeadershipLost):
		return o211.Errorf(o211.EUNAVAILABLE, "the hub is changing leader; the write was not confirmed and is safe to retry")
	case errors.Is(err, ErrTimeout):
		return o211.Errorf(o211.EUNAVAILABLE, "the hub did not confirm the write in time: no majority of replicas could be reached; it is safe to retry")
	case errors.Is(err, ErrClosed):
		return o211.Errorf(o211.EUNAVAILABLE, "this hub replica is shutting down; retry on another")
	}
	return err
}

// writeProblem writes err as application/problem+json. Internal errors are
// logged in full and shown as a plain sentence.
func writeProblem(w http.ResponseWriter, req *http.Request, logger *slog.Logger, err error, mark *uint64) {
	err = asDomain(err)
	code := o211.ErrorCode(err)
	if code == o211.EINTERNAL {
		logger.Error("hub: request failed", "method", req.Method, "path", req.URL.Path, "error", err)
	}
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status,
		Detail: o211.ErrorMessage(err), Instance: req.URL.Path, Code: code, Mark: mark}
	var e *o211.Error
	if errors.As(err, &e) {
		p.Field, p.Problems = e.Field, e.Problems
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
		h.Set(headerRetry, "1")
	}
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="o211-hub"`)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeJSON writes v as JSON with the status, and the applied index header
// when index is non-zero.
func writeJSON(w http.ResponseWriter, status int, index uint64, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if index > 0 {
		h.Set(headerIndex, strconv.FormatUint(index, 10))
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// headerIndex carries the applied index a read was served at, or the index
// at which a write was applied.
const headerIndex = "X-O211-Applied-Index"
