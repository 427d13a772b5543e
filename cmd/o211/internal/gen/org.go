package gen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"

	"github.com/o211/o211"
)

// orgGen draws one organization and everything that belongs to it.
type orgGen struct {
	r      *rand.Rand
	now    time.Time
	plan   *plan
	op     orgPlan
	region string
	put    func(region string, obj o211.Object) error

	kind    *orgKind
	french  bool
	home    *place
	vars    map[string]string // text placeholders: {area}, {de_area}, {saint}...
	id      string
	name    string
	domain  string
	target  string // the faith or cultural community the organization links
	sites   []site
	used    map[string]bool // templates already used
	website string

	frenchServices int
}

// site is a location of the organization.
type site struct {
	id    string
	place *place
}

func newOrgGen(opts Options, p *plan, op orgPlan, put func(string, o211.Object) error) *orgGen {
	return &orgGen{
		r: newRand(p.seed, orgStream(op.region, op.index)), now: opts.Now, plan: p, op: op,
		region: regions[op.region].ID, put: put, used: map[string]bool{},
	}
}

func (g *orgGen) emit(obj o211.Object) error { return g.put(g.region, obj) }

// run draws the organization, its sites and its services, emitting each row
// after the rows it refers to.
func (g *orgGen) run() error {
	r := g.r
	rp := regions[g.op.region]
	g.kind = pickKind(r, g.region)
	g.french = chance(r, frenchShare[g.region])
	g.home = &places[pick(r, rp.Places)]
	g.setVars(g.home)
	g.name = g.orgName()
	g.domain = slug(g.name) + ".example.org"
	g.id = uuid(r)
	if err := g.organization(); err != nil {
		return err
	}
	nSites := 1
	if g.op.services >= 2 {
		nSites += weighted(r, []int{60, 25, 10, 5})
		nSites = min(nSites, g.op.services)
	}
	for i := 0; i < nSites; i++ {
		p := g.home
		if i > 0 {
			p = &places[pick(r, g.home.Near)]
		}
		if err := g.location(i, p); err != nil {
			return err
		}
	}
	for k := 0; k < g.op.services; k++ {
		if err := g.service(g.plan.forced(g.op.first + k)); err != nil {
			return err
		}
	}
	return nil
}

func pickKind(r *rand.Rand, region string) *orgKind {
	weights := make([]int, len(kinds))
	for i, k := range kinds {
		weights[i] = k.weight
		if b := k.boost[region]; b > 0 {
			weights[i] *= b
		}
	}
	return kinds[weighted(r, weights)]
}

// setVars fills the placeholders of texts about the place.
func (g *orgGen) setVars(p *place) {
	area := p.Area
	frArea := strings.TrimPrefix(area, "The ")
	de := "de " + frArea
	if startsWithVowel(frArea) {
		de = "d'" + frArea
	}
	if g.vars == nil {
		g.vars = map[string]string{"{saint}": pick(g.r, saints), "{saintfr}": pick(g.r, saintsFr)}
	}
	deCity := "de " + p.City
	if startsWithVowel(p.City) {
		deCity = "d'" + p.City
	}
	g.vars["{area}"], g.vars["{de_area}"], g.vars["{city}"], g.vars["{de_city}"] = area, de, p.City, deCity
}

func startsWithVowel(s string) bool {
	for _, c := range s {
		return strings.ContainsRune("AEIOUÉÈÊÀÂÎÔÛaeiouéèêàâîôû", c)
	}
	return false
}

// unaccent spells French letters without their accents.
var unaccent = strings.NewReplacer("é", "e", "è", "e", "ê", "e", "ë", "e", "à", "a", "â", "a", "î", "i", "ï", "i",
	"ô", "o", "ù", "u", "û", "u", "ü", "u", "ç", "c", "œ", "oe", "æ", "ae")

// fill replaces the placeholders of a text.
func (g *orgGen) fill(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	for k, v := range g.vars {
		s = strings.ReplaceAll(s, k, v)
	}
	return s
}

