package gen

// bi is a text in English and in French.
type bi struct{ en, fr string }

func (b bi) in(french bool) string {
	if french {
		return b.fr
	}
	return b.en
}

// eligibility says who a service is for, and the ages it sets on the
// service (-1: no limit) for the share ageP of the services that use it.
type eligibility struct {
	text     bi
	min, max float64
	ageP     float64
}

type eligKind int

const (
	eAll eligKind = iota
	eLowIncome
	eResidents
	eHomeless
	eSeniors
	eYouth     // 12 to 24
	eYouthWork // 15 to 29
	eChildren  // 6 to 12
	eEarly     // 0 to 6
	eFamilies
	eAdults
	eAdults16
	eMen
	eWomen
	eNewcomers
	eDisability
	eSubstance
	eMental
	eVictims
	eCaregivers
	eTenants
	eTeens // 11 to 15
	eKids  // 4 to 12, camps
)

var eligibilities = map[eligKind]eligibility{
	eAll:       {bi{"Open to everyone; no referral needed.", "Ouvert à tous; aucune recommandation n'est nécessaire."}, -1, -1, 0},
	eLowIncome: {bi{"Individuals and families with low income living in {area}; proof of address and income may be requested.", "Personnes et familles à faible revenu de la région {de_area}; une preuve d'adresse et de revenu peut être demandée."}, -1, -1, 0},
	eResidents: {bi{"Residents of {area} and the surrounding area.", "Résidents de la région {de_area} et des environs."}, -1, -1, 0},
	eHomeless:  {bi{"People who are homeless or at risk of homelessness.", "Personnes sans-abri ou à risque de le devenir."}, 16, -1, 0.5},
	eSeniors:   {bi{"Older adults 55 and over and their caregivers.", "Aînés de 55 ans et plus et leurs proches aidants."}, 55, -1, 0.85},
	eYouth:     {bi{"Youth aged 12 to 24.", "Jeunes de 12 à 24 ans."}, 12, 24, 0.9},
	eYouthWork: {bi{"Youth aged 15 to 29 who are out of school and looking for work.", "Jeunes de 15 à 29 ans qui ne sont plus aux études et qui cherchent un emploi."}, 15, 29, 0.9},
	eChildren:  {bi{"Children aged 6 to 12.", "Enfants de 6 à 12 ans."}, 6, 12, 0.9},
	eEarly:     {bi{"Children from birth to 6 years and their parents or caregivers.", "Enfants de la naissance à 6 ans et leurs parents ou responsables."}, 0, 6, 0.8},
	eFamilies:  {bi{"Parents, caregivers and families with children under 18.", "Parents, responsables et familles ayant des enfants de moins de 18 ans."}, -1, -1, 0},
	eAdults:    {bi{"Adults 18 and over.", "Adultes de 18 ans et plus."}, 18, -1, 0.7},
	eAdults16:  {bi{"Individuals 16 and over.", "Personnes de 16 ans et plus."}, 16, -1, 0.6},
	eMen:       {bi{"Single men 18 and over.", "Hommes seuls de 18 ans et plus."}, 18, -1, 0.8},
	eWomen:     {bi{"Women 16 and over, and women with children; trans and non-binary people welcome.", "Femmes de 16 ans et plus et femmes avec enfants; personnes trans et non binaires bienvenues."}, 16, -1, 0.5},
	eNewcomers: {bi{"Permanent residents, refugees, refugee claimants and other newcomers to Canada.", "Résidents permanents, réfugiés, demandeurs d'asile et autres nouveaux arrivants au Canada."}, -1, -1, 0},
	eDisability: {bi{"People with physical, developmental or intellectual disabilities and their families.",
		"Personnes ayant un handicap physique, intellectuel ou un trouble du développement et leur famille."}, -1, -1, 0},
	eSubstance:  {bi{"Individuals 16 and over concerned about their own or someone else's substance use.", "Personnes de 16 ans et plus préoccupées par leur consommation de substances ou celle d'un proche."}, 16, -1, 0.7},
	eMental:     {bi{"Adults 16 and over living with mental health concerns.", "Adultes de 16 ans et plus vivant avec des problèmes de santé mentale."}, 16, -1, 0.6},
	eVictims:    {bi{"Survivors of violence, abuse or crime, and their families.", "Survivants de violence, de mauvais traitements ou d'actes criminels, et leur famille."}, -1, -1, 0},
	eCaregivers: {bi{"Family members and friends caring for someone who is older, ill or living with a disability.", "Membres de la famille et amis qui prennent soin d'une personne âgée, malade ou handicapée."}, 18, -1, 0.3},
	eTenants:    {bi{"Tenants and people with low income in {area}.", "Locataires et personnes à faible revenu de la région {de_area}."}, -1, -1, 0},
	eTeens:      {bi{"Youth aged 11 to 15.", "Jeunes de 11 à 15 ans."}, 11, 15, 0.95},
	eKids:       {bi{"Children aged 4 to 12.", "Enfants de 4 à 12 ans."}, 4, 12, 0.95},
}

