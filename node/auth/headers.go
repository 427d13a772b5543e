package auth

import (
	"log/slog"
	"net/http"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
)

// ContentSecurityPolicy allows scripts, styles, images and fonts from the
// server itself only: no inline script or style, no plug-in, no framing,
// forms posting only back to the server.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// SecurityHeaders sets the security headers of every response: the
// Content-Security-Policy, no MIME sniffing, no referrer sent to other
// sites, no framing, and HSTS when the request came over TLS.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// CrossOrigin refuses writes (POST, PUT, PATCH, DELETE) that a browser
// says come from another site, with Go's http.CrossOriginProtection
// (Sec-Fetch-Site, else Origin against Host). Requests that name no
// origin, as scripts and older browsers send, pass: scripts have no
// cookies to abuse, and a session's writes also need its form token
// (Authenticate). deny answers a refused request.
func CrossOrigin(deny http.Handler) func(http.Handler) http.Handler {
	p := http.NewCrossOriginProtection()
	p.SetDenyHandler(deny)
	return p.Handler
}

// ErrCrossOrigin is the error a deny handler of CrossOrigin reports.
var ErrCrossOrigin = o211.Errorf(o211.EFORBIDDEN, "This request came from another site and was refused.")

// Protect returns the middleware of every response of a node or a hub
// replica: SecurityHeaders, then CrossOrigin answering its refusals as
// problems.
func Protect(log *slog.Logger) []func(http.Handler) http.Handler {
	deny := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { httpx.WriteError(w, r, log, ErrCrossOrigin) })
	return []func(http.Handler) http.Handler{SecurityHeaders, CrossOrigin(deny)}
}
