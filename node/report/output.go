package report

import (
	"encoding/csv"
	"encoding/json"
	"strconv"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/geo"
	"github.com/o211/o211/node/taxonomy"
)

// Meta is what every report response says about itself.
type Meta struct {
	Report      string              `json:"report"`
	Scope       string              `json:"scope"`
	From        string              `json:"from"`
	To          string              `json:"to"`
	Filters     map[string][]string `json:"filters"`
	GeneratedAt time.Time           `json:"generated_at"`
	Suppression Suppression         `json:"suppression"`
}

func (m *Meta) meta() *Meta { return m }

// Suppression says how many published counts were withheld.
type Suppression struct {
	Applied   bool `json:"applied"`
	Threshold int  `json:"threshold"`  // counts from 1 to threshold-1 are withheld
	Cells     int  `json:"suppressed"` // counts withheld in all
	Primary   int  `json:"primary"`    // because they are small
	Secondary int  `json:"secondary"`  // to protect the small ones from subtraction
	// Method is how counts are protected: "perturbed" (cell-key
	// perturbation, then small counts withheld), "suppressed" or "exact".
	Method string `json:"method"`
	// MaxNoise is the most a perturbed count differs from the true one.
	MaxNoise int `json:"max_noise,omitempty"`
}

func (s *Suppression) add(m *published) {
	s.Primary += m.Primary
	s.Secondary += m.Secondary
	s.Cells += m.Primary + m.Secondary
}

// Count is a published count: its value, or null with suppressed true. In
// CSV a suppressed count is written "x" (the Statistics Canada symbol for
// a figure suppressed to meet confidentiality requirements).
type Count struct {
	Value      int64
	Suppressed bool
}

// MarshalJSON writes {"value":n} or {"value":null,"suppressed":true}.
func (c Count) MarshalJSON() ([]byte, error) { return c.appendJSON(nil), nil }

