package gen

// orgKind is a kind of organization: how it is named, what it says about
// itself, its legal form and the services it usually offers.
type orgKind struct {
	key     string
	weight  int
	boost   map[string]int // weight multiplier per region
	names   []bi
	mission bi
	legal   bi
	charity float64 // share with a CRA charity registration number
	pool    []string
	// generic is the share of services drawn from any 211 HSIS term
	// rather than the pool.
	generic float64
	faith   bool // named after a faith community, whose target it links
}

var (
	lsCharity    = bi{"Registered charity", "Organisme de bienfaisance enregistré"}
	lsNonProfit  = bi{"Non-profit corporation", "Organisme sans but lucratif"}
	lsMunicipal  = bi{"Municipal government", "Administration municipale"}
	lsHospital   = bi{"Public hospital", "Hôpital public"}
	lsHealthUnit = bi{"Public health unit", "Bureau de santé publique"}
	lsLibrary    = bi{"Public library board", "Conseil de bibliothèque publique"}
	lsReligious  = bi{"Religious organization", "Organisation religieuse"}
)

var kinds = []*orgKind{
	{key: "food", weight: 12, legal: lsCharity, charity: 0.5,
		names: []bi{{"{area} Food Bank", "Banque alimentaire communautaire {de_area}"}, {"{area} Community Food Centre", "Centre alimentaire communautaire {de_area}"},
			{"{area} Emergency Food Cupboard", "Comptoir alimentaire {de_area}"}, {"Harvest Table {area}", "Partage alimentaire {de_area}"}, {"{area} Food Share", "Banque alimentaire {de_area}"}},
		mission: bi{"works to end hunger in {area} by providing emergency food and building community food security.",
			"travaille à éliminer la faim dans la région {de_area} en offrant de l'aide alimentaire d'urgence et en renforçant la sécurité alimentaire."},
		pool: []string{"foodbank", "freshfood", "babycupboard", "specialdiet", "culturalfood", "nutritionsupplement", "foodvouchers", "mobilefood", "sacklunch",
			"brownbag", "farmersmarket", "foodcoop", "communitymeal", "communitylunch", "communitysupper", "communitybreakfast", "lowcostmeals", "christmas", "thanksgiving", "holidaydonations", "clothing", "petfood",
			"volunteer", "taxclinic", "hygiene", "grocerydelivery"}},
	{key: "church", weight: 10, legal: lsReligious, charity: 0.45, faith: true,
		mission: bi{"is a faith community that welcomes everyone and serves neighbours in need in {area}.",
			"est une communauté de foi qui accueille tout le monde et vient en aide aux personnes dans le besoin de la région {de_area}."},
		pool: []string{"worship", "religiousactivities", "communitymeal", "communitylunch", "communitysupper", "communitybreakfast", "homelessmeals", "sacklunch", "foodbank", "clothing", "christmas", "thanksgiving",
			"socialclub", "faithyouth", "faithcounselling", "spiritualcare", "weddings", "meetingspace", "choir", "needlecraft", "games", "extremeweather",
			"daycamp", "streetchurch", "volunteer"}},
	{key: "shelter", weight: 6, legal: lsCharity, charity: 0.45,
		names: []bi{{"{area} Mission", "Mission {de_area}"}, {"{area} Street Haven", "Maison d'hébergement {de_area}"}, {"Good Shepherd Centre {area}", "Le Refuge {de_area}"},
			{"Safe Harbour {area}", "Porte ouverte {de_area}"}, {"Open Door {area}", "La Maison de l'amitié {de_area}"}},
		mission: bi{"provides shelter, meals and a path to housing for people experiencing homelessness in {area}.",
			"offre un hébergement, des repas et un accompagnement vers le logement aux personnes en situation d'itinérance de la région {de_area}."},
		pool: []string{"shelter", "youthshelter", "dropin", "homelessmeals", "housinghelp", "housingfirst", "transitional", "laundryshowers", "mailphone",
			"idclinic", "outreach", "trustee", "harmreduction", "phnursing", "clothing", "hygiene", "haircuts", "acupuncture", "relapseprevention",
			"publiccomputers", "specializedir", "extremeweather", "warmingcentre", "lifeskills", "casemanagement", "recreation", "motelvouchers",
			"shelteraccess", "sacklunch", "faithcounselling", "intensivecm", "benefitsadvocacy", "formsclinic"}},
	{key: "multiservice", weight: 14, legal: lsCharity, charity: 0.4, generic: 0.06,
		names: []bi{{"{area} Community Services", "Services communautaires {de_area}"}, {"{area} Neighbourhood Centre", "Maison de quartier {de_area}"},
			{"{area} Community Resource Centre", "Centre de ressources communautaires {de_area}"}, {"{area} Community Information Centre", "Centre d'information communautaire {de_area}"},
			{"{area} Community House", "Centre communautaire {de_area}"}},
		mission: bi{"connects residents of {area} with food, housing, settlement, employment and family supports under one roof.",
			"offre sous un même toit de l'aide alimentaire, du soutien au logement, à l'établissement, à l'emploi et aux familles aux résidents de la région {de_area}."},
		pool: []string{"foodbank", "communitymeal", "communitylunch", "taxclinic", "formsclinic", "esl", "settlement", "housinghelp", "rentbank", "energy", "clothing", "christmas",
			"seniorrides", "friendlyvisiting", "mealsonwheels", "homehelp", "youthcentre", "afterschool", "homework", "earlyon", "familyresource", "parenting",
			"counselling", "casemanagement", "employment", "jobworkshops", "computerclasses", "publiccomputers", "specializedir", "communitydropin", "volunteer",
			"lifeskills", "emergencyfund", "socialclub", "fitness", "recreation", "busfare", "trustee", "benefitsadvocacy", "idclinic", "literacy", "mediation",
			"meetingspace", "daycamp", "internet", "creditcounselling", "furniturebank"}},
	{key: "chc", weight: 7, legal: lsNonProfit, charity: 0.3,
		names: []bi{{"{area} Community Health Centre", "Centre de santé communautaire {de_area}"}, {"{area} Family Health Team", "Équipe de santé familiale {de_area}"},
			{"{area} Nurse Practitioner-Led Clinic", "Clinique dirigée par du personnel infirmier praticien {de_area}"}, {"{area} Health Centre", "Centre de santé {de_area}"}},
		mission: bi{"provides primary health care and health promotion to people in {area}, especially those who face barriers to care.",
			"offre des soins de santé primaires et de la promotion de la santé à la population de la région {de_area}, en particulier aux personnes qui ont de la difficulté à obtenir des soins."},
		pool: []string{"primarycare", "chc", "bpclinic", "hearing", "diabetes", "wellness", "activeliving", "dental", "immunization", "prenatal", "breastfeeding",
			"sexualhealth", "counselling", "youthcounselling", "communitymh", "harmreduction", "needleexchange", "oat", "quitsmoking", "phnursing",
			"therapeuticexercise", "acupuncture", "healthsupportgroup", "mhsupportgroup", "casemanagement", "earlyon", "settlement", "communitymeal"}},
	{key: "mentalhealth", weight: 7, legal: lsCharity, charity: 0.4,
		names: []bi{{"{area} Mental Health Services", "Services de santé mentale {de_area}"}, {"Family Counselling Centre of {area}", "Centre de counseling familial {de_area}"},
			{"{area} Addiction and Mental Health Services", "Services de santé mentale et de dépendances {de_area}"}, {"{area} Counselling Centre", "Centre de counseling {de_area}"}},
		mission: bi{"offers counselling, crisis support and recovery programs for people affected by mental health and substance use concerns in {area}.",
			"offre du counseling, du soutien en situation de crise et des programmes de rétablissement aux personnes touchées par des problèmes de santé mentale et de dépendance dans la région {de_area}."},
		pool: []string{"counselling", "familycounselling", "youthcounselling", "abusecounselling", "angermanagement", "griefcounselling", "crisisline",
			"suicideline", "warmline", "intensivecm", "daytreatment", "musictherapy", "communitymh", "mheducation", "mhsupportgroup", "griefgroup",
			"recoverygroup", "addictioncounselling", "residentialtreatment", "withdrawal", "relapseprevention", "harmreduction", "supportivehousing",
			"casemanagement", "faithcounselling", "oat", "quitsmoking"}},
	{key: "seniors", weight: 7, legal: lsCharity, charity: 0.35,
		names: []bi{{"{area} Seniors' Centre", "Centre des aînés {de_area}"}, {"{area} Community Support Services", "Services de soutien communautaire {de_area}"},
			{"{area} Seniors' Active Living Centre", "Centre de vie active pour aînés {de_area}"}, {"Home Support Services {area}", "Club de l'âge d'or {de_area}"}},
		mission: bi{"helps older adults in {area} stay active, connected and living independently at home.",
			"aide les aînés de la région {de_area} à rester actifs, à briser l'isolement et à vivre de façon autonome à domicile."},
		pool: []string{"seniorcentre", "congregatemeals", "mealsonwheels", "friendlyvisiting", "adultday", "homehelp", "personalsupport", "seniorrides",
			"medicalrides", "caregiver", "respite", "socialclub", "games", "fitness", "therapeuticexercise", "computerclasses", "artscrafts", "needlecraft",
			"dance", "bpclinic", "hearing", "taxclinic", "formsclinic", "brownbag", "grocerydelivery", "assistedliving", "equipmentloan", "wellness",
			"choir", "volunteer", "communitylunch"}},
	{key: "family", weight: 7, legal: lsCharity, charity: 0.35,
		names: []bi{{"{area} Family Services", "Services à la famille {de_area}"}, {"{area} Child and Family Centre", "Centre de l'enfant et de la famille {de_area}"},
			{"{area} Children's Services", "Services à l'enfance {de_area}"}, {"{area} Family Resource Centre", "Centre de ressources familiales {de_area}"}},
		mission: bi{"supports children, parents and families in {area} through early learning, parenting and counselling programs.",
			"soutient les enfants, les parents et les familles de la région {de_area} grâce à des programmes d'apprentissage des jeunes enfants, de soutien parental et de counseling."},
		pool: []string{"familyresource", "parenting", "earlyon", "childcare", "afterschool", "familycounselling", "counselling", "youthcounselling", "mentoring",
			"homework", "daycamp", "prenatal", "breastfeeding", "babycupboard", "christmas", "earlyintervention", "beds", "familylaw", "abusecounselling", "caregiver"}},
	{key: "youth", weight: 4, legal: lsCharity, charity: 0.35,
		names: []bi{{"{area} Youth Services", "Services jeunesse {de_area}"}, {"{area} Youth Centre", "Centre jeunesse {de_area}"},
			{"{area} Youth Hub", "Maison des jeunes {de_area}"}, {"{area} Youth Outreach", "Carrefour jeunesse {de_area}"}},
		mission: bi{"gives young people in {area} safe places, caring adults and opportunities to learn, work and lead.",
			"offre aux jeunes de la région {de_area} des lieux sécuritaires, des adultes bienveillants et des occasions d'apprendre, de travailler et de s'engager."},
		pool: []string{"youthcentre", "youthcounselling", "youthshelter", "youthjobs", "youthleadership", "mentoring", "homework", "recreation", "martialarts",
			"dance", "musiclessons", "daycamp", "babysitting", "sexualhealth", "transitional", "outreach", "lifeskills"}},
	{key: "employment", weight: 5, legal: lsNonProfit, charity: 0.2,
		names: []bi{{"{area} Employment Resource Centre", "Centre d'emploi {de_area}"}, {"{area} Job Connect", "Carrefour emploi {de_area}"},
			{"{area} Career Services", "Services d'emploi {de_area}"}, {"WorkForce {area}", "Services d'orientation professionnelle {de_area}"}},
		mission: bi{"helps job seekers in {area} find work and employers find the people they need.",
			"aide les chercheurs d'emploi de la région {de_area} à trouver du travail et les employeurs à recruter le personnel dont ils ont besoin."},
		pool: []string{"employment", "jobworkshops", "youthjobs", "supportedemployment", "workclothing", "literacy", "highschool", "esl", "computerclasses",
			"publiccomputers", "busfare", "settlement"}},
	{key: "legal", weight: 3, legal: lsNonProfit, charity: 0.2,
		names: []bi{{"{area} Community Legal Clinic", "Clinique juridique communautaire {de_area}"}, {"Legal Clinic of {area}", "Clinique juridique {de_area}"},
			{"{area} Legal Services", "Services juridiques {de_area}"}},
		mission: bi{"provides free legal services to people with low income in {area}.",
			"offre des services juridiques gratuits aux personnes à faible revenu de la région {de_area}."},
		pool: []string{"legalclinic", "benefitsadvocacy", "tenantrights", "formsclinic", "idclinic", "immigrationlegal", "familylaw", "mediation", "homelessprevention"}},
	{key: "housing", weight: 4, legal: lsNonProfit, charity: 0.3,
		names: []bi{{"{area} Housing Help Centre", "Centre d'aide au logement {de_area}"}, {"{area} Housing Resource Centre", "Centre de ressources en logement {de_area}"},
			{"{area} Non-Profit Housing Corporation", "Corporation de logement sans but lucratif {de_area}"}, {"{area} Housing Co-operative", "Coopérative d'habitation {de_area}"}},
		mission: bi{"helps people in {area} find, afford and keep a safe home.",
			"aide la population de la région {de_area} à trouver, à payer et à conserver un logement sûr."},
		pool: []string{"housinghelp", "rentbank", "homelessprevention", "rgi", "supportivehousing", "transitional", "housingfirst", "energy", "waterbill",
			"homerepair", "homeaccess", "tenantrights", "furniturebank", "trustee", "internet"}},
	{key: "settlement", weight: 4, legal: lsCharity, charity: 0.35,
		names: []bi{{"{area} Newcomer Centre", "Centre d'accueil des nouveaux arrivants {de_area}"}, {"{area} Multicultural Centre", "Centre multiculturel {de_area}"},
			{"{area} Immigrant Services", "Services aux immigrants {de_area}"}, {"{area} Settlement Services", "Services d'établissement {de_area}"}},
		mission: bi{"welcomes immigrants and refugees to {area} and helps them build a new life in Canada.",
			"accueille les immigrants et les réfugiés dans la région {de_area} et les aide à bâtir une nouvelle vie au Canada."},
		pool: []string{"settlement", "esl", "citizenship", "immigrationlegal", "employment", "jobworkshops", "youthjobs", "counselling", "familyresource",
			"culturalassociation", "socialclub", "homework", "computerclasses", "culturalfood", "taxclinic", "formsclinic", "languageclasses", "parenting"}},
	{key: "recreation", weight: 5, legal: lsMunicipal,
		names: []bi{{"{area} Community Centre", "Centre récréatif {de_area}"}, {"{area} Recreation Complex", "Complexe récréatif {de_area}"},
			{"{area} Parks and Recreation", "Services des loisirs {de_area}"}, {"{area} Arena and Community Centre", "Aréna et centre communautaire {de_area}"}},
		mission: bi{"offers recreation, fitness and community programs for all ages in {area}.",
			"offre des programmes de loisirs, de conditionnement physique et d'activités communautaires pour tous les âges dans la région {de_area}."},
		pool: []string{"recreation", "fitness", "daycamp", "martialarts", "dance", "artscrafts", "musiclessons", "games", "socialclub", "seniorcentre", "youthcentre",
			"afterschool", "meetingspace", "choir", "languageclasses", "babysitting", "computerclasses", "coolingcentre", "warmingcentre", "evacuationcentre",
			"farmersmarket"}},
	{key: "library", weight: 2, legal: lsLibrary,
		names:   []bi{{"{city} Public Library", "Bibliothèque publique {de_city}"}},
		mission: bi{"offers free access to books, technology and learning for everyone in {city}.", "offre à toute la population de la région {de_city} un accès gratuit aux livres, à la technologie et à l'apprentissage."},
		pool: []string{"library", "publiccomputers", "computerclasses", "esl", "literacy", "homework", "taxclinic", "meetingspace", "coolingcentre", "warmingcentre",
			"specializedir"}},
	{key: "disability", weight: 3, legal: lsCharity, charity: 0.4,
		names: []bi{{"{area} Disability Resource Centre", "Centre de ressources pour personnes handicapées {de_area}"}, {"{area} Independent Living Services", "Services de vie autonome {de_area}"},
			{"Access Ability {area}", "Services d'intégration communautaire {de_area}"}},
		mission: bi{"supports people with disabilities in {area} to live, work and take part in their community.",
			"aide les personnes handicapées de la région {de_area} à vivre, à travailler et à participer à la vie de leur communauté."},
		pool: []string{"supportedemployment", "paratransit", "equipmentloan", "homeaccess", "adultday", "respite", "caregiver", "healthsupportgroup",
			"casemanagement", "earlyintervention", "recreation", "lifeskills", "personalsupport", "supportivehousing"}},
	{key: "indigenous", weight: 2, legal: lsCharity, charity: 0.3, boost: map[string]int{"north": 6, "east": 2},
		names: []bi{{"{area} Indigenous Friendship Centre", "Centre d'amitié autochtone {de_area}"}, {"{area} Native Friendship Centre", "Centre d'amitié autochtone {de_area}"},
			{"{area} Indigenous Health Access Centre", "Centre d'accès aux soins de santé autochtone {de_area}"}},
		mission: bi{"provides culturally grounded programs for First Nations, Inuit and Métis people living in {area}.",
			"offre des programmes adaptés à la culture des Premières Nations, des Inuits et des Métis qui vivent dans la région {de_area}."},
		pool: []string{"communitymeal", "communitysupper", "culturalassociation", "employment", "youthjobs", "youthcentre", "familyresource", "counselling", "primarycare",
			"casemanagement", "foodbank", "christmas", "languageclasses", "youthleadership", "healthsupportgroup", "addictioncounselling", "housinghelp",
			"mentoring", "parenting"}},
	{key: "vaw", weight: 2, legal: lsCharity, charity: 0.5,
		names: []bi{{"{area} Women's Shelter", "Maison d'hébergement pour femmes {de_area}"}, {"{area} Women's Centre", "Centre des femmes {de_area}"},
			{"Haven House {area}", "Maison Le Havre {de_area}"}, {"{area} Sexual Assault Centre", "Centre d'aide aux victimes d'agression sexuelle {de_area}"}},
		mission: bi{"supports women and children in {area} affected by violence and works to end gender-based violence.",
			"soutient les femmes et les enfants de la région {de_area} touchés par la violence et lutte contre la violence fondée sur le genre."},
		pool: []string{"dvshelter", "abusecounselling", "transitional", "familylaw", "victimservices", "communitydropin", "clothing", "parenting", "hygiene", "employment"}},
	{key: "hospital", weight: 2, legal: lsHospital,
		names: []bi{{"{city} General Hospital", "Hôpital général {de_city}"}, {"{city} District Health Centre", "Centre de santé du district {de_city}"},
			{"{city} Memorial Hospital", "Hôpital commémoratif {de_city}"}},
		mission: bi{"provides emergency, acute and specialized care to the people of {city}.", "offre des soins d'urgence, aigus et spécialisés à la population de la région {de_city}."},
		pool: []string{"emergencydept", "urgentcare", "spiritualcare", "hospice", "diabetes", "daytreatment", "withdrawal", "dental", "breastfeeding", "prenatal",
			"homecare", "ltc", "quitsmoking", "therapeuticexercise"}},
	{key: "thrift", weight: 2, legal: lsCharity, charity: 0.5,
		names: []bi{{"{area} ReUse Centre", "Friperie communautaire {de_area}"}, {"{area} Furniture Bank", "Banque de meubles {de_area}"},
			{"Neighbours Helping Neighbours {area}", "Entraide {de_area}"}},
		mission: bi{"collects donated goods and gets them to people in {area} who need them.", "recueille des dons de biens et les remet aux personnes de la région {de_area} qui en ont besoin."},
		pool:    []string{"thrift", "furniturebank", "clothingdonations", "householddonations", "clothing", "winterclothing", "workclothing", "beds", "volunteer"}},
	{key: "transport", weight: 1, legal: lsNonProfit, charity: 0.3,
		names:   []bi{{"{area} Community Transportation", "Transport communautaire {de_area}"}, {"{area} Accessible Transit", "Transport adapté {de_area}"}},
		mission: bi{"helps people in {area} get where they need to go.", "aide la population de la région {de_area} à se déplacer."},
		pool:    []string{"seniorrides", "medicalrides", "paratransit", "transit", "busfare", "volunteer"}},
	{key: "publichealth", weight: 2, legal: lsHealthUnit,
		names:   []bi{{"{city} Public Health", "Santé publique {de_city}"}, {"{city} Health Unit", "Bureau de santé {de_city}"}},
		mission: bi{"protects and promotes the health of everyone in {city}.", "protège et fait la promotion de la santé de toute la population de la région {de_city}."},
		pool: []string{"immunization", "sexualhealth", "prenatal", "breastfeeding", "phnursing", "harmreduction", "needleexchange", "quitsmoking", "dental", "hearing",
			"activeliving", "mheducation", "coolingcentre", "evacuationcentre"}},
	{key: "municipal", weight: 2, legal: lsMunicipal,
		names: []bi{{"{city} Community and Social Services", "Services sociaux {de_city}"}, {"{city} Emergency and Social Services", "Services communautaires et sociaux {de_city}"}},
		mission: bi{"delivers income support, child care, housing and emergency services for residents of {city}.",
			"offre des services de soutien du revenu, de garde d'enfants, de logement et d'urgence aux résidents de la région {de_city}."},
		pool: []string{"ontarioworks", "childcaresubsidy", "rgi", "shelteraccess", "warmingcentre", "coolingcentre", "evacuationcentre", "emergencymanagement",
			"transit", "energy", "homelessprevention", "housinghelp", "ltc", "emergencyfund", "specializedir"}},
	{key: "temple", weight: 1, legal: lsReligious, charity: 0.5,
		names:   []bi{{"{area} Hindu Temple", "Temple hindou {de_area}"}, {"Sanatan Mandir {area}", "Mandir hindou {de_area}"}, {"{area} Hindu Cultural Centre", "Centre culturel hindou {de_area}"}},
		mission: bi{"is a place of worship and a cultural centre for the Hindu community of {area}.", "est un lieu de culte et un centre culturel pour la communauté hindoue de la région {de_area}."},
		pool: []string{"temple", "communitymeal", "culturalfood", "languageclasses", "musiclessons", "dance", "socialclub", "culturalassociation",
			"religiousactivities", "weddings", "meetingspace"}},
	{key: "cultural", weight: 2, legal: lsNonProfit, charity: 0.2,
		mission: bi{"celebrates its heritage and supports its community in {area}.", "fait rayonner son patrimoine et soutient sa communauté dans la région {de_area}."},
		pool:    []string{"culturalassociation", "languageclasses", "dance", "musiclessons", "socialclub", "settlement", "esl", "culturalfood", "meetingspace", "games"}},
	{key: "childwelfare", weight: 1, legal: lsNonProfit,
		names:   []bi{{"Children's Aid Society of {city}", "Société de l'aide à l'enfance {de_city}"}},
		mission: bi{"protects children and youth in {city} from abuse and neglect and supports their families.", "protège les enfants et les jeunes de la région {de_city} contre les mauvais traitements et la négligence, et soutient leur famille."},
		pool:    []string{"childprotection", "parenting", "mentoring", "familycounselling", "youthcounselling"}},
}