type feeKind int

const (
	fFree feeKind = iota
	fFreeDonation
	fMeal
	fSliding
	fMembership
	fOHIP
	fVaries
	fRent
)

var fees = map[feeKind][]bi{
	fFree:         {{"Free.", "Gratuit."}, {"No fee.", "Aucuns frais."}},
	fFreeDonation: {{"Free; donations welcome.", "Gratuit; les dons sont les bienvenus."}},
	fMeal: {{"$2 per meal; no one is turned away.", "2 $ par repas; personne n'est refusé."},
		{"Pay what you can.", "Contribution volontaire selon les moyens."}, {"Free.", "Gratuit."}},
	fSliding:    {{"Sliding scale based on income; no one is turned away for inability to pay.", "Tarif dégressif selon le revenu; personne n'est refusé faute de moyens."}},
	fMembership: {{"Annual membership $25; some programs have a small fee.", "Adhésion annuelle de 25 $; certains programmes exigent des frais modiques."}},
	fOHIP:       {{"Covered by OHIP; bring your health card. Uninsured clients are also seen.", "Couvert par l'Assurance-santé de l'Ontario (OHIP); apportez votre carte Santé. Les personnes non assurées sont aussi reçues."}},
	fVaries:     {{"Fees vary; subsidies are available.", "Les frais varient; des subventions sont offertes."}, {"Free.", "Gratuit."}},
	fRent:       {{"Rent is 30% of household income.", "Le loyer correspond à 30 % du revenu du ménage."}},
}

type applyKind int

const (
	aWalkIn applyKind = iota
	aCall
	aReferral
	aRegister
	aIntake
	aLine
	aID
	aShelter
	aAppointment
)

var applications = map[applyKind][]bi{
	aWalkIn: {{"Walk in during program hours.", "Présentez-vous sans rendez-vous pendant les heures du programme."},
		{"Drop in; no appointment needed.", "Sans rendez-vous."}},
	aCall:     {{"Call for information.", "Téléphonez pour obtenir des renseignements."}, {"Call or email the program.", "Communiquez avec le programme par téléphone ou par courriel."}},
	aReferral: {{"Referral from a health care provider or community agency required; self-referrals also accepted.", "Recommandation d'un professionnel de la santé ou d'un organisme requise; les demandes personnelles sont aussi acceptées."}},
	aRegister: {{"Register online or by phone; space is limited.", "Inscription en ligne ou par téléphone; places limitées."}, {"Register in person at the front desk.", "Inscription en personne à l'accueil."}},
	aIntake:   {{"Call for an intake appointment.", "Téléphonez pour un rendez-vous d'accueil."}, {"Call the intake line for a telephone assessment.", "Appelez la ligne d'accueil pour une évaluation téléphonique."}},
	aLine:     {{"Call or text any time.", "Appelez ou textez en tout temps."}},
	aID: {{"Bring photo ID and proof of address for each member of the household.", "Apportez une pièce d'identité avec photo et une preuve d'adresse pour chaque membre du ménage."},
		{"Call to book a visit; bring ID if you have it.", "Téléphonez pour fixer une visite; apportez une pièce d'identité si vous en avez une."}},
	aShelter:     {{"Call or come in person; beds are assigned as they become available.", "Téléphonez ou présentez-vous en personne; les lits sont attribués selon les disponibilités."}},
	aAppointment: {{"Call to book an appointment.", "Téléphonez pour prendre rendez-vous."}},
}

// more are sentences any description may end with.
var more = []bi{
	{"Volunteers are always welcome.", "Les bénévoles sont toujours les bienvenus."},
	{"Services are confidential.", "Les services sont confidentiels."},
	{"Interpretation can be arranged on request.", "Des services d'interprétation peuvent être offerts sur demande."},
	{"Referrals to other community services are available.", "Orientation vers d'autres services communautaires au besoin."},
	{"Call ahead on statutory holidays.", "Téléphonez avant de vous déplacer les jours fériés."},
	{"Staff can help with forms and applications.", "Le personnel peut aider à remplir les formulaires et les demandes."},
}
