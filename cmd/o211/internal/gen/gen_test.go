package gen_test

import (
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/cmd/o211/internal/gen"
	"github.com/o211/o211/node/geo"
	"github.com/o211/o211/node/taxonomy"
)

// row is one generated row and the region that owns it.
type row struct {
	region string
	obj    o211.Object
}

// directory is a generated directory, indexed.
type directory struct {
	rows  []row
	stats gen.Stats
	byID  map[o211.Kind]map[string]o211.Object
	// regionOf maps every row id to its region.
	regionOf map[string]string
}

func (d *directory) each(kind o211.Kind, f func(region string, obj o211.Object)) {
	for _, r := range d.rows {
		if r.obj.ObjectKind() == kind {
			f(r.region, r.obj)
		}
	}
}

// mustGenerate generates a directory, failing the test on any error.
func mustGenerate(tb testing.TB, opts gen.Options) *directory {
	tb.Helper()
	d := &directory{byID: map[o211.Kind]map[string]o211.Object{}, regionOf: map[string]string{}}
	st, err := gen.Generate(opts, func(region string, obj o211.Object) error {
		d.rows = append(d.rows, row{region, obj})
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	d.stats = st
	for _, r := range d.rows {
		k := r.obj.ObjectKind()
		if d.byID[k] == nil {
			d.byID[k] = map[string]o211.Object{}
		}
		d.byID[k][r.obj.ObjectID()] = r.obj
		d.regionOf[r.obj.ObjectID()] = r.region
	}
	return d
}

// cache holds directories shared by several tests (generation is
// deterministic, so sharing changes nothing).
var cache sync.Map

func cached(tb testing.TB, opts gen.Options) *directory {
	tb.Helper()
	key := fmt.Sprintf("%+v", opts)
	if d, ok := cache.Load(key); ok {
		return d.(*directory)
	}
	d := mustGenerate(tb, opts)
	cache.Store(key, d)
	return d
}

// province is the size of directory most tests look at: small enough to be
// quick, large enough for every sample code and every region.
var province = gen.Options{Services: 2000, Seed: 7}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestGenerate_RowsValidate(t *testing.T) {
	d := cached(t, province)
	seen := map[string]bool{}
	for _, r := range d.rows {
		if err := r.obj.Validate(); err != nil {
			t.Errorf("%s %s: %v", r.obj.ObjectKind(), r.obj.ObjectID(), err)
		}
		if id := r.obj.ObjectID(); !uuidPattern.MatchString(id) {
			t.Errorf("%s id %q is not a UUID", r.obj.ObjectKind(), id)
		} else if seen[id] {
			t.Errorf("id %s used twice", id)
		} else {
			seen[id] = true
		}
	}
	if got := d.stats.Services; got != province.Services {
		t.Errorf("got %d services, want %d", got, province.Services)
	}
	if got := len(d.byID[o211.KindService]); got != province.Services {
		t.Errorf("emitted %d service rows, want %d", got, province.Services)
	}
}

// Every reference points at a row emitted before it, in the same region or
// in the shared taxonomy.
func TestGenerate_References(t *testing.T) {
	d := cached(t, province)
	emitted := map[o211.Kind]map[string]string{} // kind -> id -> region
	for _, r := range d.rows {
		for _, ref := range r.obj.Refs() {
			if ref.ID == "" {
				continue
			}
			kind := ref.Kind
			if a, ok := r.obj.(*o211.Attribute); ok && ref.Field == "link_id" {
				kind = o211.Kind(a.LinkEntity)
			}
			region, ok := emitted[kind][ref.ID]
			switch {
			case !ok:
				t.Errorf("%s %s: %s %s points at no earlier %s row", r.obj.ObjectKind(), r.obj.ObjectID(), ref.Field, ref.ID, kind)
			case region != r.region && region != "":
				t.Errorf("%s %s of region %s refers to %s %s of region %s", r.obj.ObjectKind(), r.obj.ObjectID(), r.region, kind, ref.ID, region)
			}
		}
		k := r.obj.ObjectKind()
		if emitted[k] == nil {
			emitted[k] = map[string]string{}
		}
		emitted[k][r.obj.ObjectID()] = r.region
	}
	// Every service has a site, hours, a language and a taxonomy term.
	has := map[o211.Kind]map[string]bool{}
	for _, r := range d.rows {
		var sid string
		switch o := r.obj.(type) {
		case *o211.ServiceAtLocation:
			sid = o.ServiceID
		case *o211.Schedule:
			sid = o.ServiceID
		case *o211.Language:
			sid = o.ServiceID
		case *o211.Attribute:
			sid = o.LinkID
		default:
			continue
		}
		if has[r.obj.ObjectKind()] == nil {
			has[r.obj.ObjectKind()] = map[string]bool{}
		}
		has[r.obj.ObjectKind()][sid] = true
	}
	for id := range d.byID[o211.KindService] {
		for _, k := range []o211.Kind{o211.KindServiceAtLocation, o211.KindSchedule, o211.KindLanguage, o211.KindAttribute} {
			if !has[k][id] {
				t.Errorf("service %s has no %s", id, k)
			}
		}
	}
}

// quota returns the share of services of a region: proportional to its
// number of FSAs.
func quota(total int) map[string]float64 {
	count := map[string]int{}
	fsas := geo.FSAs()
	for _, f := range fsas {
		count[f.Region]++
	}
	out := map[string]float64{}
	for r, n := range count {
		out[r] = float64(total) * float64(n) / float64(len(fsas))
	}
	return out
}

func TestGenerate_RegionProportions(t *testing.T) {
	for _, n := range []int{150, 2000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			d := cached(t, gen.Options{Services: n, Seed: 7})
			got := map[string]int{}
			d.each(o211.KindService, func(region string, _ o211.Object) { got[region]++ })
			want := quota(n)
			if len(got) != 6 {
				t.Fatalf("services in %d regions, want 6: %v", len(got), got)
			}
			for region, w := range want {
				if math.Abs(float64(got[region])-w) > 1 {
					t.Errorf("region %s has %d services, want %.1f", region, got[region], w)
				}
				if d.stats.Regions[region] != got[region] {
					t.Errorf("Stats.Regions[%s] = %d, counted %d", region, d.stats.Regions[region], got[region])
				}
			}
		})
	}
}

