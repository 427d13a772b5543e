package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/taxonomy"
)

// Contacts: a synthetic stream of the contacts a province's 211 centres
// record, for loading nodes, testing reports and measuring.
//
// The conventions of the generated contacts:
//   - Volume: each region gets the province's daily average in proportion
//     to its number of FSAs (as services are shared), times the weekday
//     (Mondays busiest, weekends quietest), times a seasonal wiggle of ±6 %
//     (more in January, fewer in July); the count of a region's day is a
//     Poisson draw. Times follow 211's day: open around the clock, few
//     contacts at night, peaks late morning and early afternoon.
//   - Every contact is closed, with an end a few minutes after its start
//     (depending on the channel), a navigator of its region, 1 to 3 needs
//     as 211 HSIS codes that node/taxonomy knows, and about one need in
//     twenty unmet with its reason.
//   - About one caller in six prefers French (many more in the east and the
//     north); their first names are French. Callers have first names,
//     callback numbers in the fictional 555-01xx range of their area code,
//     e-mail addresses under example.com, example.net and example.org,
//     postal codes of their region's FSAs, age bands and sometimes a gender,
//     and notes that name them: personal data on purpose.
//   - A contact's day in its region is drawn from its own random stream,
//     keyed by the region and the date, so that one region (or one day) is
//     generated without the rest: ContactsConfig.Regions gives exactly the
//     province's contacts of those regions, and overlapping periods the same
//     contacts on the days they share.

// DefaultContactsPerDay is the province-wide average of contacts a day when
// ContactsConfig.PerDay is 0: about 500,000 a year.
const DefaultContactsPerDay = 1400

// DefaultSurgeNeeds are the needs of a surge when Surge.Needs is empty: an
// evacuation's shelter, hotel vouchers, food and disaster relief.
var DefaultSurgeNeeds = []string{"TH-2600.1580", "BH-1800.5000", "BD-1800.2000", "TH-2600", "BH-1800.8500", "BD-5000.1470"}

// ContactsConfig says which contacts to generate.
type ContactsConfig struct {
	// Seed selects the stream; the same config gives the same contacts.
	Seed int64
	// Start is the first day: its calendar date in its own location (the
	// contacts are in local Toronto time). Zero means DefaultNow.
	Start time.Time
	// Days is how many days to generate; 0 means 1.
	Days int
	// PerDay is the province-wide average of contacts a day, also when
	// Regions holds fewer regions; 0 means DefaultContactsPerDay.
	PerDay int
	// Regions, when set, keeps only the contacts of those regions (ids of
	// geo.Regions); empty means all six.
	Regions []string
	// Surge, when set, is a community emergency in one region.
	Surge *Surge
	// Referrals, when set, picks a service of the directory of the region
	// that offers a need's code (or a broader one), drawing from r. Without
	// it contacts have no referrals; with it or without, they are otherwise
	// the same.
	Referrals func(region, code string, r *rand.Rand) (o211.Referral, bool)
}

// Surge is a community emergency (an evacuation, a wildfire, a flood, an
// ice storm) that multiplies a region's contacts for some days. The extra
// contacts (the share 1-1/Factor of the region's contacts in those days)
// are the emergency's: their needs are drawn from Needs, more of them go
// unmet (shelters fill up), and they carry the Emergency tag.
type Surge struct {
	// Region is the id of the region struck.
	Region string
	// Start is the first day of the surge (its calendar date, as
	// ContactsConfig.Start), and Days how many days it lasts (0 means 1).
	Start time.Time
	Days  int
	// Factor multiplies the region's volume during the surge; at least 1.
	Factor float64
	// Needs are the codes of the emergency's needs, the most frequent
	// first; empty means DefaultSurgeNeeds.
	Needs []string
	// Emergency is the tag of the emergency's contacts (o211.ValidTag);
	// empty means "<region>-emergency-<YYYY-MM-DD>" of its start.
	Emergency string
}

// Streams of randomness of contacts: one per region and day.
const contactStream = 1 << 61

