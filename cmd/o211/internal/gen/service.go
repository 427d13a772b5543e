package gen

import (
	"strings"
	"sync"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/taxonomy"
)

// pickTemplate draws the template of a new service of the organization:
// from its kind's pool, rarely any 211 HSIS service term, and not one the
// organization already offers if it can help it.
func (g *orgGen) pickTemplate() *template {
	r := g.r
	if g.kind.generic > 0 && chance(r, g.kind.generic) {
		return genericTemplate(pick(r, serviceTerms()))
	}
	pool := g.kind.pool
	weights := make([]int, len(pool))
	total := 0
	for i, key := range pool {
		if !g.used[key] {
			weights[i] = templateIndex[key].weight
			total += weights[i]
		}
	}
	if total == 0 {
		// The organization offers its whole pool already: anything else.
		pool = allKeys
		weights = make([]int, len(pool))
		for i, key := range pool {
			if !g.used[key] {
				weights[i] = templateIndex[key].weight
				total += weights[i]
			}
		}
		if total == 0 {
			return templateIndex[pick(r, pool)]
		}
	}
	return templateIndex[pool[weighted(r, weights)]]
}

var (
	serviceTermsOnce sync.Once
	serviceTermCodes []string
)

// serviceTerms returns the codes of the taxonomy deep enough to name a
// service (level 3 and below, not target populations).
func serviceTerms() []string {
	serviceTermsOnce.Do(func() {
		for _, t := range taxonomy.All() {
			if t.Code[0] != 'Y' && t.Level() >= 3 {
				serviceTermCodes = append(serviceTermCodes, t.Code)
			}
		}
	})
	return serviceTermCodes
}

// service draws one service of the organization with its sites, hours,
// phones, languages and taxonomy links. forced, when not "", is a sample
// code ("A*B") the service must carry.
func (g *orgGen) service(forced string) error {
	t, name, codes, targets := g.serviceKind(forced)
	s := &o211.Service{ID: uuid(g.r), OrganizationID: g.id, Name: g.fill(name.in(g.french)), Status: o211.StatusActive}
	s.Description = g.describe(t)
	g.serviceDetails(s, t, name)
	if g.french {
		g.frenchServices++
	}
	if err := g.emit(s); err != nil {
		return err
	}
	if err := g.serviceSites(s, t); err != nil {
		return err
	}
	if err := g.servicePhones(s, t); err != nil {
		return err
	}
	return g.serviceLinks(s, codes, targets)
}

// serviceKind draws the template of a service, its name, and its taxonomy
// codes and target populations. forced is as for service.
func (g *orgGen) serviceKind(forced string) (t *template, name variant, codes, targets []string) {
	r := g.r
	var forcedTargets []string
	main := ""
	if forced != "" {
		main, forcedTargets = splitForced(forced)
		t = templateFor(main)
	} else {
		t = g.pickTemplate()
	}
	g.used[t.key] = true

	// Name, and the target populations it implies.
	names := t.names
	if forced != "" {
		// A name that implies a population would contradict the forced one.
		var plain []variant
		for _, n := range names {
			if n.target == "" {
				plain = append(plain, n)
			}
		}
		if len(plain) > 0 {
			names = plain
		}
	}
	name = pick(r, names)
	switch {
	case forced != "":
		targets = forcedTargets
	case name.target != "":
		targets = []string{name.target}
	case g.target != "" && chance(r, 0.4):
		targets = []string{g.target}
	case len(t.targets.codes) > 0 && chance(r, t.targets.p):
		targets = []string{pick(r, t.targets.codes)}
	}
	codes = append([]string(nil), t.codes...)
	if main != "" && codes[0] != main {
		rest := []string{main}
		for _, c := range codes {
			if c != main {
				rest = append(rest, c)
			}
		}
		codes = rest
	}
	for len(codes) > 1 && len(codes)+len(targets) > 4 {
		codes = codes[:len(codes)-1]
	}
	return t, name, codes, targets
}

// serviceDetails draws a service's status, eligibility, fees, application
// process, verification date and contact details.
func (g *orgGen) serviceDetails(s *o211.Service, t *template, name variant) {
	r := g.r
	switch x := r.IntN(1000); {
	case x < 45:
		s.Status = o211.StatusTemporarilyClosed
		s.Alert = pick(r, []bi{
			{"Temporarily closed for renovations; call for updates.", "Fermé temporairement pour rénovations; téléphonez pour obtenir des mises à jour."},
			{"Temporarily closed due to a shortage of volunteers.", "Fermé temporairement en raison d'un manque de bénévoles."},
			{"Temporarily closed while the program moves to a new location.", "Fermé temporairement pendant le déménagement du programme."},
		}).in(g.french)
	case x < 80:
		s.Status = o211.StatusInactive
	}
	el := eligibilities[t.elig]
	s.EligibilityDescription = g.fill(el.text.in(g.french))
	if el.ageP > 0 && chance(r, el.ageP) {
		if el.min >= 0 {
			s.MinimumAge = ptr(el.min)
		}
		if el.max >= 0 {
			s.MaximumAge = ptr(el.max)
		}
	}
	s.FeesDescription = pick(r, fees[t.fee]).in(g.french)
	s.ApplicationProcess = pick(r, applications[t.apply]).in(g.french)
	s.AssuredDate = g.now.AddDate(0, 0, -r.IntN(3*365)).Format(time.DateOnly)
	if g.website != "" && chance(r, 0.25) {
		s.URL = g.website + "/programs/" + slug(name.en)
	}
	if chance(r, 0.2) {
		s.Email = slug(name.en) + "@" + g.domain
	}
	if chance(r, 0.15) {
		s.InterpretationServices = bi{"Telephone interpretation in over 100 languages.", "Interprétation téléphonique dans plus de 100 langues."}.in(g.french)
	}
}

