package search

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/geo"
)

// A small generator of realistic docs for tests and benchmarks: services of
// some forty kinds with 211 taxonomy codes, English and French names and
// descriptions, organisations with several services, one to three
// locations around the FSAs of a region, and a mix of opening hours.

type serviceKind struct {
	code         string
	en, fr       string // names
	enWords      string // description vocabulary
	frWords      string
	taxEn, taxFr string
}

var serviceKinds = []serviceKind{
	{"BD-1800.2000", "Food Bank", "Banque alimentaire", "food groceries hampers pantry emergency nutrition", "nourriture épicerie paniers alimentaire urgence", "Food Pantries", "Banques alimentaires"},
	{"BD-5000.8300", "Community Meals", "Repas communautaires", "meals lunch dinner hot soup kitchen food", "repas dîner souper soupe populaire", "Soup Kitchens", "Soupes populaires"},
	{"BD-1800.1900", "Grocery Delivery", "Livraison d'épicerie", "groceries delivery homebound seniors food", "épicerie livraison aînés domicile", "Food Delivery", "Livraison de nourriture"},
	{"BH-1800.8500", "Emergency Shelter", "Refuge d'urgence", "shelter beds overnight homeless emergency housing", "refuge lits hébergement sans-abri urgence", "Homeless Shelter", "Refuges pour sans-abri"},
	{"BH-1800.1500", "Women's Shelter", "Maison d'hébergement pour femmes", "women violence safe shelter children", "femmes violence hébergement sécuritaire enfants", "Domestic Violence Shelters", "Refuges pour victimes de violence"},
	{"BH-3800.7000", "Housing Help Centre", "Centre d'aide au logement", "housing search rental landlord tenant", "logement recherche location propriétaire locataire", "Housing Search Assistance", "Aide à la recherche de logement"},
	{"BH-8400.6000", "Rent Bank", "Banque de loyer", "rent arrears eviction prevention loans", "loyer arriérés expulsion prévention prêts", "Rent Payment Assistance", "Aide au paiement du loyer"},
	{"BM-6500.1500", "Clothing Bank", "Banque de vêtements", "clothing winter coats boots free", "vêtements hiver manteaux bottes gratuit", "Clothing", "Vêtements"},
	{"BT-4500.6500", "Community Transportation", "Transport communautaire", "transportation rides medical appointments seniors", "transport déplacements rendez-vous médicaux aînés", "Transportation", "Transport"},
	{"BV-8900.9300", "Utility Assistance", "Aide pour les services publics", "hydro heating bills utility arrears", "électricité chauffage factures arriérés", "Utility Assistance", "Aide pour les services publics"},
	{"DF-7000", "Tax Clinic", "Clinique d'impôt", "income tax returns volunteers free clinic", "déclaration revenus impôt bénévoles clinique", "Tax Preparation Assistance", "Aide à la préparation des déclarations"},
	{"DT-5000", "Credit Counselling", "Conseil en crédit", "debt credit budget counselling money", "dettes crédit budget conseils argent", "Credit Counselling", "Conseil en crédit"},
	{"FT-3200", "Legal Clinic", "Clinique juridique", "legal advice tenants rights lawyer", "conseils juridiques droits locataires avocat", "Legal Aid", "Aide juridique"},
	{"FN-1500", "Victim Services", "Services aux victimes", "victims crime support court", "victimes crime soutien tribunal", "Victim Services", "Services aux victimes"},
	{"JD-8500", "English Classes", "Cours d'anglais", "english language newcomers classes learning", "anglais langue nouveaux arrivants cours", "English as a Second Language", "Anglais langue seconde"},
	{"JR-8200", "Tutoring Program", "Programme de tutorat", "tutoring homework students reading", "tutorat devoirs élèves lecture", "Tutoring", "Tutorat"},
	{"LD-1500", "Community Health Centre", "Centre de santé communautaire", "health doctors nurses primary care clinic", "santé médecins infirmières soins primaires clinique", "Community Health Centres", "Centres de santé communautaire"},
	{"LV-1600", "Dental Clinic", "Clinique dentaire", "dental teeth cleaning low income", "dentaire dents nettoyage faible revenu", "Dental Care", "Soins dentaires"},
	{"LH-2700", "Home Care", "Soins à domicile", "home care personal support nursing seniors", "soins domicile soutien personnel aînés", "Home Health Care", "Soins de santé à domicile"},
	{"LF-4900", "Diabetes Education", "Éducation sur le diabète", "diabetes education nutrition health", "diabète éducation nutrition santé", "Diabetes Screening", "Dépistage du diabète"},
	{"NL-1000", "Employment Services", "Services d'emploi", "employment job search resume training careers", "emploi recherche curriculum formation carrières", "Employment Preparation", "Préparation à l'emploi"},
	{"NL-3000", "Youth Job Centre", "Centre d'emploi jeunesse", "youth jobs summer employment training", "jeunes emplois été formation", "Job Search", "Recherche d'emploi"},
	{"NS-8000", "Ontario Works Office", "Bureau Ontario au travail", "social assistance income support benefits", "aide sociale soutien revenu prestations", "Public Assistance Programs", "Programmes d'aide publique"},
	{"PH-6200.6400", "Parenting Program", "Programme pour parents", "parenting children family support playgroup", "parents enfants famille soutien halte-garderie", "Parenting Skills", "Compétences parentales"},
	{"PH-1250", "Child Care Centre", "Centre de garde d'enfants", "child care daycare preschool subsidy", "garde enfants garderie préscolaire subvention", "Child Care", "Garde d'enfants"},
	{"PL-7400", "Seniors Centre", "Centre pour aînés", "seniors recreation social activities", "aînés loisirs activités sociales", "Senior Centres", "Centres pour aînés"},
	{"PN-8100", "Volunteer Centre", "Centre de bénévolat", "volunteer opportunities community", "bénévolat occasions communauté", "Volunteer Opportunities", "Occasions de bénévolat"},
	{"PX-2000", "Recreation Program", "Programme de loisirs", "recreation sports swimming camps", "loisirs sports natation camps", "Recreation", "Loisirs"},
	{"RP-1400.8000", "Counselling Services", "Services de counseling", "counselling individual family therapy", "counseling individuel familial thérapie", "Counselling", "Counseling"},
	{"RP-1500.1400", "Crisis Line", "Ligne de crise", "crisis distress suicide phone support", "crise détresse suicide soutien téléphonique", "Crisis Intervention Hotlines", "Lignes d'intervention de crise"},
	{"RX-8450.8000", "Addiction Treatment", "Traitement des dépendances", "addiction substance use treatment withdrawal", "dépendances toxicomanie traitement sevrage", "Substance Use Disorder Treatment", "Traitement des troubles liés aux substances"},
	{"RX-8470", "Harm Reduction", "Réduction des méfaits", "harm reduction needle exchange naloxone", "réduction méfaits seringues naloxone", "Harm Reduction", "Réduction des méfaits"},
	{"RM-6500", "Mental Health Services", "Services de santé mentale", "mental health depression anxiety support", "santé mentale dépression anxiété soutien", "Mental Health", "Santé mentale"},
	{"TI-1800", "Newcomer Settlement", "Établissement des nouveaux arrivants", "newcomers immigrants settlement refugees", "nouveaux arrivants immigrants établissement réfugiés", "Immigrant Services", "Services aux immigrants"},
	{"TJ-3000", "Information and Referral", "Information et aiguillage", "information referral community resources", "information aiguillage ressources communautaires", "Information and Referral", "Information et aiguillage"},
	{"YF-3000", "Indigenous Services", "Services autochtones", "indigenous first nations metis inuit culture", "autochtones premières nations métis inuit culture", "Indigenous Communities", "Communautés autochtones"},
	{"YV-3000", "2SLGBTQ+ Youth Drop-In", "Halte-accueil jeunesse 2ELGBTQ+", "lgbtq youth drop-in peer support", "lgbtq jeunes halte soutien pairs", "LGBTQ Communities", "Communautés LGBTQ"},
	{"LR-8000", "Rehabilitation Services", "Services de réadaptation", "physiotherapy rehabilitation injury", "physiothérapie réadaptation blessure", "Rehabilitation", "Réadaptation"},
	{"BD-1800.2250", "Good Food Box", "Boîte de bonne bouffe", "fresh fruit vegetables affordable food box", "fruits légumes frais abordable boîte", "Food Boxes", "Boîtes alimentaires"},
	{"LN-1500", "Pharmacy Program", "Programme de pharmacie", "medication prescriptions pharmacy drug coverage", "médicaments ordonnances pharmacie couverture", "Prescription Assistance", "Aide pour les ordonnances"},
}