// GenerateContacts draws the contacts that cfg describes and passes each to
// fn, in order of start time (ties in region order). fn may keep the
// contact. It returns an EINVALID *o211.Error for a negative count, an
// unknown region or a bad surge, and the first error fn returns, wrapped.
func GenerateContacts(cfg ContactsConfig, fn func(*o211.Contact) error) error {
	g, err := newContactGen(cfg)
	if err != nil {
		return err
	}
	var batch []*o211.Contact
	for i := 0; i < g.days; i++ {
		day := g.start.AddDate(0, 0, i)
		batch = batch[:0]
		for _, ri := range g.regions {
			batch = g.day(batch, ri, day)
		}
		sort.SliceStable(batch, func(a, b int) bool { return batch[a].Start.Before(batch[b].Start) })
		for _, c := range batch {
			if err := fn(c); err != nil {
				return fmt.Errorf("gen: contact %s: %w", c.ID, err)
			}
		}
	}
	return nil
}

// contactGen is a ContactsConfig checked, with defaults filled.
type contactGen struct {
	cfg      ContactsConfig
	start    time.Time // midnight UTC of the first date
	days     int
	perDay   float64
	regions  []int // indexes into regions
	share    []float64
	surge    *Surge
	surgeRI  int
	surgeEnd time.Time
	needs    *needTable
	surgeW   []int
	loc      *time.Location
}

func newContactGen(cfg ContactsConfig) (*contactGen, error) {
	placesOnce.Do(loadPlaces)
	g := &contactGen{cfg: cfg, days: cfg.Days, perDay: float64(cfg.PerDay), surgeRI: -1, needs: needsTable(),
		loc: o211.Toronto()}
	switch {
	case cfg.Days < 0:
		return nil, o211.Errorf(o211.EINVALID, "gen: days must not be negative, got %d", cfg.Days)
	case cfg.PerDay < 0:
		return nil, o211.Errorf(o211.EINVALID, "gen: contacts per day must not be negative, got %d", cfg.PerDay)
	}
	if g.days == 0 {
		g.days = 1
	}
	if g.perDay == 0 {
		g.perDay = DefaultContactsPerDay
	}
	start := cfg.Start
	if start.IsZero() {
		start = DefaultNow
	}
	g.start = dateOf(start)
	fsas := 0
	for _, r := range regions {
		fsas += r.FSAs
	}
	for _, r := range regions {
		g.share = append(g.share, float64(r.FSAs)/float64(fsas))
	}
	if len(cfg.Regions) == 0 {
		for i := range regions {
			g.regions = append(g.regions, i)
		}
	}
	for _, id := range cfg.Regions {
		ri := regionIndex(id)
		if ri < 0 {
			return nil, o211.Errorf(o211.EINVALID, "gen: unknown region %q", id)
		}
		g.regions = append(g.regions, ri)
	}
	sort.Ints(g.regions)
	g.regions = dedupe(g.regions)
	if cfg.Surge != nil {
		if err := g.setSurge(*cfg.Surge); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func (g *contactGen) setSurge(s Surge) error {
	g.surgeRI = regionIndex(s.Region)
	switch {
	case g.surgeRI < 0:
		return o211.Errorf(o211.EINVALID, "gen: surge: unknown region %q", s.Region)
	case s.Start.IsZero():
		return o211.Errorf(o211.EINVALID, "gen: surge: the start date is required")
	case s.Days < 0:
		return o211.Errorf(o211.EINVALID, "gen: surge: days must not be negative, got %d", s.Days)
	case s.Factor < 1 || math.IsInf(s.Factor, 0) || s.Factor > 100:
		return o211.Errorf(o211.EINVALID, "gen: surge: the factor must be between 1 and 100, got %v", s.Factor)
	}
	if s.Days == 0 {
		s.Days = 1
	}
	if len(s.Needs) == 0 {
		s.Needs = DefaultSurgeNeeds
	}
	for _, code := range s.Needs {
		if _, ok := taxonomy.Lookup(code); !ok {
			return o211.Errorf(o211.EINVALID, "gen: surge: %q is not a taxonomy code o211 knows", code)
		}
	}
	start := dateOf(s.Start)
	if s.Emergency == "" {
		s.Emergency = s.Region + "-emergency-" + start.Format(time.DateOnly)
	}
	if !o211.ValidTag(s.Emergency) {
		return o211.Errorf(o211.EINVALID, "gen: surge: %q is not a tag: use 1 to 63 lower-case letters, digits and hyphens", s.Emergency)
	}
	s.Start = start
	g.surge = &s
	g.surgeEnd = start.AddDate(0, 0, s.Days)
	for i := range s.Needs {
		g.surgeW = append(g.surgeW, len(s.Needs)-i+2)
	}
	return nil
}

// inSurge reports whether the region is struck on the day.
func (g *contactGen) inSurge(ri int, day time.Time) bool {
	return g.surge != nil && ri == g.surgeRI && !day.Before(g.surge.Start) && day.Before(g.surgeEnd)
}

// dateOf returns midnight UTC of t's calendar date in its own location.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func regionIndex(id string) int {
	for i, r := range regions {
		if r.ID == id {
			return i
		}
	}
	return -1
}

func dedupe(xs []int) []int {
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// weekdayFactor is each weekday's volume against the week's average, from
// Sunday: Mondays busiest, weekends quietest.
var weekdayFactor = [7]float64{0.82, 1.18, 1.10, 1.06, 1.04, 0.98, 0.82}

// hourWeights share a day's contacts among its hours, local time: 211
// answers around the clock, but few people call at night.
var hourWeights = []int{10, 7, 5, 4, 4, 5, 9, 18, 35, 58, 72, 74, 62, 69, 70, 64, 56, 42, 32, 28, 25, 22, 18, 14}

// seasonFactor is a wiggle of ±6 % over the year: most contacts in
// January (rent, heat, holidays' bills), fewest in July.
func seasonFactor(day time.Time) float64 {
	return 1 + 0.06*math.Cos(2*math.Pi*float64(day.YearDay()-20)/365.25)
}

// expected returns the average count of contacts of the region on the day.
func (g *contactGen) expected(ri int, day time.Time) float64 {
	n := g.perDay * g.share[ri] * weekdayFactor[day.Weekday()] * seasonFactor(day)
	if g.inSurge(ri, day) {
		n *= g.surge.Factor
	}
	return n
}

// poisson draws a count of mean lambda (normal approximation above 30).
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64())))
	}
	limit, p := math.Exp(-lambda), 1.0
	for k := 0; ; k++ {
		if p *= r.Float64(); p <= limit {
			return k
		}
	}
}

