package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
)

// Queue is the region's contact queue as the live queue page needs it
// (the node adapts node/queue to it). The navigator is always the actor.
type Queue interface {
	// State returns the queue now as navigator a sees it, and a channel
	// closed at its next change.
	State(a o211.Actor) (QueueState, <-chan struct{})
	// SetPresence sets a's presence (available, wrap-up, away), languages
	// and skills: among those a was given, all of them when nil; EFORBIDDEN
	// for one a was not given.
	SetPresence(ctx context.Context, a o211.Actor, presence string, languages, skills []string) error
	// Accept accepts the offer of item id standing for a and returns the
	// contact workspace's URL, filled in.
	Accept(ctx context.Context, a o211.Actor, id string) (string, error)
	Decline(ctx context.Context, a o211.Actor, id string) error
	// Done finishes a's contact id (wrap-up follows).
	Done(ctx context.Context, a o211.Actor, id string) error
	// Transfer moves a's contact id: to "queue", "navigator" (warm or
	// cold) or "number" (a program's phone number).
	Transfer(ctx context.Context, a o211.Actor, id, to, navigator string, warm bool, number string) error
}

// QueueState is the live queue page's data.
type QueueState struct {
	Version    uint64
	Waiting    []QueueWaiting
	Navigators []QueueNavigator
	// Me is the viewer's presence ("" before they set one), languages
	// and skills (before: all they were given).
	Me        string
	Languages []string
	Skills    []string
	// GrantedLanguages and GrantedSkills are what the viewer was given on
	// their account: what the presence form offers.
	GrantedLanguages []string
	GrantedSkills    []string
	Offer            *QueueOffer
	Mine             []QueueContact
	Levels           []QueueLevel
	Total            QueueLevel
	LevelsFrom       time.Duration
}

// QueueWaiting is a contact waiting, without the person's details.
type QueueWaiting struct {
	ID        string
	Channel   o211.Channel
	Language  string
	Wait      time.Duration
	OfferedTo string
	// Transfer names the navigator transferring it warm.
	Transfer string
}

// QueueNavigator is a navigator's state.
type QueueNavigator struct {
	ID, Name  string
	Presence  string
	Since     time.Duration
	Contacts  int
	Languages []string
	Offered   bool
}

// QueueOffer is the offer standing for the viewer.
type QueueOffer struct {
	ID           string
	Channel      o211.Channel
	Language     string
	RoutedBy     string
	Wait         time.Duration
	Left         time.Duration
	TransferFrom string
}

// QueueContact is one of the viewer's contacts.
type QueueContact struct {
	ID        string
	Channel   o211.Channel
	Language  string
	From      string
	Workspace string
}

// QueueLevel is the service level of a channel and language (or all).
type QueueLevel struct {
	Channel                       o211.Channel
	Language                      string
	Arrived, Answered, Abandoned  int
	ServiceLevel, AbandonRate     float64
	WaitAvg, WaitP90, HandleAvg   time.Duration
	AnsweredInTarget, HandledDone int
}

// queueRoles open the live queue page.
var queueRoles = []o211.Role{o211.RoleNavigator, o211.RoleSupervisor, o211.RoleAdmin}

// routesQueue mounts the live queue page and its forms.
func (c *Console) routesQueue(r chi.Router) {
	if c.cfg.Queue == nil {
		return
	}
	r.Get("/console/queue", c.queuePage)
	r.Get("/console/queue/events", c.queueEvents)
	r.Post("/console/queue/presence", c.queuePresence)
	r.Post("/console/queue/{id}/accept", c.queueAccept)
	r.Post("/console/queue/{id}/decline", c.queueDecline)
	r.Post("/console/queue/{id}/done", c.queueDone)
	r.Post("/console/queue/{id}/transfer", c.queueTransfer)
}

// queueBody is the page's body.
type queueBody struct {
	State  QueueState
	Notice string
	// Events is the URL of the page's event stream; Sound the offer
	// sound script's.
	Events, Script string
}

func (c *Console) queuePage(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r, queueRoles...)
	if !ok {
		return
	}
	st, _ := c.cfg.Queue.State(a)
	b := &queueBody{State: st, Notice: queueNotice(r.URL.Query().Get("done"))}
	b.Events = localPath(langOf(r), "/console/queue/events")
	b.Script, _ = c.assets.URL("queue.js")
	p := c.staffView(w, r, a, "queue.title")
	p.Body = b
	c.render(w, r, http.StatusOK, "queue", p)
}

// queueNotice is the message of a form that succeeded.
func queueNotice(done string) string {
	switch done {
	case "presence", "declined", "finished", "transferred":
		return "queue.done." + done
	}
	return ""
}

// queueForm checks the actor and the form of a queue post.
func (c *Console) queueForm(w http.ResponseWriter, r *http.Request) (o211.Actor, bool) {
	a, ok := c.staff(w, r, queueRoles...)
	return a, ok && c.parseForm(w, r)
}

