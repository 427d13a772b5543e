package hub

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/node/auth"
	"github.com/o211/o211/node/httpx"
)

// headerForwarded marks a request forwarded by another replica (its id). A
// replica that receives one and does not lead answers 503 with headerRetry
// instead of forwarding it on: the origin looks the leader up again.
const headerForwarded = "X-O211-Forwarded-By"

// handlers is the route group of the replica's own API: health, cluster,
// region registry and directory batches. The replica mounts it first on its
// one HTTP server (httpx.Server), beside the groups of ServeProvince,
// ServeReports and ServeReplication.
type handlers struct {
	r      *Replica
	logger *slog.Logger
	client *http.Client // forwards writes to the leader
}

var (
	_ httpx.Group = (*handlers)(nil)
	_ httpx.Group = (*Province)(nil)
	_ httpx.Group = (*Reports)(nil)
	_ httpx.Group = (*Replication)(nil)
)

func newHandlers(r *Replica) *handlers {
	return &handlers{r: r, logger: r.logger, client: &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}}}
}

// Routes mounts the replica's own API on rt.
func (s *handlers) Routes(rt chi.Router) {
	s.routesHealth(rt)
	s.routesCluster(rt)
	s.routesRegions(rt)
	s.routesDirectory(rt)
	s.routesAccounts(rt)
}

// startHTTP builds the replica's one HTTP server, with the identity of the
// API token (when one is set), mounts its own API and the groups given to
// Mount, and starts it.
func (r *Replica) startHTTP(ctx context.Context) error {
	r.api = newHandlers(r)
	cfg := httpx.Config{Addr: r.cfg.HTTPAddr, Registerer: r.metrics.reg, Logger: r.logger,
		Middleware:        []func(http.Handler) http.Handler{r.api.servedBy},
		ReadHeaderTimeout: r.cfg.HTTPReadHeaderTimeout, IdleTimeout: r.cfg.HTTPIdleTimeout,
		ShutdownTimeout: r.cfg.ShutdownTimeout}
	cfg.Authenticator = r.accounts
	cfg.Middleware = append(cfg.Middleware, auth.Protect(r.logger)...)
	r.http = httpx.New(cfg)
	r.http.Mount(r.api, r.accounts)
	r.http.Mount(r.groups...)
	if err := r.http.Start(ctx); err != nil {
		return err
	}
	r.advertise = r.cfg.HTTPAdvertise
	if r.advertise == "" {
		r.advertise = advertisable(r.http.Addr())
	}
	return nil
}

// Mount adds route groups to the replica's HTTP server (the console, for
// one). Call it before Start.
func (r *Replica) Mount(groups ...httpx.Group) { r.groups = append(r.groups, groups...) }

// closeHTTP stops the HTTP server: gracefully, waiting up to
// Config.ShutdownTimeout for requests in flight, or at once.
func (r *Replica) closeHTTP(graceful bool) error {
	if r.http == nil {
		return nil
	}
	var err error
	if graceful {
		err = r.http.Close()
	} else {
		err = r.http.Abort()
	}
	r.api.client.CloseIdleConnections()
	return err
}

// requireToken lets through the replica's administrators: the bootstrap
// administrator of the API token, or a provincial user (or personal token)
// with the admin role. Without a token the write API is open.
func (s *handlers) requireToken(next http.Handler) http.Handler {
	if s.r.cfg.Token == "" {
		return next
	}
	return httpx.Require(o211.RoleAdmin)(next)
}

// reply is what a handler run on the leader answers.
type reply struct {
	status int
	value  any
	index  uint64
	mark   *uint64 // for a refused batch: the region's mark
}

// leaderFunc handles a request on the leader. A retryable error (see
// retryable) makes the request go to whichever replica leads next.
type leaderFunc func(ctx context.Context, req *http.Request, body []byte) (*reply, error)