var (
	enFiller = strings.Fields(`we provide offer support help services program clients individuals families people
		community local residents area free low cost confidential eligible appointment required walk-in call
		register referral assessment staff volunteers trained professional available weekdays weekends evenings
		accessible wheelchair parking transit bus nearby neighbourhood city region across ontario funding
		government agency non-profit charity partnership network also including such as may must please bring
		identification proof address income health card documents needed application intake screening waitlist
		ongoing short-term long-term group sessions workshops information resources advocacy navigation
		culturally appropriate multilingual interpreters safe welcoming inclusive respectful`)
	frFiller = strings.Fields(`nous offrons fournissons soutien aide services programme clients personnes familles
		communauté résidents locaux région gratuit faible coût confidentiel admissibles rendez-vous requis sans
		inscription aiguillage évaluation personnel bénévoles formés professionnels disponibles semaine fins
		soirées accessible fauteuil roulant stationnement transport autobus quartier ville partout ontario
		financement gouvernement organisme sans but lucratif partenariat réseau également notamment veuillez
		apporter pièce identité preuve adresse revenu carte santé documents demande accueil dépistage liste
		attente groupes ateliers information ressources défense navigation culturellement adaptés multilingues
		interprètes sécuritaire accueillant inclusif respectueux`)
	streets   = strings.Fields("King Queen Dundas College Bloor Yonge Bathurst Spadina Jane Finch Keele Dufferin Eglinton Lawrence Sheppard Finch Steeles Danforth Gerrard Parliament Sherbourne Jarvis Church Bay University")
	orgStems  = strings.Fields("Community Family Neighbourhood Harbour Riverside Parkdale Lakeshore Northwood Eastview Westend Maple Cedar Pine Oak Willow Unity Hope Harmony Bridges Compass Pathways Horizon Beacon Anchor")
	orgTails  = []string{"Services", "Centre", "Association", "Network", "Society", "Coalition", "House", "Alliance", "Outreach", "Partners"}
	frOrgTail = []string{"Services communautaires", "Centre francophone", "Association", "Réseau", "Maison", "Carrefour"}
	otherLang = []string{"es", "pt", "zh", "ar", "pa", "ur", "ta", "tl", "fa", "so", "vi", "ko", "ru", "uk", "pl", "it"}
)