// recordLanguages returns the language each service's record is written
// in: that of its first language row.
func recordLanguages(d *directory) map[string]string {
	out := map[string]string{}
	d.each(o211.KindLanguage, func(_ string, obj o211.Object) {
		if l := obj.(*o211.Language); out[l.ServiceID] == "" {
			out[l.ServiceID] = l.Code
		}
	})
	return out
}

var frenchWords = regexp.MustCompile(`[éèàçô]|\b(les|des|aux|pour|avec|du|une|sur)\b`)

func TestGenerate_French(t *testing.T) {
	d := cached(t, gen.Options{Services: 6000, Seed: 3})
	lang := recordLanguages(d)
	perRegion, frPerRegion := map[string]int{}, map[string]int{}
	french := 0
	d.each(o211.KindService, func(region string, obj o211.Object) {
		s := obj.(*o211.Service)
		perRegion[region]++
		fr := lang[s.ID] == "fr"
		if fr {
			french++
			frPerRegion[region]++
		}
		if text := s.Description + " " + s.EligibilityDescription + " " + s.ApplicationProcess; fr != frenchWords.MatchString(text) {
			t.Errorf("service %s (record in %s): %q", s.ID, lang[s.ID], text)
		}
	})
	if french != d.stats.French {
		t.Errorf("counted %d French records, Stats.French = %d", french, d.stats.French)
	}
	if share := float64(french) / 6000; share < 0.13 || share > 0.21 {
		t.Errorf("%.3f of services are in French, want about 1/6", share)
	}
	central := float64(frPerRegion["central"]) / float64(perRegion["central"])
	for _, r := range []string{"east", "north"} {
		if got := float64(frPerRegion[r]) / float64(perRegion[r]); got <= 2*central {
			t.Errorf("region %s has %.2f French records, not twice central's %.2f", r, got, central)
		}
	}
}

// serviceCodes returns the taxonomy codes each service links.
func serviceCodes(d *directory) map[string][]string {
	codeOf := map[string]string{}
	d.each(o211.KindTaxonomyTerm, func(_ string, obj o211.Object) {
		t := obj.(*o211.TaxonomyTerm)
		codeOf[t.ID] = t.Code
	})
	out := map[string][]string{}
	d.each(o211.KindAttribute, func(_ string, obj o211.Object) {
		a := obj.(*o211.Attribute)
		out[a.LinkID] = append(out[a.LinkID], codeOf[a.TaxonomyTermID])
	})
	return out
}

