package console_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestPortal_Home(t *testing.T) {
	n := MustStartPortal(t)
	p := get(t, nil, n.URL()+"/").mustStatus(t, http.StatusOK)
	p.mustContain(t, `<html lang="en"`, `href="#main"`, `id="main"`, "Find help near you",
		`href="/search?category=B"`, "Basic Needs", `href="/fr/"`, `lang="fr"`, `href="tel:211"`)
	fr := get(t, nil, n.URL()+"/fr/").mustStatus(t, http.StatusOK)
	fr.mustContain(t, `<html lang="fr"`, "Trouver de l’aide près de chez vous", `href="/fr/search?category=B"`,
		"Besoins essentiels", "Région de l’Est", `href="/?lang=en"`)
}

func TestPortal_SearchFrench(t *testing.T) {
	n := MustStartPortal(t)
	p := get(t, nil, n.URL()+"/fr/search?q=alimentaire&near=K1N+6N5").mustStatus(t, http.StatusOK)
	p.mustContain(t, `<html lang="fr"`, "Banque alimentaire de la Côte-de-Sable", "Centre communautaire Côte-de-Sable",
		`href="/fr/services/`+banqueID+`"`, `href="tel:+16135550142"`, "250, avenue Somerset Est",
		"Distance", " km", "Aujourd’hui", "de 9 h à 16 h 30", "Ouvert")
	get(t, nil, n.URL()+"/fr/search?category=B&language=fr&radius_km=5&near=K1N").mustStatus(t, http.StatusOK).
		mustContain(t, `<option value="B" selected>Besoins essentiels</option>`, `<option value="fr" selected>Français</option>`,
			`<option value="5" selected>5 km</option>`)
	if strings.Contains(p.body, "Tenant Legal Advice") {
		t.Error("a search for 'alimentaire' lists the legal clinic")
	}
}

func TestPortal_SearchEnglishRecordOnFrenchPage(t *testing.T) {
	n := MustStartPortal(t)
	p := get(t, nil, n.URL()+"/fr/search?q=food&near=K1N").mustStatus(t, http.StatusOK)
	// The English record is marked as English inside the French page.
	re := regexp.MustCompile(`<li class="o211-result" lang="en">\s*<h3[^>]*><a[^>]*>Sandy Hill Community Food Cupboard`)
	if !re.MatchString(p.body) {
		t.Errorf("the English result on a French page has no lang=\"en\":\n%.2000s", p.body)
	}
}

func TestPortal_SearchErrors(t *testing.T) {
	n := MustStartPortal(t)
	for _, tc := range []struct {
		name, query string
		field, msg  string
	}{
		{"MalformedPostalCode", "near=12345", "near", "Enter a postal code like K1N 6N5"},
		{"UnknownPostalArea", "near=H2X+1Y4", "near", "We do not know the postal area H2X in Ontario"},
		{"BadAge", "q=food&age=old", "age", "Enter an age in years"},
		{"BadCategory", "category=%3Cscript%3E", "category", "Choose a category from the list"},
		{"BadRadius", "near=K1N&radius_km=-3", "radius_km", "Choose a distance from the list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := get(t, nil, n.URL()+"/search?"+tc.query).mustStatus(t, http.StatusBadRequest)
			p.mustContain(t, `class="govuk-error-summary"`, `<a href="#`+tc.field+`">`+tc.msg,
				`id="`+tc.field+`-error" class="govuk-error-message"`, "<title>Error: ")
			p.mustNotContain(t, "<script>")
		})
	}
	fr := get(t, nil, n.URL()+"/fr/search?near=12345").mustStatus(t, http.StatusBadRequest)
	fr.mustContain(t, "Il y a un problème", "Entrez un code postal comme K1N 6N5", `value="12345"`)
}

