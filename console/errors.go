package console

import (
	"net/http"

	"github.com/o211/o211"
)

// errorBody is the body of an error page: message ids.
type errorBody struct {
	Message string
	Args    []any
}

// notFound answers a page that does not exist.
func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	p := c.view(r, "error.not_found.title")
	p.Body = errorBody{Message: "error.not_found.body"}
	c.render(w, r, http.StatusNotFound, "error", p)
}

// unknownLanguage answers a ?lang= code the console does not speak.
func (c *Console) unknownLanguage(w http.ResponseWriter, r *http.Request, code string) {
	if len(code) > 12 {
		code = code[:12] + "…"
	}
	p := c.view(r, "error.language.title")
	p.Body = errorBody{Message: "error.language.body", Args: []any{"Code", code}}
	c.render(w, r, http.StatusBadRequest, "error", p)
}

// fail answers an error from the directory: an unavailable search says so,
// anything else is logged in full and shown as a plain sentence.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "error.internal.body"
	if o211.ErrorCode(err) == o211.EUNAVAILABLE {
		status, msg = http.StatusServiceUnavailable, "error.unavailable.body"
	} else {
		c.log.Error("console: request failed", "path", r.URL.Path, "err", err)
	}
	p := c.view(r, "error.internal.title")
	p.Body = errorBody{Message: msg}
	c.render(w, r, status, "error", p)
}
