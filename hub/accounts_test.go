package hub

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/auth"
)

// TestAccounts_Replicated adds a provincial user on a follower (the
// command goes to the leader), signs in on another replica once the user
// has reached it, and checks that a session stays with its replica while
// a personal token works on every one.
func TestAccounts_Replicated(t *testing.T) {
	c := newCluster(t, 3, withConfig(func(cfg *Config) {
		cfg.Hasher = auth.NewHasher(auth.Params{Memory: 1024, Time: 1, Threads: 1}, 2)
	}))
	leader := c.leader(10 * time.Second)
	var followers []*Replica
	for _, id := range c.ids() {
		if id != leader.ID() {
			followers = append(followers, c.r(id))
		}
	}
	ctx := context.Background()
	u, err := followers[0].Accounts().AddUser(ctx, o211.System("test"),
		"ana", "analyst-password", o211.RoleAnalyst)
	if err != nil {
		t.Fatalf("add user on a follower: %v", err)
	}
	if _, err := leader.Accounts().AddUser(ctx, o211.System("test"),
		"ana", "analyst-password", o211.RoleAnalyst); o211.ErrorCode(err) != o211.ECONFLICT {
		t.Errorf("second ana on the leader: %v, want ECONFLICT", err)
	}
	var cookie *http.Cookie
	testutil.CheckFor(t, 10*time.Second, func() error {
		w := httptest.NewRecorder()
		_, err := followers[1].Accounts().SignIn(w, httptest.NewRequest("POST", "/console/login", nil), "ana", "analyst-password")
		if err != nil {
			return err
		}
		cookie = w.Result().Cookies()[0]
		return nil
	})
	who := func(r *Replica, set func(*http.Request)) (o211.Actor, bool, error) {
		req := httptest.NewRequest("GET", "/console/", nil)
		set(req)
		return r.Accounts().Authenticate(req)
	}
	withCookie := func(req *http.Request) { req.AddCookie(cookie) }
	if a, ok, err := who(followers[1], withCookie); !ok || err != nil || a.ID != u.ID || a.Region != o211.ProvinceRegion {
		t.Fatalf("session on its replica: %+v %v %v", a, ok, err)
	}
	if _, ok, _ := who(leader, withCookie); ok {
		t.Error("a session of one replica was accepted by another")
	}
	tok, _, err := followers[1].Accounts().CreateToken(ctx, u.Actor(), "reports", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Replica{leader, followers[0], followers[1]} {
		testutil.CheckFor(t, 10*time.Second, func() error {
			a, ok, err := who(r, func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+tok) })
			if err != nil || !ok || a.Role != o211.RoleAnalyst {
				return fmt.Errorf("token at %s: %+v %v %v", r.ID(), a, ok, err)
			}
			return nil
		})
	}
	log, err := followers[1].sessions.SignInLog(10)
	if err != nil || len(log) == 0 || log[0].Action != "signin" || log[0].Actor.Username != "ana" {
		t.Errorf("sign-in log of the replica: %+v %v", log, err)
	}
}

// TestAccounts_UsersAPI adds a provincial user through a follower's
// /api/v1/users with the bootstrap token, and the user's personal token
// is then refused the hub's writes (an analyst is no administrator).
func TestAccounts_UsersAPI(t *testing.T) {
	c := newCluster(t, 3, withConfig(func(cfg *Config) {
		cfg.Hasher = auth.NewHasher(auth.Params{Memory: 1024, Time: 1, Threads: 1}, 2)
	}))
	leader := c.leader(10 * time.Second)
	var follower string
	for _, id := range c.ids() {
		if id != leader.ID() {
			follower = id
		}
	}
	cl := c.client(follower)
	var u o211.User
	if err := cl.do(context.Background(), http.MethodPost, "/api/v1/users",
		map[string]string{"username": "ana", "password": "analyst-password", "role": "analyst"}, &u); err != nil {
		t.Fatalf("POST /api/v1/users on a follower: %v", err)
	}
	if u.Region != o211.ProvinceRegion || u.PasswordHash != "" {
		t.Errorf("answer %+v", u)
	}
	var tok string
	testutil.CheckFor(t, 10*time.Second, func() error {
		var err error
		tok, _, err = leader.Accounts().CreateToken(context.Background(), u.Actor(), "t", "", nil)
		return err
	})
	analyst := &Client{BaseURL: cl.BaseURL, Token: tok}
	testutil.CheckFor(t, 10*time.Second, func() error { // the token reaches the follower
		if _, err := analyst.PutRegion(context.Background(), o211.Region{ID: "east", Name: "East"}); o211.ErrorCode(err) != o211.EFORBIDDEN {
			return fmt.Errorf("an analyst registering a region: %v, want EFORBIDDEN", err)
		}
		return nil
	})
	var list struct{ Users []o211.User }
	if err := analyst.do(context.Background(), http.MethodGet, "/api/v1/users", nil, &list); o211.ErrorCode(err) != o211.EFORBIDDEN {
		t.Errorf("an analyst listing users: %v, want EFORBIDDEN", err)
	}
}
