package o211

import (
	"context"
	"fmt"
)

// Role is what a person (or the system) may do in o211. A user has one role,
// held in one region (a node's users) or in the province (the hub's users,
// whose Region is ProvinceRegion).
type Role string

// The roles of DESIGN.md, and RoleSystem for work no person asked for
// (imports run from the command line, replication, retention purges).
const (
	RoleNavigator          Role = "navigator"
	RoleResourceSpecialist Role = "resource_specialist"
	RoleSupervisor         Role = "supervisor"
	RoleAnalyst            Role = "analyst"
	RoleCoordinator        Role = "coordinator"
	RoleAdmin              Role = "admin"
	RoleSystem             Role = "system"
)

// Roles lists the roles a user account may hold, in the order the console
// shows them. RoleSystem is not among them: no person signs in as the system.
var Roles = []Role{RoleNavigator, RoleResourceSpecialist, RoleSupervisor, RoleAnalyst, RoleCoordinator, RoleAdmin}

// ProvinceRegion is the Region of the hub's provincial users.
const ProvinceRegion = "hub"

// Valid reports whether r is a role a user account may hold.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

// ParseRole returns the role named s, or an EINVALID error that lists the
// roles there are.
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.Valid() {
		return r, nil
	}
	return "", FieldErrorf("role", "unknown role %q: use one of %v", truncate(s, 40), Roles)
}

// Actor is who makes a write or a read of personal fields: a signed-in user,
// the holder of an API token, or the system itself. Every directory and
// contact write carries one; the audit log and a record's change history
// name it. An Actor comes from a checked credential, never from what a
// request says about itself.
type Actor struct {
	// ID is the user's id (or "system", or "token:<id>" for an API token).
	ID string `json:"id"`
	// Username is the sign-in name shown in the console, when there is one.
	Username string `json:"username,omitempty"`
	Role     Role   `json:"role"`
	// Region is the region the actor belongs to (ProvinceRegion for the
	// hub's users, "" for the system).
	Region string `json:"region,omitempty"`
}

// System is the actor of work no person asked for: imports from the
// command line, replication from the hub, retention purges.
func System(what string) Actor {
	id := "system"
	if what != "" {
		id = "system:" + what
	}
	return Actor{ID: id, Role: RoleSystem}
}

// IsZero reports whether a is the zero Actor (nobody).
func (a Actor) IsZero() bool { return a.ID == "" }

// String names the actor for logs: "alice (navigator, east)".
func (a Actor) String() string {
	name := a.Username
	if name == "" {
		name = a.ID
	}
	if a.Region == "" {
		return fmt.Sprintf("%s (%s)", name, a.Role)
	}
	return fmt.Sprintf("%s (%s, %s)", name, a.Role, a.Region)
}

type actorKey struct{}

// WithActor returns a context that carries a, set by the middleware that
// checked the request's credential.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor a context carries, if any.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok && !a.IsZero()
}

// truncate returns at most n bytes of s (cut at a rune boundary), with "…"
// when it was cut: error messages never echo more than a short prefix of
// what was sent.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !validStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// validStart reports whether b can begin a UTF-8 encoded rune.
func validStart(b byte) bool { return b&0xC0 != 0x80 }