// fixtureGen makes docs deterministically from a seed.
type fixtureGen struct {
	r      *rand.Rand
	fsas   []geo.FSA
	region string
}

func newFixtureGen(seed uint64, region string) *fixtureGen {
	g := &fixtureGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), region: region}
	for _, f := range geo.FSAs() {
		if f.Region == region {
			g.fsas = append(g.fsas, f)
		}
	}
	return g
}

func (g *fixtureGen) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g *fixtureGen) words(pool []string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		// Zipf-like: favour the start of the pool.
		j := int(float64(len(pool)) * g.r.Float64() * g.r.Float64())
		b.WriteString(pool[j])
	}
	return b.String()
}

// docs returns n docs: services with one to three locations each.
func (g *fixtureGen) docs(n int) []Doc {
	docs := make([]Doc, 0, n)
	var orgID, orgName, orgDesc string
	var orgFr bool
	for svc := 0; len(docs) < n; svc++ {
		if svc%5 == 0 {
			orgFr = g.r.IntN(100) < 15
			orgID = fmt.Sprintf("org-%d", svc/5)
			if orgFr {
				orgName = g.pick(frOrgTail) + " " + g.pick(orgStems)
				orgDesc = g.words(frFiller, 20+g.r.IntN(20))
			} else {
				orgName = g.pick(orgStems) + " " + g.pick(orgStems) + " " + g.pick(orgTails)
				orgDesc = g.words(enFiller, 20+g.r.IntN(20))
			}
		}
		base := g.service(svc, orgID, orgName, orgDesc, orgFr)
		nLoc := 1
		if x := g.r.IntN(100); x >= 70 {
			nLoc = 2 + g.r.IntN(2)
		}
		for l := 0; l < nLoc && len(docs) < n; l++ {
			docs = append(docs, g.atLocation(base, svc, l))
		}
	}
	return docs
}