// serviceLinks writes a service's languages and its taxonomy attributes:
// the service type codes, then the target populations.
func (g *orgGen) serviceLinks(s *o211.Service, codes, targets []string) error {
	r := g.r
	for _, l := range serviceLanguages(r, g.region, g.french, g.kind.key == "indigenous") {
		if err := g.emit(&o211.Language{ID: uuid(r), ServiceID: s.ID, Name: l.name, Code: l.code}); err != nil {
			return err
		}
	}
	for i, c := range append(codes, targets...) {
		a := &o211.Attribute{ID: uuid(r), LinkID: s.ID, LinkEntity: "service", LinkType: "service_type", TaxonomyTermID: taxonomy.TermID(c)}
		if i >= len(codes) {
			a.LinkType = "target_population"
		}
		if err := g.emit(a); err != nil {
			return err
		}
	}
	return nil
}

// describe writes one to three sentences about what the service offers.
func (g *orgGen) describe(t *template) string {
	r := g.r
	parts := []string{g.fill(pick(r, t.desc).in(g.french))}
	if chance(r, 0.5) {
		first := r.IntN(len(more))
		parts = append(parts, more[first].in(g.french))
		if chance(r, 0.3) {
			if second := r.IntN(len(more)); second != first {
				parts = append(parts, more[second].in(g.french))
			}
		}
	}
	return strings.Join(parts, " ")
}

// serviceSites links the service to one or more of the organization's
// sites and gives it opening hours: service-wide at a single site, per site
// otherwise.
func (g *orgGen) serviceSites(s *o211.Service, t *template) error {
	r := g.r
	at := []site{g.sites[0]}
	if n := len(g.sites); n > 1 {
		switch x := r.IntN(10); {
		case x < 7:
			at = []site{g.sites[r.IntN(n)]}
		case x < 9:
			i := r.IntN(n)
			at = []site{g.sites[i], g.sites[(i+1)%n]}
		default:
			at = g.sites
		}
	}
	for _, st := range at {
		sal := &o211.ServiceAtLocation{ID: uuid(r), ServiceID: s.ID, LocationID: st.id}
		if err := g.emit(sal); err != nil {
			return err
		}
		salID := ""
		if len(at) > 1 {
			salID = sal.ID
		}
		for _, row := range makeHours(r, t.sched, g.now).schedules(r, s.ID, salID, g.french) {
			if err := g.emit(row); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *orgGen) servicePhones(s *o211.Service, t *template) error {
	r := g.r
	var phones []*o211.Phone
	add := func(number, typ string, desc bi) {
		phones = append(phones, &o211.Phone{ID: uuid(r), ServiceID: s.ID, Number: number, Type: typ, Description: desc.in(g.french)})
	}
	codes := g.home.AreaCodes
	if t.hotline {
		if t.sched == s247 {
			add(tollFree(r), "voice", bi{"24-hour line, toll-free", "Ligne 24 heures sur 24, sans frais"})
		} else {
			add(tollFree(r), "voice", bi{"Toll-free", "Sans frais"})
		}
		add(phoneNumber(r, codes), "voice", bi{"Local", "Local"})
		if chance(r, 0.6) {
			add(phoneNumber(r, codes), "text", bi{"Text (SMS)", "Texto (SMS)"})
		}
		if chance(r, 0.3) {
			add(phoneNumber(r, codes), "textphone", bi{"TTY", "ATS"})
		}
	} else {
		if chance(r, 0.45) {
			add(phoneNumber(r, codes), "voice", pick(r, []bi{{"Intake", "Accueil"}, {"Program line", "Ligne du programme"}, {"", ""}}))
			if chance(r, 0.3) {
				phones[len(phones)-1].Extension = ptr(float64(200 + r.IntN(200)))
			}
		}
		if chance(r, 0.08) {
			add(tollFree(r), "voice", bi{"Toll-free", "Sans frais"})
		}
		if chance(r, 0.03) {
			add(phoneNumber(r, codes), "textphone", bi{"TTY", "ATS"})
		}
	}
	for _, ph := range phones {
		if err := g.emit(ph); err != nil {
			return err
		}
	}
	return nil
}
