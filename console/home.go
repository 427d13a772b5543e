package console

import (
	"net/http"

	"github.com/o211/o211"
)

// categoryView is a category of the 211 taxonomy in the page's language.
type categoryView struct {
	Code, Name string
	Selected   bool
}

// categories lists the ten service categories of the 211 taxonomy (not Y,
// the target populations) in lang, selected marking one.
func categories(lang, selected string) []categoryView {
	out := make([]categoryView, 0, len(o211.Categories))
	for _, c := range o211.Categories {
		if c.Code == "Y" {
			continue
		}
		name := c.Name
		if lang == French {
			name = c.NameFr
		}
		out = append(out, categoryView{Code: c.Code, Name: name, Selected: c.Code == selected})
	}
	return out
}

// home is the portal's front page: the search box and the category tiles.
func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	p := c.view(r, "home.title")
	p.Body = &searchBody{Categories: categories(p.Lang, ""), HasProvince: c.cfg.Province != nil}
	c.render(w, r, http.StatusOK, "home", p)
}
