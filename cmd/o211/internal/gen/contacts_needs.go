package gen

import (
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/o211/o211"
)

// needCode is a need callers raise, as a 211 HSIS code, with how often, and
// the months it comes up in (a bit per month from January; 0: all year).
type needCode struct {
	code   string
	w      int
	months uint16
}

// needGroup is a family of needs with its share of unmet needs and the
// reasons they go unmet, weighted in the order of o211.UnmetReasons
// (not-eligible, not-available, waitlist-full, cost, transportation,
// language-barrier, declined, other).
type needGroup struct {
	name    string
	unmet   float64
	reasons []int
	codes   []needCode
	// related are the groups a second need is often drawn from.
	related []string
	// situations describe the person's situation in notes: English, French.
	situations []bi
}

var (
	housingReasons = []int{10, 28, 40, 12, 2, 1, 3, 4}
	generalReasons = []int{34, 16, 8, 22, 8, 3, 5, 4}
	healthReasons  = []int{22, 18, 18, 28, 8, 2, 2, 2}
	surgeReasons   = []int{3, 45, 35, 2, 10, 1, 1, 3}
)

// surgeUnmet is the share of an emergency's needs that go unmet (shelters
// and hotels full), against about one in twenty usually.
const surgeUnmet = 0.22

func months(ms ...int) uint16 {
	var m uint16
	for _, x := range ms {
		m |= 1 << (x - 1)
	}
	return m
}