// day appends the contacts of the region on the day to out.
func (g *contactGen) day(out []*o211.Contact, ri int, day time.Time) []*o211.Contact {
	stream := contactStream | uint64(ri)<<40 | uint64(uint32(day.Unix()/86400))
	dg := &dayGen{contactGen: g, r: newRand(g.cfg.Seed, stream), ri: ri, rp: &regions[ri], date: day,
		month: int(day.Month()) - 1}
	if g.inSurge(ri, day) {
		dg.surgeP = 1 - 1/g.surge.Factor
		dg.tag = g.surge.Emergency
	}
	dg.navigators = max(4, int(math.Round(60*g.share[ri])))
	n := poisson(dg.r, g.expected(ri, day))
	for i := 0; i < n; i++ {
		out = append(out, dg.contact())
	}
	return out
}

// dayGen draws the contacts of one region on one day.
type dayGen struct {
	*contactGen
	r          *rand.Rand
	ri         int
	rp         *regionPlaces
	date       time.Time
	month      int
	surgeP     float64 // share of the day's contacts that are the emergency's
	tag        string
	navigators int
}

// channelWeights share contacts among o211.Channels (phone, text, chat,
// email, web, walk-in).
var channelWeights = []int{70, 9, 10, 4, 5, 2}

// medianMinutes is the median length of a contact on each channel.
var medianMinutes = map[o211.Channel]float64{
	o211.ChannelPhone: 7, o211.ChannelText: 18, o211.ChannelChat: 14, o211.ChannelEmail: 9, o211.ChannelWeb: 6, o211.ChannelWalkIn: 20,
}

