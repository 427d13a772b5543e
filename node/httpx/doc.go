// Package httpx is the HTTP edge every o211 surface shares: one error body
// (Problem, RFC 9457), one table from o211 error codes to HTTP statuses,
// WriteJSON and WriteError, the identity middleware that turns a request's
// credential into an o211.Actor (Identify, Require), the request id,
// metrics, logging and recovery middleware, and Server, the one listener
// and chi router of a process (a node or a hub replica) on which route
// groups are mounted.
//
// A route group is a value with a Routes(chi.Router) method, built from
// the narrow interfaces it needs; it never owns a listener. Handlers answer
// errors with WriteError and read the caller with o211.ActorFrom; they
// never trust a header that names the actor.
//
// httpx imports the domain root, chi and the Prometheus client only.
package httpx
