package queue

import (
	"math"
	"sort"
	"time"

	"github.com/o211/o211"
)

// The service level is computed from events kept in memory for the stats
// window (rebuilt from the file at Open).

type eventKind uint8

const (
	evArrived eventKind = iota
	evAnswered
	evAbandoned
	evHandled
)

// key is a channel and language.
type key struct {
	Channel  o211.Channel
	Language string
}

func keyOf(it Item) key { return key{it.Channel, it.Language} }

type event struct {
	at     time.Time
	key    key
	kind   eventKind
	wait   time.Duration
	handle time.Duration
}

// maxEvents bounds the events kept (the oldest go first).
const maxEvents = 500_000

// addEvent records e, dropping events older than the window.
func (q *Queue) addEvent(e event) {
	q.events = append(q.events, e)
	if len(q.events) > maxEvents {
		q.events = q.events[len(q.events)-maxEvents:]
	}
	cut := e.at.Add(-q.cfg.StatsWindow)
	i := 0
	for i < len(q.events) && q.events[i].at.Before(cut) {
		i++
	}
	if i > 0 {
		q.events = append(q.events[:0], q.events[i:]...)
	}
}

func sortEvents(es []event) {
	sort.SliceStable(es, func(i, j int) bool { return es[i].at.Before(es[j].at) })
}

// endedEvents returns the events of a finished item.
func endedEvents(r *record) []event {
	k := keyOf(r.Item)
	es := []event{{at: r.Item.Enqueued, key: k, kind: evArrived}}
	if !r.Answered.IsZero() {
		es = append(es, event{at: r.Answered, key: k, kind: evAnswered, wait: r.Wait})
		if r.Handle > 0 {
			es = append(es, event{at: r.Ended, key: k, kind: evHandled, handle: r.Handle})
		}
	} else if r.State == StateAbandoned {
		es = append(es, event{at: r.Ended, key: k, kind: evAbandoned, wait: r.Wait})
	}
	return es
}

// Level is the service level of one channel and language (or of all,
// when Channel and Language are empty) over the stats window.
type Level struct {
	Channel  o211.Channel `json:"channel,omitempty"`
	Language string       `json:"language,omitempty"`
	// Arrived counts contacts enqueued; Answered those a navigator
	// accepted; Abandoned those who left before.
	Arrived   int `json:"arrived"`
	Answered  int `json:"answered"`
	Abandoned int `json:"abandoned"`
	// AnsweredInTarget counts contacts answered within the answer target
	// (90 s).
	AnsweredInTarget int `json:"answered_in_target"`
	// ServiceLevel is AnsweredInTarget / (Answered + Abandoned), 0 to 1
	// (1 when nobody has left the queue yet).
	ServiceLevel float64 `json:"service_level"`
	// WaitAvg and WaitP90 are over the waits of answered contacts
	// (seconds); WaitAllAvg over everyone who left the queue, answered or
	// abandoned (the Erlang-A model's mean wait).
	WaitAvg    float64 `json:"wait_avg_seconds"`
	WaitP90    float64 `json:"wait_p90_seconds"`
	WaitAllAvg float64 `json:"wait_all_avg_seconds"`
	// AbandonRate is Abandoned / (Answered + Abandoned).
	AbandonRate float64 `json:"abandon_rate"`
	// HandleAvg is the mean time navigators had a finished contact
	// (seconds), over Handled contacts.
	HandleAvg float64 `json:"handle_avg_seconds"`
	Handled   int     `json:"handled"`
}

// Stats is the queue's service level and its state now.
type Stats struct {
	Region       string    `json:"region"`
	At           time.Time `json:"at"`
	Window       string    `json:"window"`
	AnswerTarget string    `json:"answer_target"`
	Total        Level     `json:"total"`
	// Levels are by channel and language, in channel then language order.
	Levels     []Level          `json:"levels"`
	Waiting    int              `json:"waiting"`
	Active     int              `json:"active"`
	Navigators map[Presence]int `json:"navigators"`
}

// acc accumulates a Level.
type acc struct {
	l       Level
	waits   []float64
	waitAll float64
	handle  float64
}

func (a *acc) add(e event) {
	switch e.kind {
	case evArrived:
		a.l.Arrived++
	case evAnswered:
		a.l.Answered++
		w := e.wait.Seconds()
		a.waits = append(a.waits, w)
		a.waitAll += w
	case evAbandoned:
		a.l.Abandoned++
		a.waitAll += e.wait.Seconds()
	case evHandled:
		a.l.Handled++
		a.handle += e.handle.Seconds()
	}
}

func (a *acc) level(target time.Duration) Level {
	l := a.l
	sort.Float64s(a.waits)
	for _, w := range a.waits {
		if w <= target.Seconds() {
			l.AnsweredInTarget++
		}
	}
	left := l.Answered + l.Abandoned
	l.ServiceLevel = 1
	if left > 0 {
		l.ServiceLevel = float64(l.AnsweredInTarget) / float64(left)
		l.AbandonRate = float64(l.Abandoned) / float64(left)
		l.WaitAllAvg = a.waitAll / float64(left)
	}
	if n := len(a.waits); n > 0 {
		var s float64
		for _, w := range a.waits {
			s += w
		}
		l.WaitAvg = s / float64(n)
		l.WaitP90 = a.waits[int(math.Ceil(0.9*float64(n)))-1]
	}
	if l.Handled > 0 {
		l.HandleAvg = a.handle / float64(l.Handled)
	}
	return l
}

// Stats returns the service level over the stats window, by channel and
// language and in total, and how many contacts and navigators are in
// each state now.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.cfg.Now().UTC()
	cut := now.Add(-q.cfg.StatsWindow)
	by := map[key]*acc{}
	total := new(acc)
	for _, e := range q.events {
		if e.at.Before(cut) {
			continue
		}
		a := by[e.key]
		if a == nil {
			a = new(acc)
			a.l.Channel, a.l.Language = e.key.Channel, e.key.Language
			by[e.key] = a
		}
		a.add(e)
		total.add(e)
	}
	s := Stats{Region: q.cfg.Region, At: now, Window: q.cfg.StatsWindow.String(), AnswerTarget: q.cfg.AnswerTarget.String(),
		Total: total.level(q.cfg.AnswerTarget), Levels: []Level{}, Navigators: map[Presence]int{}}
	for _, a := range by {
		s.Levels = append(s.Levels, a.level(q.cfg.AnswerTarget))
	}
	sort.Slice(s.Levels, func(i, j int) bool {
		a, b := s.Levels[i], s.Levels[j]
		if a.Channel != b.Channel {
			return channelRank(a.Channel) < channelRank(b.Channel)
		}
		return a.Language < b.Language
	})
	for _, r := range q.live {
		if r.State == StateWaiting {
			s.Waiting++
		} else {
			s.Active++
		}
	}
	for _, nv := range q.navs {
		s.Navigators[nv.presence()]++
	}
	return s
}

func channelRank(c o211.Channel) int {
	for i, v := range o211.Channels {
		if v == c {
			return i
		}
	}
	return len(o211.Channels)
}

// presence is what the console shows: busy when available with contacts.
func (nv *navigator) presence() Presence {
	if nv.state != Available {
		return nv.state
	}
	for _, n := range nv.active {
		if n > 0 {
			return Busy
		}
	}
	return Available
}