func (g *dayGen) contact() *o211.Contact {
	r := g.r
	hour := weighted(r, hourWeights)
	start := time.Date(g.date.Year(), g.date.Month(), g.date.Day(), hour, r.IntN(60), r.IntN(60), 0, g.loc)
	ch := o211.Channels[weighted(r, channelWeights)]
	p := &places[pick(r, g.rp.Places)]
	c := &o211.Contact{ID: uuid(r), Region: g.rp.ID, Status: o211.ContactClosed, Channel: ch, Start: start,
		Navigator: g.navigator(hour), Referrals: []o211.Referral{}}
	who := g.caller(c, p)
	emergency := g.surgeP > 0 && chance(r, g.surgeP)
	if emergency {
		c.Emergency = g.tag
	}
	c.Needs = g.drawNeeds(emergency, c.Caller.Language)
	refSeed := r.Uint64()
	if g.cfg.Referrals != nil {
		c.Referrals = g.referrals(c.Needs, rand.New(rand.NewPCG(refSeed, uint64(g.cfg.Seed))))
	}
	c.Crisis = chance(r, 0.005)
	for _, n := range c.Needs {
		if crisisNeed(n.Code) && chance(r, 0.5) {
			c.Crisis = true
		}
	}
	g.consent(c)
	if chance(r, 0.85) {
		c.Notes = g.notes(c, who, p)
	}
	minutes := medianMinutes[ch] * math.Exp(0.5*r.NormFloat64()) * (1 + 0.3*float64(len(c.Needs)-1))
	if c.Crisis {
		minutes *= 2.5
	}
	end := start.Add(time.Duration(math.Min(math.Max(minutes, 1), 180)*60) * time.Second)
	c.End = &end
	return c
}

// navigator returns the id of a navigator of the region on shift at the
// hour: fewer at night.
func (g *dayGen) navigator(hour int) string {
	n := g.navigators
	if hour < 7 || hour >= 22 {
		n = max(2, n/4)
	}
	return fmt.Sprintf("nav-%s-%02d", g.rp.ID, 1+g.r.IntN(n))
}

// consent records what the person agreed to, and plans a follow-up for
// some of those who agreed to one: more when a need went unmet or the
// person was in crisis.
func (g *dayGen) consent(c *o211.Contact) {
	r := g.r
	unmet := false
	for _, n := range c.Needs {
		unmet = unmet || n.Status == o211.NeedUnmet
	}
	p, plan := 0.3, 0.3
	if unmet || c.Crisis {
		p, plan = 0.6, 0.8
	}
	c.Consent = o211.Consent{FollowUp: chance(r, p), Overflow: chance(r, 0.55)}
	if !c.Consent.FollowUp || !chance(r, plan) {
		return
	}
	due := c.Start.AddDate(0, 0, 2+r.IntN(6))
	switch due.Weekday() {
	case time.Saturday:
		due = due.AddDate(0, 0, 2)
	case time.Sunday:
		due = due.AddDate(0, 0, 1)
	}
	c.FollowUp = &o211.FollowUp{Due: due.Format(time.DateOnly)}
}

// referrals gives services of the directory for the needs: one or two for
// most met needs, sometimes one for an unmet need (a waitlist to join).
func (g *dayGen) referrals(needs []o211.Need, r *rand.Rand) []o211.Referral {
	out := []o211.Referral{}
	seen := map[o211.Referral]bool{}
	for _, n := range needs {
		k := 0
		switch x := r.Float64(); {
		case n.Status == o211.NeedMet && x < 0.1: // information only
		case n.Status == o211.NeedMet && x < 0.75:
			k = 1
		case n.Status == o211.NeedMet:
			k = 2
		case x < 0.3:
			k = 1
		}
		for i := 0; i < k; i++ {
			ref, ok := g.cfg.Referrals(g.rp.ID, n.Code, r)
			if ok && !seen[ref] {
				seen[ref] = true
				out = append(out, ref)
			}
		}
	}
	return out
}