func (c Count) appendJSON(b []byte) []byte {
	if c.Suppressed {
		return append(b, `{"value":null,"suppressed":true}`...)
	}
	return append(strconv.AppendInt(append(b, `{"value":`...), c.Value, 10), '}')
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Count) UnmarshalJSON(b []byte) error {
	var v struct {
		Value      *int64 `json:"value"`
		Suppressed bool   `json:"suppressed"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Count{Suppressed: v.Suppressed || v.Value == nil}
	if v.Value != nil {
		c.Value = *v.Value
	}
	return nil
}

// String returns the count for CSV: the number, or "x" when suppressed.
func (c Count) String() string {
	if c.Suppressed {
		return "x"
	}
	return strconv.FormatInt(c.Value, 10)
}

func count(v int64, suppressed bool) Count {
	if suppressed {
		return Count{Suppressed: true}
	}
	return Count{Value: v}
}

// Key is a value of a dimension with its display name, where it has one.
type Key struct {
	Key   string `json:"key"`
	Label string `json:"label,omitempty"`
}

// rate returns a/b when both are published and b > 0, else nil.
func rate(a, b Count) *float64 {
	if a.Suppressed || b.Suppressed || b.Value == 0 {
		return nil
	}
	r := float64(a.Value) / float64(b.Value)
	r = float64(int64(r*1e4+0.5)) / 1e4
	return &r
}

func formatRate(r *float64) string {
	if r == nil {
		return "x"
	}
	return strconv.FormatFloat(*r, 'f', -1, 64)
}

// keys returns the keys of an axis with their labels in lang.
func keys(a axis, lang string) []Key {
	out := make([]Key, len(a.Keys))
	for i, k := range a.Keys {
		out[i] = Key{Key: k, Label: label(a.Group.Dim, k, lang)}
	}
	return out
}

// freeValued reports whether the values of d are not a fixed list that
// every reader knows (an emergency tag, a language): the mere name of such
// a value says that someone had it.
func freeValued(d Dim) bool { return d == DimEmergency || d == DimLanguage }

// withheldKey is the key of a row or column of a free-valued dimension
// whose count is withheld: a report never shows the name of a value whose
// count it hides (issue 11.3).
func withheldKey(lang string) Key {
	return Key{Key: "withheld", Label: map[bool]string{false: "Withheld (small count)", true: "Masqué (petit nombre)"}[lang == "fr"]}
}

// hideWithheld replaces the keys of free-valued dimension d whose counts
// are withheld.
func hideWithheld(d Dim, ks []Key, counts []Count, lang string) {
	if !freeValued(d) {
		return
	}
	for i := range ks {
		if i < len(counts) && counts[i].Suppressed && ks[i].Key != "" {
			ks[i] = withheldKey(lang)
		}
	}
}

// hasLabels reports whether the values of d have names apart from their
// keys (for a name column in CSV).
func hasLabels(d Dim) bool {
	switch d {
	case DimRegion, DimFSA, DimTaxonomy, DimMet, DimReason, DimChannel, DimWeekday, DimEmergency, DimLanguage:
		return true
	}
	return false
}

// label returns the display name of value v of dimension d in lang.
func label(d Dim, v, lang string) string {
	fr := lang == "fr"
	pick := func(en, f string) string {
		if fr {
			return f
		}
		return en
	}
	if v == "" {
		switch d {
		case DimEmergency:
			return pick("None", "Aucune")
		case DimReason:
			return pick("None (met)", "Aucune (besoin comblé)")
		}
		return pick("Unknown", "Inconnu")
	}
	switch d {
	case DimRegion:
		if r, ok := geo.RegionByID(v); ok {
			return r.Name
		}
	case DimFSA:
		if f, ok := geo.LookupFSA(v); ok {
			return f.Place
		}
	case DimTaxonomy:
		if n := taxonomy.Name(v, lang); n != "" {
			return n
		}
		if c, ok := o211.CategoryOf(v); ok && len(v) == 1 {
			return pick(c.Name, c.NameFr)
		}
	case DimMet:
		if v == "true" {
			return pick("Met", "Comblé")
		}
		return pick("Unmet", "Non comblé")
	case DimReason:
		if n, ok := reasonNames[o211.UnmetReason(v)]; ok {
			return pick(n[0], n[1])
		}
	case DimChannel:
		if n, ok := channelNames[o211.Channel(v)]; ok {
			return pick(n[0], n[1])
		}
	case DimLanguage:
		if n, ok := languageNames[v]; ok {
			return pick(n[0], n[1])
		}
	case DimWeekday:
		for i, w := range weekdayNames {
			if w == v {
				return pick(weekdayLabels[i][0], weekdayLabels[i][1])
			}
		}
	}
	return ""
}

var reasonNames = map[o211.UnmetReason][2]string{
	o211.ReasonNotEligible:     {"Not eligible", "Non admissible"},
	o211.ReasonNotAvailable:    {"Service not available", "Service non disponible"},
	o211.ReasonWaitlistFull:    {"Waitlist full", "Liste d'attente complète"},
	o211.ReasonCost:            {"Cost", "Coût"},
	o211.ReasonTransportation:  {"Transportation", "Transport"},
	o211.ReasonLanguageBarrier: {"Language barrier", "Barrière linguistique"},
	o211.ReasonDeclined:        {"Declined", "Refusé"},
	o211.ReasonOther:           {"Other", "Autre"},
}

var channelNames = map[o211.Channel][2]string{
	o211.ChannelPhone:  {"Phone", "Téléphone"},
	o211.ChannelText:   {"Text", "Texto"},
	o211.ChannelChat:   {"Chat", "Clavardage"},
	o211.ChannelEmail:  {"Email", "Courriel"},
	o211.ChannelWeb:    {"Web", "Web"},
	o211.ChannelWalkIn: {"Walk-in", "Sans rendez-vous"},
}

var languageNames = map[string][2]string{
	"en": {"English", "Anglais"}, "fr": {"French", "Français"}, "es": {"Spanish", "Espagnol"},
	"ar": {"Arabic", "Arabe"}, "zh": {"Chinese", "Chinois"}, "pa": {"Punjabi", "Pendjabi"},
	"pt": {"Portuguese", "Portugais"}, "it": {"Italian", "Italien"}, "tl": {"Tagalog", "Tagalog"},
	"uk": {"Ukrainian", "Ukrainien"}, "fa": {"Persian", "Persan"}, "so": {"Somali", "Somali"},
	"ta": {"Tamil", "Tamoul"}, "ur": {"Urdu", "Ourdou"}, "oj": {"Ojibwe", "Ojibwé"}, "cr": {"Cree", "Cri"},
}

var weekdayLabels = [...][2]string{{"Monday", "Lundi"}, {"Tuesday", "Mardi"}, {"Wednesday", "Mercredi"},
	{"Thursday", "Jeudi"}, {"Friday", "Vendredi"}, {"Saturday", "Samedi"}, {"Sunday", "Dimanche"}}

// keyHeader returns the CSV header columns of a dimension: its key, and
// its name when values have names.
func keyHeader(d Dim) []string {
	if hasLabels(d) {
		return []string{d.String(), d.String() + "_name"}
	}
	return []string{d.String()}
}

func keyRecord(d Dim, k Key) []string {
	if hasLabels(d) {
		return []string{k.Key, k.Label}
	}
	return []string{k.Key}
}

// totalRecord returns the leading columns of a CSV totals row.
func totalRecord(d Dim) []string {
	if hasLabels(d) {
		return []string{"total", ""}
	}
	return []string{"total"}
}

func writeAll(w *csv.Writer, records ...[]string) {
	for _, r := range records {
		_ = w.Write(r)
	}
}
