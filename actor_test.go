package o211_test

import (
	"context"
	"strings"
	"testing"

	"github.com/o211/o211"
)

func TestParseRole(t *testing.T) {
	for _, r := range o211.Roles {
		if got, err := o211.ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v; want %q", r, got, err, r)
		}
	}
	for _, bad := range []string{"", "system", "Navigator", strings.Repeat("x", 500)} {
		_, err := o211.ParseRole(bad)
		if o211.ErrorCode(err) != o211.EINVALID {
			t.Errorf("ParseRole(%q): got %v, want an EINVALID error", bad, err)
			continue
		}
		if len(err.Error()) > 200 {
			t.Errorf("ParseRole of %d bytes: the message echoes it whole (%d bytes)", len(bad), len(err.Error()))
		}
	}
}

func TestActorContext(t *testing.T) {
	ctx := context.Background()
	if _, ok := o211.ActorFrom(ctx); ok {
		t.Fatal("a bare context carries an actor")
	}
	a := o211.Actor{ID: "u1", Username: "alice", Role: o211.RoleNavigator, Region: "east"}
	got, ok := o211.ActorFrom(o211.WithActor(ctx, a))
	if !ok || got != a {
		t.Fatalf("got %+v, %v; want %+v", got, ok, a)
	}
	if s := a.String(); s != "alice (navigator, east)" {
		t.Errorf("String() = %q", s)
	}
	if sys := o211.System("import"); sys.ID != "system:import" || sys.Role != o211.RoleSystem {
		t.Errorf("System(import) = %+v", sys)
	}
}
