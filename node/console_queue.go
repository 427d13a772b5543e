package node

import (
	"context"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/console"
	"github.com/o211/o211/node/queue"
)

// consoleQueue adapts the region's queue to the console's live queue
// page.
type consoleQueue struct {
	q *queue.Queue
	// grants returns what a navigator was given on their account.
	grants func(ctx context.Context, id string) (languages, skills []string, err error)
}

var _ console.Queue = consoleQueue{}

// State implements console.Queue.
func (c consoleQueue) State(a o211.Actor) (console.QueueState, <-chan struct{}) {
	changed, _ := c.q.Changed()
	snap := c.q.Snapshot()
	st := console.QueueState{Version: snap.Version}
	names := map[string]string{}
	for _, nv := range snap.Navigators {
		names[nv.ID] = nv.Name
		n := 0
		for _, k := range nv.Active {
			n += k
		}
		st.Navigators = append(st.Navigators, console.QueueNavigator{ID: nv.ID, Name: nv.Name, Presence: string(nv.Presence),
			Since: snap.At.Sub(nv.Since), Contacts: n, Languages: nv.Languages, Offered: nv.Offer != ""})
		if nv.ID == a.ID {
			st.Me, st.Languages, st.Skills = string(nv.Presence), nv.Languages, nv.Skills
		}
	}
	st.GrantedLanguages, st.GrantedSkills, _ = c.grants(context.Background(), a.ID)
	if st.Me == "" {
		st.Languages, st.Skills = st.GrantedLanguages, st.GrantedSkills // what SetPresence takes when none is given
	}
	for _, w := range snap.Waiting {
		st.Waiting = append(st.Waiting, console.QueueWaiting{ID: w.ID, Channel: w.Channel, Language: w.Language,
			Wait: snap.At.Sub(w.Enqueued), OfferedTo: names[w.OfferedTo], Transfer: names[w.Transfer]})
	}
	if o, ok := c.q.OfferFor(a.ID); ok {
		st.Offer = &console.QueueOffer{ID: o.Item.ID, Channel: o.Item.Channel, Language: o.Item.Language, RoutedBy: o.Item.RoutedBy,
			Wait: snap.At.Sub(o.Item.Enqueued), Left: o.Until.Sub(snap.At), TransferFrom: o.Transfer}
	}
	for _, it := range c.q.Mine(a.ID) {
		st.Mine = append(st.Mine, console.QueueContact{ID: it.ID, Channel: it.Channel, Language: it.Language, From: it.From,
			Workspace: queue.WorkspaceURL(it)})
	}
	s := c.q.Stats()
	for _, l := range s.Levels {
		st.Levels = append(st.Levels, level(l))
	}
	st.Total = level(s.Total)
	return st, changed
}

func level(l queue.Level) console.QueueLevel {
	sec := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	return console.QueueLevel{Channel: l.Channel, Language: l.Language, Arrived: l.Arrived, Answered: l.Answered,
		Abandoned: l.Abandoned, ServiceLevel: l.ServiceLevel, AbandonRate: l.AbandonRate, WaitAvg: sec(l.WaitAvg),
		WaitP90: sec(l.WaitP90), HandleAvg: sec(l.HandleAvg), AnsweredInTarget: l.AnsweredInTarget, HandledDone: l.Handled}
}

// SetPresence implements console.Queue.
func (c consoleQueue) SetPresence(ctx context.Context, a o211.Actor, presence string, languages, skills []string) error {
	p, err := queue.ParsePresence(presence)
	if err != nil {
		return err
	}
	name := a.Username
	if name == "" {
		name = a.ID
	}
	return c.q.SetPresence(ctx, queue.Navigator{ID: a.ID, Name: name, Languages: languages, Skills: skills}, p)
}

// Accept implements console.Queue.
func (c consoleQueue) Accept(ctx context.Context, a o211.Actor, id string) (string, error) {
	it, err := c.q.Accept(ctx, a.ID, id)
	if err != nil {
		return "", err
	}
	return queue.WorkspaceURL(it), nil
}

// Decline implements console.Queue.
func (c consoleQueue) Decline(ctx context.Context, a o211.Actor, id string) error {
	return c.q.Decline(ctx, a.ID, id)
}

// Done implements console.Queue.
func (c consoleQueue) Done(ctx context.Context, a o211.Actor, id string) error {
	return c.q.Done(ctx, a.ID, id, "")
}

// Transfer implements console.Queue.
func (c consoleQueue) Transfer(ctx context.Context, a o211.Actor, id, to, navigator string, warm bool, number string) error {
	return c.q.Transfer(ctx, a.ID, id, queue.TransferRequest{To: to, Navigator: navigator, Warm: warm, Number: number})
}