func TestGenerate_Taxonomy(t *testing.T) {
	d := cached(t, province)
	if n := len(d.byID[o211.KindTaxonomy]); n != 1 {
		t.Fatalf("got %d taxonomy rows, want 1", n)
	}
	d.each(o211.KindTaxonomyTerm, func(region string, obj o211.Object) {
		tt := obj.(*o211.TaxonomyTerm)
		if region != "" {
			t.Errorf("taxonomy term %s belongs to region %q, want shared", tt.Code, region)
		}
		if tt.ID != taxonomy.TermID(tt.Code) {
			t.Errorf("term %s has id %s, want TermID", tt.Code, tt.ID)
		}
		if p, ok := taxonomy.Parent(tt.Code); ok && tt.ParentID != taxonomy.TermID(p.Code) {
			t.Errorf("term %s: parent_id %s, want the id of %s", tt.Code, tt.ParentID, p.Code)
		}
	})
	categories := map[string]int{}
	for sid, codes := range serviceCodes(d) {
		if len(codes) < 1 || len(codes) > 4 {
			t.Errorf("service %s links %d terms, want 1 to 4", sid, len(codes))
		}
		if codes[0][0] == 'Y' {
			t.Errorf("service %s: first term %s is a target population", sid, codes[0])
		}
		for _, c := range codes {
			categories[c[:1]]++
		}
	}
	for _, c := range append(o211.Categories, o211.Category{Code: "H", Name: "Education"}) {
		if categories[c.Code] == 0 {
			t.Errorf("no service in category %s (%s)", c.Code, c.Name)
		}
	}
	d.each(o211.KindAttribute, func(_ string, obj o211.Object) {
		a := obj.(*o211.Attribute)
		if a.LinkEntity != "service" || (a.LinkType != "service_type" && a.LinkType != "target_population") {
			t.Errorf("attribute %s: link_entity %q, link_type %q", a.ID, a.LinkEntity, a.LinkType)
		}
	})
}

