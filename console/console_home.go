package console

import "net/http"

// consoleHome is the staff console's front page.
func (c *Console) consoleHome(w http.ResponseWriter, r *http.Request) {
	p := c.view(r, "console.title")
	c.render(w, r, http.StatusOK, "console_home", p)
}
