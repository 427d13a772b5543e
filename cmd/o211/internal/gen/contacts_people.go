package gen

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/o211/o211"
)

// person is who a contact is with, as far as the navigator learns.
type person struct {
	name   string // "" when not given
	female bool
	french bool
}

// First names of callers, by language and gender.
var (
	namesWomen = []string{"Sarah", "Jessica", "Emily", "Ashley", "Jennifer", "Amanda", "Michelle", "Lisa", "Karen", "Nicole",
		"Stephanie", "Melissa", "Priya", "Aisha", "Fatima", "Mei", "Ana", "Maria", "Olivia", "Emma", "Hannah", "Grace", "Chloe",
		"Brittany", "Tanya", "Deborah", "Linda", "Patricia", "Rosa", "Samira", "Jasmine", "Kayla", "Leah", "Nadia", "Zainab",
		"Harpreet", "Simran", "Lin", "Amina", "Shanice"}
	namesMen = []string{"Michael", "David", "Chris", "James", "Matthew", "Ryan", "Daniel", "Kevin", "Jason", "Brian", "Mark",
		"Steven", "Tyler", "Justin", "Mohammed", "Ahmed", "Omar", "Raj", "Arjun", "Wei", "Jun", "Carlos", "Luis", "Jose", "Tom",
		"Robert", "John", "Paul", "Gary", "Dwayne", "Andre", "Darnell", "Hassan", "Yusuf", "Gurpreet", "Tariq", "Nathan",
		"Ethan", "Liam", "Noah"}
	namesFrWomen = []string{"Marie", "Sophie", "Isabelle", "Nathalie", "Julie", "Chantal", "Sylvie", "Geneviève", "Mélanie",
		"Véronique", "Josée", "Martine", "Manon", "Caroline", "Émilie", "Camille", "Chloé", "Léa", "Marie-Ève", "Annie"}
	namesFrMen = []string{"Jean", "Pierre", "Luc", "Marc", "Michel", "Daniel", "Stéphane", "Mathieu", "François", "Sébastien",
		"Éric", "Alain", "Denis", "Yves", "Martin", "Guy", "Gabriel", "Olivier", "Jean-François", "Patrick"}
)

// callerFrench is the share of each region's callers who prefer French:
// about one in six over the province.
var callerFrench = map[string]float64{
	"central": 0.09, "central-east": 0.06, "central-south": 0.07, "east": 0.46, "north": 0.40, "south-west": 0.07,
}

// otherLanguage is the share of the other callers who prefer a language
// other than English (served through an interpreter).
const otherLanguage = 0.035

// ageBandWeights weight o211.AgeBands, youngest first.
var ageBandWeights = []int{3, 11, 21, 19, 16, 15, 15}

// How often each field of a caller is known, by channel: phone, text, chat,
// email, web, walk-in (the order of o211.Channels).
var (
	nameGiven     = []float64{0.8, 0.55, 0.7, 1, 0.95, 0.85}
	callbackGiven = []float64{0.75, 0.95, 0.3, 0.15, 0.5, 0.45}
	emailGiven    = []float64{0.04, 0.02, 0.2, 1, 0.9, 0.05}
)

func channelIndex(ch o211.Channel) int {
	for i, c := range o211.Channels {
		if c == ch {
			return i
		}
	}
	return 0
}

// caller fills what the contact knows of the person who reached 211 from
// the place, and returns the person for the notes.
func (g *dayGen) caller(c *o211.Contact, p *place) person {
	r := g.r
	ci := channelIndex(c.Channel)
	lang := "en"
	switch {
	case chance(r, callerFrench[g.rp.ID]):
		lang = "fr"
	case chance(r, otherLanguage):
		pool := regionLanguages[g.rp.ID]
		weights := make([]int, len(pool))
		for i, l := range pool {
			weights[i] = l.w
		}
		lang = pool[weighted(r, weights)].code
	}
	who := person{female: chance(r, 0.6), french: lang == "fr"}
	names := namesMen
	switch {
	case who.french && who.female:
		names = namesFrWomen
	case who.french:
		names = namesFrMen
	case who.female:
		names = namesWomen
	}
	first := pick(r, names)
	if chance(r, nameGiven[ci]) {
		who.name = first
	}
	cl := o211.Caller{FirstName: who.name, Language: lang}
	if chance(r, callbackGiven[ci]) {
		cl.Callback = callbackNumber(r, p.AreaCodes)
	}
	if chance(r, emailGiven[ci]) {
		cl.Email = emailAddress(r, first)
	}
	switch x := r.Float64(); {
	case x < 0.65 || c.Channel == o211.ChannelWalkIn && x < 0.8:
		cl.PostalCode = postalCode(r, p.Code)
	case x < 0.8:
		cl.PostalCode = p.Code
	}
	if chance(r, 0.8) {
		cl.AgeBand = o211.AgeBands[weighted(r, ageBandWeights)]
	}
	if chance(r, 0.45) {
		switch x := r.Float64(); {
		case x < 0.02:
			cl.Gender = "non-binary"
		case x < 0.025:
			cl.Gender = "two-spirit"
		case who.female:
			cl.Gender = "woman"
		default:
			cl.Gender = "man"
		}
	}
	c.Caller = cl
	return who
}

