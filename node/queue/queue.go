package queue

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/o211/o211"
)

// Item is one waiting contact.
type Item struct {
	// ID is the queue item id (assigned by Enqueue when empty).
	ID      string       `json:"id"`
	Region  string       `json:"region"`
	Channel o211.Channel `json:"channel"`
	// Language is a BCP 47 primary tag: "en", "fr", ...
	Language string `json:"language"`
	// Skills the navigator must hold, e.g. "crisis".
	Skills []string `json:"skills,omitempty"`
	// Priority: higher first; then oldest first.
	Priority int `json:"priority,omitempty"`
	// From is the caller's number, email address or chat session id.
	From string `json:"from,omitempty"`
	// RoutedBy says why this region: "postal code K1N 6N5", "area code
	// 613", "default region".
	RoutedBy string `json:"routed_by,omitempty"`
	// Postal is what the person gave, normalised, or "".
	Postal string `json:"postal,omitempty"`
	// Ref is the provider's reference: Twilio CallSid, conversation id,
	// message id.
	Ref      string    `json:"ref,omitempty"`
	Enqueued time.Time `json:"enqueued"`
}

// Connector brings a navigator and an accepted contact together on the
// item's channel (the gateway connects a held call through the provider,
// or opens the conversation).
//
// An ECONFLICT error from Connect says the person has gone (the
// conversation ended while the contact was being accepted): the contact
// ends, abandoned, instead of waiting again for nobody.
type Connector interface {
	Connect(ctx context.Context, it Item, navigator string) error
}

// NumberTransferer is what a Connector of the phone channel also
// implements to make a warm transfer of a call to a program's own phone
// number: the gateway dials number, keeps the navigator on the line with
// the caller until the program answers, then leaves the caller with the
// program. It returns once the program answered (nil), or with an error
// when it did not (the caller stays with the navigator).
type NumberTransferer interface {
	TransferToNumber(ctx context.Context, it Item, navigator, number string) error
}

// Config configures a Queue.
type Config struct {
	// Path is the queue's bbolt file (required).
	Path string
	// Region is the node's region; items enqueued without one get it, and
	// items of another region are refused.
	Region string
	// OfferTimeout is how long an offer stands before it goes to the next
	// navigator (default 20 s).
	OfferTimeout time.Duration
	// Capacity is how many contacts of a channel a navigator handles at
	// once (default: phone 1, text 3, chat 3, email 3; others 1).
	Capacity map[o211.Channel]int
	// AnswerTarget is the service level's answer time (default 90 s).
	AnswerTarget time.Duration
	// StatsWindow is how far back the service level looks (default 24 h).
	StatsWindow time.Duration
	// Tick is how often expired offers are looked for (default 100 ms).
	Tick time.Duration
	// NoSync skips fsync: benchmarks only.
	NoSync bool
	// PhoneOf, when set, returns the phone number of a directory
	// service, for a transfer to a program's number named by its service
	// (TransferRequest.Service).
	PhoneOf func(ctx context.Context, serviceID string) (string, error)
	// Grants, when set, returns the languages and skills navigator id was
	// given on their account (node/auth): a presence may narrow them but
	// not add to them, and one that names none takes them all.
	Grants func(ctx context.Context, id string) (languages, skills []string, err error)
	// OnRoute, when set, receives the duration of each routing decision.
	OnRoute func(time.Duration)
	Logger  *slog.Logger
	Now     func() time.Time
}