func TestPortal_Service(t *testing.T) {
	n := MustStartPortal(t)
	p := get(t, nil, n.URL()+"/services/"+banqueID).mustStatus(t, http.StatusOK)
	p.mustContain(t, `<html lang="en"`, "Banque alimentaire de la Côte-de-Sable", `lang="fr"`,
		"Opening hours", `<th scope="row" class="govuk-table__header">Monday <strong class="govuk-tag">Today</strong>`,
		"9 a.m. to 4:30 p.m.", "Saturday", "10 a.m. to 1 p.m.", "Tuesday", "Closed",
		"Who can use it", "Résidents d’Ottawa", "18 years and over", "Fees", "Gratuit",
		"Languages", "French", "English", "Documents to bring", "Pièce d’identité avec adresse",
		"How to apply", "Accessibility", "Entrée accessible en fauteuil roulant", "Getting there",
		"250, avenue Somerset Est", "K1N 6V6", `href="tel:&#43;16135550142"`, "October 15, 2026",
		"Categories", "Basic Needs: <span>Food Pantries</span>")
	fr := get(t, nil, n.URL()+"/fr/services/"+cupboardID).mustStatus(t, http.StatusOK)
	fr.mustContain(t, `<html lang="fr"`, "Heures d’ouverture", "Mardi", "de 10 h à 14 h", "Lundi", "Fermé",
		"2 septembre 2026", `lang="en"`, "Sandy Hill Community Food Cupboard",
		`Besoins essentiels : <span lang="en">Food Pantries</span>`)
	get(t, nil, n.URL()+"/services/no-such-service").mustStatus(t, http.StatusNotFound).
		mustContain(t, "Page not found")
	get(t, nil, n.URL()+"/fr/no-such-page").mustStatus(t, http.StatusNotFound).
		mustContain(t, `<html lang="fr"`, "Page introuvable")
}

func TestPortal_Language(t *testing.T) {
	n := MustStartPortal(t)
	t.Run("AcceptLanguage", func(t *testing.T) {
		get(t, nil, n.URL()+"/", "Accept-Language", "fr-CA,fr;q=0.9,en;q=0.5").mustContain(t, `<html lang="fr"`)
		get(t, nil, n.URL()+"/", "Accept-Language", "de-DE,en;q=0.5").mustContain(t, `<html lang="en"`)
	})
	t.Run("ChoiceKeptInCookie", func(t *testing.T) {
		c := jarClient()
		get(t, c, n.URL()+"/search?q=food&lang=fr").mustContain(t, `<html lang="fr"`)
		get(t, c, n.URL()+"/").mustContain(t, `<html lang="fr"`)
		get(t, c, n.URL()+"/?lang=en", "Accept-Language", "fr").mustContain(t, `<html lang="en"`)
		get(t, c, n.URL()+"/", "Accept-Language", "fr").mustContain(t, `<html lang="en"`)
	})
	t.Run("UnknownCode", func(t *testing.T) {
		p := get(t, nil, n.URL()+"/search?lang=de").mustStatus(t, http.StatusBadRequest)
		p.mustContain(t, "Language not available", "“de”", "lang=en", "lang=fr")
		long := get(t, nil, n.URL()+"/?lang="+strings.Repeat("x", 300)).mustStatus(t, http.StatusBadRequest)
		if strings.Contains(long.body, strings.Repeat("x", 13)) {
			t.Error("the page echoes more than a short prefix of the language code")
		}
	})
	t.Run("SwitchKeepsQuery", func(t *testing.T) {
		get(t, nil, n.URL()+"/search?q=food&near=K1N").mustContain(t, `href="/fr/search?near=K1N&amp;q=food"`)
		get(t, nil, n.URL()+"/fr/search?q=food").mustContain(t, `href="/search?lang=en&amp;q=food"`)
	})
}

func TestPortal_NoInlineScriptOrStyle(t *testing.T) {
	n := MustStartPortal(t)
	inline := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]|<style|\sstyle=|\son[a-z]+=`)
	for _, path := range []string{"/", "/fr/", "/search?q=food&near=K1N", "/fr/search?near=bad",
		"/services/" + banqueID, "/console/", "/fr/console/", "/services/none", "/?lang=xx"} {
		p := get(t, nil, n.URL()+path)
		if m := inline.FindString(p.body); m != "" {
			t.Errorf("%s has inline script or style: %q", path, m)
		}
	}
}

func TestStatic(t *testing.T) {
	n := MustStartPortal(t)
	home := get(t, nil, n.URL()+"/")
	css := regexp.MustCompile(`href="(/static/o211\.[0-9a-f]{12}\.css)"`).FindStringSubmatch(home.body)
	if css == nil {
		t.Fatalf("no hashed stylesheet in the home page")
	}
	for _, enc := range []string{"br", "gzip", ""} {
		req, _ := http.NewRequest(http.MethodGet, n.URL()+css[1], nil)
		req.Header.Set("Accept-Encoding", enc)
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != enc ||
			!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || resp.Header.Get("Content-Type") != "text/css; charset=utf-8" {
			t.Errorf("Accept-Encoding %q: %s, encoding %q, %q, %q", enc, resp.Status, resp.Header.Get("Content-Encoding"),
				resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type"))
		}
	}
	get(t, nil, n.URL()+"/static/o211.000000000000.css").mustStatus(t, http.StatusNotFound)
}
