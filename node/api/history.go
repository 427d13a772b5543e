package api

import (
	"net/http"
	"strconv"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
)

// recordHistory answers GET /api/v1/{table}/{id}/history: a page of the
// record's change history, oldest first (o211.HistoryPage), with the
// parameters cursor and limit. A record the directory never held has an
// empty history; a deleted one keeps its history.
func (s *Write) recordHistory(t Table) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := o211.HistoryQuery{Kind: t.Kind, ID: pathID(r), Cursor: r.URL.Query().Get("cursor")}
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				s.writeProblem(w, r, o211.FieldErrorf("limit", "%q is not a positive whole number", httpx.Prefix(v)))
				return
			}
			q.Limit = n
		}
		page, err := s.cfg.Writer.History(q)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, page)
	}
}