func (g *fixtureGen) service(svc int, orgID, orgName, orgDesc string, fr bool) Doc {
	k := serviceKinds[g.r.IntN(len(serviceKinds))]
	d := Doc{
		ServiceID: fmt.Sprintf("svc-%06d", svc), OrganizationID: orgID, Region: g.region,
		OrganizationName: orgName, OrganizationDescription: orgDesc, Status: o211.StatusActive,
		Taxonomy: []string{k.code}, TaxonomyNames: []string{k.taxEn, k.taxFr},
		TaxonomyTermIDs: []string{"term-" + k.code}, TaxonomyIDs: []string{"airs"},
		Modified:  time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(g.r.IntN(365*24)) * time.Hour),
		Languages: []string{"en"}, Phone: fmt.Sprintf("416-555-%04d", svc%10000),
	}
	if fr {
		d.ServiceName = k.fr + " " + g.pick(orgStems)
		d.Description = k.frWords + ". " + g.words(frFiller, 30+g.r.IntN(50)) + " " + k.frWords
		d.RecordLanguage, d.Languages = "fr", []string{"fr", "en"}
	} else {
		d.ServiceName = g.pick(orgStems) + " " + k.en
		d.Description = k.enWords + ". " + g.words(enFiller, 30+g.r.IntN(50)) + " " + k.enWords
		d.RecordLanguage = "en"
		if g.r.IntN(100) < 10 {
			d.Languages = append(d.Languages, "fr")
		}
	}
	if g.r.IntN(100) < 30 {
		d.Languages = append(d.Languages, g.pick(otherLang))
	}
	if g.r.IntN(100) < 20 {
		d.Taxonomy = append(d.Taxonomy, "YB-8000."+fmt.Sprint(1000+100*g.r.IntN(5)))
	}
	if x := g.r.IntN(100); x < 15 {
		lo, hi := 0.0, 17.0
		d.MinAge, d.MaxAge = &lo, &hi
	} else if x < 25 {
		lo := 55.0
		d.MinAge = &lo
	}
	if g.r.IntN(100) < 2 {
		d.Status = o211.StatusInactive
	}
	d.Schedules = g.schedules()
	return d
}

func (g *fixtureGen) atLocation(d Doc, svc, l int) Doc {
	f := g.fsas[g.r.IntN(len(g.fsas))]
	d.LocationID = fmt.Sprintf("loc-%06d-%d", svc, l)
	d.ServiceAtLocationID = fmt.Sprintf("sal-%06d-%d", svc, l)
	d.Key = d.ServiceID + "/" + d.LocationID
	d.LocationName = f.Place + " site"
	d.Address = fmt.Sprintf("%d %s St, %s, ON %s 1A1", 1+g.r.IntN(2000), g.pick(streets), f.Place, f.Code)
	d.LocationText = d.LocationName + " " + f.Place
	if g.r.IntN(100) < 95 {
		d.HasGeo = true
		d.Lat = f.Lat + (g.r.Float64()-0.5)*0.06
		d.Lon = f.Lon + (g.r.Float64()-0.5)*0.08
	}
	return d
}

func (g *fixtureGen) schedules() []o211.Schedule {
	x := g.r.IntN(100)
	wk := func(days, open, close string) o211.Schedule {
		return o211.Schedule{Freq: "WEEKLY", ByDay: days, OpensAt: open, ClosesAt: close}
	}
	switch {
	case x < 40:
		opens := []string{"08:30", "09:00", "10:00"}[g.r.IntN(3)]
		closes := []string{"16:30", "17:00", "18:00"}[g.r.IntN(3)]
		return []o211.Schedule{wk("MO,TU,WE,TH,FR", opens, closes)}
	case x < 50:
		return []o211.Schedule{wk("MO,TU,WE,TH,FR,SA,SU", "00:00", "24:00")}
	case x < 58:
		return []o211.Schedule{wk("FR,SA", "20:00", "02:00"), wk("SU", "18:00", "23:00")}
	case x < 63:
		return []o211.Schedule{{Freq: "MONTHLY", ByDay: "2SA", OpensAt: "10:00", ClosesAt: "14:00"}}
	case x < 68:
		s := wk("MO,WE,FR", "09:00", "12:00")
		s.ValidFrom, s.ValidTo = "2025-01-01", "2026-12-31"
		return []o211.Schedule{s}
	case x < 85:
		return []o211.Schedule{wk("MO,TU,WE,TH", "09:00", "20:00"), wk("SA", "10:00", "14:00")}
	}
	return nil
}

var (
	benchDocsOnce sync.Once
	benchDocs     []Doc
)

// fixtureDocs returns n generated docs of region "central"; the 80,000-doc
// set is generated once per test binary.
func fixtureDocs(tb testing.TB, n int) []Doc {
	tb.Helper()
	if n == benchSize {
		benchDocsOnce.Do(func() { benchDocs = newFixtureGen(211, "central").docs(benchSize) })
		return benchDocs
	}
	return newFixtureGen(uint64(n), "central").docs(n)
}

const benchSize = 80000

// MustBuildIndex returns an index built from docs.
func MustBuildIndex(tb testing.TB, docs []Doc) *Index {
	tb.Helper()
	ix := New(Options{Now: func() time.Time { return fixtureNow }})
	if err := ix.Build(docs); err != nil {
		tb.Fatal(err)
	}
	return ix
}

// fixtureNow is a Wednesday, 11:00 in Toronto.
var fixtureNow = time.Date(2025, 10, 15, 15, 0, 0, 0, time.UTC)
