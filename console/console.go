// Package console is o211's web interface: the public portal (search and
// service pages, at / on every node and hub) and the staff console (under
// /console/). Pages are html/template files embedded in the binary, parsed
// once by New, rendered into a buffer before any header is written and
// sent compressed; every string comes from the English and French message
// catalogues in locales/. Styles are GOV.UK Frontend's, built with o211's
// brand by assets/install.sh and committed under static/, served under
// content-hashed URLs. No page needs JavaScript, and none has inline script
// or style.
//
// The console depends on narrow interfaces over the domain types (Searcher,
// Services, Locator), declared here, never on a store: cmd/o211, node and
// hub pass their directory and search index through them.
package console

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
)

// Searcher searches the directory (a node's region, or the province).
type Searcher interface {
	// Search returns one page of the services matching q.
	Search(ctx context.Context, q o211.Query) (*o211.Results, error)
}

// Services reads one service with everything a caller needs.
type Services interface {
	// Service returns the service with its organization, locations (with
	// addresses, accessibility, phones, schedules), phones, schedules,
	// languages, cost options and required documents; an ENOTFOUND error
	// when there is none.
	Service(ctx context.Context, id string) (*o211.Service, error)
}

// Hours reads the opening hours of a page of search results.
type Hours interface {
	// Schedules returns, for each result, the schedules that say when its
	// service is open at its location (nil when none is known).
	Schedules(ctx context.Context, results []o211.Result) ([][]o211.Schedule, error)
}

// Locator turns what a reader typed as "near" into a point.
type Locator interface {
	// Locate resolves a postal code or FSA ("K1N 6N5", "K1N"); an EINVALID
	// error when it is not one it knows.
	Locate(near string) (lat, lon float64, err error)
}

// Reach lists the ways to reach 211 that every page shows; empty fields
// are left out.
type Reach struct {
	Phone    string // dialled as is ("211")
	TollFree string
	TTY      string
	Text     string // the number to text
	ChatURL  string
	Email    string
}

// DefaultReach is 211 Ontario's way in: dial or text 2-1-1.
var DefaultReach = Reach{Phone: "211", TollFree: "1-877-330-3213", TTY: "1-888-340-1001", Text: "211"}

// Alert is an emergency message shown in a banner at the top of every page.
type Alert struct {
	Title string
	Body  string
	// Lang is the language of Title and Body ("en", "fr").
	Lang string
}

// Config configures a Console. Searcher and Services are required.
type Config struct {
	// Region is the node's region id; "" on the hub, which serves the
	// province.
	Region string
	// RegionName names the region when the catalogues have no name for it.
	RegionName string
	// Searcher searches the region (the province on the hub).
	Searcher Searcher
	// Province, when set on a node, searches the province: the portal then
	// offers a switch between the region and the province.
	Province Searcher
	// Services reads one service (the region's, or the province's copy).
	Services Services
	// Hours, when set, reads the hours of a page of results in one go;
	// without it each result's service is read through Services.
	Hours Hours
	// Locator resolves postal codes; without one "near" is refused.
	Locator Locator
	// Reach is how to reach 211 (default DefaultReach).
	Reach *Reach
	// Accounts, when set, serves the staff console's sign-in, account and
	// users pages; without it /console/ only says what the console is.
	Accounts Accounts
	// Contacts, with Accounts, serves the navigators' contact workspace,
	// follow-ups and contact lists, and the supervisors' views.
	Contacts Contacts
	// Verification, when set, reads when a page of results was last
	// verified in one go (else each result's service is read).
	Verification Verification
	// Taxonomy names a contact's needs and serves their type-ahead.
	Taxonomy Taxonomy
	// Queue, when set, serves the live queue page (/console/queue).
	Queue Queue
	// Records, when set with Accounts, serves the resource specialist's
	// pages under /console/directory over the region's directory.
	Records Records
	// VerifyMonths is how long a service's verification holds before it
	// enters the verification queue (default 12).
	VerifyMonths int
	// Alerts, when set, returns the emergency messages to show.
	Alerts func(ctx context.Context) []Alert
	// PerPage is the number of results on a page (default 10).
	PerPage int
	Logger  *slog.Logger
	Now     func() time.Time
}

// Console serves the portal's and the console's pages.
type Console struct {
	cfg    Config
	log    *slog.Logger
	msg    *catalog
	tpl    *templates
	assets *assets
	terms  *termIndex
}

// New parses the templates and message catalogues and hashes the static
// files: a missing page, a message without its French text or a template
// error fails here, at start, not on a reader's request.
func New(cfg Config) (*Console, error) {
	if cfg.Searcher == nil || cfg.Services == nil {
		return nil, errors.New("console: Config.Searcher and Config.Services are required")
	}
	if cfg.Reach == nil {
		r := DefaultReach
		cfg.Reach = &r
	}
	if cfg.VerifyMonths <= 0 {
		cfg.VerifyMonths = 12
	}
	if cfg.PerPage <= 0 {
		cfg.PerPage = 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Console{cfg: cfg, log: cfg.Logger, terms: newTermIndex(cfg.Taxonomy)}
	var err error
	if c.msg, err = loadCatalog(); err != nil {
		return nil, err
	}
	if c.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if c.tpl, err = parseTemplates(c.msg); err != nil {
		return nil, err
	}
	return c, nil
}

// Routes mounts the portal at / (and /fr/), the console at /console/ and
// the static files at /static/.
func (c *Console) Routes(r chi.Router) {
	r.Get(StaticPrefix+"{name}", c.assets.serve)
	r.Group(func(r chi.Router) {
		r.Use(c.language)
		c.routesPortal(r)
		r.Route("/fr", func(r chi.Router) {
			c.routesPortal(r)
			r.NotFound(c.notFound) // a French page that does not exist, in French
		})
	})
}

// routesPortal mounts the pages, once at / and once under /fr.
func (c *Console) routesPortal(r chi.Router) {
	r.Get("/", c.home)
	r.Get("/search", c.search)
	r.Get("/services/{id}", c.service)
	c.routesConsole(r)
}
