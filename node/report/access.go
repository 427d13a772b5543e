package report

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/o211/o211"
)

// Who may ask what (issue 11.2). Flexible reports (/api/v1/reports/needs,
// /unmet, /top, /emerging, /gaps) answer any query, so they are for
// callers with an account, each query audited: administrators, analysts,
// and supervisors (on the hub only for their own region). Anyone may read
// the published tables (Published), a fixed set computed the same way.

// Authenticate returns the actor a request's credential names, ok=false
// when the request carries no credential, or an EUNAUTHORIZED error for a
// bad one (the method of node/httpx's Authenticator).
type Authenticate func(r *http.Request) (a o211.Actor, ok bool, err error)

// Audit records that actor a asked the flexible report query of r (its
// path and query string). A query whose audit fails is not answered.
type Audit func(ctx context.Context, a o211.Actor, r *http.Request) error

// queryRoles may ask flexible reports.
var queryRoles = []o211.Role{o211.RoleAdmin, o211.RoleAnalyst, o211.RoleSupervisor}

// maxAuditQuery is the longest request URI an audit entry keeps.
const maxAuditQuery = 512

// AuditURI returns the request URI of r for an audit entry, cut to
// maxAuditQuery bytes.
func AuditURI(r *http.Request) string {
	u := r.URL.RequestURI()
	if len(u) > maxAuditQuery {
		u = u[:maxAuditQuery]
	}
	return u
}

// caller returns the actor of a flexible report request: the one the
// identity middleware put in its context, else the one Config.Authenticate
// names. It returns EUNAUTHORIZED without a credential (or when no
// Authenticate is configured) and EFORBIDDEN for a role that may not ask.
func (s *server) caller(r *http.Request) (o211.Actor, error) {
	a, ok := o211.ActorFrom(r.Context())
	if !ok && s.cfg.Authenticate != nil {
		var err error
		if a, ok, err = s.cfg.Authenticate(r); err != nil {
			return o211.Actor{}, err
		}
	}
	if !ok || a.IsZero() {
		return o211.Actor{}, o211.Errorf(o211.EUNAUTHORIZED, "Flexible reports need an account (send \"Authorization: Bearer <token>\"); "+
			"the published tables at /api/v1/reports/published need none.")
	}
	for _, role := range queryRoles {
		if a.Role == role {
			return a, nil
		}
	}
	return o211.Actor{}, o211.Errorf(o211.EFORBIDDEN, "Flexible reports are for administrators, analysts and supervisors.")
}

// checkScope refuses a supervisor's provincial query beyond its region.
func (s *server) checkScope(a o211.Actor, q *Query) error {
	if a.Role != o211.RoleSupervisor || s.cfg.Scope != o211.ScopeProvince {
		return nil
	}
	if len(q.Filters.Region) != 1 || q.Filters.Region[0] != a.Region {
		return &o211.Error{Code: o211.EFORBIDDEN, Field: "region",
			Message: "region: a supervisor's provincial reports cover the supervisor's region: add region=" + a.Region}
	}
	return nil
}

// QueryLog keeps the last flexible report queries of a server that has no
// audit log of its own (a hub replica), and logs each one. Its Audit
// method is an Audit.
type QueryLog struct {
	Logger *slog.Logger
	Now    func() time.Time
	Size   int // entries kept (default 1000)

	mu      sync.Mutex
	entries []o211.AuditEntry
	next    int
}

// Audit logs the query and keeps it. It never fails.
func (l *QueryLog) Audit(_ context.Context, a o211.Actor, r *http.Request) error {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	e := o211.AuditEntry{Time: now().UTC(), Actor: a, Action: AuditAction, Path: AuditURI(r), From: r.RemoteAddr}
	if l.Logger != nil {
		l.Logger.Info("report query", "actor", a.ID, "role", string(a.Role), "query", e.Path, "from", e.From)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	size := l.Size
	if size <= 0 {
		size = 1000
	}
	if len(l.entries) < size {
		l.entries = append(l.entries, e)
		return nil
	}
	l.entries[l.next] = e
	l.next = (l.next + 1) % size
	return nil
}

// Entries returns the queries kept, oldest first.
func (l *QueryLog) Entries() []o211.AuditEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append(append([]o211.AuditEntry(nil), l.entries[l.next:]...), l.entries[:l.next]...)
}

// AuditAction is the action of a report query's audit entry.
const AuditAction = "report_query"