// Queue is a region's durable contact queue. Its methods are safe for
// concurrent use.
type Queue struct {
	cfg Config
	log *slog.Logger
	db  *bolt.DB

	mu      sync.Mutex
	live    map[string]*record    // waiting and active items, by id
	order   []*record             // items that need an offer, in routing order
	navs    map[string]*navigator // navigators who set a presence, by id
	offers  map[string]*offer     // standing offers, by item id
	conns   map[o211.Channel]Connector
	changed chan struct{}
	version uint64
	events  []event // service level events within the window
	closed  bool

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open opens (or creates) the queue's file, loads the contacts still
// waiting or with a navigator, and starts the offer timer. It says
// plainly when another process holds the file.
func Open(cfg Config) (*Queue, error) {
	if cfg.Path == "" {
		return nil, o211.Errorf(o211.EINVALID, "queue: a file path is required")
	}
	fillDefaults(&cfg)
	q := &Queue{cfg: cfg, log: cfg.Logger.With("part", "queue"), live: map[string]*record{},
		navs: map[string]*navigator{}, offers: map[string]*offer{}, conns: map[o211.Channel]Connector{},
		changed: make(chan struct{})}
	db, err := openDB(cfg.Path, cfg.NoSync)
	if err != nil {
		return nil, err
	}
	q.db = db
	if err := q.load(); err != nil {
		db.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	q.cancel = cancel
	q.wg.Add(1)
	go q.timer(ctx)
	return q, nil
}

func fillDefaults(cfg *Config) {
	if cfg.OfferTimeout <= 0 {
		cfg.OfferTimeout = 20 * time.Second
	}
	if cfg.Capacity == nil {
		cfg.Capacity = map[o211.Channel]int{o211.ChannelPhone: 1, o211.ChannelText: 3, o211.ChannelChat: 3, o211.ChannelEmail: 3}
	}
	if cfg.AnswerTarget <= 0 {
		cfg.AnswerTarget = 90 * time.Second
	}
	if cfg.StatsWindow <= 0 {
		cfg.StatsWindow = 24 * time.Hour
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 100 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
}

// Close stops the offer timer and closes the file. It is safe to call
// more than once.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	q.mu.Unlock()
	q.cancel()
	q.wg.Wait()
	if err := q.db.Close(); err != nil {
		return fmt.Errorf("queue: closing %s: %w", q.cfg.Path, err)
	}
	return nil
}

// Region returns the queue's region.
func (q *Queue) Region() string { return q.cfg.Region }

// SetConnector sets the connector of a channel (nil removes it).
func (q *Queue) SetConnector(ch o211.Channel, c Connector) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if c == nil {
		delete(q.conns, ch)
		return
	}
	q.conns[ch] = c
}

func (q *Queue) connector(ch o211.Channel) Connector {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.conns[ch]
}

// Enqueue adds a contact to the queue and returns it with its id and
// enqueue time. It is written and fsync'd before Enqueue returns.
//
// Errors: EINVALID (channel, language, region), EUNAVAILABLE (closed).
func (q *Queue) Enqueue(ctx context.Context, it Item) (Item, error) {
	if err := q.normalise(&it); err != nil {
		return Item{}, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return Item{}, errClosed
	}
	now := q.cfg.Now().UTC()
	if it.Enqueued.IsZero() || it.Enqueued.After(now) {
		it.Enqueued = now
	}
	r := &record{V: recordVersion, Item: it, State: StateWaiting}
	err := q.db.Update(func(tx *bolt.Tx) error {
		if r.Item.ID == "" {
			seq, err := tx.Bucket(bucketItems).NextSequence()
			if err != nil {
				return err
			}
			r.Item.ID = fmt.Sprintf("%s-%d", q.cfg.Region, seq)
		} else if tx.Bucket(bucketItems).Get([]byte(r.Item.ID)) != nil || tx.Bucket(bucketEndedID).Get([]byte(r.Item.ID)) != nil {
			return o211.Errorf(o211.ECONFLICT, "queue item %q exists already", r.Item.ID)
		}
		return putLive(tx, r)
	})
	if err != nil {
		return Item{}, q.storeError("enqueue", err)
	}
	q.live[r.Item.ID] = r
	q.addEvent(event{at: now, key: keyOf(r.Item), kind: evArrived})
	q.needOffer(r)
	q.dispatch(now)
	return r.Item, nil
}

// normalise checks an item to enqueue and fills its region.
func (q *Queue) normalise(it *Item) error {
	if it.Region == "" {
		it.Region = q.cfg.Region
	}
	if it.Region != q.cfg.Region {
		return o211.FieldErrorf("region", "%q is not this node's region (%s)", truncate(it.Region, 40), q.cfg.Region)
	}
	if !validChannel(it.Channel) {
		return o211.FieldErrorf("channel", "%q is not one of phone, text, chat, email", truncate(string(it.Channel), 40))
	}
	it.Language = strings.ToLower(strings.TrimSpace(it.Language))
	if it.Language == "" {
		it.Language = "en"
	}
	if !o211.ValidQualification(it.Language) {
		return o211.FieldErrorf("language", "%q is not a BCP 47 primary language tag such as en or fr", truncate(it.Language, 40))
	}
	for i, s := range it.Skills {
		it.Skills[i] = strings.ToLower(strings.TrimSpace(s))
		if !o211.ValidQualification(it.Skills[i]) {
			return o211.FieldErrorf("skills", "skill %d: %q is not a short lower-case word", i+1, truncate(s, 40))
		}
	}
	if len(it.ID) > 100 || len(it.From) > 200 || len(it.Ref) > 200 || len(it.RoutedBy) > 200 || len(it.Postal) > 20 {
		return o211.Errorf(o211.EINVALID, "an id, from, ref, routed_by or postal field is too long")
	}
	return nil
}

// Waiting returns the item with id while it is still waiting for a
// navigator (ok is false once answered, abandoned or unknown).
func (q *Queue) Waiting(ctx context.Context, id string) (Item, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	r := q.live[id]
	if r == nil || r.State != StateWaiting {
		return Item{}, false
	}
	return r.Item, true
}

// Abandon records that the person left before (or while) being served:
// the call hung up, the chat closed. The wait is recorded with the
// abandonment; a standing offer is withdrawn. Abandoning an item that
// has ended already is not an error (the provider may say it twice).
//
// Errors: ENOTFOUND (never enqueued), EUNAVAILABLE.
func (q *Queue) Abandon(ctx context.Context, id, reason string) error {
	return q.abandon(id, reason, false)
}

func (q *Queue) abandon(id, reason string, ifWaiting bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errClosed
	}
	r := q.live[id]
	if r != nil && ifWaiting && r.State != StateWaiting {
		return o211.Errorf(o211.ECONFLICT, "queue item %q is with a navigator", truncate(id, 40))
	}
	if r == nil {
		if q.ended(id) {
			return nil
		}
		return o211.Errorf(o211.ENOTFOUND, "queue item %q not found", truncate(id, 40))
	}
	now := q.cfg.Now().UTC()
	was := r.State
	if was == StateActive {
		r.Handle = now.Sub(r.Accepted)
	} else {
		r.Wait = now.Sub(r.Item.Enqueued)
	}
	return q.finish(r, StateAbandoned, truncate(reason, 200), now, func() {
		if was == StateWaiting {
			q.addEvent(event{at: now, key: keyOf(r.Item), kind: evAbandoned, wait: r.Wait})
		} else {
			q.addEvent(event{at: now, key: keyOf(r.Item), kind: evHandled, handle: r.Handle})
		}
	})
}

