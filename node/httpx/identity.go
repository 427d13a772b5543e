package httpx

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/o211/o211"
)

// Authenticator checks the credential of a request.
type Authenticator interface {
	// Authenticate returns the actor a request's credential names, ok=false when the
	// request carries no credential, or an EUNAUTHORIZED error for a bad one.
	Authenticate(r *http.Request) (o211.Actor, bool, error)
}

// BootstrapActorID is the actor id of the shared API token.
const BootstrapActorID = "token:bootstrap"

// BearerToken returns the token of the request's "Authorization: Bearer
// <token>" header. sent is false when the request has no Authorization
// header at all; a header that is not a bearer token, or an empty one,
// is an EUNAUTHORIZED error. This is the one way nodes and hubs read a
// bearer token.
func BearerToken(r *http.Request) (token string, sent bool, err error) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return "", false, nil
	}
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", true, o211.Errorf(o211.EUNAUTHORIZED, "The Authorization header is not a bearer token: send \"Authorization: Bearer <token>\".")
	}
	if tok = strings.TrimSpace(tok); tok == "" {
		return "", true, o211.Errorf(o211.EUNAUTHORIZED, "The Authorization header holds an empty bearer token.")
	}
	return tok, true, nil
}

// TokenAuthenticator accepts the one shared API token of a node or a hub as
// the bootstrap administrator of Region (a node's region, or
// o211.ProvinceRegion on the hub). An empty token accepts nothing.
type TokenAuthenticator struct {
	sum    [32]byte
	empty  bool
	region string
}

// NewTokenAuthenticator returns the authenticator of token for region.
func NewTokenAuthenticator(token, region string) *TokenAuthenticator {
	return &TokenAuthenticator{sum: sha256.Sum256([]byte(token)), empty: token == "", region: region}
}

// Authenticate implements Authenticator: the bootstrap administrator for
// the token, ok=false without a credential, EUNAUTHORIZED for any other.
func (a *TokenAuthenticator) Authenticate(r *http.Request) (o211.Actor, bool, error) {
	tok, sent, err := BearerToken(r)
	if !sent || err != nil {
		return o211.Actor{}, sent, err
	}
	sum := sha256.Sum256([]byte(tok))
	if subtle.ConstantTimeCompare(sum[:], a.sum[:]) != 1 || a.empty {
		return o211.Actor{}, true, o211.Errorf(o211.EUNAUTHORIZED, "The API token is not valid.")
	}
	return o211.Actor{ID: BootstrapActorID, Role: o211.RoleAdmin, Region: a.region}, true, nil
}

// Identify returns middleware that asks auth for the request's credential
// and puts the actor it names in the request's context (o211.WithActor).
// A request without a credential goes on without an actor (Require
// refuses it where one is needed); a bad credential is answered 401 at
// once, with a challenge that says a bearer token is invalid.
func Identify(auth Authenticator, log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a, ok, err := auth.Authenticate(r)
			if err != nil {
				if tok, _, berr := BearerToken(r); berr == nil && tok != "" && o211.ErrorCode(err) == o211.EUNAUTHORIZED {
					// a bearer token that is not valid; other schemes get
					// the plain challenge (RFC 6750, section 3.1)
					w.Header().Set("WWW-Authenticate", `Bearer realm="o211", error="invalid_token"`)
				}
				WriteError(w, r, log, err)
				return
			}
			if ok {
				r = r.WithContext(o211.WithActor(r.Context(), a))
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Require returns middleware that lets through requests whose actor (set
// by Identify) holds one of roles, or any actor when roles is empty. A
// request without an actor is answered 401 saying a credential is needed;
// an actor without the role, 403.
func Require(roles ...o211.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a, ok := o211.ActorFrom(r.Context())
			switch {
			case !ok:
				WriteProblem(w, ProblemFor(r, o211.Errorf(o211.EUNAUTHORIZED,
					"This needs a credential: send \"Authorization: Bearer <token>\".")))
			case len(roles) > 0 && !slices.Contains(roles, a.Role):
				WriteProblem(w, ProblemFor(r, o211.Errorf(o211.EFORBIDDEN,
					"Your role (%s) does not allow this.", a.Role)))
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}