// callbackNumber returns a number in the area codes in the 555-01xx range,
// which North American numbering keeps for fiction: no generated caller
// has a real person's number.
func callbackNumber(r *rand.Rand, codes []string) string {
	code := codes[0]
	if len(codes) > 1 && r.IntN(10) < 3 {
		code = codes[1+r.IntN(len(codes)-1)]
	}
	n := r.IntN(100)
	switch r.IntN(10) {
	case 0:
		return fmt.Sprintf("(%s) 555-01%02d", code, n)
	case 1:
		return fmt.Sprintf("%s 555 01%02d", code, n)
	}
	return fmt.Sprintf("%s-555-01%02d", code, n)
}

// emailAddress returns an address for the first name at a domain kept for
// examples.
func emailAddress(r *rand.Rand, first string) string {
	local := unaccent.Replace(strings.ToLower(first))
	switch r.IntN(4) {
	case 0:
		local += fmt.Sprintf("%d", 60+r.IntN(45))
	case 1:
		local += "." + string(rune('a'+r.IntN(26)))
	case 2:
		local += fmt.Sprintf("_%d", 1+r.IntN(999))
	}
	return local + "@" + []string{"example.com", "example.net", "example.org"}[r.IntN(3)]
}

// Openings of notes by channel (o211.Channels order): who reached 211 from
// where.
var noteOpenings = []bi{
	{"%s called from %s", "%s a appelé depuis %s"},
	{"%s texted from %s", "%s a écrit par texto depuis %s"},
	{"%s started a chat from %s", "%s a clavardé depuis %s"},
	{"%s wrote in from %s", "%s a écrit depuis %s"},
	{"%s sent a web request from %s", "%s a envoyé une demande en ligne depuis %s"},
	{"%s came to the office from %s", "%s s'est présenté au bureau, depuis %s"},
}

// unmetNotes say why a need went unmet, in o211.UnmetReasons order.
var unmetNotes = []bi{
	{"Not eligible for the programs available.", "Non admissible aux programmes offerts."},
	{"Nothing available nearby.", "Rien de disponible à proximité."},
	{"Shelters and waitlists full; no spot today.", "Refuges et listes d'attente complets; aucune place aujourd'hui."},
	{"Cannot afford the fees.", "N'a pas les moyens de payer les frais."},
	{"No way to get there.", "Aucun moyen de s'y rendre."},
	{"No service in their language.", "Aucun service dans sa langue."},
	{"Declined the options offered.", "A refusé les options proposées."},
	{"Could not be met.", "Besoin non comblé."},
}

// notes writes what a navigator types: who, from where, the situation and
// what was done. They name the person on purpose (a test checks that none
// of it leaves the region).
func (g *dayGen) notes(c *o211.Contact, who person, p *place) string {
	r := g.r
	fr := who.french
	name := who.name
	if name == "" {
		name = bi{"Caller", "La personne"}.in(fr)
	}
	var b strings.Builder
	fmt.Fprintf(&b, noteOpenings[channelIndex(c.Channel)].in(fr), name, p.Area)
	b.WriteString(": ")
	b.WriteString(g.situation(r, c.Needs[0], c.Emergency != "").in(fr))
	b.WriteString(". ")
	unmet := -1
	for i, n := range c.Needs {
		if n.Status == o211.NeedUnmet && unmet < 0 {
			unmet = i
		}
	}
	switch {
	case len(c.Referrals) > 0:
		fmt.Fprintf(&b, bi{"Gave %d referral(s).", "%d référence(s) donnée(s)."}.in(fr), len(c.Referrals))
	default:
		b.WriteString(bi{"Gave information and options.", "Renseignements et options donnés."}.in(fr))
	}
	if unmet >= 0 {
		b.WriteString(" ")
		for i, reason := range o211.UnmetReasons {
			if reason == c.Needs[unmet].Reason {
				b.WriteString(unmetNotes[i].in(fr))
			}
		}
	}
	if c.Crisis {
		b.WriteString(bi{" Safety plan in place; crisis line number given.", " Plan de sécurité en place; numéro de la ligne de crise donné."}.in(fr))
	}
	if c.Caller.Callback != "" && chance(r, 0.3) {
		fmt.Fprintf(&b, bi{" Best number: %s.", " Meilleur numéro : %s."}.in(fr), c.Caller.Callback)
	}
	if c.FollowUp != nil {
		with := who.name
		if with == "" {
			with = bi{"the caller", "la personne"}.in(fr)
		}
		fmt.Fprintf(&b, bi{" Follow up with %s on %s.", " Suivi avec %s le %s."}.in(fr), with, c.FollowUp.Due)
	}
	return b.String()
}