// needGroups are the needs of 211 callers, weighted after 211 Ontario's
// published top needs: housing and shelter first, then food, income,
// health, mental health, utilities and legal help.
var needGroups = []needGroup{
	{name: "housing", unmet: 0.08, reasons: housingReasons, related: []string{"legal", "income", "food"},
		codes: []needCode{{"BH-1800.8500", 6, 0}, {"BH-1800", 2, 0}, {"BH-7000.4600", 5, 0}, {"BH-3800.7000", 4, 0},
			{"BH-3900.3100", 3, 0}, {"BH-0500.3140", 2, 0}, {"BH-8400", 1, 0}, {"BH-1800.1500-100", 1, 0},
			{"BH-3800.7250", 1, 0}, {"BH-8600", 1, 0}, {"BH-1800.8500-185", 2, months(12, 1, 2, 3)}},
		situations: []bi{
			{"behind two months on rent, has an N4 from the landlord", "a deux mois de retard de loyer et a reçu un avis N4 du propriétaire"},
			{"staying on a friend's couch since the fire, needs a shelter bed tonight", "dort chez un ami depuis l'incendie, cherche un lit en refuge ce soir"},
			{"sleeping in the car with two kids", "dort dans sa voiture avec deux enfants"},
			{"on the subsidized housing list for three years, asked where it stands", "sur la liste du logement subventionné depuis trois ans, demande où en est le dossier"},
			{"leaving an abusive partner, needs a safe place", "quitte un conjoint violent, cherche un endroit sûr"},
		}},
	{name: "food", unmet: 0.02, reasons: generalReasons, related: []string{"income", "housing"},
		codes: []needCode{{"BD-1800.2000", 7, 0}, {"BD-5000.1470", 2, 0}, {"BD-1800.2250", 1, 0}, {"BD-5000.3500", 1, 0},
			{"BD-1800.8200-250", 1, 0}},
		situations: []bi{
			{"no food in the house until the next cheque on the 20th", "plus rien à manger jusqu'au prochain chèque du 20"},
			{"needs baby formula this week", "a besoin de lait maternisé cette semaine"},
			{"lives alone and can't get to the store since the surgery", "vit seul et ne peut plus faire l'épicerie depuis son opération"},
		}},
	{name: "income", unmet: 0.05, reasons: generalReasons, related: []string{"food", "housing", "utilities"},
		codes: []needCode{{"NL-1000", 5, 0}, {"NL-1000.2500", 2, 0}, {"NL-3000.1500", 1, 0}, {"NL-5000", 1, 0},
			{"DT-8800", 3, months(2, 3, 4)}, {"DM-1800", 1, 0}},
		situations: []bi{
			{"lost a job last month, asked about Ontario Works", "a perdu son emploi le mois dernier, demande des renseignements sur Ontario au travail"},
			{"ODSP payment is late and rent is due", "le paiement du POSPH est en retard et le loyer est dû"},
			{"needs help filing taxes to keep the benefits", "a besoin d'aide pour ses impôts afin de garder ses prestations"},
		}},
	{name: "health", unmet: 0.05, reasons: healthReasons, related: []string{"income", "mental"},
		codes: []needCode{{"LN-1500", 2, 0}, {"LV-1600", 2, 0}, {"LH-5100.1700", 1, 0}, {"LH-5100.6500", 1, 0}, {"LE", 2, 0},
			{"LT-2800", 1, 0}, {"LH-3500", 1, 0}},
		situations: []bi{
			{"no family doctor, needs a prescription renewed", "n'a pas de médecin de famille, doit renouveler une ordonnance"},
			{"tooth pain for a week and can't afford a dentist", "mal de dents depuis une semaine, pas les moyens d'aller chez le dentiste"},
			{"needs home care after leaving hospital", "a besoin de soins à domicile à la sortie de l'hôpital"},
		}},
	{name: "mental", unmet: 0.055, reasons: healthReasons, related: []string{"health", "housing"},
		codes: []needCode{{"RP-1400", 3, 0}, {"RM-6500.1500", 2, 0}, {"RP-1500.1400-500", 1, 0}, {"RX-8450.8000", 1, 0},
			{"RX-1700", 1, 0}, {"RF-3300", 1, 0}, {"RX-8470.1900", 1, 0}},
		situations: []bi{
			{"feeling overwhelmed and not sleeping, asked for counselling", "se sent dépassé et ne dort plus, demande du counselling"},
			{"worried about a son's drinking", "s'inquiète de la consommation d'alcool de son fils"},
			{"in distress; went through a safety plan together", "en détresse; plan de sécurité revu ensemble"},
		}},
	{name: "utilities", unmet: 0.05, reasons: generalReasons, related: []string{"income", "food"},
		codes: []needCode{{"BV-8900.9300-180", 2, 0}, {"BV-8900.9300-250", 2, months(10, 11, 12, 1, 2, 3, 4)}, {"BV-8900.9300", 2, 0},
			{"BV-8900.9220", 1, 0}, {"BV-8900.1700-330", 1, 0}},
		situations: []bi{
			{"got a hydro disconnection notice, balance of $1,200", "a reçu un avis de débranchement d'Hydro, solde de 1 200 $"},
			{"behind on the gas bill since the winter", "en retard sur la facture de gaz depuis l'hiver"},
		}},
	{name: "legal", unmet: 0.04, reasons: generalReasons, related: []string{"housing", "income"},
		codes: []needCode{{"FT-4500", 2, 0}, {"FT-4500.1800", 2, 0}, {"FV-1400", 1, 0}, {"FT-3000", 1, 0}, {"FT-3400", 1, 0},
			{"FT-1000.2500", 1, 0}},
		situations: []bi{
			{"landlord wants them out, hearing at the LTB next week", "le propriétaire veut l'expulser, audience au TAL la semaine prochaine"},
			{"needs ID replaced after a theft", "doit remplacer ses pièces d'identité après un vol"},
			{"custody question and no money for a lawyer", "question de garde et pas les moyens de payer un avocat"},
		}},
	{name: "family", unmet: 0.04, reasons: generalReasons, related: []string{"food", "income"},
		codes: []needCode{{"PH-1250", 1, 0}, {"PH-3300", 1, 0}, {"PH-0780", 1, 0}, {"PH-1450.7000", 1, 0}, {"PH-1000", 1, 0},
			{"PH-2950.1500", 6, months(11, 12)}},
		situations: []bi{
			{"caring for a parent with dementia and burning out", "s'occupe d'un parent atteint de démence et s'épuise"},
			{"looking for child care to start a new job", "cherche une garderie pour commencer un nouvel emploi"},
			{"asked about Christmas hampers for the kids", "demande des paniers de Noël pour les enfants"},
		}},
	{name: "goods", unmet: 0.05, reasons: generalReasons, related: []string{"food", "housing"},
		codes: []needCode{{"BM-6500.1500-250", 1, 0}, {"BM-3000.2000", 1, 0}, {"BM-6500.1500-150", 1, 0},
			{"BM-6500.1500-920", 2, months(10, 11, 12, 1, 2)}},
		situations: []bi{{"needs a bed and winter clothes for the children", "a besoin d'un lit et de vêtements d'hiver pour les enfants"}}},
	{name: "transport", unmet: 0.06, reasons: generalReasons, related: []string{"health"},
		codes:      []needCode{{"BT-8300.1000", 1, 0}, {"BT-4500.6500-500", 1, 0}},
		situations: []bi{{"needs a ride to dialysis three times a week", "a besoin de transport pour la dialyse trois fois par semaine"}}},
	{name: "employment", unmet: 0.03, reasons: generalReasons, related: []string{"income"},
		codes:      []needCode{{"ND-3500.3600", 1, 0}, {"ND-1500", 1, 0}},
		situations: []bi{{"looking for work, asked for help with a resume", "cherche du travail, demande de l'aide pour son CV"}}},
	{name: "weather", unmet: 0.04, reasons: generalReasons, related: []string{"housing", "utilities"},
		codes:      []needCode{{"TH-2600.1880", 2, months(12, 1, 2)}, {"TH-2600.1900", 2, months(7, 8)}},
		situations: []bi{{"no heat in the apartment, asked where to go to stay warm or cool", "pas de chauffage ni de climatisation dans l'appartement, cherche un endroit où aller"}}},
}

