package console

import (
	"time"

	"github.com/o211/o211"
)

// closureView is a temporary closure as the portal shows it: the dated
// title in the page's language and the message, with its language when
// it is not the page's (a closure written in one language only).
type closureView struct {
	Title, Msg, Lang string
}

// closureOfResult words the closure a search result carries, or a bare
// "temporarily closed" for a service closed without o211's dated message;
// nil for an open service.
func (c *Console) closureOfResult(lang string, res *o211.Result) *closureView {
	if res.Closure != nil {
		return c.closureView(lang, *res.Closure)
	}
	if res.Status == o211.StatusTemporarilyClosed {
		return &closureView{Title: c.msg.MustT(lang, "dir.opt.status.temporarily_closed")}
	}
	return nil
}

// closureOfService words a service's closure while it holds; nil when the
// service is not closed by o211's dated message or the closure has ended.
func (c *Console) closureOfService(lang string, svc *o211.Service) (v *closureView, known bool) {
	cl, ok := o211.ClosureOf(svc.Status, svc.Alert)
	if !ok {
		return nil, false
	}
	if !cl.On(c.cfg.Now()) {
		return nil, true
	}
	return c.closureView(lang, cl), true
}

func (c *Console) closureView(lang string, cl o211.Closure) *closureView {
	v := &closureView{Title: c.msg.MustT(lang, "dir.opt.status.temporarily_closed")}
	if t, err := time.Parse(time.DateOnly, cl.Until); err == nil {
		v.Title = c.msg.MustT(lang, "portal.closed_until", "Date", c.date(lang, t))
	}
	msg, in := cl.Message(lang)
	v.Msg = msg
	if in != lang {
		v.Lang = in
	}
	return v
}
