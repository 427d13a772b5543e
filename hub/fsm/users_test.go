package fsm_test

import (
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
)

func hubUser(id, name string, role o211.Role) o211.User {
	return o211.User{ID: id, Username: name, Role: role, Region: o211.ProvinceRegion,
		PasswordHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", Created: t0, Updated: t0}
}

func TestFSM_Users(t *testing.T) {
	f := mustOpen(t)
	l := &logs{tb: t}
	ana := hubUser("u1", "ana", o211.RoleAnalyst)
	if r := apply(t, f, l.next(fsm.CmdPutUser, t0, &fsm.PutUser{User: ana})); r.Err != nil {
		t.Fatal(r.Err)
	}
	t.Run("ErrUsernameTaken", func(t *testing.T) {
		r := apply(t, f, l.next(fsm.CmdPutUser, t0, &fsm.PutUser{User: hubUser("u2", "ana", o211.RoleAdmin)}))
		if o211.ErrorCode(r.Err) != o211.ECONFLICT {
			t.Errorf("second ana: %v, want ECONFLICT", r.Err)
		}
	})
	t.Run("ErrRegion", func(t *testing.T) {
		u := hubUser("u3", "west-nav", o211.RoleNavigator)
		u.Region = "west"
		if r := apply(t, f, l.next(fsm.CmdPutUser, t0, &fsm.PutUser{User: u})); o211.ErrorCode(r.Err) != o211.EINVALID {
			t.Errorf("a regional user in the hub: %v, want EINVALID", r.Err)
		}
	})
	t.Run("Rename", func(t *testing.T) {
		ana.Username = "ana.b"
		if r := apply(t, f, l.next(fsm.CmdPutUser, t0, &fsm.PutUser{User: ana})); r.Err != nil {
			t.Fatal(r.Err)
		}
		_ = f.View(func(s *fsm.State) error {
			if _, err := s.UserByName("ana"); o211.ErrorCode(err) != o211.ENOTFOUND {
				t.Errorf("old name still found: %v", err)
			}
			if u, err := s.UserByName("ana.b"); err != nil || u.ID != "u1" || u.PasswordHash == "" {
				t.Errorf("new name: %+v %v", u, err)
			}
			return nil
		})
	})
	tok := o211.APIToken{ID: "t1", UserID: "u1", Name: "script", Role: o211.RoleAnalyst, Hash: "abc", Created: t0}
	for i := 0; i < 2; i++ { // idempotent
		if r := apply(t, f, l.next(fsm.CmdPutToken, t0, &fsm.PutToken{Token: tok})); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	orphan := tok
	orphan.ID, orphan.UserID = "t2", "nobody"
	if r := apply(t, f, l.next(fsm.CmdPutToken, t0, &fsm.PutToken{Token: orphan})); o211.ErrorCode(r.Err) != o211.ENOTFOUND {
		t.Errorf("token of an unknown user: %v, want ENOTFOUND", r.Err)
	}
	_ = f.View(func(s *fsm.State) error {
		ts, err := s.Tokens("u1")
		if err != nil || len(ts) != 1 || ts[0].Hash != "abc" {
			t.Errorf("tokens of u1: %+v %v", ts, err)
		}
		return nil
	})
	for i := 0; i < 2; i++ {
		if r := apply(t, f, l.next(fsm.CmdDeleteToken, t0, &fsm.DeleteToken{ID: "t1"})); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	_ = f.View(func(s *fsm.State) error {
		if _, err := s.Token("t1"); o211.ErrorCode(err) != o211.ENOTFOUND {
			t.Errorf("deleted token: %v", err)
		}
		if us, err := s.Users(); err != nil || len(us) != 1 {
			t.Errorf("users: %d %v", len(us), err)
		}
		return nil
	})
}
