package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/auth"
	"github.com/o211/o211/node/store"
)

// demoUser is a user of demo.json (DESIGN.md fixes its fields).
type demoUser struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Role     string `json:"role"`
	Region   string `json:"region"`
}

// demoUsersFile keeps the demo users' passwords between runs (0600).
func demoUsersFile(cfg demoConfig) string { return filepath.Join(cfg.data, "users.json") }

func readDemoUsers(cfg demoConfig) (map[string]demoUser, error) {
	known := map[string]demoUser{}
	b, err := os.ReadFile(demoUsersFile(cfg))
	if errors.Is(err, os.ErrNotExist) {
		return known, nil
	} else if err != nil {
		return nil, err
	}
	var list []demoUser
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, err
	}
	for _, u := range list {
		known[u.Region+"/"+u.Username] = u
	}
	return known, nil
}

func writeDemoUsers(cfg demoConfig, users []demoUser) error {
	b, err := json.MarshalIndent(users, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(demoUsersFile(cfg), append(b, '\n'), 0o600)
}

// ensureDemoUsers makes sure svc's region has one user of each role,
// named "<region>-<role>", with the password known from an earlier run (or
// a new one), and returns them.
func ensureDemoUsers(ctx context.Context, svc *auth.Service, known map[string]demoUser) ([]demoUser, error) {
	var out []demoUser
	region := svc.Region()
	for _, role := range o211.Roles {
		d, ok := known[region+"/"+region+"-"+string(role)]
		if !ok {
			d = demoUser{Username: region + "-" + string(role), Password: demoPassword(), Role: string(role), Region: region}
		}
		_, err := svc.AddUser(ctx, o211.System("demo"), d.Username, d.Password, role)
		if err == nil && (role == o211.RoleNavigator || role == o211.RoleSupervisor) {
			// The demo's staff take calls in both of Ontario's official
			// languages and are crisis-trained (the users page changes it).
			_, err = svc.SetQualifications(ctx, o211.System("demo"), d.Username, []string{"en", "fr"}, []string{"crisis"})
		} else if o211.ErrorCode(err) == o211.ECONFLICT && !ok {
			_, err = svc.SetPassword(ctx, o211.System("demo"), d.Username, d.Password) // password lost: set anew
		} else if o211.ErrorCode(err) == o211.ECONFLICT {
			err = nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// ensureNodeDemoUsers adds the demo users of a region to its node's store,
// before the node starts.
func ensureNodeDemoUsers(ctx context.Context, region, dataDir string, known map[string]demoUser) ([]demoUser, error) {
	st, err := store.Open(filepath.Join(dataDir, "node.db"), store.Options{Region: region, Timeout: 5 * time.Second})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return ensureDemoUsers(ctx, auth.New(auth.Config{Region: region, Users: st}), known)
}