// sampleCombos returns the tax_code entries of 211 Ontario's export
// sample ("BD-5000.1470*YB-8000").
func sampleCombos(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open(filepath.Join("..", "..", "..", "..", "testdata", "211ontario-sample.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	col := -1
	for i, h := range rows[0] {
		if h == "tax_code" {
			col = i
		}
	}
	var out []string
	for _, r := range rows[1:] {
		out = append(out, strings.Split(r[col], "; ")...)
	}
	return out
}

// Every code of the sample, and every combination of a service code with
// target populations, appears at 2,000 services.
func TestGenerate_SampleCodes(t *testing.T) {
	d := cached(t, province)
	byService := serviceCodes(d)
	used := map[string]bool{}
	var sets []map[string]bool
	for _, codes := range byService {
		set := map[string]bool{}
		for _, c := range codes {
			used[c] = true
			set[c] = true
		}
		sets = append(sets, set)
	}
	for _, combo := range sampleCombos(t) {
		parts := o211.SplitTaxonomyCode(combo)
		for _, p := range parts {
			if !used[p] {
				t.Errorf("sample code %s is not used", p)
			}
		}
		found := false
		for _, set := range sets {
			all := true
			for _, p := range parts {
				all = all && set[p]
			}
			if all {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no service links all of %s", combo)
		}
	}
}

// Addresses sit in a real FSA of their region, and locations within 15 km
// of its centroid.
func TestGenerate_Places(t *testing.T) {
	d := cached(t, province)
	postal := regexp.MustCompile(`^[A-Z][0-9][A-Z] [0-9][A-Z][0-9]$`)
	addressed := map[string]bool{}
	d.each(o211.KindAddress, func(region string, obj o211.Object) {
		a := obj.(*o211.Address)
		addressed[a.LocationID] = true
		if !postal.MatchString(a.PostalCode) || a.StateProvince != "ON" || a.Country != "CA" || a.AddressType != "physical" || a.City == "" {
			t.Errorf("address %s: %+v", a.ID, a)
		}
		f, ok := geo.LookupFSA(a.PostalCode[:3])
		if !ok {
			t.Errorf("address %s: %s is not an Ontario FSA", a.ID, a.PostalCode)
			return
		}
		if f.Region != region {
			t.Errorf("address %s in %s (region %s) belongs to region %s", a.ID, a.PostalCode, f.Region, region)
		}
		loc := d.byID[o211.KindLocation][a.LocationID].(*o211.Location)
		if km := geo.DistanceKm(*loc.Latitude, *loc.Longitude, f.Lat, f.Lon); km > 15 {
			t.Errorf("location %s is %.1f km from the centroid of %s", loc.ID, km, f.Code)
		}
		if strings.ContainsAny(a.City, "()/") {
			t.Errorf("address %s: city %q is not a town", a.ID, a.City)
		}
	})
	for id := range d.byID[o211.KindLocation] {
		if !addressed[id] {
			t.Errorf("location %s has no address", id)
		}
	}
	// Organizations have several services and sites.
	servicesOf, sitesOf := map[string]int{}, map[string]int{}
	d.each(o211.KindService, func(_ string, obj o211.Object) { servicesOf[obj.(*o211.Service).OrganizationID]++ })
	d.each(o211.KindLocation, func(_ string, obj o211.Object) { sitesOf[obj.(*o211.Location).OrganizationID]++ })
	multi, multiSite := 0, 0
	for org, n := range servicesOf {
		if n > 1 {
			multi++
		}
		if sitesOf[org] > 1 {
			multiSite++
		}
	}
	if multi < len(servicesOf)/2 || multiSite < len(servicesOf)/10 {
		t.Errorf("%d of %d organizations have several services, %d several sites", multi, len(servicesOf), multiSite)
	}
}

func TestGenerate_ServiceDetails(t *testing.T) {
	d := cached(t, province)
	now := gen.DefaultNow
	status := map[string]int{}
	years := map[int]bool{}
	ages := map[[2]float64]int{}
	d.each(o211.KindService, func(_ string, obj o211.Object) {
		s := obj.(*o211.Service)
		status[s.Status]++
		day, _ := time.Parse(time.DateOnly, s.AssuredDate)
		if day.After(now) || day.Before(now.AddDate(-3, 0, -1)) {
			t.Errorf("service %s: assured_date %s is not in the three years before %s", s.ID, s.AssuredDate, now.Format(time.DateOnly))
		}
		years[day.Year()] = true
		var lo, hi float64 = -1, -1
		if s.MinimumAge != nil {
			lo = *s.MinimumAge
		}
		if s.MaximumAge != nil {
			hi = *s.MaximumAge
		}
		ages[[2]float64{lo, hi}]++
		if n := strings.Count(s.Description, ". ") - strings.Count(s.Description, "St. ") + 1; n > 3 || s.Description == "" {
			t.Errorf("service %s: description of %d sentences: %q", s.ID, n, s.Description)
		}
		if s.EligibilityDescription == "" || s.ApplicationProcess == "" || s.FeesDescription == "" {
			t.Errorf("service %s lacks eligibility, application or fees", s.ID)
		}
	})
	if status[o211.StatusActive] < 2000*85/100 || status[o211.StatusTemporarilyClosed] == 0 || status[o211.StatusInactive] == 0 {
		t.Errorf("statuses %v: want mostly active, some temporarily closed and inactive", status)
	}
	if len(years) < 3 {
		t.Errorf("assured dates fall in years %v, want three years", years)
	}
	for _, want := range [][2]float64{{12, 24}, {55, -1}, {6, 12}, {0, 6}, {-1, -1}} {
		if ages[want] == 0 {
			t.Errorf("no service with ages %v; got %v", want, ages)
		}
	}
	// Organizations: some with a charity number.
	withID := map[string]bool{}
	d.each(o211.KindOrganizationIdentifier, func(_ string, obj o211.Object) {
		i := obj.(*o211.OrganizationIdentifier)
		withID[i.OrganizationID] = true
		if !regexp.MustCompile(`^[0-9]{9}RR0001$`).MatchString(i.Identifier) || i.IdentifierScheme != "CA-CRA_ACR" {
			t.Errorf("identifier %+v", i)
		}
	})
	if share := float64(len(withID)) / float64(d.stats.Organizations); share < 0.2 || share > 0.4 {
		t.Errorf("%.2f of organizations have a charity number, want about 0.3", share)
	}
}

func TestGenerate_HoursPhonesLanguages(t *testing.T) {
	d := cached(t, province)
	kinds := map[string]bool{}
	d.each(o211.KindSchedule, func(_ string, obj o211.Object) {
		s := obj.(*o211.Schedule)
		switch {
		case s.ByDay == "MO,TU,WE,TH,FR,SA,SU" && s.OpensAt == "00:00" && s.ClosesAt == "23:59":
			kinds["24/7"] = true
		case s.ByDay == "MO,TU,WE,TH,FR":
			kinds["weekdays"] = true
		case strings.Contains(s.ByDay, "SA") || strings.Contains(s.ByDay, "SU"):
			kinds["weekend"] = true
		}
		if s.Freq == "MONTHLY" {
			kinds["monthly"] = true
		}
		if s.OpensAt >= "17:00" {
			kinds["evening"] = true
		}
		if s.ValidFrom != "" {
			kinds["seasonal"] = true
		}
		if s.Description == "" || s.Freq == "" || s.OpensAt >= s.ClosesAt {
			t.Errorf("schedule %+v", s)
		}
	})
	for _, k := range []string{"24/7", "weekdays", "weekend", "monthly", "evening", "seasonal"} {
		if !kinds[k] {
			t.Errorf("no %s schedule", k)
		}
	}
	phoneTypes := map[string]int{}
	tollFree := 0
	d.each(o211.KindPhone, func(_ string, obj o211.Object) {
		p := obj.(*o211.Phone)
		phoneTypes[p.Type]++
		if strings.HasPrefix(p.Number, "1-8") {
			tollFree++
		}
	})
	for _, typ := range []string{"voice", "fax", "text", "textphone"} {
		if phoneTypes[typ] == 0 {
			t.Errorf("no %s phone: %v", typ, phoneTypes)
		}
	}
	if len(phoneTypes) != 4 || tollFree == 0 {
		t.Errorf("phone types %v, %d toll-free", phoneTypes, tollFree)
	}
	langs := map[string]int{}
	d.each(o211.KindLanguage, func(_ string, obj o211.Object) { langs[obj.(*o211.Language).Code]++ })
	for _, code := range []string{"en", "fr", "ar", "pa", "cmn", "es", "oj", "cr"} {
		if langs[code] == 0 {
			t.Errorf("no service in language %s: %v", code, langs)
		}
	}
	if langs["en"] < langs["fr"] {
		t.Errorf("more services in French (%d) than English (%d)", langs["fr"], langs["en"])
	}
}

// A region's output is exactly the province's rows of that region, with the
// shared taxonomy.
func TestGenerate_Region(t *testing.T) {
	whole := cached(t, gen.Options{Services: 3000, Seed: 11})
	for _, r := range geo.Regions() {
		t.Run(r.ID, func(t *testing.T) {
			part := mustGenerate(t, gen.Options{Services: 3000, Seed: 11, Region: r.ID})
			var want []row
			for _, row := range whole.rows {
				if row.region == r.ID || row.region == "" {
					want = append(want, row)
				}
			}
			if len(part.rows) != len(want) {
				t.Fatalf("got %d rows, want %d", len(part.rows), len(want))
			}
			for i := range want {
				if part.rows[i].region != want[i].region || !reflect.DeepEqual(part.rows[i].obj, want[i].obj) {
					t.Fatalf("row %d: got %s %+v, want %s %+v", i, part.rows[i].region, part.rows[i].obj, want[i].region, want[i].obj)
				}
			}
			if part.stats.Services != whole.stats.Regions[r.ID] {
				t.Errorf("got %d services, the province gives the region %d", part.stats.Services, whole.stats.Regions[r.ID])
			}
		})
	}
}

func TestGenerate_Errors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts gen.Options
	}{
		{"ErrUnknownRegion", gen.Options{Services: 10, Region: "atlantis"}},
		{"ErrNegativeServices", gen.Options{Services: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gen.Generate(tc.opts, func(string, o211.Object) error { return nil })
			if o211.ErrorCode(err) != o211.EINVALID {
				t.Fatalf("got %v, want an EINVALID error", err)
			}
		})
	}
	t.Run("ErrEmit", func(t *testing.T) {
		stop := errors.New("disk full")
		n := 0
		_, err := gen.Generate(gen.Options{Services: 100}, func(string, o211.Object) error {
			if n++; n == 600 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 600 {
			t.Fatalf("got %v after %d rows, want the emit error after 600", err, n)
		}
	})
	t.Run("DefaultServices", func(t *testing.T) {
		st, err := gen.Generate(gen.Options{Region: "central-east"}, func(string, o211.Object) error { return nil })
		if err != nil || st.Services != int(math.Round(quota(gen.DefaultServices)["central-east"])) {
			t.Fatalf("got %d services, %v; want central-east's share of %d", st.Services, err, gen.DefaultServices)
		}
	})
}
