package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/auth"
	"github.com/o211/o211/node/store"
)

const usersHelp = `users add|list|disable|passwd [flags]

Manage the user accounts that sign in to the console and hold personal API
tokens. A node keeps its region's users in its data folder; the hub keeps
the province's users in its Raft state.

  o211 users add --data DIR --username U --role R [--password-stdin]
  o211 users list --data DIR [--json]
  o211 users disable --data DIR --username U [--enable]
  o211 users passwd --data DIR --username U [--password-stdin]

--data works on a STOPPED node's folder (the running node holds the file).
For a running node, and always for the hub's provincial users, use --url
with --token (the bootstrap API token, or an administrator's personal
token) instead of --data: the hub's users live in its replicated Raft
state, which only a running cluster may change (a write into one stopped
replica's files would differ from the others' and be lost).

Without --password-stdin, add and passwd make a random password and print
it once. Roles: navigator, resource_specialist, supervisor, analyst,
coordinator, admin.`

// usersFlags are the flags of every users subcommand.
type usersFlags struct {
	data, url, token, username, role string
	passwordStdin, enable, asJSON    bool
}

func runUsers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(stderr, "Usage: o211 %s\n", usersHelp)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	verb := args[0]
	fs := flagSet("users "+verb, usersHelp, stderr)
	var f usersFlags
	fs.StringVar(&f.data, "data", "", "a stopped node's data folder")
	fs.StringVar(&f.url, "url", "", "HTTP address of a running node or hub replica (instead of --data)")
	fs.StringVar(&f.token, "token", "", "API token for --url: the bootstrap token or an administrator's personal token")
	fs.StringVar(&f.username, "username", "", "the user's sign-in name")
	fs.StringVar(&f.role, "role", "", "the user's role (add)")
	fs.BoolVar(&f.passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	fs.BoolVar(&f.enable, "enable", false, "disable: enable the user again instead")
	fs.BoolVar(&f.asJSON, "json", false, "list: print JSON")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if (f.data == "") == (f.url == "") {
		return o211.Errorf(o211.EINVALID, "give either --data (a stopped node's folder) or --url (a running node or hub)")
	}
	var m userManager
	if f.url != "" {
		m = &apiUsers{url: strings.TrimRight(f.url, "/"), token: f.token}
	} else {
		fm, err := openFolderUsers(f.data)
		if err != nil {
			return err
		}
		defer fm.close()
		m = fm
	}
	return usersVerb(ctx, verb, m, f, os.Stdin, stdout)
}

// userManager is what the users subcommands do, on a folder or over HTTP.
type userManager interface {
	add(ctx context.Context, username, password string, role o211.Role) (*o211.User, error)
	list(ctx context.Context) ([]*o211.User, error)
	setDisabled(ctx context.Context, username string, disabled bool) (*o211.User, error)
	setPassword(ctx context.Context, username, password string) (*o211.User, error)
}

func usersVerb(ctx context.Context, verb string, m userManager, f usersFlags, stdin io.Reader, stdout io.Writer) error {
	if verb != "list" && f.username == "" {
		return o211.FieldErrorf("username", "is required (--username)")
	}
	switch verb {
	case "add", "passwd":
		pw, shown, err := newPassword(f.passwordStdin, stdin)
		if err != nil {
			return err
		}
		var u *o211.User
		if verb == "add" {
			u, err = m.add(ctx, f.username, pw, o211.Role(f.role))
		} else {
			u, err = m.setPassword(ctx, f.username, pw)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %s (%s, %s)\n", map[string]string{"add": "added", "passwd": "password set"}[verb], u.Username, u.Role, u.Region)
		if shown {
			fmt.Fprintf(stdout, "password: %s\n(shown once: pass it on safely)\n", pw)
		}
		return nil
	case "disable":
		u, err := m.setDisabled(ctx, f.username, !f.enable)
		if err == nil {
			fmt.Fprintf(stdout, "%s is now %s\n", u.Username, map[bool]string{true: "disabled", false: "enabled"}[u.Disabled])
		}
		return err
	case "list":
		us, err := m.list(ctx)
		if err != nil {
			return err
		}
		return printUsers(stdout, us, f.asJSON)
	}
	return o211.Errorf(o211.EINVALID, "unknown users command %q: use add, list, disable or passwd", verb)
}

// newPassword reads the password from stdin, or makes a random one to show.
func newPassword(fromStdin bool, stdin io.Reader) (pw string, shown bool, err error) {
	if !fromStdin {
		return demoPassword(), true, nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("reading the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}

func printUsers(w io.Writer, us []*o211.User, asJSON bool) error {
	if asJSON {
		if us == nil {
			us = []*o211.User{}
		}
		return writeJSON(w, us)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tROLE\tREGION\tSTATUS\tCREATED")
	for _, u := range us {
		status := "active"
		if u.Disabled {
			status = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Username, u.Role, u.Region, status, u.Created.Format(time.DateOnly))
	}
	return tw.Flush()
}

// folderUsers manages the users of a stopped node's data folder.
type folderUsers struct {
	st  *store.Store
	svc *auth.Service
}

var cliActor = o211.System("users")

func openFolderUsers(dir string) (*folderUsers, error) {
	path := filepath.Join(dir, "node.db")
	if _, err := os.Stat(path); err != nil {
		return nil, o211.Errorf(o211.EINVALID, "%s holds no node (node.db): give a node's data folder, or --url for the hub", dir)
	}
	st, err := store.Open(path, store.Options{Timeout: time.Second})
	if errors.Is(err, store.ErrLocked) {
		return nil, o211.Errorf(o211.EUNAVAILABLE, "the node using %s is running: stop it, or use --url and --token", dir)
	} else if err != nil {
		return nil, err
	}
	if st.Region() == "" {
		st.Close()
		return nil, o211.Errorf(o211.EINVALID, "%s is a copy of the provincial directory, not a node's store", path)
	}
	return &folderUsers{st: st, svc: auth.New(auth.Config{Region: st.Region(), Users: st})}, nil
}

func (f *folderUsers) close() { f.st.Close() }

func (f *folderUsers) add(ctx context.Context, username, password string, role o211.Role) (*o211.User, error) {
	u, err := f.svc.AddUser(ctx, cliActor, username, password, role)
	if err != nil {
		return nil, err
	}
	return u.Public(), nil
}

func (f *folderUsers) list(ctx context.Context) ([]*o211.User, error) {
	return f.svc.Users(ctx, cliActor)
}

func (f *folderUsers) setDisabled(ctx context.Context, username string, disabled bool) (*o211.User, error) {
	return f.svc.SetDisabled(ctx, cliActor, username, disabled)
}

func (f *folderUsers) setPassword(ctx context.Context, username, password string) (*o211.User, error) {
	return f.svc.SetPassword(ctx, cliActor, username, password)
}