func (g *orgGen) orgName() string {
	r := g.r
	switch {
	case g.kind.faith:
		ws := make([]int, len(denominations))
		for i, d := range denominations {
			ws[i] = d.wEn
			if g.french {
				ws[i] = d.wFr
			}
		}
		d := denominations[weighted(r, ws)]
		g.target = d.target
		if g.french {
			return g.fill(pick(r, d.fr))
		}
		return g.fill(pick(r, d.en))
	case g.kind.key == "temple":
		g.target = "YR-3000"
	case g.kind.key == "cultural":
		h := pick(r, heritages)
		g.target = h.target
		if g.french {
			return g.fill("Association culturelle " + h.fr + " {de_area}")
		}
		return g.fill("{area} " + h.en + " Cultural Association")
	}
	return g.fill(pick(r, g.kind.names).in(g.french))
}

// slug makes a domain label of a name: "Agincourt Food Bank" gives
// "agincourtfoodbank"; long names keep their initials.
func slug(name string) string {
	var words []string
	for _, w := range strings.FieldsFunc(unaccent.Replace(strings.ToLower(name)), func(c rune) bool {
		return !unicode.IsLetter(c) && !unicode.IsDigit(c)
	}) {
		var b strings.Builder
		for _, c := range w {
			if c < 128 {
				b.WriteRune(c)
			}
		}
		switch w = b.String(); w {
		case "", "the", "of", "and", "de", "d", "du", "des", "la", "le", "les", "l", "et", "s":
			continue
		}
		words = append(words, w)
	}
	s := strings.Join(words, "")
	if len(s) > 24 && len(words) > 2 {
		var b strings.Builder
		for _, w := range words[:len(words)-1] {
			b.WriteByte(w[0])
		}
		s = b.String() + words[len(words)-1]
	}
	if s == "" {
		s = "org"
	}
	return s
}

func (g *orgGen) organization() error {
	r := g.r
	year := 1870 + r.IntN(150)
	if chance(r, 0.6) {
		year = 1960 + r.IntN(60)
	}
	mission := g.fill(g.kind.mission.in(g.french))
	desc := fmt.Sprintf("Founded in %d, %s %s", year, g.name, mission)
	if g.french {
		desc = fmt.Sprintf("Fondé en %d, l'organisme %s", year, mission)
	}
	org := &o211.Organization{
		ID: g.id, Name: g.name, Description: desc,
		YearIncorporated: ptr(float64(year)), LegalStatus: g.kind.legal.in(g.french),
	}
	if chance(r, 0.8) {
		g.website = "https://www." + g.domain
		org.Website = g.website
	}
	if chance(r, 0.7) {
		org.Email = pick(r, []string{"info", "office", "contact", "admin"}) + "@" + g.domain
	}
	if err := g.emit(org); err != nil {
		return err
	}
	if chance(r, g.kind.charity*0.9) {
		id := &o211.OrganizationIdentifier{
			ID: uuid(r), OrganizationID: g.id, IdentifierScheme: "CA-CRA_ACR",
			IdentifierType: pick(r, []bi{{"Canada Revenue Agency charity registration number",
				"Numéro d'enregistrement d'organisme de bienfaisance de l'Agence du revenu du Canada"}}).in(g.french),
			Identifier: fmt.Sprintf("%d%08d RR 0001", 1+r.IntN(8), r.IntN(100000000)),
		}
		id.Identifier = strings.ReplaceAll(id.Identifier, " ", "")
		if err := g.emit(id); err != nil {
			return err
		}
	}
	if chance(r, 0.3) {
		ph := &o211.Phone{ID: uuid(r), OrganizationID: g.id, Number: phoneNumber(r, g.home.AreaCodes), Type: "voice",
			Description: bi{"Administration", "Administration"}.in(g.french)}
		if err := g.emit(ph); err != nil {
			return err
		}
	}
	return nil
}

var accessibility = []bi{
	{"Fully wheelchair accessible.", "Entièrement accessible en fauteuil roulant."},
	{"Accessible entrance at the rear of the building.", "Entrée accessible à l'arrière du bâtiment."},
	{"Elevator to all floors; accessible washrooms.", "Ascenseur à tous les étages; toilettes accessibles."},
	{"Not wheelchair accessible; stairs at the entrance.", "Non accessible en fauteuil roulant; marches à l'entrée."},
	{"Accessible parking near the main door.", "Stationnement accessible près de la porte principale."},
}

