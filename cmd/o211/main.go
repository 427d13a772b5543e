// Command o211 is the one binary of the o211 federated 211 system: it runs
// a regional node, a provincial hub replica or a whole demo province, and
// imports, exports and generates directory data.
//
// This is the only package where concrete types meet and configuration is
// read: flags, each with an environment-variable form (O211_<FLAG>).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/o211/o211"
)

// command is one subcommand of o211.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"node", "run a regional 211 node", runNode},
		{"hub", "run a provincial hub replica (or manage members)", runHub},
		{"import", "import directory data into a node's store", runImport},
		{"export", "export a node's directory as HSDS", runExport},
		{"gen", "generate a synthetic province as an HSDS datapackage, or its contacts", runGen},
		{"demo", "run a whole province on this machine", runDemo},
		{"pki", "create the certificates and NATS credentials of the hub and the regions", runPKI},
		{"users", "add, list, disable users or set their passwords (a node's or the hub's)", runUsers},
		{"backup", "take a consistent copy of a running node's or hub replica's stores", runBackup},
		{"restore", "restore a node's or a hub replica's data folder from a backup", runRestore},
		{"reconcile", "after a node was restored from an older backup: agree with the hub again", runReconcile},
		{"status", "show a node's or hub replica's replication status", runStatus},
		{"bench", "measure a node (bench search)", runBench},
		{"sim", "simulate a 211 centre's callers and navigators against running nodes", runSim},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if path := os.Getenv("O211_CPUPROFILE"); path != "" {
		// For profiling any subcommand: O211_CPUPROFILE=cpu.prof o211 ...
		// ("{pid}" in the name is the process id: a bench's node writes
		// its own profile beside the bench's).
		path = strings.ReplaceAll(path, "{pid}", strconv.Itoa(os.Getpid()))
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
	}
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintf(stderr, "o211 %s: %s\n", c.name, describe(err))
			return 1
		}
	}
	fmt.Fprintf(stderr, "o211: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// describe renders an error for the terminal: the domain message and every
// listed problem.
func describe(err error) string {
	var e *o211.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	var b strings.Builder
	b.WriteString(e.Message)
	if len(e.Problems) > 1 {
		for _, p := range e.Problems {
			b.WriteString("\n  ")
			b.WriteString(p.String())
		}
	}
	return b.String()
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: o211 <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'o211 <command> --help' for a command's flags. Every flag can also be\nset in the environment as O211_<FLAG> (for example O211_DATA for --data).")
}

var errUsage = errors.New("usage")

// flagSet returns a FlagSet whose usage lists each flag with its
// environment variable.
func flagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: o211 %s\n\nFlags (environment variable in brackets):\n", synopsis)
		var lines []string
		fs.VisitAll(func(f *flag.Flag) {
			def := ""
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			lines = append(lines, fmt.Sprintf("  --%s [%s]\n        %s%s", f.Name, envName(f.Name), f.Usage, def))
		})
		sort.Strings(lines)
		fmt.Fprintln(stderr, strings.Join(lines, "\n"))
	}
	return fs
}

// envName is the environment variable form of a flag: --raft-addr is
// O211_RAFT_ADDR.
func envName(flagName string) string {
	return "O211_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parse parses args, then fills every flag not given on the command line
// from its environment variable.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %v", envName(f.Name), v, e)
			}
		}
	})
	return err
}
