package hub

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
)

// headerRetry marks a 503 answer after which another replica, or the same
// one a moment later, may succeed: the origin of a forwarded write retries.
const headerRetry = "X-O211-Retry"

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

// writeProblem writes err as application/problem+json (httpx.WriteError),
// after translating the hub's infrastructure errors. A 503 says that the
// write is safe to retry (headerRetry); mark, when set, is the region's
// high-water mark after a refused batch.
func writeProblem(w http.ResponseWriter, req *http.Request, logger *slog.Logger, err error, mark *uint64) {
	p := httpx.LogProblem(req, logger, asDomain(err))
	p.Mark = mark
	if p.Status == http.StatusServiceUnavailable {
		w.Header().Set(headerRetry, "1")
	}
	httpx.WriteProblem(w, p)
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
	httpx.WriteJSON(w, status, v)
}

// headerIndex carries the applied index a read was served at, or the index
// at which a write was applied.
const headerIndex = "X-O211-Applied-Index"