// AbandonIfWaiting is Abandon for an item still waiting: it returns an
// ECONFLICT error when a navigator has it (the person hung up as they
// were answered: the conversation goes on). An item that has ended is
// not an error, as with Abandon.
func (q *Queue) AbandonIfWaiting(ctx context.Context, id, reason string) error {
	return q.abandon(id, reason, true)
}

// finish ends r (done, abandoned, transferred), durably, and frees its
// navigator and offer.
func (q *Queue) finish(r *record, st State, outcome string, now time.Time, after func()) error {
	old := *r
	r.State, r.Outcome, r.Ended = st, outcome, now
	if err := q.db.Update(func(tx *bolt.Tx) error { return putEnded(tx, r) }); err != nil {
		*r = old
		return q.storeError("end", err)
	}
	delete(q.live, r.Item.ID)
	q.dropOrder(r)
	q.withdraw(r.Item.ID)
	if old.State == StateActive {
		q.release(old.Navigator, r.Item.Channel, now)
	}
	after()
	q.dispatch(now)
	return nil
}

// ended reports whether id is a finished item in the file.
func (q *Queue) ended(id string) bool {
	var ok bool
	_ = q.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketEndedID).Get([]byte(id)) != nil
		return nil
	})
	return ok
}

// needOffer puts r in the routing order.
func (q *Queue) needOffer(r *record) {
	r.cls = classOf(r)
	i := sort.Search(len(q.order), func(i int) bool { return before(r, q.order[i]) })
	q.order = append(q.order, nil)
	copy(q.order[i+1:], q.order[i:])
	q.order[i] = r
}

// dropOrder takes r out of the routing order.
func (q *Queue) dropOrder(r *record) {
	for i, o := range q.order {
		if o == r {
			q.order = append(q.order[:i], q.order[i+1:]...)
			return
		}
	}
}

// before is the routing order: higher priority first, then oldest, then id.
func before(a, b *record) bool {
	if a.Item.Priority != b.Item.Priority {
		return a.Item.Priority > b.Item.Priority
	}
	if !a.Item.Enqueued.Equal(b.Item.Enqueued) {
		return a.Item.Enqueued.Before(b.Item.Enqueued)
	}
	return a.Item.ID < b.Item.ID
}

// bump tells listeners that the queue changed.
func (q *Queue) bump() {
	q.version++
	close(q.changed)
	q.changed = make(chan struct{})
}

// Changed returns a channel closed at the next change of the queue (an
// item, an offer or a navigator's state), and the current version.
func (q *Queue) Changed() (<-chan struct{}, uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.changed, q.version
}

func (q *Queue) storeError(op string, err error) error {
	if o211.ErrorCode(err) != o211.EINTERNAL {
		return err
	}
	q.log.Error("queue: writing the queue file", "op", op, "err", err)
	return o211.Errorf(o211.EINTERNAL, "The queue could not be saved.")
}

var errClosed = o211.Errorf(o211.EUNAVAILABLE, "the queue is closed")

func validChannel(c o211.Channel) bool {
	switch c {
	case o211.ChannelPhone, o211.ChannelText, o211.ChannelChat, o211.ChannelEmail:
		return true
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