// onLeader runs h on the leader: here if this replica leads, otherwise by
// forwarding the request to the leader's HTTP address. While there is no
// leader (an election) or the leader changes under the request, it waits
// for the next leader and tries again, until Config.WriteTimeout. A request
// is never refused because it reached a follower.
func (s *handlers) onLeader(h leaderFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		body, err := readBody(w, req, s.r.cfg.MaxBodyBytes)
		if err != nil {
			writeProblem(w, req, s.logger, err, nil)
			return
		}
		ctx, cancel := context.WithTimeout(req.Context(), s.r.cfg.WriteTimeout)
		defer cancel()
		forwarded := req.Header.Get(headerForwarded) != ""
		backoff := 5 * time.Millisecond
		for {
			changed := s.r.LeaderChanged()
			_, self, addr := s.r.leaderHTTP()
			switch {
			case self:
				rep, err := h(ctx, req, body)
				if err == nil || !retryable(err) {
					s.respond(w, req, rep, err)
					return
				}
			case forwarded:
				writeProblem(w, req, s.logger, ErrNotLeader, nil)
				return
			case addr != "":
				if s.forward(ctx, w, req, body, addr) {
					return
				}
			}
			t := time.NewTimer(backoff)
			select {
			case <-changed:
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				writeProblem(w, req, s.logger, o211.Errorf(o211.EUNAVAILABLE,
					"no hub leader could be reached within %s: an election is in progress or this replica is cut off from the majority; nothing was confirmed and it is safe to retry",
					s.r.cfg.WriteTimeout), nil)
				return
			}
			t.Stop()
			backoff = min(2*backoff, 100*time.Millisecond)
		}
	}
}

// respond writes a handler's reply or error.
func (s *handlers) respond(w http.ResponseWriter, req *http.Request, rep *reply, err error) {
	if err != nil {
		var mark *uint64
		if rep != nil {
			mark = rep.mark
		}
		writeProblem(w, req, s.logger, err, mark)
		return
	}
	if rep.status == http.StatusNoContent {
		w.WriteHeader(rep.status)
		return
	}
	writeJSON(w, rep.status, rep.index, rep.value)
}

// forward sends the request to the leader at addr and copies its answer. It
// returns false, having written nothing, when the leader could not be
// reached or answered that it no longer leads: the caller tries again.
func (s *handlers) forward(ctx context.Context, w http.ResponseWriter, req *http.Request, body []byte, addr string) bool {
	out, err := http.NewRequestWithContext(ctx, req.Method, "http://"+addr+req.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return false
	}
	for _, k := range []string{"Content-Type", "Authorization", "Accept"} {
		if v := req.Header.Get(k); v != "" {
			out.Header.Set(k, v)
		}
	}
	out.Header.Set(headerForwarded, s.r.cfg.ID)
	resp, err := s.client.Do(out)
	if err != nil {
		s.r.metrics.forwards.WithLabelValues("unreachable").Inc()
		s.logger.Debug("hub: forward to leader failed", "leader", addr, "error", err)
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get(headerRetry) != "" {
		_, _ = io.Copy(io.Discard, resp.Body)
		s.r.metrics.forwards.WithLabelValues("retry").Inc()
		return false
	}
	s.r.metrics.forwards.WithLabelValues("ok").Inc()
	for k, vs := range resp.Header {
		if k == "Content-Type" || k == "Content-Length" || k == "Retry-After" || k == "Www-Authenticate" ||
			k == "Location" || strings.HasPrefix(k, "X-O211-") {
			w.Header()[k] = vs
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
	return true
}

// readBody reads the request body up to max bytes.
func readBody(w http.ResponseWriter, req *http.Request, max int64) ([]byte, error) {
	if req.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, req.Body, max))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, o211.Errorf(o211.ETOOLARGE, "the request body is larger than %d bytes", max)
	} else if err != nil {
		return nil, o211.Errorf(o211.EINVALID, "the request body could not be read: %v", err)
	}
	return b, nil
}

// servedBy labels every answer with the replica that produced it.
func (s *handlers) servedBy(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("X-O211-Served-By", s.r.cfg.ID)
		next.ServeHTTP(w, req)
	})
}

// decodeStrict decodes a JSON body into v, refusing unknown fields, with a
// message that says where it went wrong (httpx.DecodeJSON).
func decodeStrict(body []byte, v any) error { return httpx.DecodeJSON(body, v) }
