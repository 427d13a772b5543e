package auth

import (
	"context"
	"time"

	"github.com/o211/o211"
)

// manages reports whether a may manage the accounts of role: the system
// (the command line) and administrators any, a supervisor the region's
// navigators and resource specialists.
func (s *Service) manages(a o211.Actor, role o211.Role) error {
	if a.Role == o211.RoleSystem {
		return nil
	}
	if a.Region != s.cfg.Region || !a.HasRole(o211.RoleAdmin, o211.RoleSupervisor) {
		return o211.Errorf(o211.EFORBIDDEN, "only a supervisor or an administrator of %s manages its users", s.cfg.Region)
	}
	if !a.Role.Covers(role) {
		return o211.Errorf(o211.EFORBIDDEN, "a %s cannot manage %s accounts: ask an administrator", a.Role, role)
	}
	return nil
}

// AddUser creates a user of the service's region, as a.
//
// Errors: EINVALID (username, password or role; Field says which),
// ECONFLICT for a username in use, EFORBIDDEN when a may not.
func (s *Service) AddUser(ctx context.Context, a o211.Actor, username, password string, role o211.Role) (*o211.User, error) {
	name, err := o211.NormalizeUsername(username)
	if err != nil {
		return nil, err
	}
	role, err = o211.ParseRole(string(role))
	if err != nil {
		return nil, err
	}
	if err := s.manages(a, role); err != nil {
		return nil, err
	}
	if err := o211.ValidatePassword(name, password); err != nil {
		return nil, err
	}
	if _, err := s.cfg.Users.UserByName(ctx, name); err == nil {
		return nil, o211.Errorf(o211.ECONFLICT, "the username %q is taken", name)
	} else if o211.ErrorCode(err) != o211.ENOTFOUND {
		return nil, err
	}
	hash, err := s.cfg.Hasher.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	u := &o211.User{ID: NewID(), Username: name, Role: role, Region: s.cfg.Region, PasswordHash: hash,
		Created: now, Updated: now, PasswordChanged: now}
	if err := s.cfg.Users.PutUser(ctx, a, u); err != nil {
		return nil, err
	}
	return u, nil
}

// Users lists the region's users, without password hashes, for a
// supervisor or administrator.
func (s *Service) Users(ctx context.Context, a o211.Actor) ([]*o211.User, error) {
	if err := s.manages(a, o211.RoleNavigator); err != nil {
		return nil, err
	}
	us, err := s.cfg.Users.Users(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*o211.User, 0, len(us))
	for _, u := range us {
		out = append(out, u.Public())
	}
	return out, nil
}

// SetDisabled disables (or enables again) the user named username: a
// disabled user's sessions and tokens stop working at once.
//
// Errors: ENOTFOUND, EFORBIDDEN (not allowed, or one's own account).
func (s *Service) SetDisabled(ctx context.Context, a o211.Actor, username string, disabled bool) (*o211.User, error) {
	return s.update(ctx, a, username, func(u *o211.User) error {
		if u.ID == a.ID && disabled {
			return o211.Errorf(o211.EFORBIDDEN, "you cannot disable your own account")
		}
		u.Disabled = disabled
		return nil
	})
}

// SetQualifications sets the languages and skills the user named
// username was given ("fr", "crisis"): the contacts the queue may route
// to them. A supervisor sets them for the region's navigators, an
// administrator for anyone; nobody for their own account. A nil list is
// left as it is.
//
// Errors: ENOTFOUND, EFORBIDDEN, EINVALID (Field "languages" or "skills").
func (s *Service) SetQualifications(ctx context.Context, a o211.Actor, username string, languages, skills []string) (*o211.User, error) {
	langs, err := o211.ParseQualifications("languages", languages)
	if err != nil {
		return nil, err
	}
	sk, err := o211.ParseQualifications("skills", skills)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, a, username, func(u *o211.User) error {
		if u.ID == a.ID && a.Role != o211.RoleSystem {
			return o211.Errorf(o211.EFORBIDDEN, "you cannot give yourself languages or skills: ask a supervisor or an administrator")
		}
		if languages != nil {
			u.Languages = langs
		}
		if skills != nil {
			u.Skills = sk
		}
		return nil
	})
}

// SetPassword sets the password of username, as a supervisor or
// administrator (or the command line) does: the user's sessions end, and
// a lockout too.
//
// Errors: ENOTFOUND, EFORBIDDEN, EINVALID for the password.
func (s *Service) SetPassword(ctx context.Context, a o211.Actor, username, password string) (*o211.User, error) {
	u, err := s.update(ctx, a, username, func(u *o211.User) error { return s.setPassword(ctx, u, password) })
	if err == nil && s.cfg.Sessions != nil {
		err = s.Unlock(ctx, u.ID) // a new password ends a lockout
	}
	return u, err
}

// ChangePassword changes the password of a signed-in user, who gives the
// current one. Their other sessions end (a new session is needed: the
// console signs them in again).
//
// Errors: o211.ErrWrongCredentials for a wrong current password, EINVALID.
func (s *Service) ChangePassword(ctx context.Context, a o211.Actor, current, password string) (*o211.User, error) {
	u, err := s.cfg.Users.User(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	ok, err := s.cfg.Hasher.Verify(ctx, u.PasswordHash, cut(current, 4*o211.MaxPasswordLen))
	if err != nil || !ok {
		return nil, &o211.Error{Code: o211.EINVALID, Field: "current_password", Message: "current_password: is wrong"}
	}
	if err := s.setPassword(ctx, u, password); err != nil {
		return nil, err
	}
	return u, s.cfg.Users.PutUser(ctx, a, u)
}

func (s *Service) setPassword(ctx context.Context, u *o211.User, password string) error {
	if err := o211.ValidatePassword(u.Username, password); err != nil {
		return err
	}
	hash, err := s.cfg.Hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	// Sessions begun before PasswordChanged end.
	now := s.cfg.Now().UTC()
	u.PasswordHash, u.PasswordChanged, u.Updated = hash, now, now
	return nil
}

// update applies fn to the user named username and stores it.
func (s *Service) update(ctx context.Context, a o211.Actor, username string, fn func(*o211.User) error) (*o211.User, error) {
	name, err := o211.NormalizeUsername(username)
	if err != nil {
		return nil, err
	}
	u, err := s.cfg.Users.UserByName(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := s.manages(a, u.Role); err != nil {
		return nil, err
	}
	if err := fn(u); err != nil {
		return nil, err
	}
	u.Updated = s.cfg.Now().UTC()
	if err := s.cfg.Users.PutUser(ctx, a, u); err != nil {
		return nil, err
	}
	return u.Public(), nil
}