// queueResult answers a queue form: back to the page with a notice, or
// the page again with the error.
func (c *Console) queueResult(w http.ResponseWriter, r *http.Request, a o211.Actor, err error, done string) {
	if err == nil {
		c.redirect(w, r, "/console/queue?done="+done)
		return
	}
	msg := "queue.error.gone"
	switch o211.ErrorCode(err) {
	case o211.ECONFLICT, o211.ENOTFOUND, o211.EFORBIDDEN:
	case o211.EINVALID:
		msg = "queue.error.invalid"
	case o211.ENOTIMPLEMENTED, o211.EUNAVAILABLE:
		msg = "queue.error.unavailable"
	default:
		c.fail(w, r, err)
		return
	}
	st, _ := c.cfg.Queue.State(a)
	b := &queueBody{State: st, Events: localPath(langOf(r), "/console/queue/events")}
	b.Script, _ = c.assets.URL("queue.js")
	p := c.staffView(w, r, a, "queue.title")
	p.Body = b
	p.Errors.Add("queue", msg)
	c.render(w, r, http.StatusConflict, "queue", p)
}

func (c *Console) queuePresence(w http.ResponseWriter, r *http.Request) {
	a, ok := c.queueForm(w, r)
	if !ok {
		return
	}
	// The form offers what the navigator was given on their account; a
	// skill left unticked is left out for this shift (none: an empty
	// list, not "all").
	st, _ := c.cfg.Queue.State(a)
	skills := pick(r.PostForm["skill"], st.GrantedSkills)
	if skills == nil {
		skills = []string{}
	}
	err := c.cfg.Queue.SetPresence(r.Context(), a, r.PostForm.Get("presence"), pick(r.PostForm["language"], st.GrantedLanguages), skills)
	c.queueResult(w, r, a, err, "presence")
}

// pick keeps the values of got that are among allowed.
func pick(got, allowed []string) []string {
	var out []string
	for _, g := range got {
		for _, v := range allowed {
			if g == v {
				out = append(out, v)
			}
		}
	}
	return out
}

func (c *Console) queueAccept(w http.ResponseWriter, r *http.Request) {
	a, ok := c.queueForm(w, r)
	if !ok {
		return
	}
	ws, err := c.cfg.Queue.Accept(r.Context(), a, chi.URLParam(r, "id"))
	if err != nil {
		c.queueResult(w, r, a, err, "")
		return
	}
	c.redirect(w, r, ws)
}

func (c *Console) queueDecline(w http.ResponseWriter, r *http.Request) {
	if a, ok := c.queueForm(w, r); ok {
		c.queueResult(w, r, a, c.cfg.Queue.Decline(r.Context(), a, chi.URLParam(r, "id")), "declined")
	}
}

func (c *Console) queueDone(w http.ResponseWriter, r *http.Request) {
	if a, ok := c.queueForm(w, r); ok {
		c.queueResult(w, r, a, c.cfg.Queue.Done(r.Context(), a, chi.URLParam(r, "id")), "finished")
	}
}

func (c *Console) queueTransfer(w http.ResponseWriter, r *http.Request) {
	a, ok := c.queueForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	to, nav := f.Get("to"), ""
	if n, ok := strings.CutPrefix(to, "navigator:"); ok {
		to, nav = "navigator", n
	}
	err := c.cfg.Queue.Transfer(r.Context(), a, chi.URLParam(r, "id"), to, nav, f.Get("warm") == "on", f.Get("number"))
	c.queueResult(w, r, a, err, "transferred")
}

// Clock writes a duration as m:ss (or h:mm:ss).
func (p *page) Clock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// Percent writes a ratio as a whole percentage.
func (p *page) Percent(f float64) string { return fmt.Sprintf("%.0f %%", 100*f) }

// LanguageName names a language tag in the page's language ("fr":
// "French"), or the tag itself.
func (p *page) LanguageName(tag string) string {
	if s, err := p.c.msg.T(p.Lang, "queue.lang."+tag); err == nil {
		return s
	}
	return tag
}

// SkillName names a skill tag in the page's language ("crisis":
// "Crisis-trained"), or the tag itself.
func (p *page) SkillName(tag string) string {
	if s, err := p.c.msg.T(p.Lang, "queue.skill."+tag); err == nil {
		return s
	}
	return tag
}

// Has reports whether list holds v (the presence form's checkboxes).
func (p *page) Has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// levelRow is the argument of the queue-level template.
type levelRow struct {
	P     *page
	L     QueueLevel
	Total bool
}

// LevelRow returns the arguments of a service level row.
func (p *page) LevelRow(l QueueLevel, total bool) levelRow { return levelRow{P: p, L: l, Total: total} }

// CanUseQueue reports whether the signed-in actor may open the live
// queue page (on a node, which has a queue).
func (p *page) CanUseQueue() bool {
	return p.Actor != nil && p.c.cfg.Queue != nil && p.Actor.HasRole(queueRoles...)
}
