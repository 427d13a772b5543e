// Package contacts is the regional node's record of 211 contacts: the
// service that checks contacts against the directory (taxonomy codes,
// referrals) and writes them through the store's group commit, its HTTP API
// under /api/v1/contacts with the audit log of every contact write and
// every read of personal fields at /api/v1/audit (each entry naming the
// actor of the request's credential), and the retention job that erases
// personal fields after the retention period.
//
// Closing a contact writes its anonymised report record to the outbox in
// the same transaction (see store.Store.UpdateContact); the service then
// tells the node (OnReport for its report cube, OnOutbox for the pusher).
// Contacts themselves never leave the node.
package contacts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/store"
	"github.com/o211/o211/node/taxonomy"
)

// Store is what the service needs of the node's store.
type Store interface {
	CreateContact(ctx context.Context, c *o211.Contact, opt store.ContactOptions) (*store.ContactResult, error)
	UpdateContact(ctx context.Context, c *o211.Contact, opt store.ContactOptions) (*store.ContactResult, error)
	Contact(id string) (*o211.Contact, error)
	Contacts(q o211.ContactQuery) (*o211.ContactPage, error)
	CountDue(navigator, day string, limit int) (int, error)
	AppendAudit(ctx context.Context, entries ...o211.AuditEntry) error
	Audit(q o211.AuditQuery) (*o211.AuditPage, error)
	PurgeContacts(ctx context.Context, cutoff time.Time, limit int) (*store.PurgeResult, error)
}

var _ Store = (*store.Store)(nil)

// DefaultRetention is how long personal fields are kept after a contact
// ends: two years, long enough for follow-ups, complaints and a year-over-
// year review of a case, after which only the anonymised report and the
// non-personal fields remain.
const DefaultRetention = 2 * 365 * 24 * time.Hour

// Config configures a Service.
type Config struct {
	// Store keeps the contacts (required).
	Store Store
	// OnReport, when set, is called with each report record after the
	// commit that wrote it (the node's report cube). It must not block.
	OnReport func(*o211.Report)
	// OnOutbox, when set, is called with the sequence number of each
	// report record after its commit, so that the pusher sends it soon.
	OnOutbox func(seq uint64)
	// Retention is how long personal fields are kept after a contact
	// ended (default DefaultRetention; negative disables the purge).
	Retention time.Duration
	// PurgeEvery is how often the retention job runs (default 1 h; it
	// also runs at Start).
	PurgeEvery time.Duration
	// PurgeBatch bounds the contacts purged in one transaction (default
	// 500).
	PurgeBatch int
	// MaxBodyBytes limits request bodies (default 1 MiB).
	MaxBodyBytes int64
	Logger       *slog.Logger
	Now          func() time.Time
}

