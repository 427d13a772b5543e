package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/cmd/o211/internal/gen"
	"github.com/o211/o211/node/importer"
)

// genContactsUsage is the synopsis of gen contacts.
const genContactsUsage = "gen contacts --seed S --start YYYY-MM-DD --days N --per-day N [--region ID]\n" +
	"         [--surge region:YYYY-MM-DD:days:factor[:tag]] [--surge-needs CODES] [--directory DIR]\n" +
	"         (--out FILE|- | --post URL --token T --region ID)\n\n" +
	"Writes a realistic stream of closed 211 contacts, one JSON o211 contact a line, in order of\n" +
	"start time: daily and weekly rhythm, needs as 211 taxonomy codes, about one need in twenty\n" +
	"unmet, about one caller in six in French. Callers have names, numbers, e-mail addresses,\n" +
	"postal codes and notes: synthetic personal data (numbers in the 555-01xx range, e-mail under\n" +
	"example.com). The same flags give the same output; a region's contacts are the same whether\n" +
	"it is generated alone or with the province. With --post they are created on a running node\n" +
	"instead (POST /api/v1/contacts), which holds its own region's contacts only."

// runGenContacts is "o211 gen contacts": a synthetic stream of contacts,
// written as NDJSON or created on a node.
func runGenContacts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("gen contacts", genContactsUsage, stderr)
	seed := fs.Int64("seed", 1, "random seed; the same seed gives the same contacts")
	startFlag := fs.String("start", gen.DefaultNow.Format(time.DateOnly), "first day, YYYY-MM-DD (local Toronto time)")
	days := fs.Int("days", 7, "number of days")
	perDay := fs.Int("per-day", gen.DefaultContactsPerDay, "province-wide average of contacts a day (about 500,000 a year by default)")
	region := fs.String("region", "", "write only this region's contacts (its share of the province's --per-day)")
	surgeFlag := fs.String("surge", "", "a community emergency, region:YYYY-MM-DD:days:factor[:tag], e.g. east:2026-01-20:5:3:2026-ottawa-ice-storm;\n"+
		"        multiplies the region's contacts by factor for those days, shifts their needs to --surge-needs\n"+
		"        and tags them (default tag region-emergency-YYYY-MM-DD)")
	surgeNeeds := fs.String("surge-needs", strings.Join(gen.DefaultSurgeNeeds, ","), "comma-separated taxonomy codes of the emergency's needs, most frequent first")
	directory := fs.String("directory", "", "an HSDS CSV datapackage (written by o211 gen): referrals go to its services in the\n"+
		"        contact's region that offer the need; without it contacts have no referrals")
	out := fs.String("out", "", "file to write, or - for standard output (required unless --post)")
	post := fs.String("post", "", "create the contacts on the node at this URL (http://host:port) instead of writing them;\n"+
		"        needs --region (the node's) and --token; contacts there already are skipped")
	token := fs.String("token", "", "the node's API token, for --post")
	workers := fs.Int("post-workers", 8, "concurrent requests of --post")
	quiet := fs.Bool("quiet", false, "do not show progress")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case (*out == "") == (*post == "") || fs.NArg() > 0:
		fs.Usage()
		return fmt.Errorf("give one of --out and --post, and no arguments")
	case *post != "" && (*region == "" || *token == ""):
		return fmt.Errorf("--post needs --region (a node holds its own region's contacts) and --token")
	}
	start, err := time.Parse(time.DateOnly, *startFlag)
	if err != nil {
		return fmt.Errorf("--start %q is not a date of the form YYYY-MM-DD", *startFlag)
	}
	cfg := gen.ContactsConfig{Seed: *seed, Start: start, Days: *days, PerDay: *perDay}
	if *region != "" {
		cfg.Regions = []string{*region}
	}
	if *surgeFlag != "" {
		if cfg.Surge, err = parseSurge(*surgeFlag); err != nil {
			return err
		}
		for _, c := range strings.Split(*surgeNeeds, ",") {
			if c = strings.TrimSpace(c); c != "" {
				cfg.Surge.Needs = append(cfg.Surge.Needs, c)
			}
		}
	}
	if *directory != "" {
		idx, err := loadReferrals(*directory)
		if err != nil {
			return err
		}
		cfg.Referrals = idx.Pick
		if !*quiet {
			fmt.Fprintf(stderr, "directory %s: %d services at locations to refer to\n", *directory, idx.Sites())
		}
	}
	if *post != "" {
		return writeContacts(ctx, cfg, newPostSink(ctx, *post, *token, *workers), *quiet, stdout, stderr)
	}
	sink, err := newFileSink(*out, stdout)
	if err != nil {
		return err
	}
	if *out == "-" {
		stdout = stderr // the summary must not mix with the contacts
	}
	return writeContacts(ctx, cfg, sink, *quiet, stdout, stderr)
}

// contactSink receives generated contacts.
type contactSink interface {
	put(c *o211.Contact) error
	// close ends the stream and returns the first error; done says where
	// the contacts went.
	close() error
	done() string
}