// surgeSituations describe an emergency's callers in notes.
var surgeSituations = []bi{
	{"evacuated from home, needs a place to stay and food for the family", "évacué de son domicile, cherche un hébergement et de la nourriture pour la famille"},
	{"power out for three days, the fridge is empty", "sans électricité depuis trois jours, le frigo est vide"},
	{"the road out is closed; asked where the reception centre is", "la route est fermée; demande où se trouve le centre d'accueil"},
}

// needTable holds the weights of needGroups month by month.
type needTable struct {
	groupW [12][]int   // per month, per group
	codeW  [12][][]int // per month, per group, per code
	byName map[string]int
}

var (
	needTableOnce sync.Once
	theNeedTable  *needTable
)

func needsTable() *needTable {
	needTableOnce.Do(func() {
		t := &needTable{byName: map[string]int{}}
		for gi, grp := range needGroups {
			t.byName[grp.name] = gi
		}
		for m := 0; m < 12; m++ {
			t.groupW[m] = make([]int, len(needGroups))
			t.codeW[m] = make([][]int, len(needGroups))
			for gi, grp := range needGroups {
				ws := make([]int, len(grp.codes))
				for ci, nc := range grp.codes {
					if nc.months == 0 || nc.months&(1<<m) != 0 {
						ws[ci] = nc.w
						t.groupW[m][gi] += nc.w
					}
				}
				t.codeW[m][gi] = ws
			}
		}
		theNeedTable = t
	})
	return theNeedTable
}

// needCounts weights how many needs a contact raises: 1, 2 or 3.
var needCounts = []int{55, 32, 13}

// drawnNeed is a need being drawn: its code and where it comes from.
type drawnNeed struct {
	code  string
	group int // -1 for an emergency's need
}

// drawNeeds draws the needs of a contact, distinct codes, with their
// outcome.
func (g *dayGen) drawNeeds(emergency bool, lang string) []o211.Need {
	r := g.r
	t := g.needs
	n := 1 + weighted(r, needCounts)
	var drawn []drawnNeed
	has := func(code string) bool {
		for _, d := range drawn {
			if d.code == code {
				return true
			}
		}
		return false
	}
	if emergency {
		drawn = append(drawn, drawnNeed{g.surge.Needs[weighted(r, g.surgeW)], -1})
		if code := g.surge.Needs[weighted(r, g.surgeW)]; chance(r, 0.4) && !has(code) {
			drawn = append(drawn, drawnNeed{code, -1})
		}
		n = len(drawn)
		if chance(r, 0.25) {
			n++
		}
	}
	for tries := 0; len(drawn) < n && tries < 10; tries++ {
		gi := weighted(r, t.groupW[g.month])
		if len(drawn) > 0 && drawn[0].group >= 0 && chance(r, 0.45) {
			rel := needGroups[drawn[0].group].related
			gi = t.byName[pick(r, rel)]
		}
		if t.groupW[g.month][gi] == 0 {
			continue
		}
		code := needGroups[gi].codes[weighted(r, t.codeW[g.month][gi])].code
		if !has(code) {
			drawn = append(drawn, drawnNeed{code, gi})
		}
	}
	out := make([]o211.Need, len(drawn))
	for i, d := range drawn {
		out[i] = g.outcome(d, lang)
	}
	return out
}

// outcome decides whether a need was met, and if not, why.
func (g *dayGen) outcome(d drawnNeed, lang string) o211.Need {
	r := g.r
	need := o211.Need{Code: d.code, Status: o211.NeedMet}
	p, reasons := surgeUnmet, surgeReasons
	if d.group >= 0 {
		grp := &needGroups[d.group]
		p, reasons = grp.unmet, grp.reasons
		if g.surgeP > 0 && grp.name == "housing" {
			p *= 2 // the emergency fills the shelters for everyone
		}
	}
	if !chance(r, p) {
		return need
	}
	need.Status = o211.NeedUnmet
	need.Reason = o211.UnmetReasons[weighted(r, reasons)]
	if lang != "en" && lang != "fr" && chance(r, 0.25) {
		need.Reason = o211.ReasonLanguageBarrier
	}
	return need
}

// crisisNeed reports whether a need is often raised in a crisis.
func crisisNeed(code string) bool {
	return strings.HasPrefix(code, "RP-1500") || code == "BH-1800.1500-100"
}

// situation returns what notes say of the person's situation for a need.
func (g *dayGen) situation(r *rand.Rand, n o211.Need, emergency bool) bi {
	if emergency {
		return pick(r, surgeSituations)
	}
	for _, grp := range needGroups {
		for _, nc := range grp.codes {
			if nc.code == n.Code {
				return pick(r, grp.situations)
			}
		}
	}
	return pick(r, surgeSituations)
}