// Service records contacts. It is safe for concurrent use.
type Service struct {
	cfg Config
	log *slog.Logger

	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// New returns a service for cfg with defaults filled in. It does no I/O.
func New(cfg Config) *Service {
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.PurgeEvery <= 0 {
		cfg.PurgeEvery = time.Hour
	}
	if cfg.PurgeBatch <= 0 {
		cfg.PurgeBatch = 500
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, log: cfg.Logger}
}

// Every method takes the actor from ctx (o211.ActorFrom): the HTTP API's
// identity middleware puts the actor of the request's checked credential
// there, and a caller inside the process its own (o211.WithActor). Each
// write, and each read of personal fields, is in the audit log under that
// actor; a ctx that names none is refused with store.ErrNoActor.

// pathKey is the context key of the request path for the audit log.
type pathKey struct{}

// withPath returns a context that names the request path, for the audit
// entries of the calls made with it.
func withPath(ctx context.Context, path string) context.Context {
	return context.WithValue(ctx, pathKey{}, path)
}

// pathFrom returns the request path ctx names ("" for a call from inside
// the process).
func pathFrom(ctx context.Context) string {
	p, _ := ctx.Value(pathKey{}).(string)
	return p
}

// Create checks and stores a new contact; see store.Store.CreateContact.
// Errors: EINVALID naming the field (also for an unknown taxonomy code or
// a referral to a record the directory does not hold), ECONFLICT,
// store.ErrNoActor.
func (s *Service) Create(ctx context.Context, c *o211.Contact) (*o211.Contact, error) {
	c.Normalize()
	res, err := s.cfg.Store.CreateContact(ctx, c, store.ContactOptions{Check: CheckDirectory, Path: pathFrom(ctx)})
	if err != nil {
		return nil, err
	}
	s.committed(res)
	return res.Contact, nil
}

// Get returns a contact, after writing the audit entry of its personal
// fields (none when redacted, which returns it without them).
// Errors: ENOTFOUND, store.ErrNoActor.
func (s *Service) Get(ctx context.Context, id string, redacted bool) (*o211.Contact, error) {
	c, err := s.cfg.Store.Contact(id)
	if err != nil {
		return nil, err
	}
	if redacted {
		return c.Redact(), nil
	}
	if err := s.audit(ctx, "read", c); err != nil {
		return nil, err
	}
	return c, nil
}

// View reads contact id once for a page that shows its personal fields.
// When allow refuses it (a contact of another region), View answers
// ENOTFOUND having audited nothing. Otherwise it starts the durable audit
// entry of the contact's personal fields, in the store's group commit, and
// returns the contact with shown, which returns once that entry is on
// disk (or the error that kept it off). The caller lays out its page
// meanwhile, so that the audit's fsync and the rendering overlap, and
// must not send the personal fields before shown returned nil.
// Errors: ENOTFOUND, store.ErrNoActor.
func (s *Service) View(ctx context.Context, id string, allow func(*o211.Contact) bool) (c *o211.Contact, shown func() error, err error) {
	if _, ok := o211.ActorFrom(ctx); !ok {
		return nil, nil, store.ErrNoActor
	}
	c, err = s.cfg.Store.Contact(id)
	if err != nil {
		return nil, nil, err
	}
	if allow != nil && !allow(c) {
		return nil, nil, o211.Errorf(o211.ENOTFOUND, "no contact %q", id)
	}
	if len(c.PersonalHeld()) == 0 {
		return c, func() error { return nil }, nil
	}
	done := make(chan error, 1)
	go func() { done <- s.audit(ctx, "read", c) }()
	return c, sync.OnceValue(func() error { return <-done }), nil
}

// List returns a page of contacts, after writing the audit entries of the
// personal fields it returns (none when redacted).
// Errors: EINVALID for a bad query, store.ErrNoActor.
func (s *Service) List(ctx context.Context, q o211.ContactQuery, redacted bool) (*o211.ContactPage, error) {
	page, err := s.cfg.Store.Contacts(q)
	if err != nil {
		return nil, err
	}
	if redacted {
		for i, c := range page.Contacts {
			page.Contacts[i] = c.Redact()
		}
		return page, nil
	}
	if err := s.audit(ctx, "read", page.Contacts...); err != nil {
		return nil, err
	}
	return page, nil
}

// CountDue counts navigator's follow-ups due on day (YYYY-MM-DD) or
// before, up to limit, reading no personal field (not audited).
// Errors: EINVALID for a day that is not a date.
func (s *Service) CountDue(_ context.Context, navigator, day string, limit int) (int, error) {
	return s.cfg.Store.CountDue(navigator, day, limit)
}

// Audit returns a page of the audit log. Reading it is not audited.
// Errors: EINVALID for a cursor of another listing.
func (s *Service) Audit(_ context.Context, q o211.AuditQuery) (*o211.AuditPage, error) {
	return s.cfg.Store.Audit(q)
}

// audit appends, durably, an entry for each contact that holds personal
// fields, naming ctx's actor.
func (s *Service) audit(ctx context.Context, action string, cs ...*o211.Contact) error {
	a, ok := o211.ActorFrom(ctx)
	if !ok {
		return store.ErrNoActor
	}
	var entries []o211.AuditEntry
	for _, c := range cs {
		if f := c.PersonalHeld(); len(f) > 0 {
			entries = append(entries, o211.AuditEntry{Actor: a, Action: action, ContactID: c.ID, Fields: f, Path: pathFrom(ctx)})
		}
	}
	if err := s.cfg.Store.AppendAudit(ctx, entries...); err != nil {
		return fmt.Errorf("contacts: audit: %w", err)
	}
	return nil
}

// maxRetries bounds how often Update starts again when another writer
// changed the contact in between (without If-Match).
const maxRetries = 5

// Update changes contact id: change gets the stored contact and returns
// its new form. With ifVersion (not 0) the stored version must be that;
// without, a concurrent change makes Update read again and retry. action
// ("update", "close") is the audit entry's.
//
// Errors: ENOTFOUND, ECONFLICT (version, closed, purged), EINVALID,
// store.ErrNoActor.
func (s *Service) Update(ctx context.Context, id string, ifVersion uint64, action string,
	change func(*o211.Contact) (*o211.Contact, error)) (*o211.Contact, error) {
	for try := 0; ; try++ {
		cur, err := s.cfg.Store.Contact(id)
		if err != nil {
			return nil, err
		}
		if ifVersion != 0 && cur.Version != ifVersion {
			return nil, o211.Errorf(o211.ECONFLICT, "contact %q is at version %d, not %d: read it again", id, cur.Version, ifVersion)
		}
		c, err := change(cur)
		if err != nil {
			return nil, err
		}
		c.ID, c.Version = id, cur.Version
		c.Normalize()
		res, err := s.cfg.Store.UpdateContact(ctx, c, store.ContactOptions{Check: CheckDirectory,
			Action: action, Path: pathFrom(ctx)})
		if o211.ErrorCode(err) == o211.ECONFLICT && ifVersion == 0 && try < maxRetries {
			if now, gerr := s.cfg.Store.Contact(id); gerr == nil && now.Version != cur.Version {
				continue // changed in between: apply the change to the new version
			}
		}
		if err != nil {
			return nil, err
		}
		s.committed(res)
		return res.Contact, nil
	}
}

// committed tells the node of a report record written.
func (s *Service) committed(res *store.ContactResult) {
	if res.Report == nil {
		return
	}
	if s.cfg.OnReport != nil {
		s.cfg.OnReport(res.Report)
	}
	if s.cfg.OnOutbox != nil {
		s.cfg.OnOutbox(res.Seq)
	}
}

// CheckDirectory checks a contact against the directory, in the store's
// write transaction: each need's taxonomy code (its service term and each
// target-population term) must be a term of the directory's taxonomy_term
// rows or of the built-in 211 taxonomy; each referral's service must
// exist, and its location too, with a service_at_location joining them.
// Needs and referrals that old (the stored contact) has already are not
// checked again, so that a record deleted from the directory since does
// not block the contact. A new emergency tag must be one of the store's
// Emergencies, never free text (issue 11.3).
//
// Errors: EINVALID *o211.Error with the field ("emergency", "needs[1].code",
// "referrals[0].location_id") and a message naming the value.
func CheckDirectory(tx *store.Tx, old, c *o211.Contact) error {
	if c.Emergency != "" && (old == nil || old.Emergency != c.Emergency) {
		ok, err := tx.KnownEmergency(c.Emergency)
		if err != nil {
			return err
		}
		if !ok {
			return o211.FieldErrorf("emergency", "%q is not an emergency this node knows: an administrator lists them (PUT /api/v1/emergencies/{id})",
				httpx.Prefix(c.Emergency))
		}
	}
	had := map[string]bool{}
	if old != nil {
		for _, n := range old.Needs {
			had["n"+n.Code] = true
		}
		for _, r := range old.Referrals {
			had["r"+r.ServiceID+"\x00"+r.LocationID] = true
		}
	}
	for i, n := range c.Needs {
		if had["n"+n.Code] {
			continue
		}
		parts := o211.SplitTaxonomyCode(n.Code)
		for _, p := range parts {
			ok, err := knownTerm(tx, p)
			if err != nil {
				return err
			}
			if !ok {
				msg := fmt.Sprintf("unknown taxonomy code %q", p)
				if len(parts) > 1 {
					msg += fmt.Sprintf(" (in %q)", n.Code)
				}
				return o211.FieldErrorf(fmt.Sprintf("needs[%d].code", i), "%s: neither the directory nor the 211 taxonomy has it", msg)
			}
		}
	}
	for i, r := range c.Referrals {
		if had["r"+r.ServiceID+"\x00"+r.LocationID] {
			continue
		}
		if err := checkReferral(tx, i, r); err != nil {
			return err
		}
	}
	return nil
}

func checkReferral(tx *store.Tx, i int, r o211.Referral) error {
	f := fmt.Sprintf("referrals[%d]", i)
	if _, err := tx.Get(o211.KindService, r.ServiceID); o211.ErrorCode(err) == o211.ENOTFOUND {
		return o211.FieldErrorf(f+".service_id", "no service %q in the directory", r.ServiceID)
	} else if err != nil {
		return err
	}
	if r.LocationID == "" {
		return nil
	}
	if _, err := tx.Get(o211.KindLocation, r.LocationID); o211.ErrorCode(err) == o211.ENOTFOUND {
		return o211.FieldErrorf(f+".location_id", "no location %q in the directory", r.LocationID)
	} else if err != nil {
		return err
	}
	offered := false
	err := tx.EachReferrer(o211.KindServiceAtLocation, "service_id", r.ServiceID, func(rec *o211.Record) error {
		obj, err := rec.Decode()
		if err != nil {
			return err
		}
		if sal, ok := obj.(*o211.ServiceAtLocation); ok && sal.LocationID == r.LocationID {
			offered = true
			return store.ErrStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrStop) {
		return err
	}
	if !offered {
		return o211.FieldErrorf(f+".location_id", "service %q is not offered at location %q (no service_at_location joins them)",
			r.ServiceID, r.LocationID)
	}
	return nil
}

// knownTerm reports whether code is a term of the built-in 211 taxonomy or
// of the directory: first by the id o211 gives 211 HSIS terms, then by a
// scan of the directory's terms (only for codes found neither way, such as
// a local taxonomy's, or a mistyped code).
func knownTerm(tx *store.Tx, code string) (bool, error) {
	if _, ok := taxonomy.Lookup(code); ok {
		return true, nil
	}
	if rec, err := tx.Get(o211.KindTaxonomyTerm, taxonomy.TermID(code)); err == nil {
		if obj, err := rec.Decode(); err == nil {
			if t, ok := obj.(*o211.TaxonomyTerm); ok && strings.EqualFold(t.Code, code) {
				return true, nil
			}
		}
	}
	found := false
	err := tx.Scan(o211.KindTaxonomyTerm, "", func(rec *o211.Record) error {
		obj, err := rec.Decode()
		if err != nil {
			return err
		}
		if t, ok := obj.(*o211.TaxonomyTerm); ok && t.Code == code {
			found = true
			return store.ErrStop
		}
		return nil
	})
	return found, err
}