// writeContacts hands the contacts of cfg to sink, with progress on stderr
// unless quiet, and a summary on stdout.
func writeContacts(ctx context.Context, cfg gen.ContactsConfig, sink contactSink, quiet bool, stdout, stderr io.Writer) error {
	var st contactStats
	began, last := time.Now(), time.Now()
	err := gen.GenerateContacts(cfg, func(c *o211.Contact) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		st.add(c)
		if !quiet && time.Since(last) >= time.Second {
			last = time.Now()
			fmt.Fprintf(stderr, "contacts %9d  through %s\n", st.contacts, c.Start.Format(time.DateOnly))
		}
		return sink.put(c)
	})
	if cerr := sink.close(); err == nil || cerr != nil && errors.Is(err, errPostFailed) {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d contacts %s in %s: %d needs (%d unmet, %.1f%%), %d in French, %d with referrals, %d tagged for an emergency\n",
		st.contacts, sink.done(), time.Since(began).Round(time.Millisecond), st.needs, st.unmet, st.unmetPercent(), st.french, st.referred, st.emergency)
	return nil
}

// fileSink writes contacts as NDJSON.
type fileSink struct {
	name string
	f    *os.File // nil for standard output
	bw   *bufio.Writer
	enc  *json.Encoder
}

func newFileSink(name string, stdout io.Writer) (*fileSink, error) {
	s := &fileSink{name: name}
	w := stdout
	if name != "-" {
		f, err := os.Create(name)
		if err != nil {
			return nil, err
		}
		s.f, w = f, f
	} else {
		s.name = "standard output"
	}
	s.bw = bufio.NewWriterSize(w, 256<<10)
	s.enc = json.NewEncoder(s.bw)
	s.enc.SetEscapeHTML(false)
	return s, nil
}

func (s *fileSink) put(c *o211.Contact) error { return s.enc.Encode(c) }

func (s *fileSink) close() error {
	err := s.bw.Flush()
	if s.f != nil {
		if cerr := s.f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func (s *fileSink) done() string { return "written to " + s.name }

// contactStats count what gen contacts wrote.
type contactStats struct {
	contacts, needs, unmet, french, referred, emergency int
}

func (s *contactStats) add(c *o211.Contact) {
	s.contacts++
	s.needs += len(c.Needs)
	for _, n := range c.Needs {
		if n.Status == o211.NeedUnmet {
			s.unmet++
		}
	}
	if c.Caller.Language == "fr" {
		s.french++
	}
	if len(c.Referrals) > 0 {
		s.referred++
	}
	if c.Emergency != "" {
		s.emergency++
	}
}

func (s *contactStats) unmetPercent() float64 {
	if s.needs == 0 {
		return 0
	}
	return 100 * float64(s.unmet) / float64(s.needs)
}

// parseSurge reads region:YYYY-MM-DD:days:factor[:tag].
func parseSurge(s string) (*gen.Surge, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 4 && len(parts) != 5 {
		return nil, fmt.Errorf("--surge %q: want region:YYYY-MM-DD:days:factor[:tag]", s)
	}
	start, err := time.Parse(time.DateOnly, parts[1])
	if err != nil {
		return nil, fmt.Errorf("--surge %q: %q is not a date of the form YYYY-MM-DD", s, parts[1])
	}
	days, err := strconv.Atoi(parts[2])
	if err != nil || days < 1 {
		return nil, fmt.Errorf("--surge %q: days %q is not a positive whole number", s, parts[2])
	}
	factor, err := strconv.ParseFloat(parts[3], 64)
	if err != nil {
		return nil, fmt.Errorf("--surge %q: factor %q is not a number", s, parts[3])
	}
	sg := &gen.Surge{Region: parts[0], Start: start, Days: days, Factor: factor}
	if len(parts) == 5 {
		sg.Emergency = parts[4]
	}
	return sg, nil
}

// loadReferrals reads the services and locations of an HSDS CSV
// datapackage for referrals.
func loadReferrals(dir string) (*gen.ReferralIndex, error) {
	b, err := importer.Parse(importer.FormatHSDSCSV, dir, importer.Options{})
	if err != nil {
		return nil, fmt.Errorf("--directory: %w", err)
	}
	defer b.Close()
	if len(b.Problems) > 0 {
		return nil, o211.Errorf(o211.EINVALID, "--directory %s: %d rows cannot be read; the first: %s", dir, len(b.Problems), b.Problems[0])
	}
	rows := make([]o211.Object, 0, b.Len())
	err = b.Each(func(obj o211.Object, _ importer.Source) error {
		rows = append(rows, obj)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("--directory: %w", err)
	}
	idx := gen.NewReferralIndex(rows)
	if idx.Sites() == 0 {
		return nil, o211.Errorf(o211.EINVALID, "--directory %s: no service at a located address to refer to", dir)
	}
	return idx, nil
}