// transit names the bus service of the larger towns.
var transit = map[string]string{
	"Toronto": "TTC", "Ottawa": "OC Transpo", "Gloucester": "OC Transpo", "Nepean": "OC Transpo", "Kanata": "OC Transpo",
	"Orleans": "OC Transpo", "Mississauga": "MiWay", "Brampton": "Brampton Transit", "Hamilton": "HSR", "London": "LTC",
	"Windsor": "Transit Windsor", "Sudbury": "GOVA Transit", "Thunder Bay": "Thunder Bay Transit", "Kingston": "Kingston Transit",
	"Oshawa": "Durham Region Transit", "Whitby": "Durham Region Transit", "Ajax": "Durham Region Transit", "Pickering": "Durham Region Transit",
	"Markham": "YRT", "Richmond Hill": "YRT", "Newmarket": "YRT", "Aurora": "YRT", "Kitchener": "GRT", "Waterloo": "GRT",
	"Cambridge": "GRT", "Guelph": "Guelph Transit", "Barrie": "Barrie Transit", "St. Catharines": "Niagara Region Transit",
	"Niagara Falls": "Niagara Region Transit", "Welland": "Niagara Region Transit", "Burlington": "Burlington Transit", "Oakville": "Oakville Transit",
}

func (g *orgGen) location(i int, p *place) error {
	r := g.r
	g.setVars(p)
	defer g.setVars(g.home)
	lat, lon := jitter(r, p.FSA)
	loc := &o211.Location{ID: uuid(r), LocationType: o211.LocationPhysical, OrganizationID: g.id, Name: g.name,
		Latitude: ptr(lat), Longitude: ptr(lon)}
	switch {
	case i > 0 && p.Area != g.home.Area:
		loc.Name = g.name + " – " + g.fill(bi{"{area} Site", "Point de service {de_area}"}.in(g.french))
	case i > 0:
		loc.Name = g.name + " – " + fmt.Sprintf(bi{"Site %d", "Point de service %d"}.in(g.french), i+1)
	}
	if chance(r, 0.4) {
		switch agency := transit[p.City]; {
		case agency != "":
			de := "de " + agency
			if startsWithVowel(agency) {
				de = "d'" + agency
			}
			loc.Transportation = bi{"On the " + agency + " bus route; stop at the corner.", "Sur un trajet d'autobus " + de + "; arrêt au coin de la rue."}.in(g.french)
		case p.Rural():
			loc.Transportation = bi{"Free parking on site.", "Stationnement gratuit sur place."}.in(g.french)
		default:
			loc.Transportation = bi{"On a local bus route; free parking.", "Sur un trajet d'autobus local; stationnement gratuit."}.in(g.french)
		}
	}
	g.sites = append(g.sites, site{id: loc.ID, place: p})
	if err := g.emit(loc); err != nil {
		return err
	}
	addr := &o211.Address{ID: uuid(r), LocationID: loc.ID, Address1: streetAddress(r, p, g.french), Address2: unit(r, g.french),
		City: p.City, StateProvince: "ON", PostalCode: postalCode(r, p.Code), Country: "CA", AddressType: o211.LocationPhysical}
	if err := g.emit(addr); err != nil {
		return err
	}
	phones := []*o211.Phone{{ID: uuid(r), LocationID: loc.ID, Number: phoneNumber(r, p.AreaCodes), Type: "voice"}}
	if chance(r, 0.35) {
		phones = append(phones, &o211.Phone{ID: uuid(r), LocationID: loc.ID, Number: phoneNumber(r, p.AreaCodes), Type: "fax"})
	}
	for _, ph := range phones {
		if err := g.emit(ph); err != nil {
			return err
		}
	}
	if chance(r, 0.6) {
		a := &o211.Accessibility{ID: uuid(r), LocationID: loc.ID, Description: pick(r, accessibility).in(g.french)}
		if err := g.emit(a); err != nil {
			return err
		}
	}
	if chance(r, 0.4) {
		h := makeHours(r, sOffice, g.now)
		for _, s := range h.schedules(r, "", "", g.french) {
			s.LocationID = loc.ID
			if err := g.emit(s); err != nil {
				return err
			}
		}
	}
	return nil
}