// denomination is a Christian community that names churches and links
// their services to a target population.
type denomination struct {
	en, fr []string
	target string
	wEn    int // weight among English records
	wFr    int // weight among French records
}

var denominations = []denomination{
	{en: []string{"{saint} Presbyterian Church", "Knox Presbyterian Church {area}", "{area} Presbyterian Church"},
		fr: []string{"Église presbytérienne {saintfr}"}, target: "YR-1500.6500", wEn: 18, wFr: 2},
	{en: []string{"First Baptist Church {area}", "{area} Baptist Church", "Grace Baptist Church {area}"},
		fr: []string{"Église baptiste évangélique {de_area}"}, target: "YR-1500.1050", wEn: 16, wFr: 4},
	{en: []string{"{saint} United Church", "Trinity United Church {area}", "{area} United Church"},
		fr: []string{"Église Unie {saintfr}"}, target: "YR-1500.9100", wEn: 22, wFr: 10},
	{en: []string{"The Salvation Army {area} Community and Family Services", "The Salvation Army {area} Citadel"},
		fr: []string{"Armée du Salut – Services communautaires et familiaux {de_area}"}, target: "YR-1500.8000", wEn: 10, wFr: 6},
	{en: []string{"{saint} Anglican Church"}, fr: []string{"Église anglicane {saintfr}"}, target: "YR-1500", wEn: 15, wFr: 3},
	{en: []string{"{saint} Catholic Parish", "Holy Cross Parish {area}"}, fr: []string{"Paroisse {saintfr}", "Paroisse {saintfr} {de_area}"},
		target: "YR-1500", wEn: 15, wFr: 60},
}

var (
	saints   = []string{"St. Andrew's", "St. Paul's", "St. John's", "St. James'", "St. Mark's", "St. Luke's", "St. Matthew's", "St. Peter's", "St. Stephen's", "St. George's", "St. Margaret's", "St. Columba's", "Emmanuel", "Bethel", "Calvary", "Westminster", "Chalmers", "Wesley", "Grace", "St. Patrick's", "St. Mary's", "St. Joseph's"}
	saintsFr = []string{"Saint-Jean-Baptiste", "Sainte-Anne", "Saint-Joseph", "Sainte-Marie", "Saint-Pierre", "Sacré-Cœur", "Notre-Dame-de-Lourdes", "Saint-Charles-Borromée", "Saint-Louis-de-France", "Sainte-Thérèse", "Saint-Gabriel", "Saint-Marc"}
	// heritages name cultural associations; a Hindu one links the Hindu
	// community target.
	heritages = []struct{ en, fr, target string }{
		{"Tamil", "tamoule", ""}, {"Punjabi", "pendjabie", ""}, {"Filipino", "philippine", ""}, {"Somali", "somalienne", ""},
		{"Portuguese", "portugaise", ""}, {"Italian", "italienne", ""}, {"Polish", "polonaise", ""}, {"Ukrainian", "ukrainienne", ""},
		{"Caribbean", "antillaise", ""}, {"Chinese", "chinoise", ""}, {"Korean", "coréenne", ""}, {"Vietnamese", "vietnamienne", ""},
		{"Arab", "arabe", ""}, {"Ethiopian", "éthiopienne", ""}, {"Hindu", "hindoue", "YR-3000"}, {"Lebanese", "libanaise", ""},
		{"Haitian", "haïtienne", ""}, {"Congolese", "congolaise", ""},
	}
)
